import type { FieldMetadata, ObjectMetadata } from "../../../domain/metadata.js"
import {
  ACTOR_SOURCES,
  COMPOSITE_TYPES,
  type CompositeFieldType,
  isCompositeFieldType
} from "../../../domain/composite-types.js"
import type { FieldType } from "../../../domain/field-types.js"
import { RATING_VALUES } from "../../../services/metadata/columns.js"
import { arrayOf, capitalize, dateTime, objectOf, orNull, type Schema, schemaRef, uuid, withDescription } from "./common.js"

/**
 * A record as JSON Schema, in the three shapes Twenty's documents have: `<Object>` (create body),
 * `<Object>ForUpdate` (update body) and `<Object>ForResponse` (what the API returns).
 */
export type RecordShape = "create" | "update" | "response"

const SUFFIX: Record<RecordShape, string> = { create: "", update: "ForUpdate", response: "ForResponse" }

export const recordSchemaName = (object: ObjectMetadata, shape: RecordShape) => capitalize(object.nameSingular) + SUFFIX[shape]

/** Fields the records service refuses in input (its SYSTEM_MANAGED, records/values.ts; searchVector is TS_VECTOR). */
const SERVER_MANAGED = new Set(["deletedAt", "createdBy", "updatedBy"])

const isWritable = (field: FieldMetadata, shape: RecordShape) =>
  shape === "response" || (!SERVER_MANAGED.has(field.name) && !(shape === "update" && field.name === "id"))

const isRelation = (field: FieldMetadata) => field.type === "RELATION" || field.type === "MORPH_RELATION"

const optionValues = (field: FieldMetadata | undefined) => field?.options?.map((o) => o.value) ?? []

const enumOf = (values: ReadonlyArray<string>): Schema => (values.length > 0 ? { type: "string", enum: [...values] } : { type: "string" })

const isIntegerNumber = (field: FieldMetadata | undefined) =>
  field?.settings?.["dataType"] === "int" || field?.settings?.["dataType"] === "bigint"

const file = (shape: RecordShape): Schema =>
  objectOf(
    { fileId: uuid, label: { type: "string" }, ...(shape === "response" ? { fileCategory: { type: "string" }, url: { type: "string", format: "uri" } } : {}) },
    ["fileId", "label"]
  )

/** A non-composite, non-relation value. `field` carries options and settings where the type needs them. */
const scalarSchema = (type: FieldType, shape: RecordShape, field?: FieldMetadata): Schema => {
  switch (type) {
    case "UUID":
      return uuid
    case "DATE_TIME":
      return dateTime
    case "DATE":
      return { type: "string", format: "date" }
    case "BOOLEAN":
      return { type: "boolean" }
    case "NUMBER":
      return { type: isIntegerNumber(field) ? "integer" : "number" }
    case "NUMERIC":
      // Returned as a JSON number; accepted as a number or a decimal string (exact for big values).
      return shape === "response" ? { type: "number" } : { type: ["number", "string"] }
    case "POSITION":
      return { type: "number" }
    case "SELECT":
      return enumOf(optionValues(field))
    case "MULTI_SELECT":
      return arrayOf(enumOf(optionValues(field)))
    case "RATING":
      return enumOf(RATING_VALUES)
    case "ARRAY":
      return arrayOf({ type: "string" })
    case "RAW_JSON":
      return {} // any JSON value
    case "FILES":
      return arrayOf(file(shape))
    default:
      return { type: "string" }
  }
}

/** Subfields whose JSON is richer than their column type says. */
const SUBFIELD_SCHEMAS: Partial<Record<`${CompositeFieldType}.${string}`, Schema>> = {
  "EMAILS.additionalEmails": arrayOf({ type: "string", format: "email" }),
  "PHONES.additionalPhones": arrayOf(objectOf(
    { number: { type: "string" }, countryCode: { type: "string" }, callingCode: { type: "string" } },
    ["number"]
  )),
  "LINKS.secondaryLinks": arrayOf(objectOf({ url: { type: "string" }, label: { type: "string" } }, ["url"])),
  "ACTOR.source": enumOf(ACTOR_SOURCES),
  "ACTOR.context": { type: "object" }
}

/** A composite field: an object of its subfields, each of which may be null. */
const compositeSchema = (type: CompositeFieldType, shape: RecordShape): Schema => ({
  type: "object",
  properties: Object.fromEntries(
    COMPOSITE_TYPES[type].map((sub) => [sub.name, orNull(SUBFIELD_SCHEMAS[`${type}.${sub.name}`] ?? scalarSchema(sub.type, shape))])
  )
})

/**
 * A relation: MANY_TO_ONE is its `<name>Id` join column everywhere; responses (with `depth`) also nest
 * the related record, and ONE_TO_MANY the array of related records. Relations to inactive objects
 * keep only their join column, as the REST routes do.
 */
const relationProperties = (
  field: FieldMetadata,
  shape: RecordShape,
  targets: ReadonlyMap<string, ObjectMetadata>
): Array<[string, Schema]> => {
  const manyToOne = field.relationType === "MANY_TO_ONE"
  const joinColumn: Array<[string, Schema]> = manyToOne
    ? [[`${field.name}Id`, withDescription(orNull(uuid), field.description && `${field.description} (id)`)]]
    : []
  const target = field.relationTargetObjectMetadataId ? targets.get(field.relationTargetObjectMetadataId) : undefined
  if (shape !== "response" || !target) return joinColumn
  const related = schemaRef(recordSchemaName(target, "response"))
  const nested = manyToOne ? orNull(related) : arrayOf(related)
  return [...joinColumn, [field.name, withDescription(nested, `${field.description ?? field.label} (with depth ≥ 1)`)]]
}

const fieldProperties = (
  field: FieldMetadata,
  shape: RecordShape,
  targets: ReadonlyMap<string, ObjectMetadata>
): Array<[string, Schema]> => {
  if (field.type === "TS_VECTOR" || !isWritable(field, shape)) return []
  if (isRelation(field)) return relationProperties(field, shape, targets)
  if (isCompositeFieldType(field.type)) return [[field.name, withDescription(compositeSchema(field.type, shape), field.description)]]
  const schema = scalarSchema(field.type, shape, field)
  return [[field.name, withDescription(field.isNullable ? orNull(schema) : schema, field.description)]]
}

/** Create bodies must carry the non-nullable fields that have no default. */
const requiredOnCreate = (fields: ReadonlyArray<FieldMetadata>) =>
  fields
    .filter((f) => !f.isNullable && (f.defaultValue === null || f.defaultValue === undefined) && isWritable(f, "create"))
    .filter((f) => !isRelation(f) || f.relationType === "MANY_TO_ONE")
    .map((f) => (isRelation(f) ? `${f.name}Id` : f.name))

/** One object's schema in one shape; `targets` are the active objects by id, for relations. */
export const recordSchema = (
  object: ObjectMetadata,
  shape: RecordShape,
  targets: ReadonlyMap<string, ObjectMetadata>
): Schema => {
  const fields = object.fields.filter((f) => f.isActive)
  const required = shape === "create" ? requiredOnCreate(fields) : []
  return {
    type: "object",
    ...(object.description ? { description: object.description } : {}),
    properties: Object.fromEntries(fields.flatMap((f) => fieldProperties(f, shape, targets))),
    ...(required.length > 0 ? { required } : {})
  }
}
