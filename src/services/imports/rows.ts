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

/**
 * A staged row (field paths → values; CSV cells as text) → the input values.ts checks and the lookups its
 * relations need. Throws RowError for what only this row gets wrong.
 */
export const prepareRow = (model: Model, object: ObjectMetadata, row: Record<string, unknown>, text: boolean): PreparedRow => {
  const unreadable = row[ROW_PARSE_ERROR]
  if (typeof unreadable === "string") refuse(unreadable)
  const input: Record<string, unknown> = {}
  const lookups: Array<Lookup> = []
  const entries: Array<[string, unknown]> = []
  for (const [key, value] of Object.entries(row)) {
    const found = model.field(object, key)
    if (found && !found.joinColumn && found.field.relationType === "MANY_TO_ONE" && isObject(value)) flatRelation(key, value, entries)
    else entries.push([key, value])
  }
  for (const [path, raw] of entries) {
    if (raw === undefined || (text && raw === "")) continue
    const [head, ...rest] = path.split(".")
    const found = model.field(object, head!)
    if (found?.joinColumn && rest.length === 0 && raw !== null) {
      lookups.push({ field: found.field, column: "id", path: "id", value: String(raw) })
      continue
    }
    if (!found || found.joinColumn || rest.length === 0) {
      if (found && !found.joinColumn && found.field.relationType === "MANY_TO_ONE") {
        refuse(`Relation "${head}" needs a target field: "${head}.id" or "${head}.<unique field>"`)
      }
      input[head!] = text && found && !found.joinColumn ? fromText(found.field.type, String(raw)) : raw
      continue
    }
    const field = found.field
    if (field.relationType === "MANY_TO_ONE") {
      const column = lookupColumn(model, field, rest)
      // Ids are looked up too: a missing target is this row's error, not a foreign-key failure of the batch.
      if (raw === null) input[`${field.name}Id`] = null
      else lookups.push({ field, column, path: rest.join("."), value: String(raw) })
      continue
    }
    if (!isCompositeFieldType(field.type) || rest.length !== 1) {
      refuse(`"${path}" does not name a field or a composite subfield of ${object.nameSingular}`)
    }
    const composite = (input[head!] ??= {}) as Record<string, unknown>
    composite[rest[0]!] = text ? fromText(subFieldType(field, rest[0]!), String(raw)) : raw
  }
  return { input, lookups }
}

/** The message of a row's failure: values.ts's BAD_USER_INPUT message, or the import's own. */
export const rowErrorMessage = (error: unknown): string | null =>
  error instanceof RowError ? error.message : error instanceof QueryInputError ? error.failure.message : null
