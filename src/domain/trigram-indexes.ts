/**
 * Text columns a CRM filters with `ilike '%…%'` (names, emails, domains, job titles, cities): each gets a
 * pg_trgm GIN index, so such a filter (and its count) reads the index instead of the whole table. Custom
 * objects get one on their `name`. Chosen per column, not over every text field: each index costs writes.
 */
export const STANDARD_TRIGRAM_COLUMNS: Readonly<Record<string, ReadonlyArray<string>>> = {
  company: ["name", "domainNamePrimaryLinkUrl"],
  person: ["nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", "city"],
  opportunity: ["name"],
  note: ["title"],
  task: ["title"]
}

export const CUSTOM_TRIGRAM_COLUMNS: ReadonlyArray<string> = ["name"]

/** The trigram-indexed columns of an object that has `columns`. */
export const trigramColumns = (
  object: { readonly nameSingular: string; readonly isCustom: boolean },
  columns: ReadonlyArray<string>
): ReadonlyArray<string> =>
  (object.isCustom ? CUSTOM_TRIGRAM_COLUMNS : STANDARD_TRIGRAM_COLUMNS[object.nameSingular] ?? []).filter((c) => columns.includes(c))

/** Within PostgreSQL's 63 characters, and found again by name (a hash keeps long table names apart). */
export const trigramIndexName = (table: string, column: string) => {
  const raw = `${table}_${column}`
  return `trgm_${raw.slice(0, 40)}_${Bun.hash(raw).toString(36).slice(0, 8)}`
}
