import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { User } from "../../domain/auth.js"
import { Conflict } from "../../domain/errors.js"
import { isUniqueViolation } from "../../platform/lib/pg-errors.js"
import { firstRow } from "../../platform/lib/sql-rows.js"

const USER_COLUMNS = `id, "firstName", "lastName", email, "isEmailVerified", disabled, "canImpersonate",
  "canAccessFullAdminPanel", locale, "defaultWorkspaceId", "createdAt", "updatedAt", "deletedAt",
  ("passwordHash" IS NOT NULL) AS "hasPassword"`

export const userCacheKey = (id: string) => `user:${id}`

export const findUserById = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql`SELECT ${sql.literal(USER_COLUMNS)} FROM core."user" WHERE id = ${id} AND "deletedAt" IS NULL`,
      firstRow<User>
    ))

export const findUserWithPasswordByEmail = (email: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql`SELECT ${sql.literal(USER_COLUMNS)}, "passwordHash" FROM core."user"
          WHERE lower(email) = lower(${email}) AND "deletedAt" IS NULL`,
      firstRow<User & { passwordHash: string | null }>
    ))

export const insertUser = (input: {
  readonly email: string
  /** Null for an account made by an identity provider (SSO, Google, Microsoft): it has no password. */
  readonly passwordHash: string | null
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
  readonly locale?: string | undefined
  readonly isEmailVerified?: boolean | undefined
}) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO core."user" (email, "passwordHash", "firstName", "lastName", locale, "isEmailVerified")
        VALUES (${input.email.trim()}, ${input.passwordHash}, ${input.firstName ?? ""}, ${input.lastName ?? ""},
                ${input.locale ?? "en"}, ${input.isEmailVerified ?? false})
        RETURNING ${sql.literal(USER_COLUMNS)}`.pipe(
      Effect.map((rows) => firstRow<User>(rows)!),
      Effect.catchIf(isUniqueViolation, () =>
        Effect.fail(new Conflict({ message: "User already exists" })))
    ))
