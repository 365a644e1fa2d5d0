import { SqlError } from "@effect/sql"

/**
 * The SQLSTATE of a failed statement (node-postgres puts it in the cause's `code`), undefined when there is
 * none. Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const pgErrorCode = (error: SqlError.SqlError): string | undefined => {
  const code = (error.cause as { code?: unknown } | null | undefined)?.code
  return typeof code === "string" ? code : undefined
}

/** A unique index refused the row (23505): another one already has the value. */
export const isUniqueViolation = (error: unknown): boolean =>
  error instanceof SqlError.SqlError && pgErrorCode(error) === "23505"
