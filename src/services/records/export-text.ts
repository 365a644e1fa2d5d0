import { COMPOSITE_TYPES, isCompositeFieldType } from "../../domain/composite-types.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import type { FieldType } from "../../domain/field-types.js"
import { answeredColumn, baseConditions, type BuildContext, col, isRelation, orderSql, orderTerms } from "./query-builder.js"
import type { ExportFormat } from "./export.js"
import type { ConnectionArgs, Selection } from "./types.js"

/*
 * A CSV export's lines built by PostgreSQL: one text value per record, the line the reference export
 * (export.ts over streamMany, csv-stringify) writes for it, so Bun only joins them. 60,000 people, loaded
 * machine: Bun's CPU 0.12–0.15 s against 1.2–1.4 s, wall 3.7–4.5 s against 4.4–5.6 s. JSON lines built the
 * same way (to_json per value, concatenated) took 3.6–5.0 s against the reference's 1.1–1.4 s, so they take
 * the reference path. Only for selections without relations (REST's default depth 0), read by a caller without
 * field or row restrictions. (COPY … TO STDOUT would spare the row protocol, but pg-copy-streams' reader does
 * not attach to Bun's socket.)
 */

/** Types whose answered SQL value is text already (date-times answer ISO text): their CSV cell is that text. */
const TEXT_TYPES: ReadonlySet<FieldType> = new Set(["TEXT", "UUID", "SELECT", "RICH_TEXT", "DATE_TIME"])

/** One output key of a record and its value, as recordPairs (selection.ts) orders them for a relation-free selection. */
type Output =
  | { readonly key: string; readonly kind: "column"; readonly sql: string; readonly text: boolean }
  | { readonly key: string; readonly kind: "composite"; readonly subs: ReadonlyArray<{ readonly name: string; readonly sql: string; readonly text: boolean }> }

const outputs = (ctx: BuildContext, object: ObjectMetadata, selection: Selection): ReadonlyArray<Output> => {
  const out: Array<Output> = [{ key: "id", kind: "column", sql: col("t0", "id"), text: false }]
  const seen = new Set(["id"])
  for (const name of selection.fields) {
    if (seen.has(name)) continue
    seen.add(name)
    const found = ctx.model.field(object, name)
    if (!found) return []
    if (found.joinColumn) {
      out.push({ key: name, kind: "column", sql: col("t0", name), text: false })
      continue
    }
    const field: FieldMetadata = found.field
    if (isRelation(field)) {
      if (field.relationType === "MANY_TO_ONE") out.push({ key: `${name}Id`, kind: "column", sql: col("t0", `${name}Id`), text: false })
    } else if (isCompositeFieldType(field.type)) {
      out.push({
        key: name,
        kind: "composite",
        subs: COMPOSITE_TYPES[field.type].map((sub) => ({ name: sub.name, sql: answeredColumn(field, "t0", sub), text: TEXT_TYPES.has(sub.type) }))
      })
    } else if (field.type !== "TS_VECTOR") {
      out.push({ key: name, kind: "column", sql: answeredColumn(field, "t0"), text: TEXT_TYPES.has(field.type) })
    }
  }
  return out
}

/**
 * A CSV cell's text, as the reference export's cell(): '' for null, text as is, anything else as its JSON
 * (numbers, booleans, arrays, objects).
 */
const csvText = (sql: string, text: boolean) => `coalesce(${text ? `(${sql})::text` : `(to_json(${sql}) #>> '{}')`}, '')`

/** A cell quoted where csv-stringify quotes it: when it holds a comma, a quote or a line break. */
const csvQuoted = (cell: string) => `CASE WHEN ${cell} ~ E'[",\\r\\n]' THEN '"' || replace(${cell}, '"', '""') || '"' ELSE ${cell} END`

/** The CSV columns of export.ts csvColumns, each read from the outputs (a column naming no output is empty). */
const csvCells = (items: ReadonlyArray<Output>, columns: ReadonlyArray<readonly [string, string | null]>) => {
  const byKey = new Map(items.map((item) => [item.key, item]))
  return columns.map(([name, sub]) => {
    const item = byKey.get(name)
    if (!item) return "''"
    if (item.kind === "column") return sub === null ? csvText(item.sql, item.text) : "''"
    const found = sub === null ? undefined : item.subs.find((s) => s.name === sub) // csvColumns names every subfield
    return found ? csvText(found.sql, found.text) : "''"
  })
}

/**
 * The statement of a CSV export's lines (column `line`), filtered and ordered as the list API, or null for
 * JSON lines, a selection with relations or a guarded context (the reference path answers those). CSV cells
 * are computed once each in a fenced lateral subquery (OFFSET 0 keeps the planner from copying their
 * expressions into each of the quoting's three uses).
 */
export const exportLinesSql = (
  ctx: BuildContext,
  object: ObjectMetadata,
  args: Pick<ConnectionArgs, "filter" | "orderBy">,
  selection: Selection,
  format: ExportFormat,
  columns: ReadonlyArray<readonly [string, string | null]>
): string | null => {
  if (format !== "csv" || selection.relations.length > 0 || ctx.guard !== null) return null
  const items = outputs(ctx, object, selection)
  if (items.length === 0) return null
  const where = baseConditions(ctx, object, "t0", { filter: args.filter ?? null })
  const terms = orderTerms(ctx, object, "t0", args.orderBy, false)
  const from = `${ctx.model.table(object)} t0`
  const cells = csvCells(items, columns)
  return `SELECT ${cells.map((_, i) => csvQuoted(`c.c${i}`)).join(` || ',' || `)} AS line
    FROM ${from} CROSS JOIN LATERAL (SELECT ${cells.map((cell, i) => `${cell} AS c${i}`).join(", ")} OFFSET 0) c
    WHERE ${where.join(" AND ")} ORDER BY ${orderSql(terms)}`
}
