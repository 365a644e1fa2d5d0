import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { FieldOption, ObjectMetadata } from "../../domain/metadata.js"
import { FIELD_TYPES, type FieldType } from "../../domain/field-types.js"
import { columnsOf, type ColumnSource } from "./columns.js"

const NAME = /^[a-z][a-zA-Z0-9]*$/
const MAX_NAME_LENGTH = 63

/** Names that would clash with the GraphQL schema Score generates, or with SQL and system columns. */
// Twenty's reserved keywords (core entity names, singular and plural, and composite type names).
const RESERVED_NAMES = new Set([
  ...[
    "approvedAccessDomain", "appToken", "billingCustomer", "billingEntitlement", "billingMeter", "billingProduct",
    "billingSubscription", "billingSubscriptionItem", "featureFlag", "job", "keyValuePair", "pageLayout",
    "pageLayoutTab", "pageLayoutWidget", "postgresCredential", "twoFactorMethod", "user", "userWorkspace",
    "workspace", "role", "userWorkspaceRole"
  ].flatMap((name) => [name, `${name}s`]),
  "plan", "plans", "event", "events", "field", "fields", "link", "links", "currency", "currencies", "fullName",
  "fullNames", "address", "addresses", "type", "types", "object", "objects", "index", "relation", "relations",
  "aggregate"
])

/**
 * Names every JavaScript object already has (`constructor`, `toString`, `valueOf`, ...): a record, a
 * field map or a GraphQL type keyed by one would read the inherited member instead of the field.
 */
const OBJECT_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype))

const bad = (message: string, field: string) => Effect.fail(new BadUserInput({ message, field }))

export const validateName = (name: unknown, field: string) => {
  if (typeof name !== "string" || name.length === 0) return bad(`${field} is required`, field)
  if (name.length > MAX_NAME_LENGTH) return bad(`${field} "${name}" exceeds ${MAX_NAME_LENGTH} characters`, field)
  if (!NAME.test(name)) return bad(`${field} "${name}" must be camelCase: a lowercase letter, then letters and digits`, field)
  if (RESERVED_NAMES.has(name)) return bad(`${field} "${name}" is a reserved word`, field)
  if (OBJECT_MEMBER_NAMES.has(name)) return bad(`${field} "${name}" is a reserved word (every JavaScript object has it)`, field)
  return Effect.succeed(name)
}

export const validateLabel = (label: unknown, field: string) =>
  typeof label === "string" && label.trim().length > 0 && label.length <= MAX_NAME_LENGTH
    ? Effect.succeed(label.trim())
    : bad(`${field} must be 1 to ${MAX_NAME_LENGTH} characters`, field)

/** Types a user may create; the others are managed by Score itself. */
const CREATABLE: ReadonlySet<FieldType> = new Set(
  FIELD_TYPES.filter((t) => !["TS_VECTOR", "POSITION", "MORPH_RELATION", "FILES"].includes(t))
)

export const validateFieldType = (type: unknown) =>
  typeof type === "string" && CREATABLE.has(type as FieldType)
    ? Effect.succeed(type as FieldType)
    : bad(`Field type "${String(type)}" is not supported; use one of ${[...CREATABLE].join(", ")}`, "type")

const OPTION_VALUE = /^(?!.*__)[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/
const OPTION_COLORS = new Set([
  "red", "ruby", "crimson", "tomato", "orange", "amber", "yellow", "lime", "grass", "green", "jade", "mint",
  "turquoise", "cyan", "sky", "blue", "iris", "violet", "purple", "plum", "pink", "bronze", "gold", "brown", "gray"
])

export const validateOptions = (type: FieldType, options: unknown) =>
  Effect.gen(function*() {
    if (type !== "SELECT" && type !== "MULTI_SELECT") {
      if (options != null) return yield* bad(`options are only for SELECT and MULTI_SELECT fields`, "options")
      return null
    }
    if (!Array.isArray(options) || options.length === 0) {
      return yield* bad(`${type} fields need at least one option`, "options")
    }
    const seen = new Set<string>()
    const result: Array<FieldOption> = []
    for (const [i, raw] of options.entries()) {
      const option = raw as Partial<FieldOption>
      if (typeof option?.value !== "string" || !OPTION_VALUE.test(option.value) || option.value.length > 63) {
        return yield* bad(`Option value "${String(option?.value)}" must be in UPPER_CASE and follow snake_case`, "options")
      }
      if (seen.has(option.value)) return yield* bad(`Option value "${option.value}" is duplicated`, "options")
      seen.add(option.value)
      if (typeof option.label !== "string" || option.label.trim() === "" || option.label.length > 63 || option.label.includes(",")) {
        return yield* bad(`Option "${option.value}" needs a label of 1 to 63 characters without commas`, "options")
      }
      if (option.color !== undefined && !OPTION_COLORS.has(option.color as string)) {
        return yield* bad(`Option "${option.value}" has an unknown color "${String(option.color)}"`, "options")
      }
      const color = option.color ?? "gray"
      result.push({
        id: typeof option.id === "string" ? option.id : crypto.randomUUID(),
        value: option.value,
        label: option.label,
        color,
        position: typeof option.position === "number" ? option.position : i
      })
    }
    return result
  })

/** Checks a default value against the field's type and options; returns it in Twenty's stored form. */
export const validateDefaultValue = (field: Pick<ColumnSource, "type" | "options">, value: unknown) => {
  if (value === null || value === undefined) return Effect.succeed(null)
  const values = new Set(field.options?.map((o) => o.value) ?? [])
  const quoted = (v: unknown) => typeof v === "string" && /^'.*'$/s.test(v) ? v.slice(1, -1) : null
  switch (field.type) {
    case "SELECT": {
      const inner = quoted(value)
      return inner !== null && values.has(inner)
        ? Effect.succeed(value)
        : bad(`defaultValue ${JSON.stringify(value)} must be one of the options, quoted: "'${[...values][0] ?? "VALUE"}'"`, "defaultValue")
    }
    case "MULTI_SELECT":
      return Array.isArray(value) && value.every((v) => values.has(quoted(v) ?? ""))
        ? Effect.succeed(value)
        : bad(`defaultValue ${JSON.stringify(value)} must be a list of quoted option values`, "defaultValue")
    case "TEXT":
    case "RICH_TEXT":
      return typeof value === "string" ? Effect.succeed(quoted(value) === null ? `'${value}'` : value)
        : bad(`defaultValue of a TEXT field must be a string`, "defaultValue")
    case "NUMBER":
    case "NUMERIC":
      return typeof value === "number" && Number.isFinite(value)
        ? Effect.succeed(value)
        : bad(`defaultValue ${JSON.stringify(value)} must be a number`, "defaultValue")
    case "BOOLEAN":
      return typeof value === "boolean" ? Effect.succeed(value) : bad(`defaultValue must be true or false`, "defaultValue")
    case "UUID":
      return value === "uuid" ? Effect.succeed(value) : bad(`defaultValue of a UUID field can only be "uuid"`, "defaultValue")
    case "DATE_TIME":
    case "DATE":
      return value === "now" ? Effect.succeed(value) : bad(`defaultValue of a date field can only be "now"`, "defaultValue")
    case "RATING":
      return ["'RATING_1'", "'RATING_2'", "'RATING_3'", "'RATING_4'", "'RATING_5'"].includes(value as string)
        ? Effect.succeed(value)
        : bad(`defaultValue of a RATING field must be one of 'RATING_1' … 'RATING_5'`, "defaultValue")
    case "RAW_JSON":
      return Effect.succeed(value)
    default:
      if (typeof value === "object" && !Array.isArray(value)) return Effect.succeed(value)
      return bad(`defaultValue ${JSON.stringify(value)} does not fit a ${field.type} field`, "defaultValue")
  }
}

/** A new field's columns must not collide with the table's existing columns. */
export const checkColumnsFree = (object: ObjectMetadata, field: ColumnSource, ignoreFieldId?: string) => {
  const taken = new Set(object.fields.filter((f) => f.id !== ignoreFieldId).flatMap(columnsOf).map((c) => c.name))
  const names = new Set(object.fields.filter((f) => f.id !== ignoreFieldId).map((f) => f.name))
  if (names.has(field.name)) return bad(`Field "${field.name}" already exists on ${object.nameSingular}`, "name")
  for (const column of columnsOf(field)) {
    if (column.name.length > MAX_NAME_LENGTH) return bad(`Column "${column.name}" would exceed ${MAX_NAME_LENGTH} characters`, "name")
    if (taken.has(column.name)) return bad(`Field "${field.name}" would collide with column "${column.name}" of ${object.nameSingular}`, "name")
  }
  return Effect.void
}
