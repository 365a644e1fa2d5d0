/** Twenty's field types: the scalar and relation kinds a field can have, and the shapes of their settings. */

export const FIELD_TYPES = [
  "UUID",
  "TEXT",
  "PHONES",
  "EMAILS",
  "DATE_TIME",
  "DATE",
  "BOOLEAN",
  "NUMBER",
  "NUMERIC",
  "LINKS",
  "CURRENCY",
  "FULL_NAME",
  "RATING",
  "SELECT",
  "MULTI_SELECT",
  "RELATION",
  "MORPH_RELATION",
  "POSITION",
  "ADDRESS",
  "RAW_JSON",
  "RICH_TEXT", // legacy: a single text column
  "RICH_TEXT_V2",
  "ACTOR",
  "ARRAY",
  "TS_VECTOR",
  "FILES" // jsonb array of files, not composite
] as const

export type FieldType = (typeof FIELD_TYPES)[number]

export interface SelectOption {
  readonly value: string
  readonly label: string
  readonly color: string
  readonly position: number
}

export type RelationDirection = "MANY_TO_ONE" | "ONE_TO_MANY"
export type OnDeleteAction = "CASCADE" | "SET_NULL" | "RESTRICT"
