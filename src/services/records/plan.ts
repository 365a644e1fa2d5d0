import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { ident } from "../metadata/columns.js"
import {
  badInput,
  baseConditions,
  type BuildContext,
  cursorColumns,
  encodeCursor,
  ISO,
  keysetSql,
  type Model,
  orderSql,
  orderTerms,
  pageSize,
  Params,
  QueryInputError,
  recordColumns
} from "./query-builder.js"
import type { PageRow } from "./statements.js"
import type { Guard } from "./build-context.js"
import { requireReadable } from "./access.js"
import type { AggregateRequest, Connection, ConnectionArgs, ConnectionSelection, RecordsLimits, RecordValue, Selection } from "./types.js"

export const buildContext = (model: Model, limits: RecordsLimits, guard: Guard | null = null, params = new Params()): BuildContext => ({
  model,
  params,
  guard,
  trusted: 0,
  maxDepth: limits.maxDepth,
  defaultPageSize: limits.defaultPageSize,
  maxPageSize: limits.maxPageSize,
  aliasCounter: 0
})

export const build = <A>(model: Model, limits: RecordsLimits, body: (ctx: BuildContext) => A, guard: Guard | null = null) =>
  body(buildContext(model, limits, guard))

/** Runs a pure step; input errors it throws become typed failures. */
export const attempt = <A>(body: () => A) =>
  Effect.try({
    try: body,
    catch: (e) => {
      if (e instanceof QueryInputError) return e.failure
      throw e
    }
  })

/** Builds with a fresh parameter list; input errors thrown while building become typed failures. */
export const building = <A>(model: Model, limits: RecordsLimits, body: (ctx: BuildContext) => A, guard: Guard | null = null) =>
  attempt(() => build(model, limits, body, guard))

/** An edge whose cursor is encoded when first read: most lists show only pageInfo's two. */
export class PageEdge {
  #cursor: string | undefined
  readonly #values: unknown
  constructor(readonly node: RecordValue, values: unknown) {
    this.#values = values
  }
  get cursor(): string {
    return this.#cursor ??= encodeCursor(this.#values)
  }
  toJSON() {
    return { node: this.node, cursor: this.cursor }
  }
}

export const aggregateSql = (ctx: BuildContext, object: ObjectMetadata, request: AggregateRequest): string => {
  const found = ctx.model.field(object, request.field)
  if (!found) throw new QueryInputError(badInput(`Field "${request.field}" does not exist on ${object.nameSingular}`, request.field))
  const field = found.field
  if (ctx.guard !== null) requireReadable(ctx, object, field)
  const columns = found.joinColumn
    ? [`t0.${ident(request.field)}`]
    : isCompositeFieldType(field.type)
    ? (request.subField
      ? [compositeColumnName(field.name, request.subField)]
      : COMPOSITE_TYPES[field.type].filter((s) => s.type === "TEXT" || s.type === "NUMERIC").map((s) => compositeColumnName(field.name, s.name))
    ).map((c) => `t0.${ident(c)}`)
    : [`t0.${ident(field.name)}`]
  const textual = !found.joinColumn && ["TEXT", "FULL_NAME", "EMAILS", "LINKS", "PHONES", "ADDRESS", "RICH_TEXT"].includes(field.type)
  const empty = columns.map((c) => (textual && !request.subField?.endsWith("Micros") ? `(${c} IS NULL OR ${c}::text = '')` : `${c} IS NULL`))
    .join(" AND ")
  const first = columns[0]!
  // Twenty's process-aggregate.helper.ts: counts and percentages of no records are NULL.
  const unlessNone = (sql: string) => `CASE WHEN count(*) = 0 THEN NULL ELSE ${sql} END`
  switch (request.kind) {
    case "countEmpty":
      return unlessNone(`count(*) FILTER (WHERE ${empty})`)
    case "countNotEmpty":
      return unlessNone(`count(*) FILTER (WHERE NOT (${empty}))`)
    case "countUniqueValues":
      return unlessNone(`count(DISTINCT ${columns.length > 1 ? `(${columns.join(", ")})` : first})`)
    case "percentageEmpty":
      return unlessNone(`count(*) FILTER (WHERE ${empty})::float / count(*)`)
    case "percentageNotEmpty":
      return unlessNone(`count(*) FILTER (WHERE NOT (${empty}))::float / count(*)`)
    case "countTrue":
      return unlessNone(`count(*) FILTER (WHERE ${first} IS TRUE)`)
    case "countFalse":
      return unlessNone(`count(*) FILTER (WHERE ${first} IS FALSE)`)
    case "min":
    case "max":
    case "avg":
    case "sum":
      return field.type === "DATE_TIME"
        ? ISO(`${request.kind}(${first})`)
        : `${request.kind}(${first})`
  }
}

/**
 * An aggregate as answered: min/max/avg/sum of a BigFloat (numeric) column is PostgreSQL's text, as
 * Twenty's raw group-by rows give it (REST answers "1000000000000"; GraphQL's Float makes it a number).
 * Orderings use aggregateSql itself.
 */
export const answeredAggregateSql = (ctx: BuildContext, object: ObjectMetadata, request: AggregateRequest): string => {
  const sql = aggregateSql(ctx, object, request)
  if (!["min", "max", "avg", "sum"].includes(request.kind)) return sql
  const field = ctx.model.field(object, request.field)?.field
  const numeric = field !== undefined && (field.type === "NUMERIC" ||
    (isCompositeFieldType(field.type) && COMPOSITE_TYPES[field.type].find((s) => s.name === request.subField)?.type === "NUMERIC"))
  return numeric ? `(${sql})::text` : sql
}

export type Shape = (model: Model, object: ObjectMetadata, record: RecordValue | null, selection: Selection) => RecordValue | null

/** Raw nested results → Twenty's shape: ONE_TO_MANY relations become connections with cursors. */
const makeShape = (limits: RecordsLimits): Shape => {
  const shape: Shape = (model, object, record, selection) => {
    if (record === null) return null
    for (const relation of selection.relations) {
      const field = model.field(object, relation.field)!.field
      const target = model.target(field)
      const value = record[relation.key]
      if (field.relationType === "MANY_TO_ONE") {
        record[relation.key] = shape(model, target, value as RecordValue | null, relation.selection)
        continue
      }
      const cursors = relation.connection?.cursors !== false
      const raw = value as { rows: Array<{ r: RecordValue; c: unknown } | RecordValue>; totalCount?: number }
      const args = relation.args ?? {}
      const size = args.first ?? args.last ?? limits.defaultPageSize
      const reverse = args.last != null && args.first == null
      const rows = raw.rows.slice(0, size)
      if (reverse) rows.reverse()
      const edges = rows.map((row) =>
        cursors
          ? new PageEdge(shape(model, target, row["r"] as RecordValue, relation.selection)!, row["c"])
          : new PageEdge(shape(model, target, row as RecordValue, relation.selection)!, null)
      )
      const more = raw.rows.length > size
      record[relation.key] = {
        edges,
        pageInfo: {
          hasNextPage: reverse ? false : more,
          hasPreviousPage: reverse ? more : false,
          startCursor: cursors ? edges[0]?.cursor ?? null : null,
          endCursor: cursors ? edges.at(-1)?.cursor ?? null : null
        },
        ...(raw.totalCount !== undefined ? { totalCount: Number(raw.totalCount) } : {}),
        aggregates: {}
      } satisfies Connection
    }
    return record
  }
  return shape
}

const shapes = new WeakMap<RecordsLimits, Shape>()
/** The shaping of records under `limits` (one function per limits: no argument more on the hot path). */
export const shapeFor = (limits: RecordsLimits): Shape => {
  let shape = shapes.get(limits)
  if (!shape) shapes.set(limits, shape = makeShape(limits))
  return shape
}

/** Upper bound of the records a query returns: each nested page multiplies by its parents. */
export const worstCase = (limits: RecordsLimits, selection: Selection): number =>
  selection.relations.reduce((total, relation) => {
    const perParent = relation.args !== undefined || relation.connection !== undefined
      ? (relation.args?.first ?? relation.args?.last ?? limits.defaultPageSize)
      : 1
    return total + perParent * (1 + worstCase(limits, relation.selection))
  }, 0)

/** How many findMany plans this process built, for tests and benchmarks. */
export const planCounts = { findMany: 0 }

/**
 * A findMany as its statements and the reading of their rows: pure (input errors are thrown as
 * QueryInputError), shared by the Effect path and the direct one.
 */
export const planFindMany = (
  model: Model,
  limits: RecordsLimits,
  objectName: string,
  args: ConnectionArgs,
  selection: Selection,
  extras: ConnectionSelection,
  guard: Guard | null = null
) => {
  planCounts.findMany++
  const bound = (args.first ?? args.last ?? limits.defaultPageSize) * (1 + worstCase(limits, selection))
  if (bound > limits.maxRecordsPerQuery) {
    throw new QueryInputError(
      new BadUserInput({
        message: `Query too complex: it could return ${bound} records (at most ${limits.maxRecordsPerQuery}); request smaller nested pages`
      })
    )
  }
  const object = model.object(objectName)
  const shape = shapeFor(limits)
  const reverse = args.last != null && args.first == null
  const page = build(model, limits, (ctx) => {
    const size = pageSize(ctx, args)
    const terms = orderTerms(ctx, object, "t0", args.orderBy, reverse)
    const forward = reverse ? orderTerms(ctx, object, "t0", args.orderBy, false) : terms
    const backward = reverse ? terms : orderTerms(ctx, object, "t0", args.orderBy, true)
    const where = baseConditions(ctx, object, "t0", args)
    if (args.after) where.push(keysetSql(ctx, forward, args.after))
    if (args.before) where.push(keysetSql(ctx, backward, args.before))
    const columns = recordColumns(ctx, object, "t0", selection, 0)
    const cursor = cursorColumns(terms, columns.plainColumns, columns.width)
    const text = `SELECT ${columns.sql}${cursor.sql}
            FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")} ORDER BY ${orderSql(terms)} LIMIT ${size + 1}${
      args.offset ? ` OFFSET ${ctx.params.add(args.offset)}` : ""
    }`
    return { text, params: ctx.params.values, size, read: columns.read, cursorOf: cursor.read }
  }, guard)
  const totals = extras.totalCount || extras.aggregates.length > 0
    ? build(model, limits, (ctx) => {
      const where = baseConditions(ctx, object, "t0", { filter: args.filter ?? null })
      const pairs = [["totalCount", "count(*)"], ...extras.aggregates.map((a) => [a.key, answeredAggregateSql(ctx, object, a)])]
      return {
        text: `SELECT json_build_object(${pairs.map(([k, v]) => `'${k!.replace(/'/g, "''")}', ${v}`).join(", ")}) AS a
                FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}`,
        params: ctx.params.values
      }
    }, guard)
    : null
  const answer = (
    rows: ReadonlyArray<PageRow>,
    aggregates: ReadonlyArray<{ a: Record<string, number | string | null> }> | null
  ): Connection => {
    const more = rows.length > page.size
    const kept = rows.slice(0, page.size)
    if (reverse) kept.reverse()
    const edges = kept.map((row) => new PageEdge(shape(model, object, page.read(row), selection)!, page.cursorOf(row)))
    const { totalCount, ...rest } = aggregates?.[0]?.a ?? {}
    return {
      edges,
      pageInfo: {
        hasNextPage: reverse ? Boolean(args.before) : more,
        hasPreviousPage: reverse ? more : Boolean(args.after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null
      },
      ...(extras.totalCount ? { totalCount: Number(totalCount ?? 0) } : {}),
      aggregates: rest
    }
  }
  return { page, totals, answer }
}

export type FindManyPlan = ReturnType<typeof planFindMany>
