import { BadUserInput } from "../../domain/errors.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, isCompositeFieldType } from "../../domain/composite-types.js"
import type { FieldType } from "../../domain/field-types.js"
import type { Connection, ConnectionArgs, RecordsLimits, Selection } from "../../services/records/types.js"
import { type FieldTypeOf, parseRestFilter, parseRestOrderBy } from "./query-params.js"
import { flatten } from "./selection.js"

/** What a REST list asks for (filter, order, page) against an object's fields, and Twenty's list envelope. */

/** The type of a filtered or ordered path: a field, a composite subfield, or a `<relation>Id` join column. */
export const typeResolver = (object: ObjectMetadata): FieldTypeOf => (path) => {
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

/**
 * Twenty refuses a bulk delete or destroy without a filter in these words (rest-api-delete-many.handler.ts,
 * rest-api-destroy-many.handler.ts); Score refuses a bulk update or restore without one as well.
 */
export const bulkFilterMessage = (operation: "update" | "delete" | "destroy" | "restore") =>
  operation === "delete" || operation === "destroy"
    ? `Filters are mandatory for bulk ${operation} operations. Please provide at least one filter to prevent accidental deletion of all records.`
    : `Filters are mandatory for bulk ${operation} operations. Please provide at least one filter.`

export const parseFilter = (params: URLSearchParams, object: ObjectMetadata, requiredFor?: Parameters<typeof bulkFilterMessage>[0]) => {
  const raw = params.get("filter")
  if (raw === null || raw.trim() === "") {
    if (requiredFor) throw new BadUserInput({ message: bulkFilterMessage(requiredFor), field: "filter" })
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
    filter: parseFilter(params, object),
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

