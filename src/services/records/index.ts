import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { AppConfig } from "../../platform/config.js"
import { Tokens } from "../auth/tokens.js"
import { signRecords, type SignFileUrl } from "./file-urls.js"
import { Cache } from "../../platform/cache/index.js"
import { ResultCache } from "../../platform/cache/results.js"
import { PgPool, PgReads } from "../../platform/database/index.js"
import { Metadata } from "../metadata/index.js"
import { DEFAULT_LIMITS } from "./limits.js"
import { makeMerge } from "./merge.js"
import { makeModels } from "./models.js"
import { makeReads } from "./read.js"
import { makeSearch } from "./search.js"
import { Records } from "./service.js"
import { makeStatements } from "./statements.js"
import { makePagedStreamMany, makeStreamLines, makeStreamMany } from "./stream.js"
import type { ConnectionArgs, RecordsLimits, RecordsScope, RecordValue, Selection } from "./types.js"
import type { RecordsShape } from "./service.js"
import { makeWrites } from "./write.js"
import { makeDirectWrites } from "./write-direct.js"
import { committing } from "./epochs.js"

export { Records } from "./service.js"
export { recordsStatements } from "./statements.js"
export { DEFAULT_LIMITS } from "./limits.js"

/** Signs FILES items on reads when tokens and settings are at hand (a bare Records in tests has neither). */
const fileUrlSigner = Effect.map(
  Effect.all([Effect.serviceOption(Tokens), Effect.serviceOption(AppConfig)]),
  ([tokens, config]): SignFileUrl | null => {
    if (Option.isNone(tokens) || Option.isNone(config)) return null
    const { fileTokenTtl, serverUrl } = config.value
    const base = new URL("/file/FilesField/", serverUrl).href
    return (workspaceId, fileId) =>
      `${base}${fileId}?token=${
        tokens.value.signNow({ sub: fileId, type: "FILE", workspaceId, fileId, purpose: "read" }, fileTokenTtl)
      }`
  }
)

/**
 * The Records service, assembled from its parts: statements (the drivers), models (metadata lookups),
 * reads, writes, merge/duplicates and search; the SQL itself is built by query-builder and group-by.
 */
export const RecordsLive = (limits: RecordsLimits = DEFAULT_LIMITS) =>
  Layer.effect(
    Records,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pool = yield* PgPool
      const pgReads = yield* PgReads
      const statements = makeStatements(sql, pool, pgReads)
      const models = makeModels(yield* Metadata, yield* Cache)
      const results = yield* ResultCache
      const signer = yield* fileUrlSigner
      const reads = makeReads(limits, statements, models, results, signer)
      const writes = makeWrites(sql, limits, statements, models, reads)
      const { createOneDirect, updateOneDirect, deleteOneDirect } = makeDirectWrites(limits, statements, models, results, signer)
      const { merge, findDuplicates } = makeMerge(sql, limits, statements, models, reads, writes)
      const { search } = makeSearch(limits, statements, models)
      const { findMany, findManyDirect, groupBy, findOne, findOneDirect } = reads
      // Bun's read pool exists exactly on a live database, where an export may hold a connection throughout.
      const streamMany = pgReads !== null ? makeStreamMany(limits, pool, models) : makePagedStreamMany(limits, findMany)
      const streamLines: RecordsShape["streamLines"] = pgReads !== null ? makeStreamLines(limits, pool, models) : () => Effect.succeed(null)
      const committed = committing(models, results, writes, merge)
      // Records a write returns carry signed FILES urls as reads do (Twenty's getters run on mutations too).
      const signed = (scope: RecordsScope, objectName: string, selection: Selection) => (records: ReadonlyArray<RecordValue>) => {
        const model = models.current(scope.workspaceId)
        const object = model?.metadata.objects.find((o) => o.nameSingular === objectName && o.isActive)
        return signRecords(signer, scope.workspaceId, model, object, selection, records)
      }
      const createMany: RecordsShape["createMany"] = (scope, objectName, data, selection, options) =>
        Effect.map(committed.createMany(scope, objectName, data, selection, options), signed(scope, objectName, selection))
      const updateOne: RecordsShape["updateOne"] = (scope, objectName, id, data, selection) =>
        Effect.map(committed.updateOne(scope, objectName, id, data, selection), (record) => signed(scope, objectName, selection)([record])[0]!)
      const updateMany: RecordsShape["updateMany"] = (scope, objectName, filter, data, selection) =>
        Effect.map(committed.updateMany(scope, objectName, filter, data, selection), signed(scope, objectName, selection))
      const deleteMany: RecordsShape["deleteMany"] = (scope, objectName, filter, selection) =>
        Effect.map(committed.deleteMany(scope, objectName, filter, selection), signed(scope, objectName, selection))
      const restoreMany: RecordsShape["restoreMany"] = (scope, objectName, filter, selection) =>
        Effect.map(committed.restoreMany(scope, objectName, filter, selection), signed(scope, objectName, selection))
      const { destroyMany } = committed
      return {
        limits,
        findMany,
        findManyDirect,
        groupBy,
        findOne,
        findOneDirect,
        streamMany,
        streamLines,
        createMany,
        createOneDirect,
        updateOneDirect,
        deleteOneDirect,
        updateOne,
        updateMany,
        deleteMany,
        destroyMany,
        restoreMany,
        merge: committing(models, results, writes, merge).merge,
        findDuplicates,
        search
      }
    })
  )

export type { ConnectionArgs }
