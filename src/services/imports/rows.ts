import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import type { FieldType } from "../../domain/field-types.js"
import { isObject, type Model, QueryInputError } from "../records/query-builder.js"
import { ROW_PARSE_ERROR } from "./parse.js"

/** A MANY_TO_ONE relation given by one unique value of its target (`company.domainName.primaryLinkUrl`). */
export interface Lookup {
  readonly field: FieldMetadata
  /** The target's column holding the unique value. */
  readonly column: string
  /** The target field path as the upload named it (`domainName.primaryLinkUrl`), for messages. */
  readonly path: string
  readonly value: string
  /** The same string for every row naming this relation and column: the batch's lookups are grouped by it. */
  readonly key: string
}

/** A staged row turned into a records input (Twenty's shape) and the relation lookups it still needs. */
export interface PreparedRow {
  readonly input: Record<string, unknown>
  readonly lookups: ReadonlyArray<Lookup>
}

export class RowError extends Error {}

const refuse = (message: string): never => {
  throw new RowError(message)
}

/** A CSV cell (always text) → the JSON value its field type takes, so values.ts validates it as any input. */
const fromText = (type: FieldType | "TEXT", text: string): unknown => {
  switch (type) {
    case "NUMBER":
    case "POSITION":
      return /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : text
    case "BOOLEAN":
      return /^(true|yes|1)$/i.test(text) ? true : /^(false|no|0)$/i.test(text) ? false : text
    case "MULTI_SELECT":
    case "ARRAY":
      return text.trimStart().startsWith("[") ? parseJson(text) : text.split(",").map((v) => v.trim()).filter((v) => v !== "")
    case "RAW_JSON":
    case "FILES":
      return parseJson(text)
    default:
      return text
  }
}

const parseJson = (text: string) => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return refuse(`Invalid JSON value ${JSON.stringify(text)}`)
  }
}

const subFieldType = (field: FieldMetadata, sub: string): FieldType | "TEXT" => {
  const found = isCompositeFieldType(field.type) ? COMPOSITE_TYPES[field.type].find((s) => s.name === sub) : undefined
  if (!found) return "TEXT"
  if (/^(additional|secondary)/.test(found.name)) return "RAW_JSON"
  return found.type === "NUMBER" || found.type === "NUMERIC" ? "NUMBER" : "TEXT"
}

/** The target column named by a lookup path: the id, a unique field, or a unique composite's key subfield. */
const lookupColumn = (model: Model, relation: FieldMetadata, path: ReadonlyArray<string>): string => {
  const target = model.target(relation)
  const [name, sub, ...rest] = path
  const label = `${relation.name}.${path.join(".")}`
  const found = name === undefined ? undefined : model.field(target, name)
  if (!found || found.joinColumn || rest.length > 0) return refuse(`"${label}" does not name a field of ${target.nameSingular}`)
  const field = found.field
  if (field.name === "id" && sub === undefined) return "id"
  if (isCompositeFieldType(field.type)) {
    const part = COMPOSITE_TYPES[field.type].find((s) => s.name === sub)
    if (field.isUnique && part?.isIncludedInUniqueConstraint) return compositeColumnName(field.name, part.name)
  } else if (field.isUnique && sub === undefined) {
    return field.name
  }
  return refuse(`"${label}" is not a unique field of ${target.nameSingular}: link by id or by a unique field`)
}

/** JSON-lines records may name a relation as an object (`company: { domainName: { primaryLinkUrl } }`): made into paths. */
const flatRelation = (prefix: string, value: Record<string, unknown>, into: Array<[string, unknown]>) => {
  for (const [key, inner] of Object.entries(value)) {
    if (isObject(inner)) flatRelation(`${prefix}.${key}`, inner, into)
    else into.push([`${prefix}.${key}`, inner])
  }
}

const lookupKey = (field: FieldMetadata, column: string) => `${field.name}\u0000${column}`

/** What one column path of the upload does, worked out once per import rather than once per row. */
type PathPlan =
  | { readonly kind: "value"; readonly head: string; readonly type: FieldType | "TEXT" | null }
  | { readonly kind: "subfield"; readonly head: string; readonly sub: string; readonly type: FieldType | "TEXT" }
  | { readonly kind: "lookup"; readonly field: FieldMetadata; readonly column: string; readonly path: string; readonly key: string }
  | { readonly kind: "refused"; readonly message: string }

const planPath = (model: Model, object: ObjectMetadata, path: string): PathPlan => {
  const [head, ...rest] = path.split(".") as [string, ...Array<string>]
  const found = model.field(object, head)
  if (found?.joinColumn && rest.length === 0) return { kind: "lookup", field: found.field, column: "id", path: "id", key: lookupKey(found.field, "id") }
  if (!found || found.joinColumn || rest.length === 0) {
    if (found && !found.joinColumn && found.field.relationType === "MANY_TO_ONE") {
      return { kind: "refused", message: `Relation "${head}" needs a target field: "${head}.id" or "${head}.<unique field>"` }
    }
    return { kind: "value", head, type: found && !found.joinColumn ? found.field.type : null }
  }
  const field = found.field
  if (field.relationType === "MANY_TO_ONE") {
    try {
      const column = lookupColumn(model, field, rest)
      return { kind: "lookup", field, column, path: rest.join("."), key: lookupKey(field, column) }
    } catch (error) {
      return { kind: "refused", message: error instanceof Error ? error.message : String(error) }
    }
  }
  if (!isCompositeFieldType(field.type) || rest.length !== 1) {
    return { kind: "refused", message: `"${path}" does not name a field or a composite subfield of ${object.nameSingular}` }
  }
  return { kind: "subfield", head, sub: rest[0]!, type: subFieldType(field, rest[0]!) }
}

/**
 * The row reader of one import: a staged row (field paths → values; CSV cells as text) → the input
 * values.ts checks and the lookups its relations need. Throws RowError for what only this row gets wrong.
 */
export const rowPreparer = (model: Model, object: ObjectMetadata, text: boolean) => {
  const plans = new Map<string, PathPlan>()
  const planOf = (path: string) => {
    let plan = plans.get(path)
    if (!plan) plans.set(path, plan = planPath(model, object, path))
    return plan
  }
  const relationHeads = new Set([...model.fields(object)].filter((f) => f.relationType === "MANY_TO_ONE").map((f) => f.name))
  return (row: Record<string, unknown>): PreparedRow => {
    const unreadable = row[ROW_PARSE_ERROR]
    if (typeof unreadable === "string") refuse(unreadable)
    const input: Record<string, unknown> = {}
    const lookups: Array<Lookup> = []
    const take = (path: string, raw: unknown) => {
      if (raw === undefined || (text && raw === "")) return
      const plan = planOf(path)
      switch (plan.kind) {
        case "refused":
          return refuse(plan.message)
        case "value":
          input[plan.head] = text && plan.type !== null ? fromText(plan.type, String(raw)) : raw
          break
        case "subfield": {
          const composite = (input[plan.head] ??= {}) as Record<string, unknown>
          composite[plan.sub] = text ? fromText(plan.type, String(raw)) : raw
          break
        }
        case "lookup":
          // Ids are looked up too: a missing target is this row's error, not a foreign-key failure of the batch.
          if (raw === null) input[`${plan.field.name}Id`] = null
          else lookups.push({ field: plan.field, column: plan.column, path: plan.path, value: String(raw), key: plan.key })
      }
    }
    if (text) {
      // for…in rather than Object.entries: no pair arrays per row (CSV rows are the reader's plain objects).
      for (const path in row) take(path, row[path])
    } else {
      const flat: Array<[string, unknown]> = []
      for (const [key, value] of Object.entries(row)) {
        if (relationHeads.has(key) && isObject(value)) flatRelation(key, value, flat)
        else flat.push([key, value])
      }
      for (const [path, raw] of flat) take(path, raw)
    }
    return { input, lookups }
  }
}

/** The message of a row's failure: values.ts's BAD_USER_INPUT message, or the import's own. */
export const rowErrorMessage = (error: unknown): string | null =>
  error instanceof RowError ? error.message : error instanceof QueryInputError ? error.failure.message : null
