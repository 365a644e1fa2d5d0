import type { ObjectMetadata } from "../../../domain/metadata.js"
import type { RecordsLimits } from "../../../services/records/types.js"
import {
  arrayOf,
  baseDocument,
  capitalize,
  dataEnvelope,
  errorResponses,
  errors,
  jsonBody,
  jsonResponse,
  listEnvelope,
  objectOf,
  type OpenApiDocument,
  type Operation,
  type Parameter,
  type PathItem,
  type Paths,
  pageInfo,
  pagingParameters,
  parameterRef,
  schemaRef,
  type Schema,
  uuid
} from "./common.js"
import { recordSchema, recordSchemaName, type RecordShape } from "./record-schemas.js"

/** The OpenAPI document of `/rest/{plural}`: Twenty's paths, operation ids and envelopes, per active object. */

const DESCRIPTION = `The records of the workspace the token belongs to, over REST.

Send \`Authorization: Bearer <token>\` (an API key or a user access token). Without a token this document
lists no objects; with one it describes every active object of the workspace.

**filter**: \`field[comparator]:value\`, comma-separated (AND), with \`and(…)\`, \`or(…)\`, \`not(…)\`;
composite subfields as \`name.firstName[ilike]:"%ada%"\`; \`field[is]:NULL\` / \`NOT_NULL\`.
**order_by**: \`field[AscNullsFirst]\`, comma-separated. **limit**, **starting_after**, **ending_before**
page through results with the cursors of \`pageInfo\`. **depth** (0 by default, or 1) nests related records;
**fields** (\`id,name,company\`) returns only those fields.`

const COMPARATORS = "eq, neq, in, containsAny, is, gt, gte, lt, lte, startsWith, endsWith, like, ilike, containsIlike, isEmptyArray, search (searchVector)"

/** Examples live in descriptions: Swagger UI would pre-fill `examples` into "Try it out" requests. */
const filterParameter = (required: boolean): Parameter => ({
  name: "filter",
  in: "query",
  required,
  description: `Filters records: \`field[comparator]:value\`, comma-separated (AND), nestable in \`and(…)\`, \`or(…)\`, \`not(…)\`. ` +
    `Comparators: ${COMPARATORS}. Use \`field[is]:NULL\` or \`NOT_NULL\` for nulls. ` +
    `Examples: \`createdAt[gte]:"2024-01-01"\`, \`or(name[ilike]:"%acme%",not(deletedAt[is]:NULL))\`.` +
    (required ? " Mandatory for bulk operations." : ""),
  schema: { type: "string" }
})

const booleanParameter = (name: string, description: string): Parameter => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type: "boolean", default: false }
})

const parameters = (limits: RecordsLimits): Record<string, Parameter> => ({
  ...pagingParameters({ default: limits.defaultPageSize, maximum: limits.maxPageSize }),
  filter: filterParameter(false),
  bulkFilter: filterParameter(true),
  orderBy: {
    name: "order_by",
    in: "query",
    required: false,
    description: "Sorts records: `field[Direction]`, comma-separated; directions AscNullsFirst (default), AscNullsLast, " +
      "DescNullsFirst, DescNullsLast; composite subfields as `name.lastName[AscNullsLast]`. " +
      "Example: `name[AscNullsFirst],createdAt[DescNullsLast]`.",
    schema: { type: "string" }
  },
  depth: {
    name: "depth",
    in: "query",
    required: false,
    description: "How many levels of related records to nest: 0 returns `<relation>Id` only, 1 nests each related record.",
    schema: { type: "integer", enum: [0, 1], default: 0 }
  },
  fields: {
    name: "fields",
    in: "query",
    required: false,
    description: "Comma-separated field names to return, e.g. `id,name,emails,company`; `id` is always returned. A many-to-one " +
      "relation is its `<relation>Id` at depth 0 and its record at depth 1; one-to-many relations need depth 1. " +
      "Unknown or unreadable fields are refused (400).",
    schema: { type: "string" }
  },
  softDelete: booleanParameter("soft_delete", "true: set `deletedAt` (restorable); false or absent: destroy for good."),
  upsert: booleanParameter("upsert", "true: update the record that has the same id or unique field values instead of failing.")
})

/** Names used in paths, operation ids and envelope keys. */
const namesOf = (object: ObjectMetadata) => ({
  plural: object.namePlural,
  singular: object.nameSingular,
  One: capitalize(object.nameSingular),
  Many: capitalize(object.namePlural),
  ref: (shape: RecordShape) => schemaRef(recordSchemaName(object, shape))
})

const operation = (object: ObjectMetadata, fields: Omit<Operation, "tags">): Operation => ({ tags: [object.namePlural], ...fields })

const idOnly = objectOf({ id: uuid })

const collectionPath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  return {
    get: operation(object, {
      summary: `Find Many ${n.plural}`,
      description: `**order_by**, **filter**, **limit**, **depth**, **starting_after** or **ending_before** can be provided to request your **${n.plural}**`,
      operationId: `findMany${n.Many}`,
      parameters: ["orderBy", "filter", "limit", "depth", "fields", "startingAfter", "endingBefore"].map(parameterRef),
      responses: { "200": jsonResponse(listEnvelope(n.plural, n.ref("response"))), ...errors("400", "401", "403") }
    }),
    post: operation(object, {
      summary: `Create One ${n.singular}`,
      operationId: `createOne${n.One}`,
      parameters: ["upsert", "depth", "fields"].map(parameterRef),
      requestBody: jsonBody(n.ref("create")),
      responses: { "201": jsonResponse(dataEnvelope(`create${n.One}`, n.ref("response"))), ...errors("400", "401", "403") }
    }),
    patch: operation(object, {
      summary: `Update Many ${n.plural}`,
      description: `Applies the body to every **${n.singular}** matching **filter**.`,
      operationId: `updateMany${n.Many}`,
      parameters: ["bulkFilter", "depth", "fields"].map(parameterRef),
      requestBody: jsonBody(n.ref("update")),
      responses: { "200": jsonResponse(dataEnvelope(`update${n.Many}`, arrayOf(n.ref("response")))), ...errors("400", "401", "403") }
    }),
    delete: operation(object, {
      summary: `Delete Many ${n.plural}`,
      operationId: `deleteMany${n.Many}`,
      parameters: [parameterRef("bulkFilter"), parameterRef("softDelete")],
      responses: { "200": jsonResponse(dataEnvelope(`delete${n.Many}`, arrayOf(idOnly))), ...errors("400", "401", "403") }
    })
  }
}

const batchPath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  return {
    post: operation(object, {
      summary: `Create Many ${n.plural}`,
      operationId: `createMany${n.Many}`,
      parameters: ["upsert", "depth", "fields"].map(parameterRef),
      requestBody: jsonBody(arrayOf(n.ref("create"))),
      responses: { "201": jsonResponse(dataEnvelope(`create${n.Many}`, arrayOf(n.ref("response")))), ...errors("400", "401", "403") }
    })
  }
}

const recordPath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  return {
    get: operation(object, {
      summary: `Find One ${n.singular}`,
      description: `**depth** can be provided to request your **${n.singular}**`,
      operationId: `findOne${n.One}`,
      parameters: ["idPath", "depth", "fields"].map(parameterRef),
      responses: { "200": jsonResponse(dataEnvelope(n.singular, n.ref("response"))), ...errors("400", "401", "403", "404") }
    }),
    patch: operation(object, {
      summary: `Update One ${n.singular}`,
      description: "`PUT` is accepted as an alias.",
      operationId: `UpdateOne${n.One}`, // Twenty's spelling, capital U included
      parameters: ["idPath", "depth", "fields"].map(parameterRef),
      requestBody: jsonBody(n.ref("update")),
      responses: { "200": jsonResponse(dataEnvelope(`update${n.One}`, n.ref("response"))), ...errors("400", "401", "403", "404") }
    }),
    delete: operation(object, {
      summary: `Delete One ${n.singular}`,
      operationId: `deleteOne${n.One}`,
      parameters: [parameterRef("idPath"), parameterRef("softDelete")],
      responses: { "200": jsonResponse(dataEnvelope(`delete${n.One}`, idOnly)), ...errors("400", "401", "403", "404") }
    })
  }
}

const duplicatesPath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  const body: Schema = {
    type: "object",
    description: "Either the ids of existing records, or records not saved yet, to find duplicates of.",
    properties: { ids: arrayOf(uuid), data: arrayOf(n.ref("create")) }
  }
  const group = objectOf({ totalCount: { type: "integer" }, pageInfo, [`${n.singular}Duplicates`]: arrayOf(n.ref("response")) })
  return {
    post: operation(object, {
      summary: `Find ${n.singular} Duplicates`,
      operationId: `find${n.One}Duplicates`,
      requestBody: jsonBody(body),
      responses: { "200": jsonResponse(objectOf({ data: arrayOf(group) })), ...errors("400", "401", "403") }
    })
  }
}

const mergePath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  const body: Schema = {
    type: "object",
    properties: {
      ids: { ...arrayOf(uuid), description: "The records to merge into one" },
      conflictPriorityIndex: { type: "integer", default: 0, description: "Index in `ids` of the record whose values win conflicts" },
      dryRun: { type: "boolean", default: false, description: "true: return the merged record without saving it" }
    },
    required: ["ids"]
  }
  return {
    patch: operation(object, {
      summary: `Merge Many ${n.plural}`,
      operationId: `mergeMany${n.Many}`,
      requestBody: jsonBody(body),
      responses: { "200": jsonResponse(dataEnvelope(`merge${n.Many}`, n.ref("response"))), ...errors("400", "401", "403", "404") }
    })
  }
}

const jsonQuery = (name: string, required: boolean, description: string): Parameter => ({
  name,
  in: "query",
  required,
  description,
  schema: { type: "string" }
})

const groupByPath = (object: ObjectMetadata): PathItem => {
  const n = namesOf(object)
  const group: Schema = {
    type: "object",
    description: "One group: its value of each group_by entry, the aggregates asked for, and (include_records_sample) up to 10 records",
    properties: {
      groupByDimensionValues: { type: "array", items: {} },
      totalCount: { type: "integer" },
      records: arrayOf(n.ref("response"))
    },
    required: ["groupByDimensionValues"]
  }
  return {
    get: operation(object, {
      summary: `Group ${n.plural}`,
      operationId: `groupBy${n.Many}`,
      parameters: [
        jsonQuery("group_by", true, 'The dimensions, as JSON: `[{"stage":true},{"createdAt":{"granularity":"MONTH","timeZone":"UTC"}}]`.'),
        jsonQuery("aggregate", false, 'Aggregates to compute per group, as JSON: `["totalCount","sumAmountAmountMicros"]`.'),
        filterParameter(false),
        jsonQuery("order_by", false, 'Order of the groups, as JSON: `[{"aggregate":{"totalCount":"DescNullsLast"}}]` or a grouped field.'),
        jsonQuery("order_by_for_records", false, "Order of each group's sample records, as order_by on lists: `name[AscNullsFirst]`."),
        { name: "limit", in: "query", required: false, description: "Number of groups (50 by default, at most 10,000)", schema: { type: "integer", minimum: 0 } },
        booleanParameter("include_records_sample", "true: each group carries up to 10 of its records")
      ],
      responses: { "200": jsonResponse(arrayOf(group)), ...errors("400", "401", "403") }
    })
  }
}

const restorePaths = (object: ObjectMetadata): Paths => {
  const n = namesOf(object)
  return {
    [`/${n.plural}/{id}/restore`]: {
      patch: operation(object, {
        summary: `Restore One ${n.singular}`,
        operationId: `restoreOne${n.One}`,
        parameters: ["idPath", "depth", "fields"].map(parameterRef),
        responses: { "200": jsonResponse(dataEnvelope(`restore${n.One}`, n.ref("response"))), ...errors("400", "401", "403", "404") }
      })
    },
    [`/${n.plural}/restore`]: {
      patch: operation(object, {
        summary: `Restore Many ${n.plural}`,
        operationId: `restoreMany${n.Many}`,
        parameters: ["bulkFilter", "depth", "fields"].map(parameterRef),
        responses: { "200": jsonResponse(dataEnvelope(`restore${n.Many}`, arrayOf(n.ref("response")))), ...errors("400", "401", "403") }
      })
    }
  }
}

const objectPaths = (object: ObjectMetadata): Paths => ({
  [`/${object.namePlural}`]: collectionPath(object),
  [`/batch/${object.namePlural}`]: batchPath(object),
  [`/${object.namePlural}/{id}`]: recordPath(object),
  [`/${object.namePlural}/duplicates`]: duplicatesPath(object),
  [`/${object.namePlural}/merge`]: mergePath(object),
  [`/${object.namePlural}/groupBy`]: groupByPath(object),
  ...restorePaths(object)
})

const objectSchemas = (object: ObjectMetadata, targets: ReadonlyMap<string, ObjectMetadata>): Record<string, Schema> =>
  Object.fromEntries(
    (["create", "update", "response"] as const).map((shape) => [recordSchemaName(object, shape), recordSchema(object, shape, targets)])
  )

/**
 * The core document for a set of objects (the workspace's active ones, or none for callers without a
 * token) under the limits in force, without `servers`: those come from the request.
 */
export const buildCoreDocument = (allObjects: ReadonlyArray<ObjectMetadata>, limits: RecordsLimits): OpenApiDocument => {
  const objects = allObjects.filter((o) => o.isActive).sort((a, b) => a.namePlural.localeCompare(b.namePlural))
  const base = baseDocument("core", DESCRIPTION)
  const targets = new Map(objects.map((o) => [o.id, o]))
  return {
    ...base,
    tags: [
      { name: "General" },
      ...objects.map((o) => ({ name: o.namePlural, description: o.description ?? `${o.labelPlural} records` }))
    ],
    paths: Object.assign({ ...base.paths }, ...objects.map(objectPaths)),
    components: {
      ...base.components,
      schemas: Object.assign({}, ...objects.map((o) => objectSchemas(o, targets))),
      parameters: parameters(limits),
      responses: errorResponses()
    }
  }
}
