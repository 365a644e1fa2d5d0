import { BadUserInput } from "../../schema/errors.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../schema/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../schema/composite-types.js"
import { ident, qualified } from "../metadata/columns.js"
import type { ConnectionArgs, OrderDirection, RecordFilter, RecordOrderBy, RecordValue, Selection } from "./types.js"

/** Collects parameters while SQL text is assembled; values never enter the text. */
export class Params {
  readonly values: Array<unknown> = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

export const badInput = (message: string, field?: string) => new BadUserInput({ message, ...(field ? { field } : {}) })

/** Thrown while building SQL from user input; turned into a typed failure by the records service. */
export class QueryInputError extends Error {
  constructor(readonly failure: BadUserInput) {
    super(failure.message)
  }
}

const fail = (message: string, field?: string): never => {
  throw new QueryInputError(badInput(message, field))
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Everything the builders need to resolve names: the workspace's schema and objects. */
export class Model {
  private readonly byName = new Map<string, ObjectMetadata>()
  private readonly byId = new Map<string, ObjectMetadata>()
  private readonly fieldsByObject = new Map<string, Map<string, FieldMetadata>>()

  constructor(readonly metadata: WorkspaceMetadata) {
    for (const object of metadata.objects) {
      if (!object.isActive) continue
      this.byName.set(object.nameSingular, object)
      this.byId.set(object.id, object)
      this.fieldsByObject.set(object.id, new Map(object.fields.filter((f) => f.isActive).map((f) => [f.name, f])))
    }
  }

  object(name: string): ObjectMetadata {
    return this.byName.get(name) ?? fail(`Object "${name}" does not exist`, "object")
  }

  objectById(id: string): ObjectMetadata {
    return this.byId.get(id) ?? fail(`Object ${id} does not exist`, "object")
  }

  /** A field by name; `companyId` resolves to the MANY_TO_ONE field `company`'s join column. */
  field(object: ObjectMetadata, name: string): { field: FieldMetadata; joinColumn: boolean } | undefined {
    const fields = this.fieldsByObject.get(object.id)!
    const direct = fields.get(name)
    if (direct) return { field: direct, joinColumn: false }
    if (name.endsWith("Id")) {
      const relation = fields.get(name.slice(0, -2))
      if (relation && relation.relationType === "MANY_TO_ONE") return { field: relation, joinColumn: true }
    }
    return undefined
  }

  fields(object: ObjectMetadata): Iterable<FieldMetadata> {
    return this.fieldsByObject.get(object.id)!.values()
  }

  table(object: ObjectMetadata) {
    return qualified(this.metadata.schema, object.tableName)
  }

  target(field: FieldMetadata) {
    return this.objectById(field.relationTargetObjectMetadataId!)
  }

  inverse(field: FieldMetadata): FieldMetadata {
    const target = this.target(field)
    const inverse = target.fields.find((f) => f.id === field.relationTargetFieldMetadataId)
    return inverse ?? fail(`Relation ${field.name} has no inverse`, field.name)
  }
}

export const col = (alias: string, column: string) => `${alias}.${ident(column)}`

const isRelation = (field: FieldMetadata) => field.type === "RELATION" || field.type === "MORPH_RELATION"

// ---------------------------------------------------------------------------------------------
// Output: one JSON value per record, already in Twenty's shape

/** A timestamptz as the ISO text Twenty answers (UTC, milliseconds). */
export const ISO = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

const scalarJson = (field: Pick<FieldMetadata, "type">, expression: string) =>
  field.type === "DATE_TIME" ? ISO(expression) : expression

/** json_build_object takes at most 100 arguments: larger objects are merged from chunks. */
export const jsonObject = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  if (pairs.length === 0) return "json_build_object()"
  const build = (chunk: ReadonlyArray<readonly [string, string]>, fn: string) =>
    `${fn}(${chunk.map(([key, value]) => `'${key}', ${value}`).join(", ")})`
  if (pairs.length <= 50) return build(pairs, "json_build_object")
  const chunks: Array<string> = []
  for (let i = 0; i < pairs.length; i += 50) chunks.push(build(pairs.slice(i, i + 50), "jsonb_build_object"))
  return `(${chunks.join(" || ")})::json`
}

/** Keys of JSON objects are metadata names (validated camelCase), safe inside single quotes. */
const fieldValue = (field: FieldMetadata, alias: string): string => {
  if (isCompositeFieldType(field.type)) {
    return jsonObject(COMPOSITE_TYPES[field.type].map((sub) =>
      [sub.name, scalarJson(sub, col(alias, compositeColumnName(field.name, sub.name)))] as const
    ))
  }
  return scalarJson(field, col(alias, field.name))
}

export interface BuildContext {
  readonly model: Model
  readonly params: Params
  readonly maxDepth: number
  readonly defaultPageSize: number
  readonly maxPageSize: number
  aliasCounter: number
}

export const nextAlias = (ctx: BuildContext) => `t${++ctx.aliasCounter}`

interface OutputPair {
  readonly key: string
  readonly value: string
  /**
   * A field's own value, which recordColumns reads its own way (composites and date-times column by
   * column). Without it the value is an id or a relation's subquery (already JSON): selected as is.
   */
  readonly field?: FieldMetadata
}

/**
 * Field types whose column pg parses to the same JS value as the JSON of that column would give: text
 * and uuid as strings, booleans, integers and doubles as numbers, jsonb parsed, date-times as the ISO
 * text we format. Other types (bigint and numeric as text, dates, arrays) go through JSON.
 */
const PLAIN_TYPES = new Set(["UUID", "TEXT", "RICH_TEXT", "SELECT", "RATING", "BOOLEAN", "DATE_TIME", "RAW_JSON"])
type Typed = { readonly type: FieldMetadata["type"]; readonly settings?: FieldMetadata["settings"] }
const isPlain = (field: Typed) =>
  PLAIN_TYPES.has(field.type) || (field.type === "NUMBER" && field.settings?.["dataType"] !== "bigint")

/** The output of a record of `object` (row alias `alias`) for `selection`, key by key. */
const recordPairs = (ctx: BuildContext, object: ObjectMetadata, alias: string, selection: Selection, depth: number) => {
  const pairs: Array<OutputPair> = [{ key: "id", value: col(alias, "id") }]
  const seen = new Set(["id"])
  for (const name of selection.fields) {
    if (seen.has(name)) continue
    seen.add(name)
    const found = ctx.model.field(object, name) ?? fail(`Field "${name}" does not exist on ${object.nameSingular}`, name)
    if (found.joinColumn) pairs.push({ key: name, value: col(alias, name) })
    else if (isRelation(found.field)) {
      if (found.field.relationType === "MANY_TO_ONE") pairs.push({ key: `${name}Id`, value: col(alias, `${name}Id`) })
    } else if (found.field.type !== "TS_VECTOR") {
      pairs.push({ key: name, value: fieldValue(found.field, alias), field: found.field })
    }
  }
  for (const relation of selection.relations) {
    if (depth >= ctx.maxDepth) fail(`Relations are nested more than ${ctx.maxDepth} levels deep`, relation.field)
    const found = ctx.model.field(object, relation.field)
    if (!found || found.joinColumn || !isRelation(found.field)) {
      fail(`Relation "${relation.field}" does not exist on ${object.nameSingular}`, relation.field)
    }
    const field = found!.field
    const target = ctx.model.target(field)
    const child = nextAlias(ctx)
    if (field.relationType === "MANY_TO_ONE") {
      pairs.push({
        key: relation.key,
        value: `(SELECT ${recordJson(ctx, target, child, relation.selection, depth + 1)} FROM ${ctx.model.table(target)} ${child}
        WHERE ${col(child, "id")} = ${col(alias, `${field.name}Id`)} AND ${col(child, "deletedAt")} IS NULL)`
      })
    } else {
      const inverse = ctx.model.inverse(field)
      const parentLink = `${col(child, `${inverse.name}Id`)} = ${col(alias, "id")}`
      pairs.push({ key: relation.key, value: nestedConnection(ctx, target, child, parentLink, relation, depth + 1) })
    }
  }
  return pairs
}

/** The JSON expression of a record of `object` (row alias `alias`) for `selection`. */
export const recordJson = (ctx: BuildContext, object: ObjectMetadata, alias: string, selection: Selection, depth: number): string =>
  jsonObject(recordPairs(ctx, object, alias, selection, depth).map((pair) => [pair.key, pair.value] as const))

export interface RecordColumns {
  /** The select list (a composite takes one column per subfield). */
  readonly sql: string
  /** How many columns `sql` selects. */
  readonly width: number
  /** A row of those columns (an array, in select order) → the record, keys in the order recordJson gives them. */
  readonly read: (row: Row) => RecordValue
  /** Indexes of plain columns by their SQL, for a cursor to reuse. */
  readonly plainColumns: ReadonlyMap<string, number>
}

/** A row read as an array of column values. */
type Row = ReadonlyArray<unknown>
/** A column index (its value as is) or how a value is made from the row. */
type ColumnReader = number | ((row: Row) => unknown)

/**
 * A record as columns rather than one JSON value: PostgreSQL builds no JSON for plain fields, composites
 * (one column per subfield) and date-times (ISO text made here), and pg parses none; relations stay JSON,
 * one column each. Same record as recordJson's.
 */
export const recordColumns = (ctx: BuildContext, object: ObjectMetadata, alias: string, selection: Selection, depth: number): RecordColumns => {
  const select: Array<string> = []
  const plainColumns = new Map<string, number>()
  const column = (expression: string, plain: boolean): number => {
    const existing = plain ? plainColumns.get(expression) : undefined
    if (existing !== undefined) return existing
    const index = select.length
    select.push(plain ? expression : `to_json(${expression})`)
    if (plain) plainColumns.set(expression, index)
    return index
  }
  const scalar = (field: Typed, expression: string): ColumnReader => {
    if (field.type !== "DATE_TIME") return column(expression, isPlain(field))
    const index = column(`${expression}::text`, true)
    return (row) => isoDateTime(row[index] as string | null)
  }
  const pairs = recordPairs(ctx, object, alias, selection, depth)
  const keys = pairs.map((pair) => pair.key)
  const readers = pairs.map((pair): ColumnReader => {
    const field = pair.field
    if (!field) return column(pair.value, true)
    if (!isCompositeFieldType(field.type)) return scalar(field, col(alias, field.name))
    const subs = COMPOSITE_TYPES[field.type].map((sub) => [sub.name, scalar(sub, col(alias, compositeColumnName(field.name, sub.name)))] as const)
    return (row) => {
      const value: Record<string, unknown> = {}
      for (const [name, reader] of subs) value[name] = typeof reader === "number" ? row[reader] : reader(row)
      return value
    }
  })
  return {
    sql: select.join(", "),
    width: select.length,
    read: (row) => {
      const record: RecordValue = {}
      for (let i = 0; i < keys.length; i++) {
        const reader = readers[i]!
        record[keys[i]!] = (typeof reader === "number" ? row[reader] : reader(row)) as never
      }
      return record
    },
    plainColumns
  }
}

const DATE_TIME_TEXT = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/
const pad = (n: number, width: number) => String(n).padStart(width, "0")

/**
 * A timestamptz in PostgreSQL's ISO text ("2026-01-02 03:04:05.678901+00", any session time zone) as
 * to_char(… AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') writes it: UTC, milliseconds truncated.
 */
export const isoDateTime = (text: string | null): string | null => {
  if (text === null) return null
  const length = text.length
  if (length >= 22 && text[10] === " " && text.endsWith("+00") && text[4] === "-") {
    const fraction = text[19] === "." ? text.slice(20, length - 3) : ""
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${(fraction + "000").slice(0, 3)}Z`
  }
  const m = DATE_TIME_TEXT.exec(text)
  if (!m) return null // infinity, BC: to_char gives no ISO text for them either
  const [, y, mo, d, h, mi, s, fraction = "", sign, oh, om = "0", os = "0"] = m
  const offset = (sign === "-" ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os)) * 1000
  const date = new Date(0)
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d))
  date.setUTCHours(Number(h), Number(mi), Number(s), Number((fraction + "000").slice(0, 3)))
  const utc = new Date(date.getTime() - offset)
  return `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)}T${pad(utc.getUTCHours(), 2)}:${
    pad(utc.getUTCMinutes(), 2)
  }:${pad(utc.getUTCSeconds(), 2)}.${pad(utc.getUTCMilliseconds(), 3)}Z`
}

/**
 * A ONE_TO_MANY relation as `{ rows: [{ r, c }], totalCount }` (rows are bare records when no cursor is
 * asked for: a fifth of PostgreSQL's work on a nested list); the service turns it into a Connection.
 */
const nestedConnection = (
  ctx: BuildContext,
  target: ObjectMetadata,
  alias: string,
  parentLink: string,
  relation: Selection["relations"][number],
  depth: number
) => {
  const args = relation.args ?? {}
  const where = [parentLink, ...baseConditions(ctx, target, alias, args)]
  const order = orderTerms(ctx, target, alias, args.orderBy, args.last != null && args.first == null)
  const limit = pageSize(ctx, args) + 1
  const cursors = relation.connection?.cursors !== false
  const inner = `SELECT ${recordJson(ctx, target, alias, relation.selection, depth)} AS r${cursors ? `, ${cursorValues(order)} AS c` : ""},
      row_number() OVER (ORDER BY ${orderSql(order)}) AS n
    FROM ${ctx.model.table(target)} ${alias} WHERE ${where.join(" AND ")} ORDER BY ${orderSql(order)} LIMIT ${limit}`
  const counted = relation.connection?.totalCount
    ? `, 'totalCount', (SELECT count(*) FROM ${ctx.model.table(target)} ${alias} WHERE ${
      [parentLink, ...baseConditions(ctx, target, alias, { filter: args.filter ?? null })].join(" AND ")
    })`
    : ""
  const row = cursors ? `json_build_object('r', x.r, 'c', x.c)` : "x.r"
  return `(SELECT json_build_object('rows', coalesce(json_agg(${row} ORDER BY x.n), '[]'::json)${counted})
    FROM (${inner}) x)`
}

// ---------------------------------------------------------------------------------------------
// Filters

const mentionsDeletedAt = (filter: unknown): boolean => {
  if (!filter || typeof filter !== "object") return false
  if (Array.isArray(filter)) return filter.some(mentionsDeletedAt)
  return Object.entries(filter).some(([key, value]) =>
    key === "deletedAt" || ((key === "and" || key === "or" || key === "not") && mentionsDeletedAt(value))
  )
}

/** Soft-deleted records stay hidden unless the filter asks about deletedAt (Twenty's rule). */
export const baseConditions = (ctx: BuildContext, object: ObjectMetadata, alias: string, args: Pick<ConnectionArgs, "filter" | "after" | "before">) => {
  const conditions: Array<string> = []
  if (!mentionsDeletedAt(args.filter)) conditions.push(`${col(alias, "deletedAt")} IS NULL`)
  if (args.filter) conditions.push(filterSql(ctx, object, alias, args.filter, 0))
  return conditions
}

type Kind = "uuid" | "text" | "number" | "boolean" | "date" | "datetime" | "enum" | "array" | "json"

const kindOf = (type: string): Kind => {
  switch (type) {
    case "UUID":
    case "RELATION":
      return "uuid"
    case "NUMBER":
    case "NUMERIC":
    case "POSITION":
      return "number"
    case "BOOLEAN":
      return "boolean"
    case "DATE":
      return "date"
    case "DATE_TIME":
      return "datetime"
    case "SELECT":
    case "RATING":
      return "enum"
    case "MULTI_SELECT":
    case "ARRAY":
      return "array"
    case "RAW_JSON":
    case "FILES":
      return "json"
    default:
      return "text"
  }
}

const checkValue = (kind: Kind, value: unknown, path: string): unknown => {
  const wrong = () => fail(`Invalid value ${JSON.stringify(value)} for ${path}`, path)
  switch (kind) {
    case "uuid":
      return typeof value === "string" && UUID.test(value) ? value : wrong()
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? value
        : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : wrong()
    case "boolean":
      return typeof value === "boolean" ? value : wrong()
    case "date":
    case "datetime":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? value : wrong()
    default:
      return typeof value === "string" ? value : typeof value === "number" ? String(value) : wrong()
  }
}

const likeEscape = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`)

const operatorSql = (ctx: BuildContext, kind: Kind, column: string, op: string, value: unknown, path: string): string => {
  const p = (v: unknown) => ctx.params.add(v)
  const one = () => p(checkValue(kind === "array" ? "text" : kind, value, path))
  switch (op) {
    case "eq":
      return kind === "array" ? `${column} = ${p(arrayOf(value, path))}` : `${column} = ${one()}`
    case "neq":
      return `${column} <> ${one()}`
    case "gt":
      return `${column} > ${one()}`
    case "gte":
      return `${column} >= ${one()}`
    case "lt":
      return `${column} < ${one()}`
    case "lte":
      return `${column} <= ${one()}`
    case "in": {
      if (!Array.isArray(value)) return fail(`"in" takes a list for ${path}`, path)
      if (value.length === 0) return "false"
      return `${column} = ANY(${p(value.map((v) => checkValue(kind, v, path)))})`
    }
    case "is":
      if (value === "NULL") return `${column} IS NULL`
      if (value === "NOT_NULL") return `${column} IS NOT NULL`
      return fail(`"is" takes NULL or NOT_NULL for ${path}`, path)
    case "like":
      return `${kind === "json" ? `${column}::text` : column} LIKE ${p(checkValue("text", value, path))}`
    case "ilike":
      return `${kind === "json" ? `${column}::text` : column} ILIKE ${p(checkValue("text", value, path))}`
    case "startsWith":
      return `${column} LIKE ${p(`${likeEscape(String(checkValue("text", value, path)))}%`)}`
    case "endsWith":
      return `${column} LIKE ${p(`%${likeEscape(String(checkValue("text", value, path)))}`)}`
    case "containsAny":
      return `${column} && ${p(arrayOf(value, path))}::text[]`
    case "containsIlike":
      return `EXISTS (SELECT 1 FROM unnest(${column}) AS v WHERE v ILIKE ${p(checkValue("text", value, path))})`
    case "isEmptyArray":
      if (typeof value !== "boolean") return fail(`isEmptyArray takes true or false for ${path}`, path)
      return value ? `coalesce(cardinality(${column}), 0) = 0` : `cardinality(${column}) > 0`
    default:
      return fail(`Unknown filter operator "${op}" for ${path}`, path)
  }
}

const arrayOf = (value: unknown, path: string) =>
  Array.isArray(value) && value.every((v) => typeof v === "string")
    ? value
    : fail(`Expected a list of strings for ${path}`, path)

const comparisons = (ctx: BuildContext, kind: Kind, column: string, condition: unknown, path: string): string => {
  if (!condition || typeof condition !== "object" || Array.isArray(condition)) {
    return fail(`Filter on ${path} must be an object of operators`, path)
  }
  const parts = Object.entries(condition)
    .filter(([, value]) => value !== undefined)
    .map(([op, value]) => operatorSql(ctx, kind, column, op, value, path))
  return parts.length === 0 ? "true" : parts.join(" AND ")
}

/** Twenty's filter object → a SQL condition on rows of `object` aliased `alias`. */
export const filterSql = (ctx: BuildContext, object: ObjectMetadata, alias: string, filter: RecordFilter, depth: number): string => {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) return fail("filter must be an object", "filter")
  const parts: Array<string> = []
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue
    if (key === "and" || key === "or") {
      if (!Array.isArray(value)) return fail(`"${key}" takes a list of filters`, key)
      if (value.length === 0) continue
      const joined = value.map((f) => `(${filterSql(ctx, object, alias, f as RecordFilter, depth)})`).join(key === "and" ? " AND " : " OR ")
      parts.push(`(${joined})`)
      continue
    }
    if (key === "not") {
      parts.push(`NOT (${filterSql(ctx, object, alias, value as RecordFilter, depth)})`)
      continue
    }
    const found = ctx.model.field(object, key) ?? fail(`Field "${key}" does not exist on ${object.nameSingular}`, key)
    const field = found.field
    if (found.joinColumn) {
      parts.push(comparisons(ctx, "uuid", col(alias, key), value, key))
    } else if (isRelation(field)) {
      if (depth >= ctx.maxDepth) fail(`Relation filters are nested more than ${ctx.maxDepth} levels deep`, key)
      const target = ctx.model.target(field)
      const child = nextAlias(ctx)
      const link = field.relationType === "MANY_TO_ONE"
        ? `${col(child, "id")} = ${col(alias, `${field.name}Id`)}`
        : `${col(child, `${ctx.model.inverse(field).name}Id`)} = ${col(alias, "id")}`
      const nested = [link, ...baseConditions(ctx, target, child, { filter: value as RecordFilter })]
      parts.push(`EXISTS (SELECT 1 FROM ${ctx.model.table(target)} ${child} WHERE ${nested.join(" AND ")})`)
    } else if (isCompositeFieldType(field.type)) {
      if (typeof value !== "object" || Array.isArray(value)) return fail(`Filter on ${key} must name its subfields`, key)
      for (const [subName, condition] of Object.entries(value as object)) {
        const sub = COMPOSITE_TYPES[field.type].find((s) => s.name === subName) ??
          fail(`"${subName}" is not a subfield of ${key}`, `${key}.${subName}`)
        parts.push(comparisons(ctx, kindOf(sub.type), col(alias, compositeColumnName(key, sub.name)), condition, `${key}.${subName}`))
      }
    } else if (field.type === "TS_VECTOR") {
      parts.push(searchSql(ctx, object, alias, value, key))
    } else {
      parts.push(comparisons(ctx, kindOf(field.type), col(alias, key), value, key))
    }
  }
  return parts.length === 0 ? "true" : parts.join(" AND ")
}

/** The text a record is searched in: its text, name, email, link and phone fields. Null when it has none. */
export const searchableText = (model: Model, object: ObjectMetadata, alias: string): string | null => {
  const columns = [...model.fields(object)].flatMap((f) =>
    f.type === "TEXT" ? [col(alias, f.name)]
    : f.type === "FULL_NAME" ? [col(alias, `${f.name}FirstName`), col(alias, `${f.name}LastName`)]
    : f.type === "EMAILS" ? [col(alias, `${f.name}PrimaryEmail`)]
    : f.type === "LINKS" ? [col(alias, `${f.name}PrimaryLinkUrl`)]
    : f.type === "PHONES" ? [col(alias, `${f.name}PrimaryPhoneNumber`)]
    : []
  )
  return columns.length === 0 ? null : `concat_ws(' ', ${columns.join(", ")})`
}

/**
 * Twenty's `searchVector: { search: "ada love" }`: every word is the start of a word of the record's
 * searchable text (Twenty matches `ada:* & love:*` in its search vector), case-insensitively.
 */
const searchSql = (ctx: BuildContext, object: ObjectMetadata, alias: string, condition: unknown, path: string) => {
  const entries = typeof condition === "object" && condition !== null && !Array.isArray(condition) ? Object.entries(condition) : null
  if (!entries || entries.some(([op]) => op !== "search")) return fail(`Filter on ${path} takes { search: "…" }`, path)
  const term = (condition as { search?: unknown }).search
  if (term === undefined || term === null) return "true"
  if (typeof term !== "string") return fail(`Invalid value ${JSON.stringify(term)} for ${path}`, path)
  const words = term.split(/\s+/).filter(Boolean)
  if (words.length === 0) return "true"
  const text = searchableText(ctx.model, object, alias)
  if (text === null) return "false"
  return words.map((word) => `${text} ~* ${ctx.params.add(`\\m${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`)}`).join(" AND ")
}

// ---------------------------------------------------------------------------------------------
// Order and keyset pagination

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
