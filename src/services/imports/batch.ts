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
import { type Lookup, type PreparedRow, rowPreparer, RowError, rowErrorMessage } from "./rows.js"

/** Staged rows taken per transaction: large enough for COPY to pay, small enough to show progress. */
export const BATCH_ROWS = 5_000

export interface BatchRun {
  readonly id: string
  readonly workspaceId: string
  readonly format: "csv" | "jsonl"
  readonly emitEvents: boolean
  readonly actor: Actor
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
 * so a batch replayed after a crash can never insert a row twice.
 */
const rowId = (importId: string, rowNumber: number) => {
  const hex = createHash("md5").update(`${importId}:${rowNumber}`).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** Each relation lookup answered with one statement per (relation, target column) for the whole batch. */
const resolveLookups = async (client: Pg.PoolClient, model: Model, prepared: ReadonlyArray<PreparedRow | null>) => {
  const groups = new Map<string, { lookup: Lookup; values: Set<string> }>()
  for (const row of prepared) {
    for (const lookup of row?.lookups ?? []) {
      const key = `${lookup.field.name}\u0000${lookup.column}`
      const group = groups.get(key) ?? { lookup, values: new Set<string>() }
      group.values.add(lookup.value)
      groups.set(key, group)
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
  return (lookup: Lookup) => found.get(`${lookup.field.name}\u0000${lookup.column}`)?.get(lookup.value)
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

/**
 * One batch in one transaction: the next staged rows are checked as any create checks them (values.ts),
 * relations found by id or unique value, the good rows COPYed into a temporary table and inserted with one
 * INSERT … SELECT (with their events when asked), the bad ones recorded with their reason, and the progress
 * moved: all of it commits together, so a job retried after a crash resumes at the first batch not committed.
 */
export const importBatch = async (
  pool: Pg.Pool,
  copyRows: CopyRows,
  model: Model,
  object: ObjectMetadata,
  run: BatchRun
): Promise<BatchResult> => {
  const client = await pool.connect()
  const timings: BatchTimings = { read: 0, check: 0, copy: 0, insert: 0, finish: 0 }
  let mark = performance.now()
  const lap = (phase: keyof BatchTimings) => {
    const now = performance.now()
    timings[phase] += now - mark
    mark = now
  }
  try {
    await client.query("BEGIN")
    const { rows: [progress] } = await client.query<{ processedRows: number }>(
      `SELECT "processedRows" FROM core."importRun" WHERE id = $1 FOR UPDATE`,
      [run.id]
    )
    const staged = await client.query<{ rowNumber: number; data: string }>(
      `SELECT "rowNumber", data FROM core."importRow" WHERE "importId" = $1 AND "rowNumber" > $2 ORDER BY "rowNumber" LIMIT ${BATCH_ROWS}`,
      [run.id, progress?.processedRows ?? 0]
    )
    if (staged.rows.length === 0) {
      await client.query("COMMIT")
      return { taken: 0, created: 0, failed: 0, timings }
    }
    lap("read")
    const errors: Array<[string, number, string]> = []
    const refuse = (rowNumber: number, error: unknown) => {
      const message = rowErrorMessage(error)
      if (message === null) throw error
      errors.push([run.id, rowNumber, message])
    }
    const prepareRow = rowPreparer(model, object, run.format === "csv")
    const prepared = staged.rows.map((row) => {
      try {
        return prepareRow(JSON.parse(row.data) as Record<string, unknown>)
      } catch (error) {
        refuse(row.rowNumber, error)
        return null
      }
    })
    const lookup = await resolveLookups(client, model, prepared)
    const actor = { ...actorColumns("createdBy", run.actor), ...actorColumns("updatedBy", run.actor) }
    const good: Array<{ rowNumber: number; columns: Record<string, unknown> }> = []
    staged.rows.forEach((row, index) => {
      const prep = prepared[index]
      if (!prep) return
      const missing = prep.lookups.find((l) => lookup(l) === undefined)
      if (missing) return refuse(row.rowNumber, new RowError(`No ${model.target(missing.field).nameSingular} found with ${missing.path} = ${JSON.stringify(missing.value)} for "${missing.field.name}"`))
      for (const l of prep.lookups) prep.input[`${l.field.name}Id`] = lookup(l)
      try {
        const columns = toColumns(model, object, prep.input, { creating: true })
        columns["id"] ??= rowId(run.id, row.rowNumber)
        good.push({ rowNumber: row.rowNumber, columns: { ...columns, ...actor } })
      } catch (error) {
        refuse(row.rowNumber, error)
      }
    })
    let created = 0
    if (good.length > 0) {
      const names = [...new Set(good.flatMap((g) => Object.keys(g.columns)))]
      const defaults = await columnDefaults(client, model, object)
      lap("check")
      await client.query(`CREATE TEMPORARY TABLE import_stage ON COMMIT DROP AS SELECT ${names.map(ident).join(", ")} FROM ${model.table(object)} WITH NO DATA`)
      await copyRows(client, "pg_temp.import_stage", names, good.map((g) => names.map((n) => g.columns[n] ?? null)))
      lap("copy")
      const params = new Params()
      const values = names.map((n) => defaults.has(n) ? `coalesce(s.${ident(n)}, ${defaults.get(n)})` : `s.${ident(n)}`)
      const insert = `INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")})
        SELECT ${values.join(", ")} FROM pg_temp.import_stage s ON CONFLICT DO NOTHING RETURNING ${run.emitEvents ? "*" : `"id"`}`
      const text = run.emitEvents
        ? `WITH inserted AS (${insert}), events AS (${eventsSql(model, object, run, params)}) SELECT "id" FROM inserted`
        : `WITH inserted AS (${insert}) SELECT "id" FROM inserted`
      const inserted = new Set((await client.query<{ id: string }>(text, params.values)).rows.map((r) => r.id))
      created = inserted.size
      for (const g of good) {
        if (!inserted.has(g.columns["id"] as string)) {
          errors.push([run.id, g.rowNumber, "A record with the same id or the same unique value already exists"])
        }
      }
      lap("insert")
    } else {
      lap("check")
    }
    await copyRows(client, `core."importError"`, ["importId", "rowNumber", "message"], errors)
    await client.query(
      `UPDATE core."importRun" SET "processedRows" = $2, "createdRows" = "createdRows" + $3, "failedRows" = "failedRows" + $4,
          "updatedAt" = now() WHERE id = $1`,
      [run.id, staged.rows.at(-1)!.rowNumber, created, errors.length]
    )
    await client.query("COMMIT")
    lap("finish")
    return { taken: staged.rows.length, created, failed: errors.length, timings }
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}
