import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { type BuildContext, col, fail, isPlain, isRelation, type Row } from "./build-context.js"
import type { ConnectionArgs, OrderDirection, RecordOrderBy } from "./types.js"
import { requireReadable } from "./access.js"

/* Order and keyset pagination. */

export interface OrderTerm {
  readonly expression: string
  readonly ascending: boolean
  readonly nullsFirst: boolean
  /** pg reads the column as the value its JSON would be (no date-times: JSON writes them otherwise). */
  readonly plain: boolean
}

const DIRECTIONS: Record<OrderDirection, { ascending: boolean; nullsFirst: boolean }> = {
  AscNullsFirst: { ascending: true, nullsFirst: true },
  AscNullsLast: { ascending: true, nullsFirst: false },
  DescNullsFirst: { ascending: false, nullsFirst: true },
  DescNullsLast: { ascending: false, nullsFirst: false }
}

const direction = (value: unknown, path: string) =>
  typeof value === "string" && value in DIRECTIONS
    ? DIRECTIONS[value as OrderDirection]
    : fail(`Invalid order direction ${JSON.stringify(value)} for ${path}`, path)

/** The ORDER BY terms, always ending with id so the order is total and cursors are stable. */
export const orderTerms = (ctx: BuildContext, object: ObjectMetadata, alias: string, orderBy: RecordOrderBy | null | undefined, reverse: boolean): Array<OrderTerm> => {
  const entries = orderBy == null ? [] : Array.isArray(orderBy) ? orderBy : [orderBy]
  const terms: Array<OrderTerm> = []
  for (const entry of entries) {
    for (const [key, value] of Object.entries(entry as object)) {
      const found = ctx.model.field(object, key) ?? fail(`Field "${key}" does not exist on ${object.nameSingular}`, key)
      if (ctx.guard !== null) requireReadable(ctx, object, found.field)
      if (found.joinColumn) {
        terms.push({ expression: col(alias, key), ...direction(value, key), plain: true })
      } else if (isCompositeFieldType(found.field.type)) {
        if (typeof value !== "object" || value === null) return fail(`Order on ${key} must name a subfield`, key)
        for (const [subName, dir] of Object.entries(value)) {
          const sub = COMPOSITE_TYPES[found.field.type].find((s) => s.name === subName) ??
            fail(`"${subName}" is not a subfield of ${key}`, `${key}.${subName}`)
          terms.push({
            expression: col(alias, compositeColumnName(key, sub.name)),
            ...direction(dir, `${key}.${subName}`),
            plain: sub.type === "TEXT" || sub.type === "UUID"
          })
        }
      } else if (isRelation(found.field)) {
        return fail(`Ordering by the relation "${key}" is not supported; order by ${key}Id`, key)
      } else {
        terms.push({ expression: col(alias, key), ...direction(value, key), plain: isPlain(found.field) && found.field.type !== "DATE_TIME" })
      }
    }
  }
  if (!terms.some((t) => t.expression === col(alias, "id"))) {
    terms.push({ expression: col(alias, "id"), ascending: true, nullsFirst: false, plain: true })
  }
  return reverse ? terms.map((t) => ({ ...t, ascending: !t.ascending, nullsFirst: !t.nullsFirst })) : terms
}

export const orderSql = (terms: ReadonlyArray<OrderTerm>) =>
  terms.map((t) => `${t.expression} ${t.ascending ? "ASC" : "DESC"} NULLS ${t.nullsFirst ? "FIRST" : "LAST"}`).join(", ")

export const cursorValues = (terms: ReadonlyArray<OrderTerm>) => `json_build_array(${terms.map((t) => t.expression).join(", ")})`

/**
 * A page's cursor values as plain columns (or the record's column already `selected`) when every term is
 * plain, else one JSON array; `sql` is appended to a select list of `offset` columns; `read` gives the
 * values encodeCursor takes, the same either way.
 */
export const cursorColumns = (terms: ReadonlyArray<OrderTerm>, selected: ReadonlyMap<string, number>, offset: number) => {
  if (!terms.every((t) => t.plain)) return { sql: `, ${cursorValues(terms)}`, read: (row: Row) => row[offset] }
  const added: Array<string> = []
  const indexes = terms.map((t) => selected.get(t.expression) ?? offset + added.push(t.expression) - 1)
  return { sql: added.map((expression) => `, ${expression}`).join(""), read: (row: Row) => indexes.map((i) => row[i]) }
}

export const encodeCursor = (values: unknown) => Buffer.from(JSON.stringify(values)).toString("base64url")

const decodeCursor = (cursor: string, length: number): Array<unknown> => {
  try {
    const values = JSON.parse(Buffer.from(cursor, "base64url").toString())
    if (Array.isArray(values) && values.length === length) return values
  } catch {
    // fall through
  }
  return fail(`Invalid cursor: ${cursor}`, "cursor")
}

/** Rows strictly after the cursor in the order of `terms` (NULL placement included). */
export const keysetSql = (ctx: BuildContext, terms: ReadonlyArray<OrderTerm>, cursor: string): string => {
  const values = decodeCursor(cursor, terms.length)
  const after = (t: OrderTerm, v: unknown) => {
    if (v === null) return t.nullsFirst ? `${t.expression} IS NOT NULL` : "false"
    const cmp = `${t.expression} ${t.ascending ? ">" : "<"} ${ctx.params.add(v)}`
    return t.nullsFirst ? cmp : `(${cmp} OR ${t.expression} IS NULL)`
  }
  const equal = (t: OrderTerm, v: unknown) => (v === null ? `${t.expression} IS NULL` : `${t.expression} = ${ctx.params.add(v)}`)
  const branches = terms.map((term, i) => [...terms.slice(0, i).map((t, j) => equal(t, values[j])), after(term, values[i])].join(" AND "))
  return `(${branches.map((b) => `(${b})`).join(" OR ")})`
}

export const pageSize = (ctx: BuildContext, args: Pick<ConnectionArgs, "first" | "last">) => {
  const requested = args.first ?? args.last ?? ctx.defaultPageSize
  if (!Number.isInteger(requested) || requested < 0) return fail(`first/last must be a non-negative integer`, "first")
  if (requested > ctx.maxPageSize) return fail(`Cannot request more than ${ctx.maxPageSize} records at once`, args.first != null ? "first" : "last")
  return requested
}
