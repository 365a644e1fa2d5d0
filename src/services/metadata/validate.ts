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

/** Twenty's trimAndRemoveDuplicatedWhitespacesFromString. */
const tidy = (value: unknown) => (typeof value === "string" ? value.trim().replace(/\s+/g, " ") : value)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * SELECT / MULTI_SELECT options as Twenty's field-metadata-enum-validation.service.ts and
 * prepare-custom-field-metadata-for-options.util.ts: id, label and value trimmed (inner whitespace
 * collapsed), a given id must be a UUID, ids / values / positions unique. A missing position takes the
 * option's index and a missing color "gray" (Twenty's input type requires both).
 */
export const validateOptions = (type: FieldType, options: unknown) =>
  Effect.gen(function*() {
    if (type !== "SELECT" && type !== "MULTI_SELECT") {
      if (options != null) return yield* bad(`options are only for SELECT and MULTI_SELECT fields`, "options")
      return null
    }
    if (!Array.isArray(options) || options.length === 0) return yield* bad("Options are required for enum fields", "options")
    const result: Array<FieldOption> = []
    for (const [i, raw] of options.entries()) {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return yield* bad("Options must be objects", "options")
      const option = raw as Record<string, unknown>
      const id = tidy(option["id"])
      const value = tidy(option["value"])
      const label = tidy(option["label"])
      if (id !== undefined && id !== null && (typeof id !== "string" || !UUID.test(id))) return yield* bad("Option id is invalid", "options")
      if (typeof value !== "string") return yield* bad("Option value is required", "options")
      if (value.length > 63) return yield* bad(`Option value "${value}" exceeds 63 characters`, "options")
      if (value.length === 0) return yield* bad(`Option value "${value}" is beneath 1 character`, "options")
      if (!OPTION_VALUE.test(value)) return yield* bad(`Value must be in UPPER_CASE and follow snake_case "${value}"`, "options")
      if (typeof label !== "string") return yield* bad("Option label is required", "options")
      if (label.length > 63) return yield* bad(`Option label "${label}" exceeds 63 characters`, "options")
      if (label.length === 0) return yield* bad(`Option label "${label}" is beneath 1 character`, "options")
      if (label.includes(",")) return yield* bad("Label must not contain a comma", "options")
      const color = tidy(option["color"]) ?? "gray"
      if (!OPTION_COLORS.has(color as string)) return yield* bad(`Option "${value}" has an unknown color "${String(color)}"`, "options")
      const position = option["position"] ?? i
      if (typeof position !== "number" || !Number.isFinite(position)) return yield* bad(`Option "${value}" has an invalid position`, "options")
      result.push({ id: typeof id === "string" ? id : crypto.randomUUID(), value, label, color: color as string, position })
    }
    const seen = { id: new Set<string>(), value: new Set<string>(), position: new Set<number>() }
    for (const option of result) {
      if (seen.id.has(option.id)) return yield* bad(`Duplicated option id "${option.id}"`, "options")
      if (seen.value.has(option.value)) return yield* bad(`Duplicated option value "${option.value}"`, "options")
      if (seen.position.has(option.position)) return yield* bad(`Duplicated option position "${option.position}"`, "options")
      seen.id.add(option.id)
      seen.value.add(option.value)
      seen.position.add(option.position)
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
