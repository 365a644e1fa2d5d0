import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer } from "effect"
import type { BadUserInput, TooManyRequests } from "../../domain/errors.js"
import { Forbidden } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { Mailer, passwordChangedMail, passwordResetMail } from "../mail/index.js"
import { workspacePageUrl } from "../members/shared.js"
import { Workspaces } from "../workspace/index.js"
import { Auth } from "./index.js"
import { hashSecretToken, lifetimeInWords, newSecretToken } from "./secret-tokens.js"
import { findUserWithPasswordByEmail } from "./users.js"

/** Twenty's password reset: a mailed single-use link, then a new password that ends every session. */
export interface PasswordResetShape {
  /**
   * Answers at once and the same way whatever the address: the token and the mail are made in the
   * background (only for an existing, enabled account), so neither the answer nor its timing tells
   * whether the address has an account. A new request replaces the previous token.
   */
  readonly emailPasswordResetLink: (email: string, workspaceId: string | null) => Effect.Effect<void>
  /** The account the token resets, or Twenty's refusal for an unknown, used, replaced or expired token. */
  readonly validatePasswordResetToken: (token: string) => Effect.Effect<{ id: string; email: string }, Forbidden | SqlError.SqlError>
  /** Sets the password and ends every session of the user, in one transaction that also uses up the token. */
  readonly updatePasswordViaResetToken: (
    token: string,
    newPassword: string
  ) => Effect.Effect<void, Forbidden | BadUserInput | TooManyRequests | SqlError.SqlError>
}

export class PasswordReset extends Context.Tag("score/PasswordReset")<PasswordReset, PasswordResetShape>() {}

/** Twenty's answer (AuthException FORBIDDEN_EXCEPTION) for every token that cannot be used. */
const tokenInvalid = new Forbidden({ message: "Token is invalid", subCode: "FORBIDDEN_EXCEPTION" })

export const PasswordResetLive = Layer.effect(
  PasswordReset,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* AppConfig
    const auth = yield* Auth
    const mailer = yield* Mailer
    const workspaces = yield* Workspaces

    /** The reset page on the workspace's subdomain when the caller named one the user belongs to. */
    const resetLink = (userId: string, workspaceId: string | null, token: string) =>
      Effect.gen(function*() {
        const workspace = workspaceId && isUuid(workspaceId) ? yield* workspaces.findById(workspaceId) : null
        const member = workspace ? yield* workspaces.membership(userId, workspace.id) : null
        if (workspace && member) return workspacePageUrl(config.frontendUrl, workspace.subdomain, `/reset-password/${token}`)
        const url = new URL(config.frontendUrl.href)
        url.pathname = `${url.pathname.replace(/\/+$/, "")}/reset-password/${token}`
        return url.href
      })

    /** The previous tokens are revoked, the new one stored hashed and its mail queued, all or nothing. */
    const sendResetLink = (email: string, workspaceId: string | null) =>
      Effect.gen(function*() {
        const user = yield* Effect.provideService(findUserWithPasswordByEmail(email), SqlClient.SqlClient, sql)
        if (!user || user.disabled) return
        const token = newSecretToken()
        const expiresAt = new Date(Date.now() + Duration.toMillis(config.passwordResetTokenTtl))
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`UPDATE core."appToken" SET "revokedAt" = now(), "updatedAt" = now()
                     WHERE "userId" = ${user.id} AND type = 'PasswordResetToken' AND "revokedAt" IS NULL`
          yield* sql`INSERT INTO core."appToken" ("userId", type, value, "expiresAt")
                     VALUES (${user.id}, 'PasswordResetToken', ${hashSecretToken(token)}, ${expiresAt})`
          const link = yield* resetLink(user.id, workspaceId, token)
          yield* mailer.send({ to: user.email, ...passwordResetMail({ link, validFor: lifetimeInWords(config.passwordResetTokenTtl) }) })
        }))
      })

    const findToken = (token: string) =>
      Effect.map(
        sql<{ id: string; email: string }>`
          SELECT u.id, u.email FROM core."appToken" t JOIN core."user" u ON u.id = t."userId"
          WHERE t.type = 'PasswordResetToken' AND t.value = ${hashSecretToken(token)} AND t."revokedAt" IS NULL
            AND t."expiresAt" > now() AND u."deletedAt" IS NULL AND NOT u.disabled`,
        firstRow<{ id: string; email: string }>
      )

    const validatePasswordResetToken = (token: string) =>
      Effect.flatMap(findToken(token), (found) => (found ? Effect.succeed(found) : Effect.fail(tokenInvalid)))

    const updatePasswordViaResetToken = (token: string, newPassword: string) =>
      Effect.gen(function*() {
        const user = yield* validatePasswordResetToken(token)
        const passwordHash = yield* auth.hashNewPassword(newPassword)
        // Used up inside the revocation's transaction: of two concurrent uses, one finds it revoked.
        const useToken = Effect.flatMap(
          sql`UPDATE core."appToken" SET "revokedAt" = now(), "updatedAt" = now()
              WHERE "userId" = ${user.id} AND type = 'PasswordResetToken' AND "revokedAt" IS NULL
                AND "expiresAt" > now() AND value = ${hashSecretToken(token)} RETURNING id`,
          (rows) => (rows.length === 1 ? Effect.void : Effect.fail(tokenInvalid))
        )
        yield* auth.endSessionsWith(
          user.id,
          Effect.all([
            useToken,
            sql`UPDATE core."appToken" SET "revokedAt" = now(), "updatedAt" = now()
                WHERE "userId" = ${user.id} AND type = 'PasswordResetToken' AND "revokedAt" IS NULL`,
            sql`UPDATE core."user" SET "passwordHash" = ${passwordHash}, "updatedAt" = now() WHERE id = ${user.id}`
          ], { discard: true })
        )
        // The notice is a courtesy: the password is changed whether or not it can be queued.
        yield* mailer.send({ to: user.email, ...passwordChangedMail({ email: user.email, link: config.frontendUrl.href }) }).pipe(
          Effect.catchAll((e) => Effect.logWarning(`Password-changed notice to ${user.email} not queued: ${e.message}`))
        )
      }).pipe(Effect.withSpan("PasswordReset.updatePasswordViaResetToken"))

    return {
      emailPasswordResetLink: (email, workspaceId) =>
        sendResetLink(email.trim(), workspaceId).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("Password reset link not sent", cause)),
          Effect.forkDaemon,
          Effect.asVoid
        ),
      validatePasswordResetToken,
      updatePasswordViaResetToken
    } satisfies PasswordResetShape
  })
)
