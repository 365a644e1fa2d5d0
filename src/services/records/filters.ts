import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { type BuildContext, col, fail, isRelation, type Model, nextAlias } from "./build-context.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { ConnectionArgs, RecordFilter } from "./types.js"
import { fieldReadable, requireReadable, rowCondition } from "./access.js"

/* Twenty's filter grammar as SQL conditions; soft-deleted records hidden unless asked about. */

const mentionsDeletedAt = (filter: unknown): boolean => {
  if (!filter || typeof filter !== "object") return false
  if (Array.isArray(filter)) return filter.some(mentionsDeletedAt)
  return Object.entries(filter).some(([key, value]) =>
    key === "deletedAt" || ((key === "and" || key === "or" || key === "not") && mentionsDeletedAt(value))
  )
}

/** Soft-deleted records stay hidden unless the filter asks about deletedAt (Twenty's rule). */
export const baseConditions = (ctx: BuildContext, object: ObjectMetadata, alias: string, args: Pick<ConnectionArgs, "filter" | "after" | "before">) => {
  const conditions: Array<string> = []
  if (!mentionsDeletedAt(args.filter)) conditions.push(`${col(alias, "deletedAt")} IS NULL`)
  if (args.filter) conditions.push(filterSql(ctx, object, alias, args.filter, 0))
  if (ctx.guard !== null) {
    const rows = rowCondition(ctx, object, alias)
    if (rows !== null) conditions.push(rows)
  }
  return conditions
}

type Kind = "uuid" | "text" | "number" | "boolean" | "date" | "datetime" | "enum" | "array" | "json"

const kindOf = (type: string): Kind => {
  switch (type) {
    case "UUID":
    case "RELATION":
      return "uuid"
    case "NUMBER":
    case "NUMERIC":
    case "POSITION":
      return "number"
    case "BOOLEAN":
      return "boolean"
    case "DATE":
      return "date"
    case "DATE_TIME":
      return "datetime"
    case "SELECT":
    case "RATING":
      return "enum"
    case "MULTI_SELECT":
    case "ARRAY":
      return "array"
    case "RAW_JSON":
    case "FILES":
      return "json"
    default:
      return "text"
  }
}

const checkValue = (kind: Kind, value: unknown, path: string): unknown => {
  const wrong = () => fail(`Invalid value ${JSON.stringify(value)} for ${path}`, path)
  switch (kind) {
    case "uuid":
      return isUuid(value) ? value : wrong()
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? value
        : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : wrong()
    case "boolean":
      return typeof value === "boolean" ? value : wrong()
    case "date":
    case "datetime":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? value : wrong()
    default:
      return typeof value === "string" ? value : typeof value === "number" ? String(value) : wrong()
  }
}

const likeEscape = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`)

const operatorSql = (ctx: BuildContext, kind: Kind, column: string, op: string, value: unknown, path: string): string => {
  const p = (v: unknown) => ctx.params.add(v)
  const one = () => p(checkValue(kind === "array" ? "text" : kind, value, path))
  switch (op) {
    case "eq":
      return kind === "array" ? `${column} = ${p(arrayOf(value, path))}` : `${column} = ${one()}`
    case "neq":
      return `${column} <> ${one()}`
    case "gt":
      return `${column} > ${one()}`
    case "gte":
      return `${column} >= ${one()}`
    case "lt":
      return `${column} < ${one()}`
    case "lte":
      return `${column} <= ${one()}`
    case "in": {
      if (!Array.isArray(value)) return fail(`"in" takes a list for ${path}`, path)
      if (value.length === 0) return "false"
      return `${column} = ANY(${p(value.map((v) => checkValue(kind, v, path)))})`
    }
    case "is":
      if (value === "NULL") return `${column} IS NULL`
      if (value === "NOT_NULL") return `${column} IS NOT NULL`
      return fail(`"is" takes NULL or NOT_NULL for ${path}`, path)
    case "like":
      return `${kind === "json" ? `${column}::text` : column} LIKE ${p(checkValue("text", value, path))}`
    case "ilike":
      return `${kind === "json" ? `${column}::text` : column} ILIKE ${p(checkValue("text", value, path))}`
    case "startsWith":
      return `${column} LIKE ${p(`${likeEscape(String(checkValue("text", value, path)))}%`)}`
    case "endsWith":
      return `${column} LIKE ${p(`%${likeEscape(String(checkValue("text", value, path)))}`)}`
    case "containsAny":
      return `${column} && ${p(arrayOf(value, path))}::text[]`
    case "containsIlike":
      return `EXISTS (SELECT 1 FROM unnest(${column}) AS v WHERE v ILIKE ${p(checkValue("text", value, path))})`
    case "isEmptyArray":
      if (typeof value !== "boolean") return fail(`isEmptyArray takes true or false for ${path}`, path)
      return value ? `coalesce(cardinality(${column}), 0) = 0` : `cardinality(${column}) > 0`
    default:
      return fail(`Unknown filter operator "${op}" for ${path}`, path)
  }
}

const arrayOf = (value: unknown, path: string) =>
  Array.isArray(value) && value.every((v) => typeof v === "string")
    ? value
    : fail(`Expected a list of strings for ${path}`, path)

const comparisons = (ctx: BuildContext, kind: Kind, column: string, condition: unknown, path: string): string => {
  if (!condition || typeof condition !== "object" || Array.isArray(condition)) {
    return fail(`Filter on ${path} must be an object of operators`, path)
  }
  const parts = Object.entries(condition)
    .filter(([, value]) => value !== undefined)
    .map(([op, value]) => operatorSql(ctx, kind, column, op, value, path))
  return parts.length === 0 ? "true" : parts.join(" AND ")
}

/** Twenty's filter object → a SQL condition on rows of `object` aliased `alias`. */
export const filterSql = (ctx: BuildContext, object: ObjectMetadata, alias: string, filter: RecordFilter, depth: number): string => {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) return fail("filter must be an object", "filter")
  const parts: Array<string> = []
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue
    if (key === "and" || key === "or") {
      if (!Array.isArray(value)) return fail(`"${key}" takes a list of filters`, key)
      if (value.length === 0) continue
      const joined = value.map((f) => `(${filterSql(ctx, object, alias, f as RecordFilter, depth)})`).join(key === "and" ? " AND " : " OR ")
      parts.push(`(${joined})`)
      continue
    }
    if (key === "not") {
      parts.push(`NOT (${filterSql(ctx, object, alias, value as RecordFilter, depth)})`)
      continue
    }
    const found = ctx.model.field(object, key) ?? fail(`Field "${key}" does not exist on ${object.nameSingular}`, key)
    const field = found.field
    if (ctx.guard !== null) requireReadable(ctx, object, field)
    if (found.joinColumn) {
      parts.push(comparisons(ctx, "uuid", col(alias, key), value, key))
    } else if (isRelation(field)) {
      if (depth >= ctx.maxDepth) fail(`Relation filters are nested more than ${ctx.maxDepth} levels deep`, key)
      const target = ctx.model.target(field)
      if (ctx.guard !== null) requireReadable(ctx, target)
      const child = nextAlias(ctx)
      const link = field.relationType === "MANY_TO_ONE"
        ? `${col(child, "id")} = ${col(alias, `${field.name}Id`)}`
        : `${col(child, `${ctx.model.inverse(field).name}Id`)} = ${col(alias, "id")}`
      const nested = [link, ...baseConditions(ctx, target, child, { filter: value as RecordFilter })]
      parts.push(`EXISTS (SELECT 1 FROM ${ctx.model.table(target)} ${child} WHERE ${nested.join(" AND ")})`)
    } else if (isCompositeFieldType(field.type)) {
      if (typeof value !== "object" || Array.isArray(value)) return fail(`Filter on ${key} must name its subfields`, key)
      for (const [subName, condition] of Object.entries(value as object)) {
        const sub = COMPOSITE_TYPES[field.type].find((s) => s.name === subName) ??
          fail(`"${subName}" is not a subfield of ${key}`, `${key}.${subName}`)
        parts.push(comparisons(ctx, kindOf(sub.type), col(alias, compositeColumnName(key, sub.name)), condition, `${key}.${subName}`))
      }
    } else if (field.type === "TS_VECTOR") {
      parts.push(searchSql(ctx, object, alias, value, key))
    } else {
      parts.push(comparisons(ctx, kindOf(field.type), col(alias, key), value, key))
    }
  }
  return parts.length === 0 ? "true" : parts.join(" AND ")
}

/** The text a record is searched in: its text, name, email, link and phone fields. Null when it has none. */
export const searchableText = (model: Model, object: ObjectMetadata, alias: string, guard: BuildContext["guard"] = null): string | null => {
  const columns = [...model.fields(object)].flatMap((f) =>
    !fieldReadable(guard, object, f) ? []
    : f.type === "TEXT" ? [col(alias, f.name)]
    : f.type === "FULL_NAME" ? [col(alias, `${f.name}FirstName`), col(alias, `${f.name}LastName`)]
    : f.type === "EMAILS" ? [col(alias, `${f.name}PrimaryEmail`)]
    : f.type === "LINKS" ? [col(alias, `${f.name}PrimaryLinkUrl`)]
    : f.type === "PHONES" ? [col(alias, `${f.name}PrimaryPhoneNumber`)]
    : []
  )
  return columns.length === 0 ? null : `concat_ws(' ', ${columns.join(", ")})`
}

/**
 * Twenty's `searchVector: { search: "ada love" }`: every word is the start of a word of the record's
 * searchable text (Twenty matches `ada:* & love:*` in its search vector), case-insensitively.
 */
const searchSql = (ctx: BuildContext, object: ObjectMetadata, alias: string, condition: unknown, path: string) => {
  const entries = typeof condition === "object" && condition !== null && !Array.isArray(condition) ? Object.entries(condition) : null
  if (!entries || entries.some(([op]) => op !== "search")) return fail(`Filter on ${path} takes { search: "…" }`, path)
  const term = (condition as { search?: unknown }).search
  if (term === undefined || term === null) return "true"
  if (typeof term !== "string") return fail(`Invalid value ${JSON.stringify(term)} for ${path}`, path)
  const words = term.split(/\s+/).filter(Boolean)
  if (words.length === 0) return "true"
  const text = searchableText(ctx.model, object, alias, ctx.trusted > 0 ? null : ctx.guard)
  if (text === null) return "false"
  return words.map((word) => `${text} ~* ${ctx.params.add(`\\m${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`)}`).join(" AND ")
}
