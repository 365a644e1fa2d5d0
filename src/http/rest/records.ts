import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { BadUserInput, isUserError, NotFound, type UserError } from "../../domain/errors.js"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { isDatabaseUnavailable } from "../../platform/database/index.js"
import { Metadata } from "../../services/metadata/index.js"
import { scopeOf } from "../../services/records/actor.js"
import { Records } from "../../services/records/index.js"
import type { GroupByArgs, RecordFilter, RecordsLimits, Selection } from "../../services/records/types.js"
import { restUserError } from "../errors.js"
import { restCaller } from "../caller.js"
import {
  AggregateParam,
  decodeJsonParam,
  DuplicateIds,
  DuplicatesBody,
  GroupByParam,
  GroupOrderParam,
  MergeBody,
  MergeIds,
  parseRestOrderBy,
  RecordOrderParam
} from "./query-params.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { flatten, parseDepth, parseFields, restRecord, selectionFor, sharedSelectionFor } from "./selection.js"
import { type bulkFilterMessage, listBody, parseFilter, parseListArgs, typeResolver } from "./list-args.js"

const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)
export const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

/** An unknown `:plural` is Twenty's 400, with its hint (rest-api-base.handler.ts). */
const unknownObject = (metadata: WorkspaceMetadata, plural: string | undefined) => {
  const singular = metadata.objects.find((o) => o.isActive && o.nameSingular === plural)
  const hint = singular ? `Did you mean '${singular.namePlural}'?` : "eg: companies"
  return new BadUserInput({ message: `object '${plural}' not found. ${hint}` })
}

/** The caller, their scope, and the object named by the `:plural` path segment. */
export const target = Effect.gen(function*() {
  const caller = yield* restCaller
  const { plural } = yield* HttpRouter.params
  const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(caller.workspace.id))
  const object = metadata.objects.find((o) => o.isActive && o.namePlural === plural)
  if (!object) return yield* unknownObject(metadata, plural)
  const { limits } = yield* Records
  return { scope: yield* scopeOf(caller), metadata, object, limits }
})

export const parsing = <A>(parse: () => A) =>
  Effect.try({ try: parse, catch: (e) => (e instanceof BadUserInput ? e : new BadUserInput({ message: String(e) })) })

export const queryParams = Effect.map(HttpServerRequest.HttpServerRequest, (request) => new URL(request.url, "http://localhost").searchParams)

type Target = Effect.Effect.Success<typeof target>

/** The selection a request's `depth` and `fields` ask for. */
export const answerSelection = ({ metadata, object, limits, scope }: Target) =>
  Effect.flatMap(queryParams, (params) =>
    parsing(() => {
      const depth = parseDepth(params)
      const only = parseFields(params, object, depth, scope.access)
      return only ? selectionFor(metadata, object, depth, limits, scope.access, only) : sharedSelectionFor(metadata, object, depth, limits, scope.access)
    }))

const filterParam = (object: ObjectMetadata, requiredFor?: Parameters<typeof bulkFilterMessage>[0]) =>
  Effect.flatMap(queryParams, (params) => parsing(() => parseFilter(params, object, requiredFor)))

export const listArgs = (object: ObjectMetadata, limits: RecordsLimits) =>
  Effect.flatMap(queryParams, (params) => parsing(() => parseListArgs(params, object, limits)))

/** Twenty's path parser refuses an id that is not a UUID (parse-core-path.utils.ts). */
const idParam = Effect.flatMap(HttpRouter.params, ({ id }) =>
  id && isUuid(id) ? Effect.succeed(id) : Effect.fail(new BadUserInput({ message: `'${id}' is not a valid UUID`, field: "id" })))

const jsonBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  Effect.mapError(request.json, () => new BadUserInput({ message: "Request body must be valid JSON" })))

const objectBody = Effect.filterOrFail(
  jsonBody,
  (body): body is Record<string, unknown> => typeof body === "object" && body !== null && !Array.isArray(body),
  () => new BadUserInput({ message: "Request body must be a JSON object" })
)

const booleanParam = (name: string) =>
  Effect.map(queryParams, (params) => params.get(name) === "true")

export const asUserError = <E, R>(effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchIf(effect, isUserError, (e) => Effect.succeed(restUserError(e))) as Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    Exclude<E, UserError>,
    R
  >

const byId = (id: string): RecordFilter => ({ id: { eq: id } })

const ID_ONLY: Selection = { fields: [], relations: [] }

/** Twenty answers a missing record with NotFoundException 'Record not found' on every route. */
const recordNotFound = () => new NotFound({ message: "Record not found" })

const findMany = Effect.gen(function*() {
  const context = yield* target
  const { scope, object, limits } = context
  const selection = yield* answerSelection(context)
  const args = yield* listArgs(object, limits)
  const records = yield* Records
  const extras = { totalCount: true, aggregates: [] }
  const viaEffect = records.findMany(scope, object.nameSingular, args, selection, extras)
  const now = records.findManyDirect(scope, object.nameSingular, args, selection, extras)
  const result = now
    ? yield* Effect.tryPromise({ try: () => now, catch: (error) => error }).pipe(
      Effect.catchAll((error) => isDatabaseUnavailable(error) ? Effect.fail(error) : viaEffect)
    )
    : yield* viaEffect
  return json(listBody(object, result, selection))
})

const findOne = Effect.gen(function*() {
  const context = yield* target
  const id = yield* idParam
  const selection = yield* answerSelection(context)
  const records = yield* Records
  const viaEffect = records.findOne(context.scope, context.object.nameSingular, byId(id), selection)
  const now = records.findOneDirect(context.scope, context.object.nameSingular, byId(id), selection)
  const record = now
    ? yield* Effect.tryPromise({ try: () => now, catch: (error) => error }).pipe(
      Effect.catchAll((error) => isDatabaseUnavailable(error) ? Effect.fail(error) : viaEffect)
    )
    : yield* viaEffect
  if (!record) return yield* recordNotFound()
  return json({ data: { [context.object.nameSingular]: flatten(record, selection) } })
})

/** Twenty's create answers an id already in use (even by a soft-deleted record) with 'Record already exists'. */
const refuseIdsInUse = ({ scope, object }: Target, bodies: ReadonlyArray<unknown>) =>
  Effect.gen(function*() {
    const ids = bodies.flatMap((body) => {
      const id = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["id"] : undefined
      return isUuid(id) ? [id] : []
    })
    if (ids.length === 0) return
    const anyState = { or: [{ deletedAt: { is: "NULL" } }, { deletedAt: { is: "NOT_NULL" } }] }
    const existing = yield* Effect.flatMap(Records, (r) =>
      r.findOne(scope, object.nameSingular, { and: [{ id: { in: ids } }, anyState] }, ID_ONLY))
    if (existing) return yield* new BadUserInput({ message: "Record already exists", field: "id" })
  })

const createOne = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const selection = yield* answerSelection(context)
  const body = yield* objectBody
  const upsert = yield* booleanParam("upsert")
  if (!upsert) yield* refuseIdsInUse(context, [body])
  const [record] = yield* Effect.flatMap(Records, (r) => r.createMany(scope, object.nameSingular, [body], selection, { upsert }))
  return json({ data: { [`create${capitalize(object.nameSingular)}`]: restRecord(record!, selection) } }, 201)
})

const createMany = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const selection = yield* answerSelection(context)
  const body = yield* jsonBody
  if (!Array.isArray(body)) return yield* new BadUserInput({ message: "Request body must be a JSON array of records" })
  const upsert = yield* booleanParam("upsert")
  if (!upsert) yield* refuseIdsInUse(context, body)
  const records = yield* Effect.flatMap(Records, (r) => r.createMany(scope, object.nameSingular, body, selection, { upsert }))
  return json({ data: { [`create${capitalize(object.namePlural)}`]: records.map((r) => restRecord(r, selection)) } }, 201)
})

const updateOne = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const id = yield* idParam
  const selection = yield* answerSelection(context)
  const body = yield* objectBody
  const record = yield* Effect.flatMap(Records, (r) => r.updateOne(scope, object.nameSingular, id, body, selection)).pipe(
    Effect.catchTag("NotFound", () => Effect.fail(recordNotFound()))
  )
  return json({ data: { [`update${capitalize(object.nameSingular)}`]: restRecord(record, selection) } })
})

const updateMany = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const filter = (yield* filterParam(object, "update"))!
  const selection = yield* answerSelection(context)
  const body = yield* objectBody
  const records = yield* Effect.flatMap(Records, (r) => r.updateMany(scope, object.nameSingular, filter, body, selection))
  return json({ data: { [`update${capitalize(object.namePlural)}`]: records.map((r) => restRecord(r, selection)) } })
})

/** Twenty's DELETE: `soft_delete=true` sets deletedAt; without it the record is destroyed. */
const deleteOne = Effect.gen(function*() {
  const { scope, object } = yield* target
  const id = yield* idParam
  const soft = yield* booleanParam("soft_delete")
  const records = yield* Effect.flatMap(Records, (r) =>
    soft ? r.deleteMany(scope, object.nameSingular, byId(id), ID_ONLY) : r.destroyMany(scope, object.nameSingular, byId(id), ID_ONLY))
  if (records.length === 0) return yield* recordNotFound()
  return json({ data: { [`delete${capitalize(object.nameSingular)}`]: { id: records[0]!["id"] } } })
})

const deleteMany = Effect.gen(function*() {
  const { scope, object } = yield* target
  const soft = yield* booleanParam("soft_delete")
  const filter = (yield* filterParam(object, soft ? "delete" : "destroy"))!
  const records = yield* Effect.flatMap(Records, (r) =>
    soft ? r.deleteMany(scope, object.nameSingular, filter, ID_ONLY) : r.destroyMany(scope, object.nameSingular, filter, ID_ONLY))
  return json({ data: { [`delete${capitalize(object.namePlural)}`]: records.map((r) => ({ id: r["id"] })) } })
})

const restoreOne = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const id = yield* idParam
  const selection = yield* answerSelection(context)
  const [record] = yield* Effect.flatMap(Records, (r) => r.restoreMany(scope, object.nameSingular, byId(id), selection))
  if (!record) return yield* recordNotFound()
  return json({ data: { [`restore${capitalize(object.nameSingular)}`]: restRecord(record, selection) } })
})

const restoreMany = Effect.gen(function*() {
  const context = yield* target
  const { scope, object } = context
  const filter = (yield* filterParam(object, "restore"))!
  const selection = yield* answerSelection(context)
  const records = yield* Effect.flatMap(Records, (r) => r.restoreMany(scope, object.nameSingular, filter, selection))
  return json({ data: { [`restore${capitalize(object.namePlural)}`]: records.map((r) => restRecord(r, selection)) } })
})

const duplicates = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const body = yield* objectBody
  const wrongShape = new BadUserInput({ message: `Body must be { "ids": [...] } or { "data": [...] }` })
  const shape = yield* Effect.mapError(Schema.decodeUnknown(DuplicatesBody)(body), () => wrongShape)
  if (shape.ids === undefined && shape.data === undefined) return yield* wrongShape
  const { data } = shape
  const ids = shape.ids === undefined
    ? undefined
    : yield* Effect.mapError(Schema.decodeUnknown(DuplicateIds)(shape.ids), () => new BadUserInput({ message: "ids must be UUIDs", field: "ids" }))
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const results = yield* Effect.flatMap(Records, (r) =>
    r.findDuplicates(scope, object.nameSingular, { ...(ids ? { ids } : {}), ...(data ? { data } : {}) }, selection))
  return json({
    data: results.map((connection) => ({
      totalCount: connection.totalCount ?? connection.edges.length,
      pageInfo: connection.pageInfo,
      [`${object.nameSingular}Duplicates`]: connection.edges.map((edge) => edge.node)
    }))
  })
})

const merge = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const body = yield* objectBody
  const ids = yield* Effect.mapError(
    Schema.decodeUnknown(MergeIds)(body["ids"]),
    () => new BadUserInput({ message: "ids must be a list of record ids", field: "ids" })
  )
  const { conflictPriorityIndex, dryRun } = yield* Effect.mapError(
    Schema.decodeUnknown(MergeBody)(body),
    () => new BadUserInput({ message: "conflictPriorityIndex must be a number", field: "conflictPriorityIndex" })
  )
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const record = yield* Effect.flatMap(Records, (r) =>
    r.merge(scope, object.nameSingular, [...ids], conflictPriorityIndex, dryRun === true, selection))
  return json({ data: { [`merge${capitalize(object.namePlural)}`]: record } })
})

/** `order_by_for_records`: `name[DescNullsLast],createdAt` as on lists, or a JSON order-by. */
const recordsOrder = (params: URLSearchParams, object: ObjectMetadata) => {
  const raw = params.get("order_by_for_records")?.trim()
  return raw && /^[A-Za-z]/.test(raw)
    ? parseRestOrderBy(raw, typeResolver(object))
    : decodeJsonParam(params, "order_by_for_records", RecordOrderParam, null, "a JSON array of order-by objects")
}

/**
 * Twenty's `GET /rest/{plural}/groupBy`: `group_by` (required, GraphQL's groupBy as JSON), `aggregate` (names,
 * JSON), `filter` (REST grammar), `order_by` (JSON), `order_by_for_records` (the `order_by` grammar of lists, as
 * Twenty's parse-order-by-for-records-rest-request.util.ts reads it, or JSON), `limit` (50 by default), and
 * `include_records_sample`. The answer is a bare array of groups.
 */
const groupBy = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const params = yield* queryParams
  const args = yield* parsing((): GroupByArgs => {
    const groups = decodeJsonParam(params, "group_by", GroupByParam, undefined, "a valid array of objects")
    if (groups === undefined) {
      throw new BadUserInput({ message: "Invalid group_by query parameter - should be a valid array of objects", field: "group_by" })
    }
    const aggregate = decodeJsonParam(params, "aggregate", AggregateParam, [], "a JSON array of aggregate names")
    const rawLimit = params.get("limit")
    const limit = rawLimit === null ? null : Number(rawLimit)
    if (limit !== null && (!Number.isInteger(limit) || limit < 0)) {
      throw new BadUserInput({ message: `limit '${rawLimit}' is invalid. Should be an integer`, field: "limit" })
    }
    const orderBy = decodeJsonParam(params, "order_by", GroupOrderParam, null, "a JSON array of order-by objects")
    return {
      groupBy: groups,
      filter: parseFilter(params, object),
      orderBy: orderBy === null || Array.isArray(orderBy) ? orderBy : [orderBy],
      orderByForRecords: recordsOrder(params, object),
      limit,
      aggregateNames: aggregate
    }
  })
  if (params.get("viewId")) return yield* new BadUserInput({ message: `View ${params.get("viewId")} not found`, field: "viewId" })
  const withRecords = params.get("include_records_sample") === "true"
  const selection = withRecords ? selectionFor(metadata, object, 0, limits, scope.access) : null
  const asked = args.aggregateNames ?? []
  const groups = yield* Effect.flatMap(Records, (r) =>
    r.groupBy(scope, object.nameSingular, args, selection, { totalCount: asked.includes("totalCount"), aggregates: [] }))
  return json(groups.map((group) => ({
    groupByDimensionValues: group.groupByDimensionValues,
    ...(asked.includes("totalCount") ? { totalCount: group.totalCount } : {}),
    ...group.aggregates,
    ...(withRecords ? { records: group.edges.map((edge) => edge.node) } : {})
  })))
})

/** Deeper paths are refused as Twenty's parse-core-path.utils.ts refuses them. */
const invalidPath = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  const path = new URL(request.url, "http://localhost").pathname
  return Effect.fail(new BadUserInput({
    message: `Query path '${path}' invalid. Valid examples: /rest/companies/id or /rest/companies or /rest/batch/companies`
  }))
})

/** Twenty's REST data API: `/rest/{plural}`, batch, restore, duplicates, merge and groupBy, for every active object. */
export const restRecordRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/rest/:plural", asUserError(findMany)),
  HttpRouter.post("/rest/:plural", asUserError(createOne)),
  HttpRouter.patch("/rest/:plural", asUserError(updateMany)),
  HttpRouter.del("/rest/:plural", asUserError(deleteMany)),
  HttpRouter.post("/rest/batch/:plural", asUserError(createMany)),
  HttpRouter.patch("/rest/:plural/restore", asUserError(restoreMany)),
  HttpRouter.patch("/rest/:plural/:id/restore", asUserError(restoreOne)),
  // The older paths, before Twenty moved restore after the object.
  HttpRouter.patch("/rest/restore/:plural", asUserError(restoreMany)),
  HttpRouter.patch("/rest/restore/:plural/:id", asUserError(restoreOne)),
  HttpRouter.post("/rest/:plural/duplicates", asUserError(duplicates)),
  HttpRouter.patch("/rest/:plural/merge", asUserError(merge)),
  HttpRouter.get("/rest/:plural/groupBy", asUserError(groupBy)),
  HttpRouter.get("/rest/:plural/:id", asUserError(findOne)),
  HttpRouter.patch("/rest/:plural/:id", asUserError(updateOne)),
  HttpRouter.put("/rest/:plural/:id", asUserError(updateOne)),
  HttpRouter.del("/rest/:plural/:id", asUserError(deleteOne)),
  HttpRouter.all("/rest/:plural/:id/*", asUserError(invalidPath))
)
