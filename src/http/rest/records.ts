import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { BadUserInput, isUserError, NotFound, type UserError } from "../../domain/errors.js"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, isCompositeFieldType } from "../../domain/composite-types.js"
import type { FieldType } from "../../domain/field-types.js"
import { isDatabaseUnavailable } from "../../platform/database/index.js"
import { Metadata } from "../../services/metadata/index.js"
import { scopeOf } from "../../services/records/actor.js"
import { canReadField, canReadObject } from "../../services/records/access.js"
import type { Access } from "../../domain/permissions.js"
import { Records } from "../../services/records/index.js"
import type { Connection, ConnectionArgs, GroupByArgs, RecordFilter, RecordsLimits, RecordValue, Selection } from "../../services/records/types.js"
import { restUserError } from "../errors.js"
import { restCaller } from "../caller.js"
import {
  AggregateParam,
  decodeJsonParam,
  DuplicateIds,
  DuplicatesBody,
  type FieldTypeOf,
  GroupByParam,
  GroupOrderParam,
  MergeBody,
  MergeIds,
  parseRestFilter,
  parseRestOrderBy,
  RecordOrderParam
} from "./query-params.js"
import { isUuid } from "../../platform/lib/uuid.js"

const MAX_DEPTH = 2
const DEFAULT_DEPTH = 1

const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)
const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

/** The caller, their scope, and the object named by the `:plural` path segment. */
const target = Effect.gen(function*() {
  const caller = yield* restCaller
  const { plural } = yield* HttpRouter.params
  const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(caller.workspace.id))
  const object = metadata.objects.find((o) => o.isActive && o.namePlural === plural)
  if (!object) return yield* new NotFound({ message: `object '${plural}' not found` })
  const { limits } = yield* Records
  return { scope: yield* scopeOf(caller), metadata, object, limits }
})

const typeResolver = (object: ObjectMetadata): FieldTypeOf => (path) => {
  const [name, sub] = path
  const field = object.fields.find((f) => f.isActive && f.name === name)
  if (!field) {
    const relation = name?.endsWith("Id") ? object.fields.find((f) => f.isActive && f.name === name.slice(0, -2)) : undefined
    return relation?.relationType === "MANY_TO_ONE" && !sub ? "UUID" : undefined
  }
  if (sub === undefined) return field.type
  if (!isCompositeFieldType(field.type)) return undefined
  const subField = COMPOSITE_TYPES[field.type].find((s) => s.name === sub)
  return subField ? (subField.type as FieldType) : undefined
}

const parsing = <A>(parse: () => A) =>
  Effect.try({ try: parse, catch: (e) => (e instanceof BadUserInput ? e : new BadUserInput({ message: String(e) })) })

const queryParams = Effect.map(HttpServerRequest.HttpServerRequest, (request) => new URL(request.url, "http://localhost").searchParams)

/**
 * All scalar and composite fields with `<relation>Id` columns; relations expanded `depth` levels. A
 * restricted caller's default selection leaves out what it may not read (Twenty's REST does the same),
 * while a field it names in a filter or order is refused.
 */
export const selectionFor = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  depth: number,
  limits: RecordsLimits,
  access?: Access
): Selection => {
  const fields: Array<string> = []
  const relations: Array<Selection["relations"][number]> = []
  for (const field of object.fields) {
    if (!field.isActive || field.type === "TS_VECTOR" || !canReadField(access, object, field)) continue
    if (field.type !== "RELATION" && field.type !== "MORPH_RELATION") {
      fields.push(field.name)
      continue
    }
    if (field.relationType === "MANY_TO_ONE") fields.push(`${field.name}Id`)
    const relationTarget = metadata.objects.find((o) => o.id === field.relationTargetObjectMetadataId)
    if (depth > 0 && relationTarget?.isActive && canReadObject(access, relationTarget)) {
      relations.push({
        field: field.name,
        key: field.name,
        selection: selectionFor(metadata, relationTarget, depth - 1, limits, access),
        // REST shows one-to-many records as a plain array: no cursors to read.
        ...(field.relationType === "ONE_TO_MANY"
          ? { args: { first: limits.defaultPageSize }, connection: { totalCount: false, aggregates: [], cursors: false } }
          : {})
      })
    }
  }
  return { fields, relations }
}

/** REST records hold one-to-many relations as plain arrays, not connections. */
const flatten = (record: RecordValue, selection: Selection): RecordValue => {
  for (const relation of selection.relations) {
    const value = record[relation.key]
    if (value && typeof value === "object" && "edges" in value) {
      record[relation.key] = (value as Connection).edges.map((edge) => flatten(edge.node, relation.selection))
    } else if (value && typeof value === "object") {
      record[relation.key] = flatten(value as RecordValue, relation.selection)
    }
  }
  return record
}

/** `depth` of a REST read; BadUserInput when it is not 0, 1 or 2. */
export const parseDepth = (params: URLSearchParams) => {
  const raw = params.get("depth")
  const depth = raw === null ? DEFAULT_DEPTH : Number(raw)
  if (Number.isInteger(depth) && depth >= 0 && depth <= MAX_DEPTH) return depth
  throw new BadUserInput({ message: `'depth=${raw}' parameter invalid. It should be 0, 1 or 2`, field: "depth" })
}

const parseFilter = (params: URLSearchParams, object: ObjectMetadata, required: boolean) => {
  const raw = params.get("filter")
  if (raw === null || raw.trim() === "") {
    if (required) throw new BadUserInput({ message: "Filters are mandatory for bulk operations", field: "filter" })
    return null
  }
  return parseRestFilter(raw, typeResolver(object))
}

/** The page a REST list asks for (limit, starting_after / ending_before, order_by, filter); BadUserInput if malformed. */
export const parseListArgs = (params: URLSearchParams, object: ObjectMetadata, limits: RecordsLimits): ConnectionArgs => {
  const rawLimit = params.get("limit")
  const limit = rawLimit === null ? limits.defaultPageSize : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 0) {
    throw new BadUserInput({ message: `limit '${rawLimit}' is invalid. Should be an integer`, field: "limit" })
  }
  const after = params.get("starting_after")
  const before = params.get("ending_before")
  if (after && before) throw new BadUserInput({ message: "Use either starting_after or ending_before, not both" })
  const orderRaw = params.get("order_by")
  return {
    filter: parseFilter(params, object, false),
    orderBy: orderRaw ? parseRestOrderBy(orderRaw, typeResolver(object)) : null,
    ...(before ? { last: Math.min(limit, limits.maxPageSize), before } : { first: Math.min(limit, limits.maxPageSize) }),
    ...(after ? { after } : {})
  }
}

/** Twenty's list envelope. */
export const listBody = (object: ObjectMetadata, result: Connection, selection: Selection) => ({
  data: { [object.namePlural]: result.edges.map((edge) => flatten(edge.node, selection)) },
  pageInfo: result.pageInfo,
  totalCount: result.totalCount
})

const depthParam = Effect.flatMap(queryParams, (params) => parsing(() => parseDepth(params)))

const filterParam = (object: ObjectMetadata, required: boolean) =>
  Effect.flatMap(queryParams, (params) => parsing(() => parseFilter(params, object, required)))

const listArgs = (object: ObjectMetadata, limits: RecordsLimits) =>
  Effect.flatMap(queryParams, (params) => parsing(() => parseListArgs(params, object, limits)))

const idParam = Effect.flatMap(HttpRouter.params, ({ id }) =>
  id && isUuid(id) ? Effect.succeed(id) : Effect.fail(new BadUserInput({ message: `Invalid id: '${id}' is not a UUID`, field: "id" })))

const jsonBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  Effect.mapError(request.json, () => new BadUserInput({ message: "Request body must be valid JSON" })))

const objectBody = Effect.filterOrFail(
  jsonBody,
  (body): body is Record<string, unknown> => typeof body === "object" && body !== null && !Array.isArray(body),
  () => new BadUserInput({ message: "Request body must be a JSON object" })
)

const booleanParam = (name: string) =>
  Effect.map(queryParams, (params) => params.get(name) === "true")

const asUserError = <E, R>(effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchIf(effect, isUserError, (e) => Effect.succeed(restUserError(e))) as Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    Exclude<E, UserError>,
    R
  >

const byId = (id: string): RecordFilter => ({ id: { eq: id } })

const findMany = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const selection = selectionFor(metadata, object, yield* depthParam, limits, scope.access)
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
  const { scope, metadata, object, limits } = yield* target
  const id = yield* idParam
  const selection = selectionFor(metadata, object, yield* depthParam, limits, scope.access)
  const record = yield* Effect.flatMap(Records, (r) => r.findOne(scope, object.nameSingular, byId(id), selection))
  if (!record) return yield* new NotFound({ message: "Record not found" })
  return json({ data: { [object.nameSingular]: flatten(record, selection) } })
})

const createOne = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const body = yield* objectBody
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const upsert = yield* booleanParam("upsert")
  const [record] = yield* Effect.flatMap(Records, (r) => r.createMany(scope, object.nameSingular, [body], selection, { upsert }))
  return json({ data: { [`create${capitalize(object.nameSingular)}`]: record } }, 201)
})

const createMany = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const body = yield* jsonBody
  if (!Array.isArray(body)) return yield* new BadUserInput({ message: "Request body must be a JSON array of records" })
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const upsert = yield* booleanParam("upsert")
  const records = yield* Effect.flatMap(Records, (r) => r.createMany(scope, object.nameSingular, body, selection, { upsert }))
  return json({ data: { [`create${capitalize(object.namePlural)}`]: records } }, 201)
})

const updateOne = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const id = yield* idParam
  const body = yield* objectBody
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const record = yield* Effect.flatMap(Records, (r) => r.updateOne(scope, object.nameSingular, id, body, selection))
  return json({ data: { [`update${capitalize(object.nameSingular)}`]: record } })
})

const updateMany = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const filter = (yield* filterParam(object, true))!
  const body = yield* objectBody
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const records = yield* Effect.flatMap(Records, (r) => r.updateMany(scope, object.nameSingular, filter, body, selection))
  return json({ data: { [`update${capitalize(object.namePlural)}`]: records } })
})

const ID_ONLY: Selection = { fields: [], relations: [] }

/** Twenty's DELETE: `soft_delete=true` sets deletedAt; without it the record is destroyed. */
const deleteOne = Effect.gen(function*() {
  const { scope, object } = yield* target
  const id = yield* idParam
  const soft = yield* booleanParam("soft_delete")
  const records = yield* Effect.flatMap(Records, (r) =>
    soft ? r.deleteMany(scope, object.nameSingular, byId(id), ID_ONLY) : r.destroyMany(scope, object.nameSingular, byId(id), ID_ONLY))
  if (records.length === 0) return yield* new NotFound({ message: "Record not found" })
  return json({ data: { [`delete${capitalize(object.nameSingular)}`]: { id: records[0]!["id"] } } })
})

const deleteMany = Effect.gen(function*() {
  const { scope, object } = yield* target
  const filter = (yield* filterParam(object, true))!
  const soft = yield* booleanParam("soft_delete")
  const records = yield* Effect.flatMap(Records, (r) =>
    soft ? r.deleteMany(scope, object.nameSingular, filter, ID_ONLY) : r.destroyMany(scope, object.nameSingular, filter, ID_ONLY))
  return json({ data: { [`delete${capitalize(object.namePlural)}`]: records.map((r) => ({ id: r["id"] })) } })
})

const restoreOne = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const id = yield* idParam
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const [record] = yield* Effect.flatMap(Records, (r) => r.restoreMany(scope, object.nameSingular, byId(id), selection))
  if (!record) return yield* new NotFound({ message: "Record not found" })
  return json({ data: { [`restore${capitalize(object.nameSingular)}`]: record } })
})

const restoreMany = Effect.gen(function*() {
  const { scope, metadata, object, limits } = yield* target
  const filter = (yield* filterParam(object, true))!
  const selection = selectionFor(metadata, object, 0, limits, scope.access)
  const records = yield* Effect.flatMap(Records, (r) => r.restoreMany(scope, object.nameSingular, filter, selection))
  return json({ data: { [`restore${capitalize(object.namePlural)}`]: records } })
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

/**
 * Twenty's `GET /rest/{plural}/groupBy`: `group_by` (required, GraphQL's groupBy as JSON), `aggregate` (names,
 * JSON), `filter` (REST grammar), `order_by` and `order_by_for_records` (JSON), `limit` (50 by default), and
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
      filter: parseFilter(params, object, false),
      orderBy: orderBy === null || Array.isArray(orderBy) ? orderBy : [orderBy],
      orderByForRecords: decodeJsonParam(params, "order_by_for_records", RecordOrderParam, null, "a JSON array of order-by objects"),
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

/** Twenty's REST data API: `/rest/{plural}`, batch, restore, duplicates and merge, for every active object. */
export const restRecordRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/rest/:plural", asUserError(findMany)),
  HttpRouter.post("/rest/:plural", asUserError(createOne)),
  HttpRouter.patch("/rest/:plural", asUserError(updateMany)),
  HttpRouter.del("/rest/:plural", asUserError(deleteMany)),
  HttpRouter.post("/rest/batch/:plural", asUserError(createMany)),
  HttpRouter.patch("/rest/restore/:plural", asUserError(restoreMany)),
  HttpRouter.patch("/rest/restore/:plural/:id", asUserError(restoreOne)),
  HttpRouter.post("/rest/:plural/duplicates", asUserError(duplicates)),
  HttpRouter.patch("/rest/:plural/merge", asUserError(merge)),
  HttpRouter.get("/rest/:plural/groupBy", asUserError(groupBy)),
  HttpRouter.get("/rest/:plural/:id", asUserError(findOne)),
  HttpRouter.patch("/rest/:plural/:id", asUserError(updateOne)),
  HttpRouter.put("/rest/:plural/:id", asUserError(updateOne)),
  HttpRouter.del("/rest/:plural/:id", asUserError(deleteOne))
)
