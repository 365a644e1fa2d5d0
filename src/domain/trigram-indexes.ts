/**
 * Text columns a CRM filters with `ilike '%…%'` (names, emails, domains, titles): each gets a pg_trgm GIN
 * index, so such a filter (and its count) reads the index instead of the whole table. Custom objects get one
 * on their `name`. Few on purpose, each costs writes: on a loaded 2-core machine a 20,000-row INSERT…SELECT
 * into person took ~3× as long per row with three of them (20 → 61 µs), single-row API inserts ~10 % more.
 */
export const STANDARD_TRIGRAM_COLUMNS: Readonly<Record<string, ReadonlyArray<string>>> = {
  company: ["name", "domainNamePrimaryLinkUrl"],
  person: ["nameFirstName", "nameLastName", "emailsPrimaryEmail"],
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
