import { Effect } from "effect"
import type * as Pg from "pg"
import Cursor from "pg-cursor"
import { guardOf } from "./access.js"
import { type Models, objectOf } from "./models.js"
import { attempt, buildContext, planFindMany } from "./plan.js"
import { csvColumns } from "./export.js"
import { exportLinesSql } from "./export-text.js"
import type { RecordsShape } from "./service.js"
import type { PageRow } from "./statements.js"
import type { RecordsLimits } from "./types.js"

/** Rows fetched from the cursor at a time: one page in memory. */
const CURSOR_BATCH = 2_000
/** "All of them" for the plan's LIMIT; planned with limits that admit it, since nothing is held at once. */
const EVERY_RECORD = 2_147_483_647
/** A slow reader may keep the export's snapshot open this long between two batches (the pool's own is 15 s). */
const EXPORT_IDLE_TIMEOUT = "10min"

/**
 * The rows of one statement through a cursor, `batch` at a time, in a read-only REPEATABLE READ snapshot.
 * The connection is taken on the first read and given back when the generator ends, fails or is returned early.
 */
async function* snapshotRows<R extends ReadonlyArray<unknown>>(pool: Pg.Pool, text: string, params: ReadonlyArray<unknown>, batch: number) {
  const client = await pool.connect()
  let healthy = false
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = '${EXPORT_IDLE_TIMEOUT}'`)
    await client.query(`SET LOCAL statement_timeout = '${EXPORT_IDLE_TIMEOUT}'`)
    const cursor = client.query(new Cursor<R>(text, [...params], { rowMode: "array" }))
    while (true) {
      const rows = await cursor.read(batch)
      if (rows.length === 0) break
      yield rows
    }
    await cursor.close()
    await client.query("COMMIT")
    healthy = true
  } finally {
    // Ended early (the reader went away, or a failure): the connection is closed rather than reused, which
    // ends its transaction. A ROLLBACK would never run: `pg` queues it behind the open cursor, still the
    // client's active query, so it held the connection (and the export's snapshot) until the process ended.
    client.release(healthy ? undefined : true)
  }
}

/**
 * Every matching record, in order, through one cursor: the same SQL as a findMany page (filter, order,
 * the caller's permissions) without its LIMIT, read CURSOR_BATCH rows at a time in a read-only REPEATABLE READ
 * snapshot. One sort for the whole export, where keyset pages would re-sort the remaining rows on each page.
 * The plan is made (and the input checked) before the Effect succeeds.
 */
export const makeStreamMany = (limits: RecordsLimits, pool: Pg.Pool, { modelFor }: Models): RecordsShape["streamMany"] =>
  (scope, objectName, args, selection) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      yield* objectOf(model, objectName)
      const unbounded = { ...limits, maxPageSize: EVERY_RECORD, maxRecordsPerQuery: Number.MAX_SAFE_INTEGER }
      const plan = yield* attempt(() =>
        planFindMany(model, unbounded, objectName, { filter: args.filter ?? null, orderBy: args.orderBy ?? null, first: EVERY_RECORD }, selection,
          { totalCount: false, aggregates: [] }, guardOf(scope)))
      return (async function*() {
        for await (const rows of snapshotRows<PageRow>(pool, plan.page.text, plan.page.params, CURSOR_BATCH)) {
          yield plan.answer(rows, null).edges.map((edge) => edge.node)
        }
      })()
    })

/**
 * The embedded database's stream: keyset pages of the largest page size through findMany, each a statement
 * of its own, since its one session cannot be held by a reader for the whole export.
 */
export const makePagedStreamMany = (limits: RecordsLimits, findMany: RecordsShape["findMany"]): RecordsShape["streamMany"] =>
  (scope, objectName, args, selection) => {
    const page = (after: string | null) =>
      findMany(scope, objectName, {
        filter: args.filter ?? null,
        orderBy: args.orderBy ?? null,
        first: limits.maxPageSize,
        ...(after ? { after } : {})
      }, selection, { totalCount: false, aggregates: [] })
    return Effect.map(page(null), (first) =>
      (async function*() {
        let current = first
        while (true) {
          yield current.edges.map((edge) => edge.node)
          if (!current.pageInfo.hasNextPage || !current.pageInfo.endCursor) return
          current = await Effect.runPromise(page(current.pageInfo.endCursor))
        }
      })())
  }

/** How many exports the database's lines answered (tests). */
export const streamLinesCounts = { answered: 0 }

/** Lines per cursor read: one text value each, a few hundred bytes. */
const LINES_BATCH = 5_000

/**
 * The export's lines built by PostgreSQL (export-text.ts), each cursor batch joined into one chunk; null
 * (before anything is read) for what only the reference path answers: relations, restricted callers.
 */
export const makeStreamLines = (limits: RecordsLimits, pool: Pg.Pool, { modelFor }: Models): RecordsShape["streamLines"] =>
  (scope, objectName, args, selection, format) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      if (guardOf(scope) !== null) return null
      const ctx = buildContext(model, limits)
      const text = yield* attempt(() => exportLinesSql(ctx, object, args, selection, format, csvColumns(object, selection)))
      if (text === null) return null
      streamLinesCounts.answered++
      return (async function*() {
        for await (const rows of snapshotRows<[string]>(pool, text, ctx.params.values, LINES_BATCH)) {
          let chunk = ""
          for (const row of rows) chunk += row[0] + "\n"
          yield chunk
        }
      })()
    })
