import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import {
  badInput,
  baseConditions,
  type BuildContext,
  col,
  cursorValues,
  ISO,
  isObject,
  nextAlias,
  orderSql,
  orderTerms,
  QueryInputError,
  recordJson
} from "./query-builder.js"
import type { AggregateKind, AggregateRequest, GroupByArgs, Selection } from "./types.js"
import { requireReadable, rowCondition } from "./access.js"

/**
 * Twenty's `<plural>GroupBy`: groups of the filtered records by one or more dimensions (fields, composite
 * subfields, date buckets, a many-to-one id or a field of its target), each with its aggregates and up to
 * RECORDS_PER_GROUP sample records, in one SQL statement.
 */

export const DEFAULT_GROUP_LIMIT = 50
export const MAX_GROUP_LIMIT = 10_000
export const RECORDS_PER_GROUP = 10

export const DATE_GRANULARITIES = [
  "DAY", "MONTH", "QUARTER", "YEAR", "WEEK", "DAY_OF_THE_WEEK", "MONTH_OF_THE_YEAR", "QUARTER_OF_THE_YEAR", "NONE"
] as const
export type DateGranularity = (typeof DATE_GRANULARITIES)[number]
export const WEEK_START_DAYS = ["MONDAY", "SUNDAY", "SATURDAY"] as const

const fail = (message: string, field?: string): never => {
  throw new QueryInputError(badInput(message, field))
}

/** The entries of an input object that say something (not undefined or null); none for anything else. */
const entriesOf = (value: unknown): Array<[string, unknown]> =>
  isObject(value) ? Object.entries(value).filter(([, v]) => v !== undefined && v !== null) : []

/** Groups asked for: a positive `limit` (at most MAX_GROUP_LIMIT), else DEFAULT_GROUP_LIMIT; BAD_USER_INPUT if not an integer ≥ 0. */
export const groupLimit = (limit: number | null | undefined): number => {
  if (limit == null) return DEFAULT_GROUP_LIMIT
  if (!Number.isInteger(limit) || limit < 0) fail(`limit '${String(limit)}' is invalid. Should be an integer`, "limit")
  return limit > 0 ? Math.min(limit, MAX_GROUP_LIMIT) : DEFAULT_GROUP_LIMIT
}

const NOT_GROUPABLE_TYPES = new Set(["TS_VECTOR", "RAW_JSON", "FILES", "POSITION"])
const GROUPABLE_SYSTEM_FIELDS = new Set(["createdAt", "updatedAt", "createdBy", "updatedBy"])

/** Twenty's isFieldMetadataSupportedInGroupBy: no ids, soft-delete marks, vectors, JSON or one-to-many. */
export const isGroupable = (field: FieldMetadata) =>
  !NOT_GROUPABLE_TYPES.has(field.type) &&
  field.name !== "id" && field.name !== "deletedAt" &&
  !(field.type === "RELATION" && field.relationType === "ONE_TO_MANY") && field.type !== "MORPH_RELATION" &&
  (!field.isSystem || GROUPABLE_SYSTEM_FIELDS.has(field.name))

/** The composite subfields a group may use (not JSON ones). */
export const groupableSubfields = (type: keyof typeof COMPOSITE_TYPES) => COMPOSITE_TYPES[type].filter((sub) => sub.type !== "RAW_JSON")

/** One grouping dimension; `expression` is written against the row aliases it is given. */
interface Dimension {
  /** What an orderBy entry must name to order by this dimension: `stage`, `address.addressCity`, `company.name`. */
  readonly path: string
  readonly granularity: DateGranularity | null
  readonly expression: (aliases: Aliases) => string
  /** How groups sort by it: the value itself, or calendar order for named buckets (days, months). */
  readonly sortKey: (aliases: Aliases) => string
  /** The many-to-one field whose target must be joined, if the dimension reads it. */
  readonly via: FieldMetadata | null
}

/** Row alias of the object, and of each joined many-to-one target by relation field name. */
interface Aliases {
  readonly self: string
  readonly joined: ReadonlyMap<string, string>
}

const checkTimeZone = (zone: unknown): string => {
  if (typeof zone !== "string" || zone === "") return fail(`Invalid timezone: ${String(zone)}`, "timeZone")
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
  } catch {
    return fail(`Invalid timezone: ${zone}`, "timeZone")
  }
  return zone
}

const ISO_DAY = `'YYYY-MM-DD'`
const WEEK_SHIFT: Record<string, number> = { MONDAY: 0, SUNDAY: 1, SATURDAY: 2 }
const ISO_WEEKDAY: Record<string, number> = { MONDAY: 1, SUNDAY: 7, SATURDAY: 6 }

/** A date or date-time bucket: `YYYY-MM-DD` of the bucket's first day, a day or month name, or `Q1`…`Q4`. */
const dateDimension = (
  ctx: BuildContext,
  field: FieldMetadata,
  value: unknown,
  path: string,
  column: (aliases: Aliases) => string,
  via: FieldMetadata | null
): Dimension => {
  const spec = value === true ? {} : isObject(value) ? value : fail(`Invalid groupBy definition for field "${path}"`, path)
  const granularity = (spec["granularity"] ?? "NONE") as DateGranularity
  if (!DATE_GRANULARITIES.includes(granularity)) fail(`Invalid date granularity ${JSON.stringify(spec["granularity"])} for "${path}"`, path)
  const weekStart = String(spec["weekStartDay"] ?? "MONDAY")
  if (!(weekStart in WEEK_SHIFT)) fail(`Invalid weekStartDay ${JSON.stringify(spec["weekStartDay"])} for "${path}"`, path)
  const dateTime = field.type === "DATE_TIME"
  const zoned = ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"].includes(granularity)
  if (dateTime && zoned && via === null && (spec["timeZone"] === undefined || spec["timeZone"] === null)) {
    fail("Time zone should be specified for a group by date on Day, Week, Month, Quarter or Year", path)
  }
  const zone = spec["timeZone"] === undefined || spec["timeZone"] === null ? "UTC" : checkTimeZone(spec["timeZone"])
  const zoneParam = dateTime ? ctx.params.add(zone) : ""
  const local = (aliases: Aliases) => (dateTime ? `(${column(aliases)} AT TIME ZONE ${zoneParam})` : `${column(aliases)}::timestamp`)
  const shift = WEEK_SHIFT[weekStart]!
  const bucket = (unit: string) => (aliases: Aliases) => `to_char(date_trunc('${unit}', ${local(aliases)}), ${ISO_DAY})`
  const dimension = (expression: Dimension["expression"], sortKey: Dimension["sortKey"] = expression): Dimension => ({
    path,
    granularity,
    expression,
    sortKey,
    via
  })
  switch (granularity) {
    case "DAY":
    case "MONTH":
    case "QUARTER":
    case "YEAR":
      return dimension(bucket(granularity.toLowerCase()))
    case "WEEK":
      return dimension((aliases) =>
        `to_char(date_trunc('week', ${local(aliases)} + interval '${shift} days') - interval '${shift} days', ${ISO_DAY})`
      )
    case "DAY_OF_THE_WEEK":
      return dimension(
        (aliases) => `to_char(${local(aliases)}, 'FMDay')`,
        (aliases) => `min((extract(isodow from ${local(aliases)})::int - ${ISO_WEEKDAY[weekStart]} + 7) % 7)`
      )
    case "MONTH_OF_THE_YEAR":
      return dimension((aliases) => `to_char(${local(aliases)}, 'FMMonth')`, (aliases) => `min(extract(month from ${local(aliases)})::int)`)
    case "QUARTER_OF_THE_YEAR":
      return dimension((aliases) => `'Q' || extract(quarter from ${local(aliases)})::int`)
    case "NONE":
      return dimension((aliases) =>
        dateTime ? ISO(column(aliases)) : `to_char(${column(aliases)}, ${ISO_DAY})`
      )
  }
}

/** A field of `object` (or of a joined target, `via`) as a dimension. */
const fieldDimension = (
  ctx: BuildContext,
  object: ObjectMetadata,
  name: string,
  value: unknown,
  via: FieldMetadata | null
): Dimension => {
  const path = via ? `${via.name}.${name}` : name
  const found = ctx.model.field(object, name) ?? fail(`Unidentified field in groupBy: ${path}`, path)
  const field = found.field
  if (ctx.guard !== null) requireReadable(ctx, object, field)
  const alias = (aliases: Aliases) => (via ? aliases.joined.get(via.name)! : aliases.self)
  const plain = (column: string): Dimension => {
    const expression = (aliases: Aliases) => col(alias(aliases), column)
    return { path, granularity: null, expression, sortKey: expression, via }
  }
  if (found.joinColumn) {
    if (via) fail(`Cannot group by a relation field of the relation field: ${path}`, path)
    if (value !== true) fail(`Invalid groupBy definition for field "${path}"`, path)
    return plain(name)
  }
  if (!isGroupable(field)) fail(`Field "${path}" is not supported in groupBy`, path)
  if (field.type === "RELATION") {
    if (via) fail(`Cannot group by a relation field of the relation field: ${path}`, path)
    if (value === true) return plain(`${name}Id`)
    const inner = entriesOf(value)
    if (inner.length !== 1) fail("You cannot provide multiple fields in one GroupByInput, split them into multiple GroupByInput", path)
    const [innerName, innerValue] = inner[0]!
    return fieldDimension(ctx, ctx.model.target(field), innerName, innerValue, field)
  }
  if (field.type === "DATE" || field.type === "DATE_TIME") {
    return dateDimension(ctx, field, value, path, (aliases) => col(alias(aliases), name), via)
  }
  const fieldType = field.type
  if (isCompositeFieldType(fieldType)) {
    const subs = entriesOf(value)
    if (subs.length !== 1) fail(`You cannot provide multiple subfields of "${path}" in one GroupByInput, split them into multiple GroupByInput`, path)
    const [subName, subValue] = subs[0]!
    if (!groupableSubfields(fieldType).some((sub) => sub.name === subName)) {
      fail(`Composite subfield "${subName}" is not supported in groupBy for "${path}"`, `${path}.${subName}`)
    }
    if (subValue !== true) fail(`Composite subfield "${subName}" of "${path}" must be set to true in groupBy`, `${path}.${subName}`)
    return { ...plain(compositeColumnName(name, subName)), path: `${path}.${subName}` }
  }
  if (value !== true) fail(`Field "${path}" does not support nested subfields in groupBy`, path)
  return plain(name)
}

const dimensionsOf = (ctx: BuildContext, object: ObjectMetadata, groupBy: GroupByArgs["groupBy"]) => {
  if (!Array.isArray(groupBy)) return fail("groupBy must be a list of GroupByInput", "groupBy")
  return groupBy.map((entry) => {
    const keys = entriesOf(entry)
    if (keys.length !== 1) fail("You cannot provide multiple fields in one GroupByInput, split them into multiple GroupByInput", "groupBy")
    const [name, value] = keys[0]!
    return fieldDimension(ctx, object, name, value, null)
  })
}

// ---------------------------------------------------------------------------------------------
// Ordering the groups

const DIRECTIONS: Record<string, string> = {
  AscNullsFirst: "ASC NULLS FIRST",
  AscNullsLast: "ASC NULLS LAST",
  DescNullsFirst: "DESC NULLS FIRST",
  DescNullsLast: "DESC NULLS LAST"
}
const direction = (value: unknown, path: string) =>
  (typeof value === "string" ? DIRECTIONS[value] : undefined) ?? fail(`Invalid order direction ${JSON.stringify(value)} for ${path}`, path)

const AGGREGATE_KINDS: ReadonlyArray<AggregateKind> = [
  "countUniqueValues", "countNotEmpty", "countEmpty", "percentageNotEmpty", "percentageEmpty", "countTrue", "countFalse", "min", "max", "avg", "sum"
]
const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

/** An aggregate field name (`sumEmployees`, `countEmptyName`, `maxAmountAmountMicros`) → what it computes. */
export const aggregateNamed = (ctx: BuildContext, object: ObjectMetadata, name: string): AggregateRequest | null => {
  for (const kind of AGGREGATE_KINDS) {
    if (!name.startsWith(kind)) continue
    const rest = name.slice(kind.length)
    for (const field of ctx.model.fields(object)) {
      if (field.type === "RELATION" || field.type === "MORPH_RELATION") continue
      if (rest === capitalize(field.name)) return { kind, field: field.name, key: name }
      if (field.type === "CURRENCY" && rest === `${capitalize(field.name)}AmountMicros`) return { kind, field: field.name, subField: "amountMicros", key: name }
    }
  }
  return null
}

/** `orderBy` of a group-by: aggregates, or dimensions named as in groupBy (dates with the same granularity). */
const groupOrder = (
  ctx: BuildContext,
  object: ObjectMetadata,
  orderBy: GroupByArgs["orderBy"],
  dimensions: ReadonlyArray<Dimension>,
  sortOf: (dimension: Dimension) => string,
  aggregate: (request: AggregateRequest) => string
): Array<string> => {
  const entries = orderBy == null ? [] : Array.isArray(orderBy) ? orderBy : [orderBy]
  const terms: Array<string> = []
  const byDimension = (path: string, value: unknown, granularity: unknown) => {
    const named = dimensions.filter((d) => d.path === path)
    if (named.length === 0) fail(`Cannot order by a field that is not an aggregate nor in groupBy criteria: ${path}.`, path)
    const dimension = named.find((d) => d.granularity === null || d.granularity === (granularity ?? "NONE")) ??
      fail(`Cannot order by a date granularity that is not in groupBy criteria: ${String(granularity ?? "NONE")}`, path)
    terms.push(`${sortOf(dimension)} ${direction(value, path)}`)
  }
  const fieldEntry = (target: ObjectMetadata, name: string, value: unknown, prefix: string) => {
    const path = `${prefix}${name}`
    const found = ctx.model.field(target, name) ?? fail(`Cannot orderBy unknown field: ${path}.`, path)
    const field = found.field
    if (ctx.guard !== null) requireReadable(ctx, target, field)
    if (!found.joinColumn && field.type === "RELATION" && isObject(value) && prefix === "") {
      const inner = entriesOf(value)
      if (inner.length !== 1) fail(`Order by ${path} must name one field`, path)
      return fieldEntry(ctx.model.target(field), inner[0]![0], inner[0]![1], `${name}.`)
    }
    if (!found.joinColumn && (field.type === "DATE" || field.type === "DATE_TIME") && isObject(value)) {
      return byDimension(path, value["orderBy"], value["granularity"])
    }
    if (!found.joinColumn && isCompositeFieldType(field.type) && isObject(value)) {
      const inner = entriesOf(value)
      if (inner.length !== 1) fail(`Order by ${path} must name one subfield`, path)
      return byDimension(`${path}.${inner[0]![0]}`, inner[0]![1], null)
    }
    return byDimension(path, value, null)
  }
  for (const entry of entries) {
    const keys = entriesOf(entry)
    if (keys.length !== 1) fail("Each orderBy entry of a group-by must name one field or aggregate", "orderBy")
    const [name, value] = keys[0]!
    if (name === "aggregate") {
      const aggregates = entriesOf(value)
      if (aggregates.length !== 1) fail("Each orderBy aggregate entry must name one aggregate", "orderBy")
      const [aggregateName, dir] = aggregates[0]!
      const sql = aggregateName === "totalCount"
        ? "count(*)"
        : aggregate(aggregateNamed(ctx, object, aggregateName) ?? fail(`Unknown aggregate field: ${aggregateName}`, "orderBy"))
      terms.push(`${sql} ${direction(dir, aggregateName)}`)
      continue
    }
    fieldEntry(object, name, value, "")
  }
  return terms
}

// ---------------------------------------------------------------------------------------------
// The statement

export interface GroupByPlan {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

/**
 * The group-by statement: one row per group, `d` its dimension values (a JSON array), `n` its count,
 * `a` the requested aggregates, `r` (with records) its sample rows as `[{ r, c }]` like a nested connection.
 */
export const groupByStatement = (
  ctx: BuildContext,
  object: ObjectMetadata,
  args: GroupByArgs,
  aggregates: ReadonlyArray<AggregateRequest>,
  aggregate: (request: AggregateRequest) => string,
  records: Selection | null,
  answered: (request: AggregateRequest) => string = aggregate
): GroupByPlan => {
  if (ctx.guard !== null) requireReadable(ctx, object)
  const dimensions = dimensionsOf(ctx, object, args.groupBy)
  if (args.aggregateNames != null && !Array.isArray(args.aggregateNames)) fail("aggregate must be a list of aggregate names", "aggregate")
  const requested = [
    ...aggregates,
    ...(args.aggregateNames ?? []).filter((name) => name !== "totalCount").map((name) =>
      typeof name === "string" ? aggregateNamed(ctx, object, name) ?? fail(`Unknown aggregate field: ${name}`, "aggregate") : fail(`Unknown aggregate field: ${String(name)}`, "aggregate")
    )
  ]
  const groups = groupLimit(args.limit)
  const offset = args.offsetForRecords ?? 0
  if (!Number.isInteger(offset) || offset < 0) fail(`offsetForRecords must be a non-negative integer`, "offsetForRecords")

  const joins = (self: string) => {
    const joined = new Map<string, string>()
    const sql: Array<string> = []
    for (const dimension of dimensions) {
      const via = dimension.via
      if (!via || joined.has(via.name)) continue
      const alias = nextAlias(ctx)
      joined.set(via.name, alias)
      const target = ctx.model.target(via)
      const rows = ctx.guard !== null ? rowCondition(ctx, target, alias) : null
      sql.push(`LEFT JOIN ${ctx.model.table(target)} ${alias}
        ON ${col(alias, "id")} = ${col(self, `${via.name}Id`)} AND ${col(alias, "deletedAt")} IS NULL${rows ? ` AND ${rows}` : ""}`)
    }
    return { aliases: { self, joined } as Aliases, sql: sql.join(" ") }
  }

  const outer = joins("t0")
  const where = baseConditions(ctx, object, "t0", { filter: args.filter ?? null })
  const sortOf = (dimension: Dimension) => dimension.sortKey(outer.aliases)
  const order = groupOrder(ctx, object, args.orderBy, dimensions, sortOf, aggregate)
  // Groups come in the order asked for, then by their dimensions, so the answer is deterministic.
  const ordering = [...order, ...dimensions.map((d) => `${sortOf(d)} ASC NULLS LAST`)].join(", ") || "1"
  const grouped = dimensions.map((d) => d.expression(outer.aliases))
  const dimensionColumns = grouped.map((expression, i) => `${expression} AS d${i}`)
  const aggregateColumns = requested.map((a, i) => `${answered(a)} AS a${i}`)
  const groupColumns = dimensions.map((_, i) => `d${i}`)

  let sample = ""
  if (records) {
    const inner = joins(nextAlias(ctx))
    const self = inner.aliases.self
    const terms = orderTerms(ctx, object, self, args.orderByForRecords, false)
    const matches = dimensions.map((d, i) => `(${d.expression(inner.aliases)}) IS NOT DISTINCT FROM g.d${i}`)
    sample = `, (SELECT coalesce(json_agg(json_build_object('r', x.r, 'c', x.c) ORDER BY x.n), '[]'::json) FROM (
        SELECT ${recordJson(ctx, object, self, records, 0)} AS r, ${cursorValues(terms)} AS c, row_number() OVER (ORDER BY ${orderSql(terms)}) AS n
        FROM ${ctx.model.table(object)} ${self} ${inner.sql}
        WHERE ${[...baseConditions(ctx, object, self, { filter: args.filter ?? null }), ...matches].join(" AND ")}
        ORDER BY ${orderSql(terms)} OFFSET ${offset} LIMIT ${RECORDS_PER_GROUP}) x) AS r`
  }

  const text = `WITH g AS (
      SELECT ${[...dimensionColumns, "count(*)::int AS n", ...aggregateColumns, `row_number() OVER (ORDER BY ${ordering}) AS o`].join(", ")}
      FROM ${ctx.model.table(object)} t0 ${outer.sql}
      WHERE ${where.join(" AND ")}
      ${grouped.length > 0 ? `GROUP BY ${grouped.join(", ")}` : ""}
      ORDER BY ${ordering} LIMIT ${groups})
    SELECT json_build_array(${groupColumns.map((c) => `g.${c}`).join(", ")}) AS d, g.n,
      json_build_object(${requested.map((a, i) => `'${a.key.replace(/'/g, "''")}', g.a${i}`).join(", ")}) AS a${sample}
    FROM g ORDER BY g.o`
  return { text, params: ctx.params.values }
}
