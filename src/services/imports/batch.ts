import { createHash } from "node:crypto"
import type * as Pg from "pg"
import type { Actor } from "../../domain/actor.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import type { CopyRows } from "../../platform/database/copy.js"
import { ident } from "../metadata/columns.js"
import { DEFAULT_LIMITS } from "../records/limits.js"
import { buildContext } from "../records/plan.js"
import { type Model, Params, recordJson } from "../records/query-builder.js"
import { actorColumns, toColumns } from "../records/values.js"
import { fullSelection } from "../records/write.js"
import { type Lookup, type PreparedRow, rowPreparer, rowErrorMessage } from "./rows.js"

/** Staged rows COPYed per statement during the upload. */
export const STAGE_ROWS = 5_000

/**
 * Staged rows taken per transaction: large enough for COPY and one INSERT … SELECT to pay, small enough
 * to show progress (20,000 rather than 5,000: a quarter of the statements and commits). With events, whose
 * JSON the INSERT builds too, 5,000: each statement stays well inside DATABASE_STATEMENT_TIMEOUT.
 */
export const BATCH_ROWS = 20_000
export const EVENT_BATCH_ROWS = 5_000

export const batchRows = (run: Pick<BatchRun, "emitEvents">) => run.emitEvents ? EVENT_BATCH_ROWS : BATCH_ROWS

export interface BatchRun {
  readonly id: string
  readonly workspaceId: string
  readonly format: "csv" | "jsonl"
  readonly emitEvents: boolean
  readonly actor: Actor
}

/**
 * How a run's staged rows are cut into batches, fixed when its job first runs (importRun's batchBase and
 * batchRows, migration 34): batch k holds rows base + k·size + 1 … base + (k + 1)·size. Batches commit in
 * any order, on several connections at once, each recording its number in committedBatches in its own
 * transaction: a retried job takes only the batches not recorded. `base` is the rows an older version had
 * already committed one after another (0 for a run started by this one).
 */
export interface BatchFrame {
  readonly base: number
  readonly size: number
  readonly totalRows: number
}

/** The frame of a run, fixed on first use; with the batches already committed. */
export const batchFrame = async (pool: Pg.Pool | Pg.PoolClient, run: Pick<BatchRun, "id" | "emitEvents">) => {
  const { rows: [frame] } = await pool.query<{ base: number; size: number; totalRows: number; committed: Array<number> }>(
    `UPDATE core."importRun" SET "batchBase" = coalesce("batchBase", "processedRows"), "batchRows" = coalesce("batchRows", $2)
      WHERE id = $1 RETURNING "batchBase" AS base, "batchRows" AS size, "totalRows", "committedBatches" AS committed`,
    [run.id, batchRows(run)]
  )
  if (!frame) throw new Error(`Import ${run.id} not found`)
  const count = Math.ceil(Math.max(0, frame.totalRows - frame.base) / frame.size)
  const committed = new Set(frame.committed)
  return { frame: { base: frame.base, size: frame.size, totalRows: frame.totalRows }, pending: Array.from({ length: count }, (_, k) => k).filter((k) => !committed.has(k)) }
}

export interface BatchResult {
  readonly taken: number
  readonly created: number
  readonly failed: number
  /** Milliseconds spent reading staged rows, checking them in JS, COPYing, inserting (with events), recording errors and committing. */
  readonly timings: BatchTimings
}

export const BATCH_PHASES = ["read", "check", "copy", "insert", "finish"] as const

export interface BatchTimings {
  read: number
  check: number
  copy: number
  insert: number
  finish: number
}

/**
 * The id of row `rowNumber` of import `importId` unless the row brings its own: the same on every attempt,
 * so a batch replayed after a crash can never insert a row twice. An import's id is a UUIDv7: its rows'
 * ids keep its time and random bits and end with the row number, so they grow as rows are inserted and
 * land on the right edge of the primary key (random ids cost 2.9 s more per 1,000,000 rows, PostgreSQL 15).
 * Runs queued with a v4 id by an older version keep their md5-derived ids.
 */
export const rowIdsOf = (importId: string) => {
  const hex = importId.replaceAll("-", "")
  // All but the last 8 hex digits, hyphens in place: a row's id is this and its number.
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 24)}`
  return (rowNumber: number) => {
    if (hex[12] === "7" && rowNumber < 2 ** 32) return prefix + rowNumber.toString(16).padStart(8, "0")
    const md5 = createHash("md5").update(`${importId}:${rowNumber}`).digest("hex")
    return `${md5.slice(0, 8)}-${md5.slice(8, 12)}-4${md5.slice(13, 16)}-${((parseInt(md5[16]!, 16) & 3) | 8).toString(16)}${md5.slice(17, 20)}-${md5.slice(20, 32)}`
  }
}

export const rowId = (importId: string, rowNumber: number) => rowIdsOf(importId)(rowNumber)

/** Each relation lookup answered with one statement per (relation, target column) for the whole batch. */
const resolveLookups = async (client: Pg.PoolClient, model: Model, rows: ReadonlyArray<{ readonly lookups: ReadonlyArray<Lookup> }>) => {
  const groups = new Map<string, { lookup: Lookup; values: Set<string> }>()
  for (const row of rows) {
    for (const lookup of row.lookups) {
      let group = groups.get(lookup.key)
      if (!group) groups.set(lookup.key, group = { lookup, values: new Set<string>() })
      group.values.add(lookup.value)
    }
  }
  const found = new Map<string, Map<string, string>>()
  for (const [key, { lookup, values }] of groups) {
    const table = model.table(model.target(lookup.field))
    const { rows } = await client.query<{ k: string; id: string }>(
      `SELECT DISTINCT ON (${ident(lookup.column)}) ${ident(lookup.column)}::text AS k, id FROM ${table}
        WHERE ${ident(lookup.column)}::text = ANY($1) AND "deletedAt" IS NULL`,
      [[...values]]
    )
    found.set(key, new Map(rows.map((r) => [r.k, r.id])))
  }
  return (lookup: Lookup) => found.get(lookup.key)?.get(lookup.value)
}

/** Column defaults from the catalog: a value a row leaves out takes its column's default, as in an INSERT. */
const columnDefaults = async (client: Pg.PoolClient, model: Model, object: ObjectMetadata) => {
  const { rows } = await client.query<{ name: string; expression: string }>(
    `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS expression
       FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attgenerated = ''`,
    [model.table(object)]
  )
  return new Map(rows.map((r) => [r.name, r.expression]))
}

/** The outbox rows of the inserted records (alias t0), built in SQL: a `created` event each, as any create writes. */
const eventsSql = (model: Model, object: ObjectMetadata, run: BatchRun, params: Params) => {
  const ctx = buildContext(model, DEFAULT_LIMITS, null, params)
  const name = params.add(`${object.nameSingular}.created`)
  const workspace = params.add(run.workspaceId)
  return `INSERT INTO core."eventOutbox" ("workspaceId", name, "recordId", payload)
    SELECT ${workspace}::uuid, ${name}::text, t0."id", jsonb_build_object(
      'name', ${name}::text, 'action', 'created', 'workspaceId', ${workspace}::text,
      'objectMetadataId', ${params.add(object.id)}::text, 'objectNameSingular', ${params.add(object.nameSingular)}::text,
      'recordId', t0."id", 'record', (${recordJson(ctx, object, "t0", fullSelection(model, object), 0)})::jsonb,
      'actor', ${params.add(JSON.stringify(run.actor))}::jsonb, 'occurredAt', ${params.add(new Date().toISOString())}::text)
    FROM inserted t0`
}

/** A batch read and checked outside any transaction, while other batches commit (see Imports.run). */
export interface PreparedBatch {
  /** Its number in the run's frame. */
  readonly index: number
  readonly taken: number
  /** Staged rows of its range that were not found (the database restarted and emptied staging), or null. */
  readonly lost: { readonly first: number; readonly last: number } | null
  /** Each row's relation lookups and checked column values: only what the commit needs is kept. */
  readonly rows: ReadonlyArray<{ readonly rowNumber: number; readonly lookups: ReadonlyArray<Lookup>; readonly columns: Record<string, unknown> | RowFailure }>
  readonly errors: ReadonlyArray<[string, number, string]>
  readonly timings: Pick<BatchTimings, "read" | "check">
}

/** A row whose values were refused: reported unless one of its relations is missing, which is said first. */
class RowFailure {
  constructor(readonly message: string) {}
}

/**
 * The staged rows of batch `index`, each checked as any create checks it (values.ts) except its
 * relations, which only the transaction can look up. Runs on its own connection, beside the commits of
 * other batches: on two cores Bun's checks then overlap PostgreSQL's inserts.
 */
export const prepareBatch = async (
  pool: Pg.Pool,
  model: Model,
  object: ObjectMetadata,
  run: BatchRun,
  frame: BatchFrame,
  index: number
): Promise<PreparedBatch> => {
  let mark = performance.now()
  const from = frame.base + index * frame.size + 1
  const to = Math.min(frame.totalRows, from + frame.size - 1)
  const staged = await pool.query<{ rowNumber: number; data: string }>(
    `SELECT "rowNumber", data FROM core."importRow" WHERE "importId" = $1 AND "rowNumber" BETWEEN $2 AND $3 ORDER BY "rowNumber"`,
    [run.id, from, to]
  )
  let lost: PreparedBatch["lost"] = null
  if (staged.rows.length < to - from + 1) {
    let expected = from
    for (const row of staged.rows) {
      if (row.rowNumber !== expected) break
      expected++
    }
    lost = { first: expected, last: to }
  }
  const read = performance.now() - mark
  mark = performance.now()
  const errors: Array<[string, number, string]> = []
  const refused = (error: unknown) => {
    const message = rowErrorMessage(error)
    if (message === null) throw error
    return message
  }
  const prepareRow = rowPreparer(model, object, run.format === "csv")
  const idOf = rowIdsOf(run.id)
  const rows: Array<PreparedBatch["rows"][number]> = []
  for (const [index, row] of staged.rows.entries()) {
    // Other requests get the event loop every 1,000 rows (a 20,000-row batch checks for about 250 ms).
    if (index % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve))
    let prep: PreparedRow
    try {
      prep = prepareRow(JSON.parse(row.data) as Record<string, unknown>)
    } catch (error) {
      errors.push([run.id, row.rowNumber, refused(error)])
      continue
    }
    try {
      const columns = toColumns(model, object, prep.input, { creating: true })
      columns["id"] ??= idOf(row.rowNumber)
      rows.push({ rowNumber: row.rowNumber, lookups: prep.lookups, columns })
    } catch (error) {
      rows.push({ rowNumber: row.rowNumber, lookups: prep.lookups, columns: new RowFailure(refused(error)) })
    }
  }
  return { index, taken: staged.rows.length, lost, rows, errors, timings: { read, check: performance.now() - mark } }
}

const ACTOR_CASTS: Readonly<Record<string, string>> = { Source: "text", WorkspaceMemberId: "uuid", Name: "text", Context: "jsonb" }

/**
 * The INSERT … SELECT of the staged good rows, with their events when asked. The createdBy / updatedBy
 * columns, the same for every row, are parameters rather than COPYed eight times per row.
 */
const insertSql = (model: Model, object: ObjectMetadata, run: BatchRun, names: ReadonlyArray<string>, defaults: Map<string, string>, onConflict: boolean) => {
  const params = new Params()
  const actor = Object.entries({ ...actorColumns("createdBy", run.actor), ...actorColumns("updatedBy", run.actor) })
  const values = [
    ...names.map((n) => defaults.has(n) ? `coalesce(s.${ident(n)}, ${defaults.get(n)})` : `s.${ident(n)}`),
    ...actor.map(([column, value]) => `${params.add(value)}::${ACTOR_CASTS[column.replace(/^(created|updated)By/, "")]}`)
  ]
  const insert = `INSERT INTO ${model.table(object)} (${[...names, ...actor.map(([column]) => column)].map(ident).join(", ")})
    SELECT ${values.join(", ")} FROM pg_temp.import_stage s${onConflict ? " ON CONFLICT DO NOTHING" : ""}`
  const text = run.emitEvents
    ? `WITH inserted AS (${insert} RETURNING *), events AS (${eventsSql(model, object, run, params)}) SELECT "id" FROM inserted`
    : onConflict ? `${insert} RETURNING "id"` : insert
  return { text, values: params.values }
}

const UNIQUE_VIOLATION = "23505"

/**
 * One prepared batch in one transaction: its relations found by id or unique value, the good rows COPYed
 * into a temporary table and inserted with one INSERT … SELECT (with their events when asked), the bad ones
 * recorded with their reason, and its number added to the run's committed batches: all of it commits
 * together, so a job retried after a crash takes only the batches not committed. Answers "stale" when
 * another attempt committed this batch: nothing is written then. The run's row is locked only by the last
 * statement, so batches on other connections insert at the same time.
 */
export const commitBatch = async (
  pool: Pg.Pool,
  copyRows: CopyRows,
  model: Model,
  object: ObjectMetadata,
  run: BatchRun,
  batch: PreparedBatch
): Promise<BatchResult | { readonly stale: true }> => {
  const client = await pool.connect()
  const timings: BatchTimings = { read: batch.timings.read, check: batch.timings.check, copy: 0, insert: 0, finish: 0 }
  let mark = performance.now()
  const lap = (phase: keyof BatchTimings) => {
    const now = performance.now()
    timings[phase] += now - mark
    mark = now
  }
  try {
    await client.query("BEGIN")
    const { rows: [done] } = await client.query<{ done: boolean }>(
      `SELECT $2::int = ANY("committedBatches") AS done FROM core."importRun" WHERE id = $1`,
      [run.id, batch.index]
    )
    if (done?.done !== false) {
      await client.query("ROLLBACK")
      return { stale: true }
    }
    const errors = [...batch.errors]
    const lookup = await resolveLookups(client, model, batch.rows)
    const good: Array<{ rowNumber: number; columns: Record<string, unknown> }> = []
    const columnSet = new Set<string>()
    for (const row of batch.rows) {
      const missing = row.lookups.length === 0 ? undefined : row.lookups.find((l) => lookup(l) === undefined)
      if (missing) {
        errors.push([run.id, row.rowNumber, `No ${model.target(missing.field).nameSingular} found with ${missing.path} = ${JSON.stringify(missing.value)} for "${missing.field.name}"`])
      } else if (row.columns instanceof RowFailure) {
        errors.push([run.id, row.rowNumber, row.columns.message])
      } else {
        for (const l of row.lookups) row.columns[`${l.field.name}Id`] = lookup(l)
        for (const name in row.columns) columnSet.add(name)
        good.push({ rowNumber: row.rowNumber, columns: row.columns })
      }
    }
    lap("check")
    let created = 0
    if (good.length > 0) {
      const names = [...columnSet]
      const defaults = await columnDefaults(client, model, object)
      await client.query(`CREATE TEMPORARY TABLE import_stage ON COMMIT DROP AS SELECT ${names.map(ident).join(", ")} FROM ${model.table(object)} WITH NO DATA`)
      await copyRows(client, "pg_temp.import_stage", names, good.map((g) => names.map((n) => g.columns[n] ?? null)))
      lap("copy")
      // A plain INSERT first: ON CONFLICT's speculative insertion cost ~20 % more per row (200,000 people,
      // PostgreSQL 15). A unique value already taken fails it, and the batch goes again with ON CONFLICT.
      await client.query("SAVEPOINT plain_insert")
      const plain = insertSql(model, object, run, names, defaults, false)
      const inserted = await client.query<{ id: string }>(plain.text, plain.values).then(
        (result) => result.rowCount ?? good.length,
        async (error: unknown) => {
          if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error
          await client.query("ROLLBACK TO SAVEPOINT plain_insert")
          const guarded = insertSql(model, object, run, names, defaults, true)
          return new Set((await client.query<{ id: string }>(guarded.text, guarded.values)).rows.map((r) => r.id))
        }
      )
      if (typeof inserted === "number") {
        created = good.length
      } else {
        created = inserted.size
        for (const g of good) {
          if (!inserted.has(g.columns["id"] as string)) {
            errors.push([run.id, g.rowNumber, "A record with the same id or the same unique value already exists"])
          }
        }
      }
      lap("insert")
    }
    // Waits for a batch committing on another connection, then sees its result: a batch recorded
    // meanwhile (another attempt of this one) is rolled back before its errors collide with that one's.
    const { rowCount } = await client.query(
      `UPDATE core."importRun" SET "committedBatches" = array_append("committedBatches", $5::int), "processedRows" = "processedRows" + $2,
          "createdRows" = "createdRows" + $3, "failedRows" = "failedRows" + $4, "updatedAt" = now()
        WHERE id = $1 AND NOT ($5::int = ANY("committedBatches"))`,
      [run.id, batch.taken, created, errors.length, batch.index]
    )
    if (rowCount === 0) {
      await client.query("ROLLBACK")
      return { stale: true }
    }
    await copyRows(client, `core."importError"`, ["importId", "rowNumber", "message"], errors)
    await client.query("COMMIT")
    lap("finish")
    return { taken: batch.taken, created, failed: errors.length, timings }
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

/** The first batch not committed, prepared and committed (tests, one worker's step). */
export const importBatch = async (pool: Pg.Pool, copyRows: CopyRows, model: Model, object: ObjectMetadata, run: BatchRun): Promise<BatchResult> => {
  const { frame, pending } = await batchFrame(pool, run)
  const none = { taken: 0, created: 0, failed: 0, timings: { read: 0, check: 0, copy: 0, insert: 0, finish: 0 } }
  if (pending.length === 0) return none
  const batch = await prepareBatch(pool, model, object, run, frame, pending[0]!)
  if (batch.taken === 0) return none
  const result = await commitBatch(pool, copyRows, model, object, run, batch)
  if ("stale" in result) return importBatch(pool, copyRows, model, object, run)
  return result
}

const RETRIED_CODES = new Set(["40P01", "40001"])

/**
 * commitBatch, again when PostgreSQL broke a deadlock with it: two batches inserting the same unique values
 * in opposite orders wait on each other, and one is chosen to fail.
 */
export const commitBatchRetried = async (...args: Parameters<typeof commitBatch>): ReturnType<typeof commitBatch> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitBatch(...args)
    } catch (error) {
      if (attempt >= 5 || !RETRIED_CODES.has(String((error as { code?: unknown }).code))) throw error
    }
  }
}
