import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer } from "effect"
import type { User, Workspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import type { QueueUnavailable } from "../../platform/queue/index.js"
import { emailVerificationMail, Mailer } from "../mail/index.js"
import { workspacePageUrl } from "../members/shared.js"
import { Revocations } from "../revocations/index.js"
import { Workspaces } from "../workspace/index.js"
import { subdomainOf } from "./index.js"
import { hashSecretToken, newSecretToken } from "./secret-tokens.js"
import { findUserById, findUserWithPasswordByEmail, userCacheKey } from "./users.js"

/**
 * Twenty's email verification, on while IS_EMAIL_VERIFICATION_REQUIRED: a sign-up is mailed a
 * single-use link; until it is followed, sign-in answers EMAIL_NOT_VERIFIED (services/auth).
 */
export interface EmailVerificationShape {
  /** Mails a new link (the previous one stops working); false when verification is off or already done. */
  readonly sendVerificationEmail: (
    user: Pick<User, "id" | "email" | "isEmailVerified">,
    workspace: Pick<Workspace, "subdomain"> | null
  ) => Effect.Effect<boolean, SqlError.SqlError | QueueUnavailable>
  /**
   * After a sign-up (signUp, signUpInWorkspace): the verification mail, when required and not done yet.
   * Never fails the sign-up: a mail that cannot be queued is logged, and resend is there for the user.
   */
  readonly afterSignUp: (email: string, workspace: Pick<Workspace, "subdomain"> | null) => Effect.Effect<void>
  /** Twenty's resendEmailVerificationToken; an unknown address gets the same answer as a known one, and no mail. */
  readonly resend: (
    email: string,
    origin: string | null
  ) => Effect.Effect<void, BadUserInput | Forbidden | SqlError.SqlError | QueueUnavailable>
  /** Uses up the link's token and marks the address verified; Twenty's errors otherwise. */
  readonly verify: (token: string, email: string) => Effect.Effect<User, BadUserInput | Forbidden | SqlError.SqlError>
}

export class EmailVerification extends Context.Tag("score/EmailVerification")<EmailVerification, EmailVerificationShape>() {}

/** Twenty: one verification mail per address per minute. */
const RESEND_COOLDOWN_MS = 60_000

const alreadyVerified = () => new BadUserInput({ message: "Email already verified", subCode: "EMAIL_ALREADY_VERIFIED" })
const invalidToken = () => new Forbidden({ message: "Invalid email verification token", subCode: "INVALID_TOKEN" })

interface VerificationTokenRow {
  readonly id: string
  readonly userId: string
  readonly expiresAt: Date | string
  readonly createdAt: Date | string
  readonly email: string | null
}

export const EmailVerificationLive = Layer.effect(
  EmailVerification,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* AppConfig
    const mailer = yield* Mailer
    const revocations = yield* Revocations
    const workspaces = yield* Workspaces
    const provideSql = Effect.provideService(SqlClient.SqlClient, sql)

    /** FRONTEND_URL's (or the workspace's) /verify-email?emailVerificationToken=…&email=…, as Twenty builds it. */
    const verificationLink = (token: string, email: string, workspace: Pick<Workspace, "subdomain"> | null) => {
      const search = { emailVerificationToken: token, email }
      if (workspace) return workspacePageUrl(config.frontendUrl, workspace.subdomain, "/verify-email", search)
      const url = new URL(config.frontendUrl.href)
      url.pathname = `${url.pathname.replace(/\/+$/, "")}/verify-email`
      for (const [key, value] of Object.entries(search)) url.searchParams.set(key, value)
      return url.href
    }

    const sendVerificationEmail: EmailVerificationShape["sendVerificationEmail"] = (user, workspace) =>
      !config.isEmailVerificationRequired || user.isEmailVerified
        ? Effect.succeed(false)
        : sql.withTransaction(Effect.gen(function*() {
          const token = newSecretToken()
          const expiresAt = new Date(Date.now() + Duration.toMillis(config.emailVerificationTokenTtl))
          yield* sql`DELETE FROM core."appToken" WHERE "userId" = ${user.id} AND type = 'EmailVerificationToken'`
          yield* sql`INSERT INTO core."appToken" ("userId", type, value, "expiresAt", context)
                     VALUES (${user.id}, 'EmailVerificationToken', ${hashSecretToken(token)}, ${expiresAt},
                             ${JSON.stringify({ email: user.email })}::jsonb)`
          yield* mailer.send({ to: user.email, ...emailVerificationMail({ link: verificationLink(token, user.email, workspace) }) })
          return true
        }))

    const resend: EmailVerificationShape["resend"] = (email, origin) =>
      Effect.gen(function*() {
        if (!config.isEmailVerificationRequired) {
          return yield* new BadUserInput({
            message: "Email verification token cannot be sent because email verification is not required",
            subCode: "EMAIL_VERIFICATION_NOT_REQUIRED"
          })
        }
        const user = yield* provideSql(findUserWithPasswordByEmail(email.trim()))
        if (!user || user.disabled) return
        if (user.isEmailVerified) return yield* alreadyVerified()
        const [last] = yield* sql<{ createdAt: Date | string }>`
          SELECT "createdAt" FROM core."appToken" WHERE "userId" = ${user.id} AND type = 'EmailVerificationToken'
          ORDER BY "createdAt" DESC LIMIT 1`
        const wait = last ? new Date(last.createdAt).getTime() + RESEND_COOLDOWN_MS - Date.now() : 0
        if (wait > 0) {
          return yield* new Forbidden({
            message: `Please wait ${Math.ceil(wait / 1000)} seconds before requesting another verification email`,
            subCode: "RATE_LIMIT_EXCEEDED"
          })
        }
        const subdomain = subdomainOf(origin)
        const workspace = subdomain ? yield* workspaces.findBySubdomain(subdomain) : null
        yield* sendVerificationEmail(user, workspace)
      })

    const findToken = (token: string) =>
      Effect.map(
        sql`SELECT id, "userId", "expiresAt", "createdAt", context->>'email' AS email FROM core."appToken"
            WHERE type = 'EmailVerificationToken' AND value = ${hashSecretToken(token)}`,
        firstRow<VerificationTokenRow>
      )

    const verify: EmailVerificationShape["verify"] = (token, email) =>
      Effect.gen(function*() {
        const known = yield* provideSql(findUserWithPasswordByEmail(email.trim()))
        if (known?.isEmailVerified) return yield* alreadyVerified()
        const row = yield* findToken(token)
        if (!row) return yield* invalidToken()
        if (new Date(row.expiresAt).getTime() <= Date.now()) {
          return yield* new Forbidden({ message: "Email verification token expired", subCode: "TOKEN_EXPIRED" })
        }
        if (!row.email) return yield* new BadUserInput({ message: "Email missing in email verification token context", subCode: "EMAIL_MISSING" })
        if (row.email.toLowerCase() !== email.trim().toLowerCase()) {
          return yield* new BadUserInput({ message: "Email does not match token", subCode: "INVALID_EMAIL" })
        }
        // Deleted and applied together: of two concurrent uses, one finds no token.
        const verifiedId = yield* sql.withTransaction(Effect.gen(function*() {
          const used = yield* sql`DELETE FROM core."appToken" WHERE id = ${row.id} RETURNING id`
          if (used.length === 0) return yield* invalidToken()
          const updated = yield* sql<{ id: string }>`
            UPDATE core."user" SET "isEmailVerified" = true, "updatedAt" = now()
            WHERE id = ${row.userId} AND lower(email) = lower(${row.email}) AND "deletedAt" IS NULL RETURNING id`
          return updated[0]?.id ?? null
        }))
        if (!verifiedId) return yield* invalidToken()
        yield* revocations.invalidate(userCacheKey(verifiedId))
        const user = yield* provideSql(findUserById(verifiedId))
        return user ?? (yield* invalidToken())
      }).pipe(Effect.withSpan("EmailVerification.verify"))

    const afterSignUp: EmailVerificationShape["afterSignUp"] = (email, workspace) =>
      !config.isEmailVerificationRequired
        ? Effect.void
        : Effect.flatMap(provideSql(findUserWithPasswordByEmail(email.trim())), (user) =>
          user ? sendVerificationEmail(user, workspace) : Effect.void).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning(`Verification mail to ${email} not sent`, cause)),
            Effect.asVoid
          )

    return { sendVerificationEmail, afterSignUp, resend, verify } satisfies EmailVerificationShape
  })
)
