import type { FieldMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"

/**
 * How a merge combines one field's values, as Twenty's merge-field-values.util.ts and its helpers: the
 * priority record's value when it has one, else the first record's that has one; lists (ARRAY,
 * MULTI_SELECT) are united; EMAILS, PHONES and LINKS keep one primary and gather every other address,
 * number or url (deduplicated) into the additional list.
 */

type Row = Record<string, unknown>

/** Twenty's hasRecordFieldValue. */
export const hasValue = (value: unknown): boolean => {
  if (value === null || value === undefined) return false
  if (typeof value === "string") return value.trim() !== ""
  if (typeof value === "number") return !Number.isNaN(value)
  if (Array.isArray(value)) return value.length > 0
  if (value instanceof Date) return true
  if (typeof value === "object") return Object.values(value).some(hasValue)
  return true
}

const listOf = (value: unknown): Array<unknown> => {
  if (Array.isArray(value)) return value
  if (typeof value === "string" && value.trim() !== "") {
    try {
      const parsed = JSON.parse(value)
      return Array.isArray(parsed) ? parsed : []
    } catch {
      return []
    }
  }
  return []
}

const uniqueBy = <T>(items: ReadonlyArray<T>, key: (item: T) => unknown) => {
  const seen = new Set<unknown>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

// Subfields read NULL are '' as Twenty reads them (format-result.util.ts).
/** The first value (priority first) whose `primary` subfield has a value. */
const primaryOf = (values: ReadonlyArray<Row>, primary: string) => values.find((v) => hasValue(v[primary]))

const mergeEmails = (values: ReadonlyArray<Row>): Row => {
  const primaryEmail = (primaryOf(values, "primaryEmail")?.["primaryEmail"] as string | undefined) ?? ""
  const all = values.flatMap((v) => [v["primaryEmail"], ...listOf(v["additionalEmails"])]).filter(hasValue)
  const additional = [...new Set(all)].filter((email) => email !== primaryEmail)
  return { primaryEmail, additionalEmails: additional.length > 0 ? additional : null }
}

const mergePhones = (values: ReadonlyArray<Row>): Row => {
  const primary = primaryOf(values, "primaryPhoneNumber")
  const primaryPhoneNumber = (primary?.["primaryPhoneNumber"] as string | undefined) ?? ""
  const all = values.flatMap((v) => [
    ...(hasValue(v["primaryPhoneNumber"])
      ? [{ number: v["primaryPhoneNumber"], countryCode: v["primaryPhoneCountryCode"] ?? "", callingCode: v["primaryPhoneCallingCode"] ?? "" }]
      : []),
    ...listOf(v["additionalPhones"]).filter((p) => hasValue((p as Row | null)?.["number"])) as Array<Row>
  ])
  const additional = uniqueBy(all, (p) => p["number"]).filter((p) => p["number"] !== primaryPhoneNumber)
  return {
    primaryPhoneNumber,
    primaryPhoneCountryCode: primary?.["primaryPhoneCountryCode"] ?? null,
    primaryPhoneCallingCode: primary?.["primaryPhoneCallingCode"] ?? "",
    additionalPhones: additional.length > 0 ? additional : null
  }
}

const mergeLinks = (values: ReadonlyArray<Row>): Row => {
  const primary = primaryOf(values, "primaryLinkUrl")
  const primaryLinkUrl = (primary?.["primaryLinkUrl"] as string | undefined) ?? ""
  const all = values.flatMap((v) => [
    ...(hasValue(v["primaryLinkUrl"]) ? [{ url: v["primaryLinkUrl"], label: v["primaryLinkLabel"] ?? "" }] : []),
    ...listOf(v["secondaryLinks"]).filter((l) => hasValue((l as Row | null)?.["url"])) as Array<Row>
  ])
  const secondary = uniqueBy(all, (l) => l["url"]).filter((l) => l["url"] !== primaryLinkUrl)
  return { primaryLinkLabel: primary?.["primaryLinkLabel"] ?? "", primaryLinkUrl, secondaryLinks: secondary.length > 0 ? secondary : null }
}

/** A composite field's value in a raw row, as an object of its subfields. */
const compositeOf = (field: FieldMetadata, row: Row): Row => {
  const type = field.type as keyof typeof COMPOSITE_TYPES
  return Object.fromEntries(COMPOSITE_TYPES[type].map((sub) => [sub.name, row[compositeColumnName(field.name, sub.name)]]))
}

/**
 * One field merged over raw rows (the priority row first, then the others in the order given): its value
 * in the API's shape, or undefined when no row has one (the priority row keeps its own).
 */
export const mergeField = (field: FieldMetadata, rows: ReadonlyArray<Row>): unknown => {
  const column = field.type === "RELATION" || field.type === "MORPH_RELATION" ? `${field.name}Id` : field.name
  const values = rows.map((row) => (isCompositeFieldType(field.type) ? compositeOf(field, row) : row[column])).filter(hasValue)
  if (values.length === 0) return undefined
  if (values.length === 1) return values[0]
  switch (field.type) {
    case "ARRAY":
    case "MULTI_SELECT": {
      const united = [...new Set(values.flatMap((v) => (Array.isArray(v) ? v : [])).filter(hasValue))]
      return united.length > 0 ? united : null
    }
    case "EMAILS":
      return mergeEmails(values as Array<Row>)
    case "PHONES":
      return mergePhones(values as Array<Row>)
    case "LINKS":
      return mergeLinks(values as Array<Row>)
    default:
      return values[0]
  }
}

/** A merged field value → its columns and their stored values. */
export const mergedColumns = (field: FieldMetadata, value: unknown): Record<string, unknown> => {
  const stored = (v: unknown, json: boolean) =>
    v === null || v === undefined || v === "" ? null : json || (typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) ? JSON.stringify(v) : v
  if (field.type === "RELATION" || field.type === "MORPH_RELATION") return { [`${field.name}Id`]: value ?? null }
  if (!isCompositeFieldType(field.type)) return { [field.name]: stored(value, field.type === "RAW_JSON" || field.type === "FILES") }
  const object = (value ?? {}) as Row
  return Object.fromEntries(COMPOSITE_TYPES[field.type].map((sub) =>
    [compositeColumnName(field.name, sub.name), stored(object[sub.name], sub.type === "RAW_JSON")]
  ))
}
