/** Rows as the API and the cache see them: timestamps as ISO strings, everything else unchanged. */
export const jsonRow = <A>(row: object): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) out[key] = value instanceof Date ? value.toISOString() : value
  return out as A
}

export const jsonRows = <A>(rows: ReadonlyArray<object>): Array<A> => rows.map((row) => jsonRow<A>(row))

export const firstRow = <A>(rows: ReadonlyArray<object>): A | null => (rows[0] ? jsonRow<A>(rows[0]) : null)
