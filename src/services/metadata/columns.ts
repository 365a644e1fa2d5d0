import type { FieldMetadata } from "../../domain/metadata.js"
import {
  COMPOSITE_TYPES,
  compositeColumnName,
  type CompositeFieldType,
  isCompositeFieldType
} from "../../domain/composite-types.js"
import type { FieldType } from "../../domain/field-types.js"

/** The part of a field that decides its columns. */
export type ColumnSource = Pick<
  FieldMetadata,
  "name" | "type" | "isNullable" | "isUnique" | "defaultValue" | "options" | "settings" | "relationType"
>

export interface ColumnSpec {
  readonly name: string
  readonly sqlType: string
  readonly notNull: boolean
  readonly defaultSql: string | null
  /** A CHECK expression for SELECT / MULTI_SELECT / RATING columns. */
  readonly check: string | null
  readonly inUniqueConstraint: boolean
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Quotes an identifier that has already been validated; anything else is a bug, not user input. */
export const ident = (name: string) => {
  if (!IDENTIFIER.test(name)) throw new Error(`Invalid SQL identifier: ${JSON.stringify(name)}`)
  return `"${name}"`
}

export const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`

/** A SQL string literal (standard_conforming_strings is on in every supported PostgreSQL). */
export const literal = (value: string) => {
  if (value.includes("\u0000")) throw new Error("NUL character in literal")
  return `'${value.replace(/'/g, "''")}'`
}

const scalarSqlType = (type: FieldType, settings: Record<string, unknown> | null): string => {
  switch (type) {
    case "UUID":
      return "uuid"
    case "TEXT":
    case "RICH_TEXT":
    case "SELECT":
    case "RATING":
      return "text"
    case "DATE_TIME":
      return "timestamptz"
    case "DATE":
      return "date"
    case "BOOLEAN":
      return "boolean"
    case "NUMBER":
      return settings?.["dataType"] === "int" ? "integer" : settings?.["dataType"] === "bigint" ? "bigint" : "double precision"
    case "NUMERIC":
      return "numeric"
    case "POSITION":
      return "double precision"
    case "MULTI_SELECT":
    case "ARRAY":
      return "text[]"
    case "RAW_JSON":
    case "FILES":
      return "jsonb"
    case "TS_VECTOR":
      return "tsvector"
    default:
      throw new Error(`No scalar column type for ${type}`)
  }
}

export const RATING_VALUES = ["RATING_1", "RATING_2", "RATING_3", "RATING_4", "RATING_5"]

/**
 * Twenty's stored default → SQL: "'NEW'" is a string literal, "uuid" and "now" are functions, numbers
 * and booleans are themselves, arrays of quoted strings are text arrays, objects are JSON.
 */
export const defaultToSql = (value: unknown, sqlType: string): string | null => {
  if (value === null || value === undefined) return null
  if (value === "uuid") return "gen_random_uuid()"
  if (value === "now") return "now()"
  if (typeof value === "string") {
    const quoted = /^'(.*)'$/s.exec(value)
    const text = quoted ? quoted[1]!.replace(/''/g, "'") : value
    return sqlType === "jsonb" ? `${literal(JSON.stringify(text))}::jsonb` : literal(text)
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("Non-finite default")
    return String(value)
  }
  if (typeof value === "boolean") return value ? "true" : "false"
  if (Array.isArray(value) && sqlType === "text[]") {
    const items = value.map((v) => literal(String(v).replace(/^'(.*)'$/s, "$1")))
    return items.length === 0 ? "'{}'::text[]" : `ARRAY[${items.join(", ")}]::text[]`
  }
  return `${literal(JSON.stringify(value))}::jsonb`
}

const optionValuesCheck = (column: string, values: ReadonlyArray<string>, isArray: boolean) => {
  const list = values.map(literal).join(", ")
  return isArray ? `${ident(column)} <@ ARRAY[${list}]::text[]` : `${ident(column)} IN (${list})`
}

const compositeColumns = (field: ColumnSource, type: CompositeFieldType): Array<ColumnSpec> =>
  COMPOSITE_TYPES[type].map((sub) => {
    const sqlType = sub.type === "SELECT" ? "text" : scalarSqlType(sub.type, null)
    const subDefault = (field.defaultValue as Record<string, unknown> | null | undefined)?.[sub.name]
    return {
      name: compositeColumnName(field.name, sub.name),
      sqlType,
      notNull: false,
      defaultSql: defaultToSql(subDefault, sqlType),
      check: null,
      inUniqueConstraint: Boolean(field.isUnique && sub.isIncludedInUniqueConstraint)
    }
  })

/** The columns a field occupies in its object's table (none for the ONE_TO_MANY side of a relation). */
export const columnsOf = (field: ColumnSource): Array<ColumnSpec> => {
  if (field.type === "RELATION" || field.type === "MORPH_RELATION") {
    return field.relationType === "MANY_TO_ONE"
      ? [{ name: `${field.name}Id`, sqlType: "uuid", notNull: false, defaultSql: null, check: null, inUniqueConstraint: field.isUnique }]
      : []
  }
  if (isCompositeFieldType(field.type)) return compositeColumns(field, field.type)
  const sqlType = scalarSqlType(field.type, field.settings)
  const defaultSql = defaultToSql(field.defaultValue, sqlType)
  const values = field.type === "RATING" ? RATING_VALUES : field.options?.map((o) => o.value) ?? []
  const check = field.type === "SELECT" || field.type === "RATING"
    ? optionValuesCheck(field.name, values, false)
    : field.type === "MULTI_SELECT"
    ? optionValuesCheck(field.name, values, true)
    : null
  return [{
    name: field.name,
    sqlType,
    notNull: !field.isNullable && (defaultSql !== null || field.name === "id"),
    defaultSql,
    check,
    inUniqueConstraint: field.isUnique
  }]
}

export const columnDefinition = (column: ColumnSpec) =>
  [ident(column.name), column.sqlType, column.notNull ? "NOT NULL" : "", column.defaultSql ? `DEFAULT ${column.defaultSql}` : ""]
    .filter(Boolean)
    .join(" ")

/** Constraint and index names derived from the column, so they can be found again to drop or replace. */
export const checkName = (column: string) => `${column.slice(0, 54)}_options`
export const foreignKeyName = (column: string) => `${column.slice(0, 57)}_fkey`
export const indexName = (table: string, columns: ReadonlyArray<string>, kind: "idx" | "uniq") => {
  const raw = `${table}_${columns.join("_")}`
  const hash = Bun.hash(raw).toString(36).slice(0, 8)
  return `${kind}_${raw.slice(0, 40)}_${hash}`
}
