import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { NotFound } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { Tokens } from "../auth/tokens.js"
import { signRecords, type SignFileUrl } from "./file-urls.js"
import { ResultCache } from "../../platform/cache/results.js"
import { PgPool, PgReads } from "../../platform/database/index.js"
import { ReadReplicas } from "../../platform/database/replicas.js"
import { Metadata } from "../metadata/index.js"
import { DEFAULT_LIMITS } from "./limits.js"
import { makeMerge } from "./merge.js"
import { makeModels } from "./models.js"
import { makeReads } from "./read.js"
import { makeSharedPlans } from "./shared-plans.js"
import { makeSearch } from "./search.js"
import { Records } from "./service.js"
import { makeStatements } from "./statements.js"
import { makePagedStreamMany, makeStreamLines, makeStreamMany } from "./stream.js"
import type { ConnectionArgs, RecordFilter, RecordsLimits, RecordsScope, RecordValue, Selection } from "./types.js"
import type { RecordsShape } from "./service.js"
import { makeWrites } from "./write.js"
import { makeDirectWrites } from "./write-direct.js"
import { committing } from "./epochs.js"
import { masksContent } from "./content-visibility.js"
import { ownedOnly, ownerFilter } from "./account-owner-scope.js"
import { makeCallerReads } from "./caller-reads.js"

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
      const config = yield* Effect.serviceOption(AppConfig)
      const replicas = Option.getOrNull(yield* Effect.serviceOption(ReadReplicas))
      const pgBouncer = Option.exists(config, (c) => c.databasePgBouncer)
      const statements = makeStatements(sql, pool, pgReads, replicas, pgBouncer)
      const models = makeModels(yield* Metadata)
      const results = yield* ResultCache
      const signer = yield* fileUrlSigner
      const reads = makeReads(limits, statements, models, results, makeSharedPlans(Option.match(config, { onNone: () => true, onSome: (c) => c.schemaSharing })), signer)
      const writes = makeWrites(sql, limits, statements, models, reads)
      const { createOneDirect, updateOneDirect, deleteOneDirect, restoreOneDirect } = makeDirectWrites(limits, statements, models, results, signer)
      const { merge, findDuplicates } = makeMerge(sql, limits, statements, models, reads, writes)
      const { search } = makeSearch(limits, statements, models)
      // Reads as a request's caller may see them: masked content, owner-limited accounts (caller-reads.ts).
      const { findMany, findOne, findManyDirect, findOneDirect, groupBy } = makeCallerReads(sql, models, reads)
      const owned = (scope: RecordsScope, objectName: string, filter: RecordFilter) => ownedOnly(scope, objectName, filter) ?? filter
      // A live database (not the embedded one's single session) lets an export hold a connection throughout.
      const live = pgReads !== null || Option.exists(config, (c) => Option.isSome(c.databaseUrl))
      const pagedStreamMany = makePagedStreamMany(limits, findMany)
      // Exports of masked or owner-limited objects page through findMany, which applies both.
      const liveStreamMany = live ? makeStreamMany(limits, pool, models) : pagedStreamMany
      const streamMany: RecordsShape["streamMany"] = (scope, objectName, args, selection) =>
        masksContent(scope, objectName) || ownerFilter(scope, objectName) !== null
          ? pagedStreamMany(scope, objectName, args, selection)
          : liveStreamMany(scope, objectName, args, selection)
      // Lines built by PostgreSQL (CSV exports): not for masked or owner-limited objects, whose reads need findMany.
      const liveStreamLines: RecordsShape["streamLines"] = pgReads !== null ? makeStreamLines(limits, pool, models) : () => Effect.succeed(null)
      const streamLines: RecordsShape["streamLines"] = (scope, objectName, args, selection, format) =>
        masksContent(scope, objectName) || ownerFilter(scope, objectName) !== null
          ? Effect.succeed(null)
          : liveStreamLines(scope, objectName, args, selection, format)
      const committed = committing(models, results, writes, merge)
      // Records a write returns carry signed FILES urls as reads do (Twenty's getters run on mutations too).
      const signed = (scope: RecordsScope, objectName: string, selection: Selection) => (records: ReadonlyArray<RecordValue>) => {
        const model = models.current(scope.workspaceId)
        const object = model?.metadata.objects.find((o) => o.nameSingular === objectName && o.isActive)
        return signRecords(signer, scope.workspaceId, model, object, selection, records)
      }
      const createMany: RecordsShape["createMany"] = (scope, objectName, data, selection, options) =>
        Effect.map(committed.createMany(scope, objectName, data, selection, options), signed(scope, objectName, selection))
      /** Another member's account (or channel) is not found, as a record the caller cannot see. */
      const requireOwned = (scope: RecordsScope, objectName: string, id: string) =>
        ownerFilter(scope, objectName) === null
          ? Effect.void
          : Effect.flatMap(reads.findOne(scope, objectName, owned(scope, objectName, { id: { eq: id } }), { fields: [], relations: [] }),
            (found) => (found ? Effect.void : Effect.fail(new NotFound({ message: `Record ${id} not found` }))))
      const updateOne: RecordsShape["updateOne"] = (scope, objectName, id, data, selection) =>
        Effect.zipRight(requireOwned(scope, objectName, id),
          Effect.map(committed.updateOne(scope, objectName, id, data, selection), (record) => signed(scope, objectName, selection)([record])[0]!))
      const updateMany: RecordsShape["updateMany"] = (scope, objectName, filter, data, selection) =>
        Effect.map(committed.updateMany(scope, objectName, owned(scope, objectName, filter), data, selection), signed(scope, objectName, selection))
      const deleteMany: RecordsShape["deleteMany"] = (scope, objectName, filter, selection) =>
        Effect.map(committed.deleteMany(scope, objectName, owned(scope, objectName, filter), selection), signed(scope, objectName, selection))
      const restoreMany: RecordsShape["restoreMany"] = (scope, objectName, filter, selection) =>
        Effect.map(committed.restoreMany(scope, objectName, owned(scope, objectName, filter), selection), signed(scope, objectName, selection))
      const destroyMany: RecordsShape["destroyMany"] = (scope, objectName, filter, selection) =>
        committed.destroyMany(scope, objectName, owned(scope, objectName, filter), selection)
      const byDirectWrite = <A>(scope: RecordsScope, objectName: string, write: () => A): A | null =>
        ownerFilter(scope, objectName) === null ? write() : null
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
        updateOneDirect: (scope, objectName, id, data, selection) =>
          byDirectWrite(scope, objectName, () => updateOneDirect(scope, objectName, id, data, selection)),
        deleteOneDirect: (scope, objectName, id, selection) => byDirectWrite(scope, objectName, () => deleteOneDirect(scope, objectName, id, selection)),
        restoreOneDirect: (scope, objectName, id, selection) => byDirectWrite(scope, objectName, () => restoreOneDirect(scope, objectName, id, selection)),
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
