import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { type BuildContext, col, fail, isPlain, isRelation, nextAlias, type Row, type Typed } from "./build-context.js"
import { baseConditions } from "./filters.js"
import { redactedProperties, requireReadable, rowCondition } from "./access.js"
import { cursorValues, orderSql, orderTerms, pageSize } from "./order.js"
import type { RecordValue, Selection } from "./types.js"

/* Output: one JSON value per record (or plain columns), already in Twenty's shape. */

/** A timestamptz as the ISO text Twenty answers (UTC, milliseconds). */
export const ISO = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

const scalarJson = (field: Pick<FieldMetadata, "type">, expression: string) =>
  field.type === "DATE_TIME" ? ISO(expression) : expression

const TEXT = "''"
const LIST = "'[]'::jsonb"
/** Composite subfields Twenty answers '' or [] for when NULL (null-equivalent-values.constant.ts). */
const NULL_EQUIVALENT_SUBFIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ADDRESS: Object.fromEntries(["addressStreet1", "addressStreet2", "addressCity", "addressState", "addressCountry", "addressPostcode"].map((s) => [s, TEXT])),
  EMAILS: { primaryEmail: TEXT, additionalEmails: LIST },
  LINKS: { primaryLinkUrl: TEXT, primaryLinkLabel: TEXT, secondaryLinks: LIST },
  PHONES: { primaryPhoneNumber: TEXT, primaryPhoneCountryCode: TEXT, primaryPhoneCallingCode: TEXT, additionalPhones: LIST },
  FULL_NAME: { firstName: TEXT, lastName: TEXT },
  ACTOR: { name: TEXT },
  RICH_TEXT_V2: { markdown: TEXT }
}

/**
 * A column as Twenty answers it (format-result.util.ts): a NULL TEXT is '', a NULL MULTI_SELECT or ARRAY
 * is [], and NULL text and list subfields of composites are '' and [].
 */
const answered = (type: FieldMetadata["type"], expression: string, subField?: string) => {
  const empty = subField === undefined
    ? type === "TEXT" ? TEXT : type === "MULTI_SELECT" || type === "ARRAY" ? "'{}'::text[]" : undefined
    : NULL_EQUIVALENT_SUBFIELDS[type]?.[subField]
  return empty === undefined ? expression : `coalesce(${expression}, ${empty})`
}

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

/**
 * A scalar field's value, or one composite subfield's, as SQL answering what a record holds for it (exports
 * build their text lines from these: export-text.ts).
 */
export const answeredColumn = (field: FieldMetadata, alias: string, sub?: Typed & { readonly name: string }) =>
  sub === undefined
    ? scalarJson(field, answered(field.type, col(alias, field.name)))
    : scalarJson(sub, answered(field.type, col(alias, compositeColumnName(field.name, sub.name)), sub.name))

/** Keys of JSON objects are metadata names (validated camelCase), safe inside single quotes. */
const fieldValue = (field: FieldMetadata, alias: string): string => {
  if (isCompositeFieldType(field.type)) {
    return jsonObject(COMPOSITE_TYPES[field.type].map((sub) =>
      [sub.name, scalarJson(sub, answered(field.type, col(alias, compositeColumnName(field.name, sub.name)), sub.name))] as const
    ))
  }
  return scalarJson(field, answered(field.type, col(alias, field.name)))
}

interface OutputPair {
  readonly key: string
  readonly value: string
  /**
   * A field's own value, which recordColumns reads its own way (composites and date-times column by
   * column). Without it the value is an id or a relation's subquery (already JSON): selected as is.
   */
  readonly field?: FieldMetadata
  /** How a compact nested list (recordArray rows) is read back into records. */
  readonly decode?: (value: unknown) => unknown
}

/** The output of a record of `object` (row alias `alias`) for `selection`, key by key. */
const recordPairs = (ctx: BuildContext, object: ObjectMetadata, alias: string, selection: Selection, depth: number, compact = false) => {
  const pairs: Array<OutputPair> = [{ key: "id", value: col(alias, "id") }]
  const seen = new Set(["id"])
  const guarded = ctx.guard !== null
  if (guarded) requireReadable(ctx, object)
  for (const name of selection.fields) {
    if (seen.has(name)) continue
    seen.add(name)
    const found = ctx.model.field(object, name) ?? fail(`Field "${name}" does not exist on ${object.nameSingular}`, name)
    if (guarded) requireReadable(ctx, object, found.field)
    if (found.joinColumn) pairs.push({ key: name, value: col(alias, name) })
    else if (isRelation(found.field)) {
      if (found.field.relationType === "MANY_TO_ONE") pairs.push({ key: `${name}Id`, value: col(alias, `${name}Id`) })
    } else if (found.field.type !== "TS_VECTOR") {
      const redacted = guarded ? redactedProperties(ctx, object, found.field, alias) : null
      pairs.push(redacted ? { key: name, value: redacted } : { key: name, value: fieldValue(found.field, alias), field: found.field })
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
    if (guarded) requireReadable(ctx, object, field)
    const child = nextAlias(ctx)
    if (field.relationType === "MANY_TO_ONE") {
      const rows = guarded ? rowCondition(ctx, target, child) : null
      pairs.push({
        key: relation.key,
        value: `(SELECT ${recordJson(ctx, target, child, relation.selection, depth + 1)} FROM ${ctx.model.table(target)} ${child}
        WHERE ${col(child, "id")} = ${col(alias, `${field.name}Id`)} AND ${col(child, "deletedAt")} IS NULL${rows ? ` AND ${rows}` : ""})`
      })
    } else {
      const inverse = ctx.model.inverse(field)
      const parentLink = `${col(child, `${inverse.name}Id`)} = ${col(alias, "id")}`
      const nested = nestedConnection(ctx, target, child, parentLink, relation, depth + 1, compact)
      pairs.push({ key: relation.key, value: nested.sql, ...(nested.decode ? { decode: nested.decode } : {}) })
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

/** A column index (its value as is) or how a value is made from the row. */
type ColumnReader = number | ((row: Row) => unknown)

/** A field's reader: its column's, or a composite's object built from one column per subfield. */
const fieldReader = (field: FieldMetadata, alias: string, scalar: (field: Typed, expression: string) => ColumnReader): ColumnReader => {
  if (!isCompositeFieldType(field.type)) return scalar(field, answered(field.type, col(alias, field.name)))
  const subs = COMPOSITE_TYPES[field.type].map((sub) =>
    [sub.name, scalar(sub, answered(field.type, col(alias, compositeColumnName(field.name, sub.name)), sub.name))] as const
  )
  return (row) => {
    const value: Record<string, unknown> = {}
    for (const [name, reader] of subs) value[name] = typeof reader === "number" ? row[reader] : reader(row)
    return value
  }
}

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
  const pairs = recordPairs(ctx, object, alias, selection, depth, true)
  const keys = pairs.map((pair) => pair.key)
  const readers = pairs.map((pair): ColumnReader => {
    const field = pair.field
    if (pair.decode) {
      const index = column(pair.value, true)
      const decode = pair.decode
      return (row) => decode(row[index])
    }
    if (!field) return column(pair.value, true)
    return fieldReader(field, alias, scalar)
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
  depth: number,
  compact: boolean
): { readonly sql: string; readonly decode?: (value: unknown) => unknown } => {
  const args = relation.args ?? {}
  const where = [parentLink, ...baseConditions(ctx, target, alias, args)]
  const order = orderTerms(ctx, target, alias, args.orderBy, args.last != null && args.first == null)
  const limit = pageSize(ctx, args) + 1
  const cursors = relation.connection?.cursors !== false
  const rows = compact ? recordArray(ctx, target, alias, relation.selection, depth) : null
  const inner = `SELECT ${rows ? rows.sql : recordJson(ctx, target, alias, relation.selection, depth)} AS r${cursors ? `, ${cursorValues(order)} AS c` : ""},
      row_number() OVER (ORDER BY ${orderSql(order)}) AS n
    FROM ${ctx.model.table(target)} ${alias} WHERE ${where.join(" AND ")} ORDER BY ${orderSql(order)} LIMIT ${limit}${
    args.offset ? ` OFFSET ${ctx.params.add(args.offset)}` : ""
  }`
  const counted = relation.connection?.totalCount
    ? `, 'totalCount', (SELECT count(*) FROM ${ctx.model.table(target)} ${alias} WHERE ${
      [parentLink, ...baseConditions(ctx, target, alias, { filter: args.filter ?? null })].join(" AND ")
    })`
    : ""
  const row = cursors ? `json_build_object('r', x.r, 'c', x.c)` : "x.r"
  const sql = `(SELECT json_build_object('rows', coalesce(json_agg(${row} ORDER BY x.n), '[]'::json)${counted})
    FROM (${inner}) x)`
  if (!rows) return { sql }
  const read = rows.read
  const decode = (value: unknown) => {
    const list = (value as { rows: Array<any> } | null)?.rows ?? []
    for (let i = 0; i < list.length; i++) {
      if (cursors) list[i].r = read(list[i].r)
      else list[i] = read(list[i])
    }
    return value
  }
  return { sql, decode }
}

/** json_build_array takes at most 100 arguments: longer records are arrays of such chunks. */
const ARRAY_CHUNK = 100

/**
 * A record as a JSON array of its values, keys left out (a nested list's rows: a third less of
 * PostgreSQL's work than recordJson, date-times as text made ISO here), and its reading back into the
 * record recordJson gives.
 */
const recordArray = (ctx: BuildContext, object: ObjectMetadata, alias: string, selection: Selection, depth: number) => {
  const values: Array<string> = []
  const slot = (expression: string) => values.push(expression) - 1
  const scalar = (field: Typed, expression: string): ColumnReader => {
    if (field.type !== "DATE_TIME") return slot(expression)
    const index = slot(`${expression}::text`)
    return (row) => isoDateTime(row[index] as string | null)
  }
  const pairs = recordPairs(ctx, object, alias, selection, depth)
  const keys = pairs.map((pair) => pair.key)
  const readers = pairs.map((pair): ColumnReader => {
    const field = pair.field
    if (!field) return slot(pair.value)
    return fieldReader(field, alias, scalar)
  })
  const chunked = values.length > ARRAY_CHUNK
  const chunks: Array<string> = []
  for (let i = 0; i < values.length; i += ARRAY_CHUNK) chunks.push(`json_build_array(${values.slice(i, i + ARRAY_CHUNK).join(", ")})`)
  return {
    sql: chunked ? `json_build_array(${chunks.join(", ")})` : chunks[0]!,
    read: (value: unknown): RecordValue => {
      const row = (chunked ? (value as Array<Array<unknown>>).flat() : value) as Row
      const record: RecordValue = {}
      for (let i = 0; i < keys.length; i++) {
        const reader = readers[i]!
        record[keys[i]!] = (typeof reader === "number" ? row[reader] : reader(row)) as never
      }
      return record
    }
  }
}

