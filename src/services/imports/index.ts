import { SqlError } from "@effect/sql"
import { Effect, Layer } from "effect"
import type * as Pg from "pg"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import type { CopyRows } from "../../platform/database/copy.js"
import { PgPool } from "../../platform/database/index.js"
import { ResultCache } from "../../platform/cache/results.js"
import { JobQueue } from "../../platform/queue/index.js"
import { Metadata } from "../metadata/index.js"
import { denied, guardOf, memberRecordLimit, objectAccess, requireOperation, requireUpdatable } from "../records/access.js"
import { attempt } from "../records/plan.js"
import { isRelation, Model, QueryInputError } from "../records/query-builder.js"
import { tablesWritten } from "../records/totals.js"
import type { RecordsScope } from "../records/types.js"
import { BATCH_PHASES, batchFrame, type BatchRun, type BatchTimings, commitBatchRetried, type PreparedBatch, prepareBatch, STAGE_ROWS } from "./batch.js"
import { IMPORTS_QUEUE, RUN_IMPORT_JOB } from "./jobs.js"
import { readUpload, UnreadableUpload, UploadCutOff, UploadTimedOut } from "./parse.js"
import { type ImportRun, Imports, type ImportsShape } from "./service.js"

export { Imports } from "./service.js"

const query = <A extends Pg.QueryResultRow>(pool: Pg.Pool, text: string, values: ReadonlyArray<unknown> = []) =>
  Effect.tryPromise({
    try: () => pool.query<A>(text, [...values]).then((r) => r.rows),
    catch: (cause) => new SqlError.SqlError({ cause, message: "Import statement failed" })
  })

const RUN_COLUMNS = `id, "objectNameSingular", format, status, "emitEvents", "totalRows", "processedRows", "createdRows",
  "failedRows", "lastError", "createdAt", "updatedAt", "finishedAt"`

type RunRow = Omit<ImportRun, "errors" | "createdAt" | "updatedAt" | "finishedAt"> & {
  createdAt: Date
  updatedAt: Date
  finishedAt: Date | null
}


/** The caller may create records of `object` and write the fields the upload names (checked on its column set). */
const requireImportable = (scope: RecordsScope, model: Model, objectName: string, heads: ReadonlySet<string>) =>
  attempt(() => {
    const object = model.object(objectName)
    const guard = guardOf(scope)
    if (guard === null) return
    requireOperation(guard, object, "update")
    if (objectAccess(guard, object)?.rowFilter) throw new QueryInputError(denied(`imports are not open to a role with row-level permissions on "${objectName}"`))
    const written = Object.fromEntries([...heads].map((head) => [head, true]))
    requireUpdatable(guard, model, object, [written])
    for (const head of heads) {
      const found = model.field(object, head)
      if (!found || found.field.relationType !== "MANY_TO_ONE" || !isRelation(found.field)) continue
      if (objectAccess(guard, model.target(found.field))?.rowFilter) {
        throw new QueryInputError(denied(`imports cannot link to "${model.target(found.field).nameSingular}" records under row-level permissions`))
      }
    }
  })

/** An upload without progress (a staged batch) for this long is one whose server went away: swept FAILED. */
export const STALE_UPLOAD_MINUTES = 10

/**
 * `lanes`: batches committed at once, each on its own connection (IMPORT_CONCURRENCY, within the pool).
 * `bodyTimeoutMs`: an upload silent this long is given up (IMPORT_BODY_TIMEOUT).
 */
export const ImportsLive = (copyRows: CopyRows, lanes = 1, bodyTimeoutMs = 8_000) =>
  Layer.effect(
    Imports,
    Effect.gen(function*() {
      const pool = yield* PgPool
      const metadata = yield* Metadata
      const queue = yield* JobQueue
      const results = yield* ResultCache

      const get: ImportsShape["get"] = (workspaceId, id, errorsLimit = 100) =>
        Effect.gen(function*() {
          const [run] = /^[0-9a-f-]{36}$/i.test(id)
            ? yield* query<RunRow>(pool, `SELECT ${RUN_COLUMNS} FROM core."importRun" WHERE id = $1 AND "workspaceId" = $2`, [id, workspaceId])
            : []
          if (!run) return yield* new NotFound({ message: `Import ${id} not found` })
          const errors = yield* query<{ row: number; message: string }>(
            pool,
            `SELECT "rowNumber" AS row, message FROM core."importError" WHERE "importId" = $1 ORDER BY "rowNumber" LIMIT $2`,
            [id, Math.max(0, Math.min(errorsLimit, 10_000))]
          )
          return {
            ...run,
            createdAt: run.createdAt.toISOString(),
            updatedAt: run.updatedAt.toISOString(),
            finishedAt: run.finishedAt?.toISOString() ?? null,
            errors
          }
        })

      const stage = (id: string, rows: Array<[string, number, string]>) =>
        Effect.tryPromise({
          try: async () => {
            const client = await pool.connect()
            try {
              await copyRows(client, `core."importRow"`, ["importId", "rowNumber", "data"], rows)
              // Progress, so the sweep tells a live upload from one whose server went away.
              const { rowCount } = await client.query(`UPDATE core."importRun" SET "updatedAt" = now() WHERE id = $1 AND status = 'UPLOADING'`, [id])
              if (rowCount === 0) throw new UploadCutOff(`given up after ${STALE_UPLOAD_MINUTES} minutes without progress`)
            } finally {
              client.release()
            }
          },
          catch: (cause) => new SqlError.SqlError({ cause, message: "Staging import rows failed" })
        })

      const start: ImportsShape["start"] = (scope, objectName, input) =>
        Effect.gen(function*() {
          const model = new Model(yield* metadata.get(scope.workspaceId))
          const object = yield* attempt(() => model.object(objectName)).pipe(
            Effect.mapError(() => new NotFound({ message: `Object "${objectName}" not found` }))
          )
          if (memberRecordLimit(scope, object) !== null || object.nameSingular === "workspaceMember") {
            return yield* denied("members join through invitations")
          }
          yield* requireImportable(scope, model, objectName, new Set())
          // Time-ordered, so its rows' ids are too (batch.ts rowId).
          const id = Bun.randomUUIDv7()
          const actor = { ...scope.actor, source: "IMPORT" as const }
          // Uninterruptible: a client that goes away interrupts the request's fiber (Effect's web handler), which
          // would leave the run UPLOADING and its staged rows behind. The body's stream fails instead (Bun's
          // AbortError, or IMPORT_BODY_TIMEOUT), the upload stops, and the run is ended with its reason.
          yield* Effect.uninterruptible(Effect.gen(function*() {
            yield* query(pool, `INSERT INTO core."importRun" (id, "workspaceId", "objectNameSingular", format, status, "emitEvents", actor)
              VALUES ($1, $2, $3, $4, 'UPLOADING', $5, $6)`, [id, scope.workspaceId, objectName, input.format, input.emitEvents ?? true, JSON.stringify(actor)])
            const heads = new Set<string>()
            const keys = new Set<string>()
            let count = 0
            const staged = yield* Effect.tryPromise({
              try: async () => {
                let batch: Array<[string, number, string]> = []
                // One COPY in flight while the next rows are parsed: PostgreSQL stages as Bun reads.
                let copying: Promise<void> = Promise.resolve()
                const flush = async () => {
                  await copying
                  copying = Effect.runPromise(stage(id, batch))
                  copying.catch(() => undefined) // awaited at the next flush or below
                  batch = []
                }
                try {
                  for await (const row of readUpload(input.format, input.body, input.mapping, { idleMs: bodyTimeoutMs, signal: input.signal, length: input.length })) {
                    for (const key in row) {
                      if (keys.has(key)) continue
                      keys.add(key)
                      heads.add(key.split(".")[0]!)
                    }
                    batch.push([id, ++count, JSON.stringify(row)])
                    if (batch.length === STAGE_ROWS) await flush()
                  }
                  await flush()
                  await copying
                } finally {
                  // The last COPY ends before any clean-up below deletes the staged rows.
                  await copying.catch(() => undefined)
                }
                return count
              },
              catch: (cause) => cause instanceof UnreadableUpload
                ? new BadUserInput({ message: cause.message })
                : new SqlError.SqlError({ cause, message: "Reading the upload failed" })
            }).pipe(
              Effect.tap(() => requireImportable(scope, model, objectName, heads)),
              Effect.tapError((error) => Effect.suspend(() => {
                const cause = error._tag === "SqlError" ? error.cause : null
                // A run whose client went away or fell silent is kept FAILED with the reason; a refused one is not kept.
                return cause instanceof UploadCutOff || cause instanceof UploadTimedOut
                  ? finish(id, "FAILED", `The upload ${cause instanceof UploadCutOff ? "was cut off" : "timed out"} after ${count} rows: ${cause.message}`)
                  : query(pool, `WITH gone AS (DELETE FROM core."importRow" WHERE "importId" = $1) DELETE FROM core."importRun" WHERE id = $1`, [id])
              }).pipe(Effect.ignore))
            )
            // Fresh statistics, or the job's batch reads may be planned as scans of the whole staging table: a
            // 1,000,000-row import spent 134 s of its 356 s reading its batches before this.
            yield* query(pool, `ANALYZE core."importRow"`)
            const queued = yield* query(pool, `UPDATE core."importRun" SET status = 'QUEUED', "totalRows" = $2, "updatedAt" = now()
              WHERE id = $1 AND status = 'UPLOADING' RETURNING id`, [id, staged])
            if (queued.length === 0) return yield* new BadUserInput({ message: `The upload was given up after ${STALE_UPLOAD_MINUTES} minutes without progress` })
            yield* queue.enqueue(IMPORTS_QUEUE, RUN_IMPORT_JOB, { importId: id }, { jobId: `import-${id}`, attempts: 5 })
          }))
          return yield* get(scope.workspaceId, id)
        }).pipe(Effect.withSpan("Imports.start", { attributes: { object: objectName } }))

      const finish = (id: string, status: "COMPLETED" | "FAILED", lastError: string | null) =>
        query(pool, `WITH gone AS (DELETE FROM core."importRow" WHERE "importId" = $1)
          UPDATE core."importRun" SET status = $2, "lastError" = $3, "finishedAt" = now(), "updatedAt" = now()
           WHERE id = $1 AND status NOT IN ('COMPLETED', 'FAILED')`, [id, status, lastError])

      const run: ImportsShape["run"] = (id) =>
        Effect.gen(function*() {
          const [row] = yield* query<BatchRun & { objectNameSingular: string; status: string; processedRows: number; totalRows: number }>(pool,
            `SELECT id, "workspaceId", format, "emitEvents", actor, "objectNameSingular", status, "processedRows", "totalRows"
               FROM core."importRun" WHERE id = $1`, [id])
          if (!row || row.status === "COMPLETED" || row.status === "FAILED" || row.status === "UPLOADING") return
          const model = new Model(yield* metadata.get(row.workspaceId))
          const object = yield* Effect.option(attempt(() => model.object(row.objectNameSingular)))
          if (object._tag === "None") return yield* finish(id, "FAILED", `Object "${row.objectNameSingular}" no longer exists`)
          yield* query(pool, `UPDATE core."importRun" SET status = 'RUNNING', "updatedAt" = now() WHERE id = $1`, [id])
          const spent: BatchTimings = { read: 0, check: 0, copy: 0, insert: 0, finish: 0 }
          let rows = 0
          let lost: { first: number; last: number } | null = null
          const started = performance.now()
          const tables = tablesWritten(model, object.value, false)
          const work = Effect.tryPromise(async () => {
            const { frame, pending } = await batchFrame(pool, row)
            let next = 0
            let failed = false
            const take = () => {
              if (failed || next >= pending.length) return null
              const prepared = prepareBatch(pool, model, object.value, row, frame, pending[next++]!)
              prepared.catch(() => undefined) // awaited by its lane, or dropped with a failed one
              return prepared
            }
            const commit = async (batch: PreparedBatch) => {
              if (batch.lost) lost = { first: Math.min(lost?.first ?? Infinity, batch.lost.first), last: Math.max(lost?.last ?? 0, batch.lost.last) }
              if (batch.taken === 0) return
              const result = await commitBatchRetried(pool, copyRows, model, object.value, row, batch)
              if ("stale" in result) return
              rows += batch.taken
              for (const phase of BATCH_PHASES) spent[phase] += result.timings[phase]
              // Each committed batch moves the object's write epoch: totals over it are counted again.
              await results.bumpNow(row.workspaceId, tables)
            }
            // Each lane prepares a batch (Bun) then commits it (PostgreSQL): lanes overlap, so both cores work.
            // A single lane reads the next batch ahead while it commits (more lanes would hold more batches).
            const lane = async () => {
              let upcoming = take()
              while (upcoming) {
                const batch = await upcoming
                if (lanes === 1) upcoming = take()
                await commit(batch)
                if (lanes !== 1) upcoming = take()
              }
            }
            const settled = await Promise.allSettled(Array.from({ length: Math.min(lanes, pending.length) }, () =>
              lane().catch((error: unknown) => {
                failed = true
                throw error
              })))
            const failure = settled.find((result) => result.status === "rejected")
            if (failure) throw failure.reason
          }).pipe(Effect.tapError((error) =>
            query(pool, `UPDATE core."importRun" SET "lastError" = $2, "updatedAt" = now() WHERE id = $1`, [id, String(error.error)]).pipe(Effect.ignore)))
          yield* work
          const [progress] = yield* query<{ processedRows: number }>(pool, `SELECT "processedRows" FROM core."importRun" WHERE id = $1`, [id])
          const processed = progress?.processedRows ?? 0
          // Rows an attempt running beside this one committed (then cleared from staging) are not lost.
          const missing: { first: number; last: number } | null = processed >= row.totalRows ? null : lost ?? { first: processed + 1, last: row.totalRows }
          if (missing) {
            return yield* finish(id, "FAILED", `Rows ${missing.first} to ${missing.last} were lost from staging (the database restarted): upload them again`)
          }
          yield* finish(id, "COMPLETED", null)
          const ms = (n: number) => `${Math.round(n)} ms`
          yield* Effect.logInfo(`Import ${id}: ${rows} rows in ${ms(performance.now() - started)} (read ${ms(spent.read)}, check ${ms(spent.check)}, ` +
            `copy ${ms(spent.copy)}, insert ${ms(spent.insert)}, errors and commit ${ms(spent.finish)})`)
        }).pipe(Effect.withSpan("Imports.run", { attributes: { importId: id } }))

      const sweep: ImportsShape["sweep"] = query<{ id: string }>(pool,
        `WITH stale AS (
           UPDATE core."importRun" SET status = 'FAILED', "finishedAt" = now(), "updatedAt" = now(),
             "lastError" = 'The upload stopped: the server receiving it went away'
            WHERE status = 'UPLOADING' AND "updatedAt" < now() - make_interval(mins => $1) RETURNING id),
         gone AS (DELETE FROM core."importRow" WHERE "importId" IN (SELECT id FROM stale))
         SELECT id FROM stale`, [STALE_UPLOAD_MINUTES]).pipe(Effect.map((rows) => rows.length))

      return { start, get, run, sweep }
    })
  )
