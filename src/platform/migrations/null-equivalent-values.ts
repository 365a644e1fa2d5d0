import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { ResultCache } from "../cache/results.js"
import { compositeColumnName } from "../../domain/composite-types.js"

/**
 * Twenty stores '' and empty lists as NULL (and answers NULL as '' or []); rows written before Score did the
 * same still hold '' or empty lists, which `is: NULL` filters would miss. This turns them into NULL once,
 * in every workspace schema (as Twenty's upgrade command clean-null-equivalent-values does).
 */
const TEXT_SUBFIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  ADDRESS: ["addressStreet1", "addressStreet2", "addressCity", "addressState", "addressCountry", "addressPostcode"],
  EMAILS: ["primaryEmail"],
  LINKS: ["primaryLinkUrl", "primaryLinkLabel"],
  PHONES: ["primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode"],
  FULL_NAME: ["firstName", "lastName"],
  RICH_TEXT_V2: ["markdown"]
}
const LIST_SUBFIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  EMAILS: ["additionalEmails"],
  LINKS: ["secondaryLinks"],
  PHONES: ["additionalPhones"]
}

const quote = (name: string) => `"${name.replace(/"/g, "\"\"")}"`

export const clearNullEquivalentValues = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const fields = yield* sql<{ schema: string; tableName: string; name: string; type: string; isNullable: boolean }>`
    SELECT d.schema, o."tableName", f.name, f.type, f."isNullable"
      FROM core."fieldMetadata" f
      JOIN core."objectMetadata" o ON o.id = f."objectMetadataId"
      JOIN core."dataSource" d ON d."workspaceId" = o."workspaceId"
     WHERE f.type IN ('TEXT', 'MULTI_SELECT', 'ARRAY', 'ADDRESS', 'EMAILS', 'LINKS', 'PHONES', 'FULL_NAME', 'RICH_TEXT_V2')
     ORDER BY d.schema, o."tableName", f.name`
  /** Per table, each column with the blank value that becomes NULL: one UPDATE per table. */
  const byTable = new Map<string, Array<readonly [column: string, blank: string]>>()
  for (const field of fields) {
    const table = `${quote(field.schema)}.${quote(field.tableName)}`
    const columns = byTable.get(table) ?? []
    if (field.type === "TEXT" && field.isNullable) columns.push([field.name, "''"])
    if ((field.type === "MULTI_SELECT" || field.type === "ARRAY") && field.isNullable) columns.push([field.name, "'{}'"])
    for (const sub of TEXT_SUBFIELDS[field.type] ?? []) columns.push([compositeColumnName(field.name, sub), "''"])
    for (const sub of LIST_SUBFIELDS[field.type] ?? []) columns.push([compositeColumnName(field.name, sub), "'[]'::jsonb"])
    byTable.set(table, columns)
  }
  for (const [table, columns] of byTable) {
    if (columns.length === 0) continue
    const set = columns.map(([column, blank]) => `${quote(column)} = NULLIF(${quote(column)}, ${blank})`)
    const where = columns.map(([column, blank]) => `${quote(column)} = ${blank}`)
    yield* sql.unsafe(`UPDATE ${table} SET ${set.join(", ")} WHERE ${where.join(" OR ")}`)
  }
  // Totals cached by running instances counted the blanks: reloaded (runMigrations bumps again once committed).
  const results = yield* Effect.serviceOption(ResultCache)
  if (Option.isSome(results)) {
    const workspaces = yield* sql<{ workspaceId: string }>`SELECT "workspaceId" FROM core."dataSource"`
    yield* Effect.forEach(workspaces, (w) => results.value.bumpWorkspace(w.workspaceId), { discard: true })
  }
})
