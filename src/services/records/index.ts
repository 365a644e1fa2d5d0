import { SqlClient, SqlError } from "@effect/sql"
import { Effect, Layer, Metric, Option } from "effect"
import { BadUserInput, NotFound } from "../../schema/errors.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../schema/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../schema/composite-types.js"
import { Cache, derivedMemo } from "../cache/index.js"
import { PgPool, PgReads } from "../database/index.js"
import { ident } from "../metadata/columns.js"
import { Metadata } from "../metadata/index.js"
import { pgErrorCode } from "../pg-errors.js"
import {
  badInput,
  baseConditions,
  type BuildContext,
  encodeCursor,
  filterSql,
  ISO,
  keysetSql,
  Model,
  orderSql,
  orderTerms,
  pageSize,
  Params,
  QueryInputError,
  cursorColumns,
  recordColumns,
  searchableText,
  recordJson
} from "./query-builder.js"
import { Records, type RecordsFailure, type RecordsShape, type SearchHit } from "./service.js"
import type {
  Group,
  AggregateRequest,
  Connection,
  ConnectionArgs,
  ConnectionSelection,
  RecordFilter,
  RecordsLimits,
  RecordsScope,
  RecordValue,
  Selection
} from "./types.js"
import type { RecordAction } from "../../schema/events.js"
import { recordEvents, writeToOutbox } from "../events/index.js"
import { DEFAULT_LIMITS } from "./limits.js"
import { groupByStatement, groupLimit, RECORDS_PER_GROUP } from "./group-by.js"
import { applyConnects, connectGroups, connectLookup, relationInputs } from "./relation-inputs.js"
import { actorColumns, toColumns } from "./values.js"

export { Records } from "./service.js"

/** Every SQL statement the records service sends; benchmarks and tests read it to prove there is no N+1. */
export const recordsStatements = Metric.counter("score_records_sql_statements", { incremental: true })

export { DEFAULT_LIMITS } from "./limits.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** PostgreSQL refusing a value is the caller's input at fault; said plainly, never as a 500. */
const explain = (error: SqlError.SqlError): RecordsFailure => {
  switch (pgErrorCode(error)) {
    case "23505":
      return badInput("A duplicate entry was detected: another record has the same value for a unique field")
    case "23503":
      return badInput("A related record does not exist")
    case "23514":
    case "23502":
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
    case "22023":
      return badInput(`Invalid value: ${(error.cause as Error).message}`)
    default:
      return error
  }
}

/** Builds with a fresh parameter list; input errors thrown while building become typed failures. */
const building = <A>(model: Model, limits: RecordsLimits, body: (ctx: BuildContext) => A) => attempt(() => build(model, limits, body))

/** An edge whose cursor is encoded when first read: most lists show only pageInfo's two. */
class PageEdge {
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

/** A page row: the record's columns (recordColumns) then its cursor's (cursorColumns), in select order. */
type PageRow = ReadonlyArray<unknown>

const MODELS_KEPT = 1_000
const PREPARED_SHAPES = 100
const PLANS_PER_SELECTION = 64
const models = new WeakMap<WorkspaceMetadata, Model>()
const modelOf = (metadata: WorkspaceMetadata) => {
  let model = models.get(metadata)
  if (!model) {
    model = new Model(metadata)
    models.set(metadata, model)
  }
  return model
}

const build = <A>(model: Model, limits: RecordsLimits, body: (ctx: BuildContext) => A) =>
  body({
    model,
    params: new Params(),
    maxDepth: limits.maxDepth,
    defaultPageSize: limits.defaultPageSize,
    maxPageSize: limits.maxPageSize,
    aliasCounter: 0
  })

/** Runs a pure step; input errors it throws become typed failures. */
const attempt = <A>(body: () => A) =>
  Effect.try({
    try: body,
    catch: (e) => {
      if (e instanceof QueryInputError) return e.failure
      throw e
    }
  })

const aggregateSql = (model: Model, object: ObjectMetadata, request: AggregateRequest): string => {
  const found = model.field(object, request.field)
  if (!found) throw new QueryInputError(badInput(`Field "${request.field}" does not exist on ${object.nameSingular}`, request.field))
  const field = found.field
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
  switch (request.kind) {
    case "countEmpty":
      return `count(*) FILTER (WHERE ${empty})`
    case "countNotEmpty":
      return `count(*) FILTER (WHERE NOT (${empty}))`
    case "countUniqueValues":
      return `count(DISTINCT ${columns.length > 1 ? `(${columns.join(", ")})` : first})`
    case "percentageEmpty":
      return `coalesce(count(*) FILTER (WHERE ${empty})::float / nullif(count(*), 0), 0)`
    case "percentageNotEmpty":
      return `coalesce(count(*) FILTER (WHERE NOT (${empty}))::float / nullif(count(*), 0), 0)`
    case "countTrue":
      return `count(*) FILTER (WHERE ${first} IS TRUE)`
    case "countFalse":
      return `count(*) FILTER (WHERE ${first} IS FALSE)`
    case "min":
    case "max":
    case "avg":
    case "sum":
      return field.type === "DATE_TIME"
        ? ISO(`${request.kind}(${first})`)
        : `${request.kind}(${first})`
  }
}

export const RecordsLive = (limits: RecordsLimits = DEFAULT_LIMITS) =>
  Layer.effect(
    Records,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const metadata = yield* Metadata

      const pool = yield* PgPool
      const reads = yield* PgReads
      /** A statement on the `pg` pool, outside any transaction; `arrays`: rows as arrays of column values. */
      const poolRows = <A>(text: string, params: ReadonlyArray<unknown>, arrays: boolean, name?: string) =>
        pool.query({ name, text, values: params as Array<unknown>, ...(arrays ? { rowMode: "array" as const } : {}) })
          .then((result) => result.rows as Array<A>)
      const failed = (cause: unknown) => new SqlError.SqlError({ cause, message: "Failed to execute statement" })
      /**
       * Outside a transaction a statement goes straight to the pool; inside one, through its connection.
       * `arrays`: rows as arrays of column values (a page's rows: no object per row).
       */
      function statement<A extends object>(text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, SqlError.SqlError>
      function statement(text: string, params: ReadonlyArray<unknown>, arrays: true): Effect.Effect<ReadonlyArray<PageRow>, SqlError.SqlError>
      function statement(text: string, params: ReadonlyArray<unknown>, arrays = false) {
        return Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
          Option.isSome(transaction)
            ? arrays ? sql.unsafe(text, params as Array<unknown>).values : sql.unsafe(text, params as Array<unknown>)
            : Effect.tryPromise({ try: () => poolRows<object>(text, params, arrays), catch: failed }))
      }

      /** A page and its totals at once: on two pool connections outside a transaction (no fiber forked), else in turn. */
      const pageAndTotals = <B extends object>(
        page: { readonly text: string; readonly params: ReadonlyArray<unknown> },
        totals: { readonly text: string; readonly params: ReadonlyArray<unknown> }
      ) =>
        Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
          Option.isSome(transaction)
            ? Effect.all([statement(page.text, page.params, true), statement<B>(totals.text, totals.params)])
            : Effect.tryPromise({
              try: () => Promise.all([poolRows<PageRow>(page.text, page.params, true), poolRows<B>(totals.text, totals.params, false)]),
              catch: failed
            }))

      const explained = <A>(effect: Effect.Effect<A, SqlError.SqlError>, statements: number) =>
        effect.pipe(
          Effect.tap(() => Metric.incrementBy(recordsStatements, statements)),
          Effect.catchIf((e): e is SqlError.SqlError => e instanceof SqlError.SqlError, (e) => Effect.fail(explain(e)))
        )

      const run = <A extends object>(text: string, params: ReadonlyArray<unknown>) => explained(statement<A>(text, params), 1)

      const cache = yield* Cache
      const currentModels = derivedMemo<Model>(cache, MODELS_KEPT)
      /** The workspace's model at its current metadata version, also kept for findManyNow until an invalidation. */
      const modelFor = (workspaceId: string) =>
        Effect.suspend(() => {
          const since = cache.epoch()
          return Effect.map(metadata.get(workspaceId), (current) => {
            const model = modelOf(current)
            currentModels.set(workspaceId, model, since)
            return model
          })
        })

      const objectOf = (model: Model, name: string) =>
        Effect.try({
          try: () => model.object(name),
          catch: (e) => (e instanceof QueryInputError ? new NotFound({ message: `Object "${name}" not found` }) : e as never)
        })

      /** Raw nested results → Twenty's shape: ONE_TO_MANY relations become connections with cursors. */
      const shape = (model: Model, object: ObjectMetadata, record: RecordValue | null, selection: Selection): RecordValue | null => {
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

      /** Upper bound of the records a query returns: each nested page multiplies by its parents. */
      const worstCase = (selection: Selection): number =>
        selection.relations.reduce((total, relation) => {
          const perParent = relation.args !== undefined || relation.connection !== undefined
            ? (relation.args?.first ?? relation.args?.last ?? limits.defaultPageSize)
            : 1
          return total + perParent * (1 + worstCase(relation.selection))
        }, 0)

      /**
       * A findMany as its statements and the reading of their rows: pure (input errors are thrown as
       * QueryInputError), shared by the Effect path and the direct one.
       */
      const planFindMany = (
        model: Model,
        objectName: string,
        args: ConnectionArgs,
        selection: Selection,
        extras: ConnectionSelection
      ) => {
        const bound = (args.first ?? args.last ?? limits.defaultPageSize) * (1 + worstCase(selection))
        if (bound > limits.maxRecordsPerQuery) {
          throw new QueryInputError(
            new BadUserInput({
              message: `Query too complex: it could return ${bound} records (at most ${limits.maxRecordsPerQuery}); request smaller nested pages`
            })
          )
        }
        const object = model.object(objectName)
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
            FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")} ORDER BY ${orderSql(terms)} LIMIT ${size + 1}`
          return { text, params: ctx.params.values, size, read: columns.read, cursorOf: cursor.read }
        })
        const totals = extras.totalCount || extras.aggregates.length > 0
          ? build(model, limits, (ctx) => {
            const where = baseConditions(ctx, object, "t0", { filter: args.filter ?? null })
            const pairs = [["totalCount", "count(*)"], ...extras.aggregates.map((a) => [a.key, aggregateSql(model, object, a)])]
            return {
              text: `SELECT json_build_object(${pairs.map(([k, v]) => `'${k!.replace(/'/g, "''")}', ${v}`).join(", ")}) AS a
                FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}`,
              params: ctx.params.values
            }
          })
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

      // No span on the reads: on this hottest call a span cost about a third of it (writes keep theirs).
      const findMany: RecordsShape["findMany"] = (scope, objectName, args, selection, extras) =>
        Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          yield* objectOf(model, objectName)
          const plan = yield* attempt(() => planFindMany(model, objectName, args, selection, extras))
          const [rows, aggregates] = plan.totals
            ? yield* explained(pageAndTotals<{ a: Record<string, number | string | null> }>(plan.page, plan.totals), 2)
            : [yield* explained(statement(plan.page.text, plan.page.params, true), 1), null]
          return plan.answer(rows, aggregates)
        })

      const groupBy: RecordsShape["groupBy"] = (scope, objectName, args, records, extras) =>
        Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          if (records) {
            const bound = (yield* attempt(() => groupLimit(args.limit))) * RECORDS_PER_GROUP * (1 + worstCase(records))
            if (bound > limits.maxRecordsPerQuery) {
              return yield* badInput(
                `Query too complex: it could return ${bound} records (at most ${limits.maxRecordsPerQuery}); ask for fewer groups`,
                "limit"
              )
            }
          }
          const plan = yield* building(model, limits, (ctx) =>
            groupByStatement(ctx, object, args, extras.aggregates, (request) => aggregateSql(model, object, request), records)
          )
          const rows = yield* run<{
            d: ReadonlyArray<unknown>
            n: number
            a: Record<string, number | string | null>
            r?: ReadonlyArray<{ r: RecordValue; c: unknown }>
          }>(plan.text, plan.params)
          return rows.map((row): Group => {
            const edges = (row.r ?? []).map((x) => new PageEdge(shape(model, object, x.r, records!)!, x.c))
            return {
              groupByDimensionValues: row.d,
              edges,
              pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
              totalCount: row.n,
              aggregates: row.a
            }
          })
        })

      /**
       * The first PREPARED_SHAPES list statements (by text) run as prepared statements, through Bun's client
       * when the database is live: PostgreSQL parses and plans them once per connection (a third of its work
       * on a short list). Others run unnamed on the `pg` pool, so each connection holds a bounded number.
       */
      const preparedNames = new Map<string, string>()
      const preparedName = (text: string) => {
        let name = preparedNames.get(text)
        if (name === undefined && preparedNames.size < PREPARED_SHAPES) {
          name = `score_list_${preparedNames.size}`
          preparedNames.set(text, name)
        }
        return name
      }

      /**
       * Bun's client prepares a statement only when it has parameters or comes as a template: a statement
       * without parameters goes as a one-part template, made once per prepared shape.
       */
      const templates = new Map<string, TemplateStringsArray>()
      const templateOf = (text: string) => {
        let template = templates.get(text)
        if (!template) {
          template = Object.defineProperty([text], "raw", { value: [text] }) as unknown as TemplateStringsArray
          templates.set(text, template)
        }
        return template
      }

      /**
       * Plans of the direct path by model, selection (the same object while a prepared document or a REST
       * shape is reused) and arguments: a repeated list builds no SQL.
       */
      const plans = new WeakMap<Model, WeakMap<Selection, Map<string, ReturnType<typeof planFindMany>>>>()
      const planOf = (model: Model, objectName: string, args: ConnectionArgs, selection: Selection, extras: ConnectionSelection) => {
        let bySelection = plans.get(model)
        if (!bySelection) plans.set(model, bySelection = new WeakMap())
        let byArgs = bySelection.get(selection)
        if (!byArgs) bySelection.set(selection, byArgs = new Map())
        const key = `${objectName}\u0000${JSON.stringify(args)}\u0000${JSON.stringify(extras)}`
        let plan = byArgs.get(key)
        if (!plan) {
          plan = planFindMany(model, objectName, args, selection, extras)
          if (byArgs.size < PLANS_PER_SELECTION) byArgs.set(key, plan)
        }
        return plan
      }

      const findManyNow: RecordsShape["findManyNow"] = (scope, objectName, args, selection, extras) => {
        const model = currentModels.get(scope.workspaceId)
        if (!model) return null
        let plan: ReturnType<typeof planFindMany>
        try {
          plan = planOf(model, objectName, args, selection, extras)
        } catch {
          return null
        }
        const query = <A>(statement: { readonly text: string; readonly params: ReadonlyArray<unknown> }, arrays: boolean) => {
          const name = preparedName(statement.text)
          if (name !== undefined && reads !== null) {
            const read = statement.params.length > 0
              ? reads.sql.unsafe(statement.text, statement.params as Array<unknown>)
              : reads.sql(templateOf(statement.text))
            return reads.within(arrays ? read.values() : read) as Promise<Array<A>>
          }
          return poolRows<A>(statement.text, statement.params, arrays, name)
        }
        recordsStatements.unsafeUpdate(plan.totals ? 2 : 1, [])
        return plan.totals
          ? Promise.all([query<PageRow>(plan.page, true), query<{ a: Record<string, number | string | null> }>(plan.totals, false)])
            .then(([rows, aggregates]) => plan.answer(rows, aggregates))
          : query<PageRow>(plan.page, true).then((rows) => plan.answer(rows, null))
      }

      /** Records by id in the given order; soft-deleted ones only when asked. */
      const byIds = (model: Model, object: ObjectMetadata, ids: ReadonlyArray<string>, selection: Selection, includeDeleted: boolean) =>
        Effect.gen(function*() {
          if (ids.length === 0) return []
          const query = yield* building(model, limits, (ctx) => ({
            text: `SELECT ${recordJson(ctx, object, "t0", selection, 0)} AS r FROM ${model.table(object)} t0
              WHERE t0."id" = ANY(${ctx.params.add(ids)})${includeDeleted ? "" : ` AND t0."deletedAt" IS NULL`}`,
            params: ctx.params.values
          }))
          const rows = yield* run<{ r: RecordValue }>(query.text, query.params)
          const byId = new Map(rows.map((row) => [row.r["id"] as string, row.r]))
          return ids.flatMap((id) => {
            const record = byId.get(id)
            return record ? [shape(model, object, record, selection)!] : []
          })
        })

      /** Every active field at depth 0: what events carry. */
      const fullSelection = (model: Model, object: ObjectMetadata): Selection => ({
        fields: [...model.fields(object)].flatMap((f) =>
          f.type === "TS_VECTOR" ? [] : f.type === "RELATION" || f.type === "MORPH_RELATION"
            ? (f.relationType === "MANY_TO_ONE" ? [`${f.name}Id`] : [])
            : [f.name]
        ),
        relations: []
      })

      /** Records for the response: the full depth-0 records serve any selection without relations. */
      const respond = (model: Model, object: ObjectMetadata, records: ReadonlyArray<RecordValue>, selection: Selection, includeDeleted: boolean) =>
        selection.relations.length === 0
          ? Effect.succeed(records)
          : byIds(model, object, records.map((r) => r["id"] as string), selection, includeDeleted)

      const emit = (
        scope: RecordsScope,
        object: ObjectMetadata,
        action: RecordAction,
        changes: ReadonlyArray<{ readonly record: RecordValue; readonly before?: RecordValue }>
      ) => writeToOutbox(recordEvents(scope.workspaceId, object, action, scope.actor, changes)).pipe(
        Effect.provideService(SqlClient.SqlClient, sql),
        Effect.catchIf((e): e is SqlError.SqlError => e instanceof SqlError.SqlError, (e) => Effect.fail(explain(e)))
      )

      const findOne: RecordsShape["findOne"] = (scope, objectName, filter, selection) =>
        Effect.map(
          findMany(scope, objectName, { filter, first: 1 }, selection, { totalCount: false, aggregates: [] }),
          (connection) => connection.edges[0]?.node ?? null
        )

      const setClause = (params: Params, columns: Record<string, unknown>) =>
        Object.entries(columns).map(([column, value]) => `${ident(column)} = ${params.add(value)}`)

      const uniqueLookups = (model: Model, object: ObjectMetadata) =>
        [...model.fields(object)].filter((f) => f.isUnique && f.name !== "id")

      /** Upsert: a record without id takes the id of the live record sharing one of its unique values. */
      const matchExisting = (model: Model, object: ObjectMetadata, columns: Record<string, unknown>) =>
        Effect.gen(function*() {
          for (const field of uniqueLookups(model, object)) {
            const keys = isCompositeFieldType(field.type)
              ? COMPOSITE_TYPES[field.type].filter((s) => s.isIncludedInUniqueConstraint).map((s) => compositeColumnName(field.name, s.name))
              : [field.name]
            const key = keys.find((k) => columns[k] != null && columns[k] !== "")
            if (!key) continue
            const rows = yield* run<{ id: string }>(
              `SELECT id FROM ${model.table(object)} WHERE ${ident(key)} = $1 AND "deletedAt" IS NULL LIMIT 1`,
              [columns[key]]
            )
            if (rows[0]) return rows[0].id
          }
          return null
        })

      /** Records to write with their nested relation inputs (connect / disconnect) turned into `<field>Id`. */
      const withConnections = (model: Model, object: ObjectMetadata, data: ReadonlyArray<unknown>) =>
        Effect.gen(function*() {
          const { records, connects } = yield* attempt(() => relationInputs(model, object, data))
          for (const group of connectGroups(connects)) {
            const lookup = yield* attempt(() => connectLookup(model, group))
            const rows = yield* run<Record<string, unknown>>(lookup.text, lookup.params)
            yield* attempt(() => applyConnects(records, group, rows))
          }
          return records
        })

      const checkCount = (count: number) =>
        count > limits.maxRecordsPerMutation
          ? Effect.fail(badInput(`Cannot change more than ${limits.maxRecordsPerMutation} records at once (${count} match)`))
          : Effect.void

      const createMany: RecordsShape["createMany"] = (scope, objectName, data, selection, options) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          yield* checkCount(data.length)
          const records = yield* withConnections(model, object, data)
          const rows = yield* building(model, limits, () => records.map((d) => toColumns(model, object, d, { creating: true })))
          const ids: Array<string> = []
          for (const row of rows) {
            if (row["id"] == null && options?.upsert) {
              const existing = yield* matchExisting(model, object, row)
              if (existing) row["id"] = existing
            }
            row["id"] ??= crypto.randomUUID()
            ids.push(row["id"] as string)
          }
          const created = actorColumns("createdBy", scope.actor)
          const updated = actorColumns("updatedBy", scope.actor)
          const full = fullSelection(model, object)
          const existing = options?.upsert
            ? new Map((yield* byIds(model, object, ids, full, true)).map((r) => [r["id"] as string, r]))
            : new Map<string, RecordValue>()
          if (options?.upsert) {
            for (const row of rows) {
              const params = new Params()
              const insert = { ...row, ...created, ...updated }
              const names = Object.keys(insert)
              const values = names.map((n) => params.add(insert[n]))
              const updates = [...Object.keys(row).filter((n) => n !== "id"), ...Object.keys(updated)]
                .map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`)
              yield* run(
                `INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")}) VALUES (${values.join(", ")})
                 ON CONFLICT ("id") DO UPDATE SET ${[...updates, `"updatedAt" = now()`, `"deletedAt" = NULL`].join(", ")}`,
                params.values
              )
            }
          } else if (rows.length > 0) {
            const params = new Params()
            const names = [...new Set(rows.flatMap((r) => Object.keys(r))), ...Object.keys(created), ...Object.keys(updated)]
            const tuples = rows.map((row) => {
              const full: Record<string, unknown> = { ...row, ...created, ...updated }
              return `(${names.map((n) => (n in full ? params.add(full[n]) : "DEFAULT")).join(", ")})`
            })
            yield* run(`INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")}) VALUES ${tuples.join(", ")}`, params.values)
          }
          const after = yield* byIds(model, object, ids, full, false)
          yield* emit(scope, object, "created", after.filter((r) => !existing.has(r["id"] as string)).map((record) => ({ record })))
          yield* emit(scope, object, "updated", after.flatMap((record) => {
            const before = existing.get(record["id"] as string)
            return before ? [{ record, before }] : []
          }))
          return yield* respond(model, object, after, selection, false)
        })).pipe(Effect.withSpan("Records.createMany", { attributes: { object: objectName, count: data.length } }))

      /** The matching records, locked for the rest of the transaction; refused beyond the mutation limit. */
      const lockedRecords = (model: Model, object: ObjectMetadata, where: (ctx: BuildContext) => Array<string>, selection: Selection) =>
        Effect.gen(function*() {
          const query = yield* building(model, limits, (ctx) => ({
            text: `SELECT ${recordJson(ctx, object, "t0", selection, 0)} AS r FROM ${model.table(object)} t0
              WHERE ${where(ctx).join(" AND ")} ORDER BY t0."id" LIMIT ${limits.maxRecordsPerMutation + 1} FOR UPDATE OF t0`,
            params: ctx.params.values
          }))
          const rows = yield* run<{ r: RecordValue }>(query.text, query.params)
          yield* checkCount(rows.length)
          return rows.map((row) => row.r)
        })

      /** Applies `change` to the rows matching `where` (built against alias t0) and returns their ids. */
      const mutateWhere = (
        model: Model,
        object: ObjectMetadata,
        where: (ctx: BuildContext) => Array<string>,
        set: (ctx: BuildContext) => Array<string>
      ) =>
        Effect.gen(function*() {
          const count = yield* building(model, limits, (ctx) => ({
            text: `SELECT count(*)::int AS n FROM ${model.table(object)} t0 WHERE ${where(ctx).join(" AND ")}`,
            params: ctx.params.values
          }))
          const update = yield* building(model, limits, (ctx) => {
            const assignments = set(ctx)
            return {
              text: `UPDATE ${model.table(object)} AS t0 SET ${assignments.join(", ")} WHERE ${where(ctx).join(" AND ")} RETURNING t0."id"`,
              params: ctx.params.values
            }
          })
          const [counted] = yield* run<{ n: number }>(count.text, count.params)
          yield* checkCount(counted?.n ?? 0)
          return (yield* run<{ id: string }>(update.text, update.params)).map((row) => row.id)
        })

      const updateSet = (ctx: BuildContext, scope: RecordsScope, columns: Record<string, unknown>) => [
        ...setClause(ctx.params, columns),
        ...setClause(ctx.params, actorColumns("updatedBy", scope.actor)),
        `"updatedAt" = now()`
      ]

      const updateMany: RecordsShape["updateMany"] = (scope, objectName, filter, data, selection) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          const [record] = yield* withConnections(model, object, [data])
          const columns = yield* building(model, limits, () => toColumns(model, object, record, { creating: false }))
          const full = fullSelection(model, object)
          const before = yield* lockedRecords(model, object, (ctx) => baseConditions(ctx, object, "t0", { filter }), full)
          const ids = before.map((r) => r["id"] as string)
          if (ids.length > 0) {
            const update = yield* building(model, limits, (ctx) => ({
              text: `UPDATE ${model.table(object)} SET ${updateSet(ctx, scope, columns).join(", ")} WHERE "id" = ANY(${ctx.params.add(ids)})`,
              params: ctx.params.values
            }))
            yield* run(update.text, update.params)
          }
          const after = yield* byIds(model, object, ids, full, true)
          const beforeById = new Map(before.map((r) => [r["id"] as string, r]))
          yield* emit(scope, object, "updated", after.map((record) => ({ record, before: beforeById.get(record["id"] as string)! })))
          return yield* respond(model, object, after, selection, true)
        })).pipe(Effect.withSpan("Records.updateMany", { attributes: { object: objectName } }))

      const updateOne: RecordsShape["updateOne"] = (scope, objectName, id, data, selection) =>
        Effect.gen(function*() {
          if (!UUID.test(id)) return yield* badInput(`Invalid id: ${id}`, "id")
          const records = yield* updateMany(scope, objectName, { id: { eq: id } }, data, selection)
          return records[0] ?? (yield* new NotFound({ message: `Record ${id} not found` }))
        })

      const deleteMany: RecordsShape["deleteMany"] = (scope, objectName, filter, selection) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          const ids = yield* mutateWhere(
            model,
            object,
            (ctx) => [...baseConditions(ctx, object, "t0", { filter }), `t0."deletedAt" IS NULL`],
            (ctx) => [`"deletedAt" = now()`, `"updatedAt" = now()`, ...setClause(ctx.params, actorColumns("updatedBy", scope.actor))]
          )
          const after = yield* byIds(model, object, ids, fullSelection(model, object), true)
          yield* emit(scope, object, "deleted", after.map((record) => ({ record })))
          return yield* respond(model, object, after, selection, true)
        })).pipe(Effect.withSpan("Records.deleteMany", { attributes: { object: objectName } }))

      const restoreMany: RecordsShape["restoreMany"] = (scope, objectName, filter, selection) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          const ids = yield* mutateWhere(
            model,
            object,
            (ctx) => [filterSql(ctx, object, "t0", filter, 0), `t0."deletedAt" IS NOT NULL`],
            (ctx) => [`"deletedAt" = NULL`, `"updatedAt" = now()`, ...setClause(ctx.params, actorColumns("updatedBy", scope.actor))]
          )
          const after = yield* byIds(model, object, ids, fullSelection(model, object), false)
          yield* emit(scope, object, "restored", after.map((record) => ({ record })))
          return yield* respond(model, object, after, selection, false)
        })).pipe(Effect.withSpan("Records.restoreMany", { attributes: { object: objectName } }))

      const destroyMany: RecordsShape["destroyMany"] = (scope, objectName, filter, selection) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          const query = yield* building(model, limits, (ctx) => {
            const where = filterSql(ctx, object, "t0", filter, 0)
            return { text: `SELECT t0."id" FROM ${model.table(object)} t0 WHERE ${where}`, params: ctx.params.values }
          })
          const ids = (yield* run<{ id: string }>(query.text, query.params)).map((row) => row.id)
          yield* checkCount(ids.length)
          const before = yield* byIds(model, object, ids, fullSelection(model, object), true)
          const records = selection.relations.length === 0 ? before : yield* byIds(model, object, ids, selection, true)
          if (ids.length > 0) yield* run(`DELETE FROM ${model.table(object)} WHERE "id" = ANY($1)`, [ids])
          yield* emit(scope, object, "destroyed", before.map((record) => ({ record })))
          return records
        })).pipe(Effect.withSpan("Records.destroyMany", { attributes: { object: objectName } }))

      /** Column values of whole rows, for merge and duplicate detection. */
      const rawRows = (model: Model, object: ObjectMetadata, ids: ReadonlyArray<string>) =>
        run<Record<string, unknown>>(`SELECT * FROM ${model.table(object)} WHERE "id" = ANY($1) AND "deletedAt" IS NULL`, [ids])

      const writableColumns = (model: Model, object: ObjectMetadata) =>
        [...model.fields(object)]
          .filter((f) => !f.isSystem && f.type !== "TS_VECTOR" && !(f.type === "RELATION" && f.relationType === "ONE_TO_MANY"))
          .flatMap((f): Array<string> =>
            f.type === "RELATION" || f.type === "MORPH_RELATION"
              ? [`${f.name}Id`]
              : isCompositeFieldType(f.type)
              ? COMPOSITE_TYPES[f.type].map((s) => compositeColumnName(f.name, s.name))
              : [f.name]
          )

      const isEmpty = (value: unknown) =>
        value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)

      const merge: RecordsShape["merge"] = (scope, objectName, ids, priority, dryRun, selection) =>
        sql.withTransaction(Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          if (ids.length < 2) return yield* badInput("Merging needs at least two ids", "ids")
          if (!ids.every((id) => UUID.test(id))) return yield* badInput("ids must be UUIDs", "ids")
          if (!Number.isInteger(priority) || priority < 0 || priority >= ids.length) {
            return yield* badInput(`conflictPriorityIndex must be between 0 and ${ids.length - 1}`, "conflictPriorityIndex")
          }
          const rows = yield* rawRows(model, object, ids)
          const byId = new Map(rows.map((r) => [r["id"] as string, r]))
          const missing = ids.find((id) => !byId.has(id))
          if (missing) return yield* new NotFound({ message: `Record ${missing} not found` })
          const keeperId = ids[priority]!
          const ordered = [byId.get(keeperId)!, ...ids.filter((id) => id !== keeperId).map((id) => byId.get(id)!)]
          const merged: Record<string, unknown> = {}
          for (const column of writableColumns(model, object)) {
            const winner = ordered.find((row) => !isEmpty(row[column]))
            if (winner && winner !== ordered[0]) {
              const value = winner[column]
              merged[column] = value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)
                ? JSON.stringify(value)
                : value
            }
          }
          const others = ids.filter((id) => id !== keeperId)
          if (dryRun) {
            const [preview] = yield* byIds(model, object, [keeperId], selection, false)
            return { ...preview, ...merged }
          }
          const full = fullSelection(model, object)
          const [keeperBefore] = yield* byIds(model, object, [keeperId], full, false)
          const params = new Params()
          const set = [...setClause(params, merged), ...setClause(params, actorColumns("updatedBy", scope.actor)), `"updatedAt" = now()`]
          yield* run(`UPDATE ${model.table(object)} SET ${set.join(", ")} WHERE "id" = ${params.add(keeperId)}`, params.values)
          for (const field of model.fields(object)) {
            if (field.type !== "RELATION" || field.relationType !== "ONE_TO_MANY") continue
            const target = model.target(field)
            const inverse = model.inverse(field)
            yield* run(`UPDATE ${model.table(target)} SET ${ident(`${inverse.name}Id`)} = $1 WHERE ${ident(`${inverse.name}Id`)} = ANY($2)`, [keeperId, others])
          }
          yield* run(`UPDATE ${model.table(object)} SET "deletedAt" = now() WHERE "id" = ANY($1)`, [others])
          const [keeperAfter] = yield* byIds(model, object, [keeperId], full, false)
          yield* emit(scope, object, "updated", [{ record: keeperAfter!, before: keeperBefore! }])
          yield* emit(scope, object, "deleted", (yield* byIds(model, object, others, full, true)).map((record) => ({ record })))
          const [result] = yield* byIds(model, object, [keeperId], selection, false)
          return result!
        })).pipe(Effect.withSpan("Records.merge", { attributes: { object: objectName } }))

      const findDuplicates: RecordsShape["findDuplicates"] = (scope, objectName, input, selection) =>
        Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const object = yield* objectOf(model, objectName)
          const criteria = object.duplicateCriteria ?? []
          const probes: Array<Record<string, unknown>> = []
          if (input.ids) {
            if (!input.ids.every((id) => UUID.test(id))) return yield* badInput("ids must be UUIDs", "ids")
            const rows = yield* rawRows(model, object, input.ids)
            const byId = new Map(rows.map((r) => [r["id"] as string, r]))
            for (const id of input.ids) probes.push(byId.get(id) ?? { id })
          }
          for (const data of input.data ?? []) {
            probes.push(yield* building(model, limits, () => toColumns(model, object, data, { creating: true })))
          }
          return yield* Effect.forEach(probes, (probe) => {
            const groups = criteria
              .filter((columns) => columns.every((c) => !isEmpty(probe[c])))
              .map((columns) => ({ and: columns.map((c) => columnEquals(model, object, c, probe[c])) }))
            if (groups.length === 0) return Effect.succeed(emptyConnection())
            const filter: RecordFilter = { or: groups, ...(probe["id"] ? { not: { id: { eq: probe["id"] } } } : {}) }
            return findMany(scope, objectName, { filter }, selection, { totalCount: true, aggregates: [] })
          })
        })

      const search: RecordsShape["search"] = (scope, input) =>
        Effect.gen(function*() {
          const model = yield* modelFor(scope.workspaceId)
          const term = input.searchInput.trim()
          const after = input.after ? yield* attempt(() => decodeSearchCursor(input.after!)) : null
          const included = input.includedObjectNameSingulars
          const excluded = new Set(input.excludedObjectNameSingulars ?? [])
          const objects = model.metadata.objects.filter((o) =>
            o.isActive && o.isSearchable && (!included || included.includes(o.nameSingular)) && !excluded.has(o.nameSingular)
          )
          const fetched = Math.max(0, Math.min(input.limit, limits.maxPageSize)) + 1
          const hits = yield* Effect.forEach(objects, (object) => searchObject(model, object, term, fetched, input.filter ?? null, after), {
            concurrency: 4
          })
          const ranked = hits.flat().sort(searchOrder)
          const page = ranked.slice(0, Math.max(0, input.limit))
          return { edges: page.map((hit) => ({ node: hit, cursor: encodeSearchCursor(hit) })), hasNextPage: ranked.length > page.length }
        })

      /** One object's hits ranked after `after` (rank, then object name, then id: the order of searchOrder). */
      const searchObject = (model: Model, object: ObjectMetadata, term: string, limit: number, filter: RecordFilter | null, after: SearchCursor | null) =>
        Effect.gen(function*() {
          const label = object.fields.find((f) => f.id === object.labelIdentifierFieldMetadataId)
          if (!label) return []
          const labelSql = labelExpression(label)
          const haystack = searchableText(model, object, "t0")
          if (haystack === null) return []
          const query = yield* building(model, limits, (ctx) => {
            const escaped = term.replace(/[\\%_]/g, "\\$&")
            const prefix = ctx.params.add(`${escaped}%`)
            const where = [...baseConditions(ctx, object, "t0", { filter }), term === "" ? "true" : `${haystack} ILIKE ${ctx.params.add(`%${escaped}%`)}`]
            const next = after === null ? "true"
              : object.nameSingular > after.objectNameSingular ? `s.rank <= ${ctx.params.add(after.rank)}`
              : object.nameSingular < after.objectNameSingular ? `s.rank < ${ctx.params.add(after.rank)}`
              : `(s.rank < ${ctx.params.add(after.rank)} OR (s.rank = ${ctx.params.add(after.rank)} AND s.id > ${ctx.params.add(after.recordId)}))`
            return {
              text: `SELECT s.id, s.label, s.rank FROM (
                  SELECT t0."id" AS id, ${labelSql} AS label, (CASE WHEN ${labelSql} ILIKE ${prefix} THEN 2 ELSE 1 END)::float AS rank
                  FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}) s
                WHERE ${next} ORDER BY s.rank DESC, s.id LIMIT ${limit}`,
              params: ctx.params.values
            }
          })
          const rows = yield* run<{ id: string; label: string | null; rank: number }>(query.text, query.params)
          return rows.map((row): SearchHit => ({
            recordId: row.id,
            objectNameSingular: object.nameSingular,
            objectLabelSingular: object.labelSingular,
            label: row.label ?? "",
            imageUrl: null,
            tsRankCD: row.rank,
            tsRank: row.rank
          }))
        })

      return { limits, findMany, findManyNow, groupBy, findOne, createMany, updateOne, updateMany, deleteMany, destroyMany, restoreMany, merge, findDuplicates, search }
    })
  )

interface SearchCursor {
  readonly rank: number
  readonly objectNameSingular: string
  readonly recordId: string
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Best rank first, then object name and id (uuid text order is PostgreSQL's uuid order). */
const searchOrder = (a: SearchHit, b: SearchHit) =>
  b.tsRank - a.tsRank || compareText(a.objectNameSingular, b.objectNameSingular) || compareText(a.recordId, b.recordId)

const encodeSearchCursor = (hit: SearchHit) =>
  Buffer.from(JSON.stringify({ rank: hit.tsRank, objectNameSingular: hit.objectNameSingular, recordId: hit.recordId })).toString("base64url")

const decodeSearchCursor = (cursor: string): SearchCursor => {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Partial<SearchCursor>
    if (typeof value.rank === "number" && typeof value.objectNameSingular === "string" && typeof value.recordId === "string" && UUID.test(value.recordId)) {
      return value as SearchCursor
    }
  } catch {
    // fall through
  }
  throw new QueryInputError(badInput(`Invalid cursor: ${cursor}`, "after"))
}

const labelExpression = (field: FieldMetadata) =>
  field.type === "FULL_NAME"
    ? `concat_ws(' ', t0.${ident(`${field.name}FirstName`)}, t0.${ident(`${field.name}LastName`)})`
    : field.type === "TEXT"
    ? `t0.${ident(field.name)}`
    : `t0."id"::text`

/** A filter condition saying column `column` equals `value`, expressed on its field (composite or not). */
const columnEquals = (model: Model, object: ObjectMetadata, column: string, value: unknown): RecordFilter => {
  for (const field of model.fields(object)) {
    if (isCompositeFieldType(field.type)) {
      const sub = COMPOSITE_TYPES[field.type].find((s) => compositeColumnName(field.name, s.name) === column)
      if (sub) return { [field.name]: { [sub.name]: { eq: value } } }
    }
  }
  return { [column]: { eq: value } }
}

const emptyConnection = (): Connection => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: 0,
  aggregates: {}
})

export type { ConnectionArgs }
