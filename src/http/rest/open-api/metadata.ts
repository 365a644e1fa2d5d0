import { FIELD_TYPES } from "../../../domain/field-types.js"
import {
  arrayOf,
  baseDocument,
  capitalize,
  dataEnvelope,
  dateTime,
  errorResponses,
  errors,
  jsonBody,
  jsonResponse,
  listEnvelope,
  objectOf,
  type OpenApiDocument,
  orNull,
  pagingParameters,
  parameterRef,
  type Paths,
  type Schema,
  schemaRef,
  uuid
} from "./common.js"

/**
 * The OpenAPI document of `/rest/metadata/objects` and `/rest/metadata/fields` (src/http/rest/metadata.ts):
 * Twenty's legacy envelopes `{ data: { objects }, pageInfo, totalCount }`, `{ data: { createOneObject } }`, …
 */

const DESCRIPTION = `The data model of the workspace the token belongs to: its objects and their fields.

Send \`Authorization: Bearer <token>\`; changes need the data-model (settings) permission. Lists page
with **limit** (at most 1000), **starting_after** and **ending_before**, whose cursors are record ids.
\`PUT\` is accepted as an alias of \`PATCH\`.`

const MAX_LIMIT = 1000
const DEFAULT_LIMIT = 60

const string: Schema = { type: "string" }
const boolean: Schema = { type: "boolean" }
const nullableString = orNull(string)

const fieldType: Schema = { type: "string", enum: [...FIELD_TYPES] }

const option = objectOf(
  { id: uuid, value: { type: "string", pattern: "^[A-Z][A-Z0-9_]*$", examples: ["OPTION_1"] }, label: string, color: string, position: { type: "number" } },
  ["value", "label"]
)

const objectInput = {
  nameSingular: string,
  namePlural: string,
  labelSingular: string,
  labelPlural: string,
  description: nullableString,
  icon: nullableString,
  shortcut: nullableString,
  isLabelSyncedWithName: boolean
} satisfies Record<string, Schema>

const objectSchemas: Record<string, Schema> = {
  Object: {
    type: "object",
    description: "A new custom object",
    properties: { ...objectInput, isRemote: boolean },
    required: ["nameSingular", "namePlural", "labelSingular", "labelPlural"]
  },
  ObjectForUpdate: {
    type: "object",
    description: "Changes to an object; deactivate (`isActive: false`) before deleting",
    properties: {
      ...objectInput,
      isActive: boolean,
      isSearchable: boolean,
      labelIdentifierFieldMetadataId: orNull(uuid),
      imageIdentifierFieldMetadataId: orNull(uuid)
    }
  },
  ObjectForResponse: {
    type: "object",
    description: "An object with its fields",
    properties: {
      id: uuid,
      workspaceId: uuid,
      ...objectInput,
      tableName: string,
      isCustom: boolean,
      isActive: boolean,
      isSystem: boolean,
      isRemote: boolean,
      isSearchable: boolean,
      isUIReadOnly: boolean,
      labelIdentifierFieldMetadataId: orNull(uuid),
      imageIdentifierFieldMetadataId: orNull(uuid),
      duplicateCriteria: orNull(arrayOf(arrayOf(string))),
      createdAt: dateTime,
      updatedAt: dateTime,
      fields: arrayOf(schemaRef("FieldForResponse"))
    }
  }
}

const fieldInput = {
  name: string,
  label: string,
  description: nullableString,
  icon: nullableString,
  isActive: boolean,
  isNullable: boolean,
  isUnique: boolean,
  isLabelSyncedWithName: boolean,
  defaultValue: { description: "Twenty's stored form, e.g. `\"'NEW'\"` for a SELECT, `\"now\"` for a DATE_TIME" },
  options: { ...arrayOf(option), description: "SELECT and MULTI_SELECT values" },
  settings: orNull({ type: "object" })
} satisfies Record<string, Schema>

const relationCreationPayload: Schema = {
  type: "object",
  description: "RELATION fields: the other side is created with them",
  properties: {
    type: { type: "string", enum: ["MANY_TO_ONE", "ONE_TO_MANY"] },
    targetObjectMetadataId: uuid,
    targetFieldLabel: string,
    targetFieldIcon: nullableString,
    targetFieldName: nullableString,
    onDelete: orNull({ type: "string", enum: ["CASCADE", "SET_NULL", "RESTRICT"] })
  },
  required: ["type", "targetObjectMetadataId", "targetFieldLabel"]
}

const fieldSchemas: Record<string, Schema> = {
  Field: {
    type: "object",
    description: "A new field",
    properties: { objectMetadataId: uuid, type: fieldType, ...fieldInput, relationCreationPayload },
    required: ["objectMetadataId", "type", "name", "label"]
  },
  FieldForUpdate: { type: "object", description: "Changes to a field (its type cannot change)", properties: fieldInput },
  FieldForResponse: {
    type: "object",
    description: "A field",
    properties: {
      id: uuid,
      workspaceId: uuid,
      objectMetadataId: uuid,
      type: fieldType,
      ...fieldInput,
      options: orNull(arrayOf(option)),
      isCustom: boolean,
      isSystem: boolean,
      isUIReadOnly: boolean,
      relationType: orNull({ type: "string", enum: ["MANY_TO_ONE", "ONE_TO_MANY"] }),
      relationTargetObjectMetadataId: orNull(uuid),
      relationTargetFieldMetadataId: orNull(uuid),
      onDelete: orNull({ type: "string", enum: ["CASCADE", "SET_NULL", "RESTRICT"] }),
      morphId: orNull(uuid),
      createdAt: dateTime,
      updatedAt: dateTime
    }
  }
}

const idOnly = objectOf({ id: uuid })

/** `/objects` and `/objects/{id}` (or fields): Twenty's five operations and their envelopes. */
const resourcePaths = (singular: "object" | "field", plural: "objects" | "fields"): Paths => {
  const One = capitalize(singular)
  const Many = capitalize(plural)
  const response = schemaRef(`${One}ForResponse`)
  const tags = [plural]
  return {
    [`/${plural}`]: {
      get: {
        tags,
        summary: `Find Many ${plural}`,
        operationId: `findMany${Many}`,
        parameters: ["limit", "startingAfter", "endingBefore"].map(parameterRef),
        responses: { "200": jsonResponse(listEnvelope(plural, response)), ...errors("400", "401", "403") }
      },
      post: {
        tags,
        summary: `Create One ${singular}`,
        operationId: `createOne${One}`,
        requestBody: jsonBody(schemaRef(One)),
        responses: { "201": jsonResponse(dataEnvelope(`createOne${One}`, response)), ...errors("400", "401", "403", "404", "409") }
      }
    },
    [`/${plural}/{id}`]: {
      get: {
        tags,
        summary: `Find One ${singular}`,
        operationId: `findOne${One}`,
        parameters: [parameterRef("idPath")],
        responses: { "200": jsonResponse(dataEnvelope(singular, response)), ...errors("400", "401", "403", "404") }
      },
      patch: {
        tags,
        summary: `Update One ${singular}`,
        operationId: `updateOne${One}`,
        parameters: [parameterRef("idPath")],
        requestBody: jsonBody(schemaRef(`${One}ForUpdate`)),
        responses: { "200": jsonResponse(dataEnvelope(`updateOne${One}`, response)), ...errors("400", "401", "403", "404", "409") }
      },
      delete: {
        tags,
        summary: `Delete One ${singular}`,
        operationId: `deleteOne${One}`,
        parameters: [parameterRef("idPath")],
        responses: { "200": jsonResponse(dataEnvelope(`deleteOne${One}`, idOnly)), ...errors("400", "401", "403", "404") }
      }
    }
  }
}

/** The metadata document, without `servers` (they come from the request). It is the same for every workspace. */
export const buildMetadataDocument = (): OpenApiDocument => {
  const base = baseDocument("metadata", DESCRIPTION)
  return {
    ...base,
    tags: [
      { name: "General" },
      { name: "objects", description: "Objects of the data model" },
      { name: "fields", description: "Fields of the objects" }
    ],
    paths: { ...base.paths, ...resourcePaths("object", "objects"), ...resourcePaths("field", "fields") },
    components: {
      ...base.components,
      schemas: { ...objectSchemas, ...fieldSchemas },
      parameters: pagingParameters({ default: DEFAULT_LIMIT, maximum: MAX_LIMIT }),
      responses: errorResponses()
    }
  }
}
