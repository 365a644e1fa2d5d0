import { inspect } from "node:util"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import type { FieldType } from "../../domain/field-types.js"
import { RATING_VALUES } from "../metadata/columns.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { type Model, QueryInputError, badInput } from "./query-builder.js"
import { normalisePhones } from "./phones.js"
import { normaliseEmails, normaliseLinks } from "./emails-links.js"

const DATE = /^\d{4}-\d{2}-\d{2}$/

const fail = (message: string, field: string): never => {
  throw new QueryInputError(badInput(message, field))
}

/** Fields set by Score itself; input naming them is refused rather than silently ignored. */
const SYSTEM_MANAGED = new Set(["createdBy", "updatedBy", "searchVector", "deletedAt"])

const json = (value: unknown) => (value === null ? null : JSON.stringify(value))

/**
 * Twenty stores '' and empty lists as NULL (transform-text-field.util.ts, transform-array-field.util.ts and
 * the composite transforms) and answers NULL as '' or [] (see selection.ts).
 */
const NULL_EQUIVALENT_TYPES: ReadonlySet<FieldType> = new Set(["TEXT", "MULTI_SELECT", "ARRAY"])
const nullEquivalent = (value: unknown) =>
  value === "" || value === "[]" || (Array.isArray(value) && value.length === 0) ? null : value

/**
 * One input value → the value stored in its column, or a BAD_USER_INPUT with the message of Twenty's
 * validate-*-field-or-throw.util.ts for its type (values shown as Node's inspect shows them, formatted only
 * in a refusal: inspect() on every value was a third of an import's row checks).
 */
const columnValue = (type: FieldType, value: unknown, path: string, field?: FieldMetadata): unknown => {
  if (value === null) return null
  const refuse = (message: string) => fail(message, path)
  switch (type) {
    case "UUID":
    case "RELATION":
      return isUuid(value) ? value : refuse(`Invalid UUID value ${inspect(value)} for field "${path}"`)
    case "TEXT":
    case "RICH_TEXT":
      return typeof value === "string" ? value : refuse(`Invalid string value ${inspect(value)} for text field "${path}"`)
    case "NUMBER":
    case "POSITION":
      return typeof value === "number" && Number.isFinite(value) ? value : refuse(`Invalid number value ${inspect(value)} for field "${path}"`)
    case "NUMERIC":
      return (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))
        ? value
        : refuse(`Invalid number value ${inspect(Number(value))} for field "${path}"`)
    case "BOOLEAN":
      return typeof value === "boolean" ? value : refuse(`Invalid boolean value ${inspect(value)} for field "${path}"`)
    case "DATE_TIME":
      return typeof value === "string" && !Number.isNaN(Date.parse(value))
        ? value
        : refuse(`Invalid value ${inspect(value)} for date-time field "${path}". Expected format: 'YYYY-MM-DDTHH:mm:ssZ'`)
    case "DATE":
      return typeof value === "string" && DATE.test(value) && !Number.isNaN(Date.parse(value))
        ? value
        : refuse(`Invalid value ${inspect(value)} for date field "${path}". Expected format: 'YYYY-MM-DD'`)
    case "SELECT":
    case "RATING": {
      if (typeof value !== "string") return refuse(`Invalid string value ${inspect(value)} for text field "${path}"`)
      const values = type === "RATING" ? RATING_VALUES : field?.options?.map((o) => o.value) ?? []
      return values.includes(value) ? value : refuse(`Invalid value ${inspect(value)} for field "${path}"`)
    }
    case "MULTI_SELECT": {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
        return refuse(`Invalid value ${inspect(value)} for field "${path} - Array values need to be string"`)
      }
      const values = field?.options?.map((o) => o.value) ?? []
      return value.every((v) => values.includes(v)) ? value : refuse(`Invalid value ${inspect(value)} for multi select field "${path}"`)
    }
    case "ARRAY":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? value
        : refuse(`Invalid value ${inspect(value)} for field "${path} - Array values need to be string"`)
    case "RAW_JSON":
    case "FILES":
      return json(value)
    default:
      return refuse(`Invalid value ${inspect(value)} for field "${path}"`)
  }
}

/**
 * A record input in Twenty's shape → column values. Composite fields may be given partially
 * (`{ name: { firstName: "Ada" } }`); `<relation>Id` sets a MANY_TO_ONE relation.
 */
export const toColumns = (model: Model, object: ObjectMetadata, data: unknown, options: { readonly creating: boolean }) => {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return fail("A record must be an object", "data")
  const columns: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue
    const found = model.field(object, key) ?? fail(`Field "${key}" does not exist on ${object.nameSingular}`, key)
    const field = found.field
    if (found.joinColumn) {
      columns[key] = columnValue("UUID", value, key)
      continue
    }
    if (SYSTEM_MANAGED.has(key)) fail(`Field "${key}" is managed by the server and cannot be written`, key)
    if (key === "id" && !options.creating) fail(`The id of a record cannot be changed`, key)
    if (field.type === "RELATION" || field.type === "MORPH_RELATION") {
      fail(`Set the relation "${key}" through "${key}Id"${field.relationType === "ONE_TO_MANY" ? " on the other side" : ""}`, key)
    }
    if (field.type === "TS_VECTOR") fail(`Field "${key}" cannot be written`, key)
    if (isCompositeFieldType(field.type)) {
      if (value === null) {
        for (const sub of COMPOSITE_TYPES[field.type]) columns[compositeColumnName(key, sub.name)] = null
        continue
      }
      if (typeof value !== "object" || Array.isArray(value)) fail(`Field "${key}" takes an object of subfields`, key)
      const given = value as Record<string, unknown>
      const subfields = field.type === "PHONES" ? normalisePhones(given, key)
        : field.type === "EMAILS" ? normaliseEmails(given)
        : field.type === "LINKS" ? normaliseLinks(given)
        : given
      for (const [subName, subValue] of Object.entries(subfields)) {
        if (subValue === undefined) continue
        const sub = COMPOSITE_TYPES[field.type].find((s) => s.name === subName) ??
          fail(`"${subName}" is not a subfield of ${key}`, `${key}.${subName}`)
        const subType = sub.type === "SELECT" ? "TEXT" : sub.type
        columns[compositeColumnName(key, sub.name)] = nullEquivalent(columnValue(subType, subValue, `${key}.${subName}`))
      }
      continue
    }
    const stored = columnValue(field.type, value, key, field)
    columns[key] = field.isNullable !== false && NULL_EQUIVALENT_TYPES.has(field.type) ? nullEquivalent(stored) : stored
  }
  return columns
}

/** The actor columns of createdBy / updatedBy. */
export const actorColumns = (prefix: "createdBy" | "updatedBy", actor: { source: string; workspaceMemberId: string | null; name: string; context?: unknown }) => ({
  [`${prefix}Source`]: actor.source,
  [`${prefix}WorkspaceMemberId`]: actor.workspaceMemberId,
  [`${prefix}Name`]: actor.name,
  [`${prefix}Context`]: JSON.stringify(actor.context ?? {})
})
