/** A UUID in its canonical 8-4-4-4-12 hex form, any case (PostgreSQL's `uuid` accepts exactly these here). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: unknown): value is string => typeof value === "string" && UUID_PATTERN.test(value)
