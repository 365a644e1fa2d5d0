import type * as Pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { pipeline } from "node:stream/promises"
import { Readable } from "node:stream"

/**
 * Writes rows into a table on a checked-out connection (inside its transaction): PostgreSQL's COPY on a
 * live server, multi-row INSERTs on the embedded one, whose socket does not carry COPY's sub-protocol.
 * `table` and `columns` are trusted (already quoted / validated) identifiers.
 */
export type CopyRows = (
  client: Pg.PoolClient,
  table: string,
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<unknown>>
) => Promise<void>

const quoted = (name: string) => `"${name.replaceAll(`"`, `""`)}"`

/** A value in COPY's text format: `\N` for NULL, backslash escapes, arrays as PostgreSQL array literals. */
const copyText = (value: unknown): string => {
  if (value === null || value === undefined) return "\\N"
  if (typeof value === "boolean") return value ? "t" : "f"
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  if (value instanceof Date) return value.toISOString()
  const text = Array.isArray(value) ? arrayLiteral(value) : typeof value === "string" ? value : JSON.stringify(value)
  return /[\\\t\n\r]/.test(text)
    ? text.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r")
    : text
}

const arrayLiteral = (values: ReadonlyArray<unknown>): string =>
  `{${values.map((v) => v === null ? "NULL" : `"${String(v).replaceAll("\\", "\\\\").replaceAll(`"`, `\\"`)}"`).join(",")}}`

const LINES_PER_CHUNK = 1_000

/** COPY … FROM STDIN in text format, the rows streamed in chunks of lines. */
export const copyRowsWithCopy: CopyRows = async (client, table, columns, rows) => {
  if (rows.length === 0) return
  const stream = client.query(copyFrom(`COPY ${table} (${columns.map(quoted).join(", ")}) FROM STDIN`))
  const chunks = function*() {
    for (let start = 0; start < rows.length; start += LINES_PER_CHUNK) {
      let text = ""
      for (const row of rows.slice(start, start + LINES_PER_CHUNK)) text += row.map(copyText).join("\t") + "\n"
      yield text
    }
  }
  await pipeline(Readable.from(chunks()), stream)
}

const MAX_PARAMETERS = 60_000

/** The embedded fallback: multi-row INSERTs of at most 60,000 parameters (PostgreSQL's limit is 65,535). */
export const copyRowsWithInserts: CopyRows = async (client, table, columns, rows) => {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length)))
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement)
    const values: Array<unknown> = []
    const tuples = batch.map((row) => `(${row.map((value) => {
      values.push(Array.isArray(value) || value === null || typeof value !== "object" ? value : JSON.stringify(value))
      return `$${values.length}`
    }).join(", ")})`)
    await client.query(`INSERT INTO ${table} (${columns.map(quoted).join(", ")}) VALUES ${tuples.join(", ")}`, values)
  }
}
