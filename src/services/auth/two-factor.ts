import { SqlClient, type SqlError } from "@effect/sql"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import * as OTPAuth from "otpauth"
import { createHash, randomBytes } from "node:crypto"
import type { User, Workspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { Mailer, type RenderedMail, twoFactorRecoveryCodeIssuedMail, twoFactorResetMail } from "../mail/index.js"
import { Workspaces } from "../workspace/index.js"
import { Auth } from "./index.js"
import { lifetimeInWords } from "./secret-tokens.js"
import { SecretBox } from "./secret-box.js"
import { methodsOf, type TwoFactorMethodRow } from "./two-factor-methods.js"

/** Twenty's TOTP two-factor authentication, with its admin-issued one-time recovery codes. */
export interface TwoFactorShape {
  /** An `otpauth://` URI for a new (or the still-pending, under an hour old) TOTP method of the member. */
  readonly initiate: (user: Pick<User, "id" | "email">, workspace: Workspace) => Effect.Effect<string, TwoFactorFailure>
  /** Checks a code of the member's method and marks it verified; a code's time step is accepted once. */
  readonly verify: (userId: string, workspaceId: string, otp: string) => Effect.Effect<void, TwoFactorFailure>
  readonly remove: (userId: string, workspaceId: string, methodId: string) => Effect.Effect<void, TwoFactorFailure>
  readonly summary: (userWorkspaceId: string) => Effect.Effect<ReadonlyArray<MethodSummary>, SqlError.SqlError>
  /** A code that lets `targetUserId` in once without their second factor; the actor proves theirs with `otp`. */
  readonly issueRecoveryCode: (
    actorUserId: string,
    workspaceId: string,
    targetUserId: string,
    otp: string | null
  ) => Effect.Effect<{ recoveryCode: string; expiresAt: Date }, TwoFactorFailure>
  readonly revokeRecoveryCode: (workspaceId: string, targetUserId: string) => Effect.Effect<boolean, TwoFactorFailure>
  readonly recoveryStatus: (workspaceId: string, targetUserId: string) => Effect.Effect<RecoveryStatus, TwoFactorFailure>
  /** Uses the code up, removes the member's methods and ends their sessions but the login token being used. */
  readonly redeemRecoveryCode: (
    userId: string,
    workspaceId: string,
    recoveryCode: string,
    loginTokenId: string
  ) => Effect.Effect<void, TwoFactorFailure>
}

export interface MethodSummary {
  readonly twoFactorAuthenticationMethodId: string
  readonly status: string
  readonly strategy: string
}

export interface RecoveryStatus {
  readonly hasVerifiedTwoFactorAuthenticationMethod: boolean
  readonly isAwaitingRecoveryEnrollment: boolean
  readonly pendingRecoveryCodeExpiresAt: Date | null
}

type TwoFactorFailure = Forbidden | BadUserInput | SqlError.SqlError

export class TwoFactor extends Context.Tag("score/TwoFactor")<TwoFactor, TwoFactorShape>() {}

const PERIOD_SECONDS = 30
/** Steps accepted either side of now: ±30 s of clock drift (Twenty's otplib window is 3 steps). */
const WINDOW = 1
const PENDING_REUSE_MS = 60 * 60 * 1000
const RECOVERY_CODE_TTL = Duration.hours(24)
const RECOVERY_CODE_TTL_MS = Duration.toMillis(RECOVERY_CODE_TTL)
const RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const invalidOtp = new BadUserInput({ message: "Invalid OTP", subCode: "INVALID_OTP" })
const methodNotFound = new Forbidden({ message: "Two Factor Authentication Method not found.", subCode: "INVALID_CONFIGURATION" })
const malformed = new Forbidden({ message: "Malformed Two Factor Authentication Method object", subCode: "MALFORMED_DATABASE_OBJECT" })
const invalidRecoveryCode = new BadUserInput({ message: "Invalid recovery code", subCode: "INVALID_RECOVERY_CODE" })
const targetNotAllowed = (message: string) => new Forbidden({ message, subCode: "RECOVERY_CODE_TARGET_NOT_ALLOWED" })
const stepUpRequired = (message: string) => new BadUserInput({ message, subCode: "STEP_UP_AUTHENTICATION_REQUIRED" })

const sealContext = (userWorkspaceId: string) => `totp:${userWorkspaceId}`

const totpOf = (secret: string, label = "", issuer = "") =>
  new OTPAuth.TOTP({ issuer, label, algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS, secret: OTPAuth.Secret.fromBase32(secret) })

/** 20 symbols of a 32-letter alphabet (100 bits) in groups of five, as Twenty's. */
const newRecoveryCode = () =>
  Array.from(randomBytes(20), (b) => RECOVERY_ALPHABET[b % 32]).join("").replace(/(.{5})(?=.)/g, "$1-")
const hashRecoveryCode = (code: string) =>
  createHash("sha256").update(code.toUpperCase().replace(/[^0-9A-Z]/g, "")).digest("hex")

export const TwoFactorLive = Layer.effect(
  TwoFactor,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const box = yield* SecretBox
    const workspaces = yield* Workspaces
    const auth = yield* Auth
    const mailer = yield* Mailer
    const { frontendUrl } = yield* AppConfig
    const provideSql = Effect.provideService(SqlClient.SqlClient, sql)

    /** A security notice; a mail that cannot be queued is logged, the operation it reports stands. */
    const notify = (userId: string, render: (user: User) => RenderedMail) =>
      Effect.flatMap(auth.findUser(userId), (user) => user ? mailer.send({ to: user.email, ...render(user) }) : Effect.void).pipe(
        Effect.catchAll((e) => Effect.logWarning(`Two-factor notice to user ${userId} not queued: ${e.message}`))
      )

    const membershipOf = (userId: string, workspaceId: string) =>
      Effect.flatMap(workspaces.membership(userId, workspaceId), (membership) =>
        membership ? Effect.succeed(membership) : Effect.fail(new Forbidden({ message: "User does not have access to this workspace" })))

    const totpMethod = (userWorkspaceId: string) =>
      Effect.map(provideSql(methodsOf(userWorkspaceId)), (rows) => rows.find((m) => m.strategy === "TOTP") ?? null)

    const initiate: TwoFactorShape["initiate"] = (user, workspace) =>
      Effect.gen(function*() {
        const membership = yield* membershipOf(user.id, workspace.id)
        const issuer = `Score${workspace.displayName ? ` - ${workspace.displayName}` : ""}`
        const existing = yield* totpMethod(membership.id)
        if (existing && existing.status !== "PENDING") {
          return yield* new Forbidden({
            message: "A two factor authentication method has already been set. Please delete it and try again.",
            subCode: "TWO_FACTOR_AUTHENTICATION_METHOD_ALREADY_PROVISIONED"
          })
        }
        const now = yield* Clock.currentTimeMillis
        if (existing && now - new Date(existing.createdAt).getTime() < PENDING_REUSE_MS) {
          const secret = box.open(existing.secret, sealContext(membership.id))
          if (secret) return totpOf(secret, user.email, issuer).toString()
        }
        const secret = new OTPAuth.Secret({ size: 20 }).base32
        // Only a pending method is replaced: one verified meanwhile stays.
        const rows = yield* sql`
          INSERT INTO core."twoFactorAuthenticationMethod" ("userWorkspaceId", strategy, status, secret)
          VALUES (${membership.id}, 'TOTP', 'PENDING', ${box.seal(secret, sealContext(membership.id))})
          ON CONFLICT ("userWorkspaceId", strategy) DO UPDATE SET secret = EXCLUDED.secret, "lastUsedStep" = NULL,
            "createdAt" = now(), "updatedAt" = now()
            WHERE core."twoFactorAuthenticationMethod".status = 'PENDING'
          RETURNING id`
        if (rows.length === 0) return yield* initiate(user, workspace)
        return totpOf(secret, user.email, issuer).toString()
      })

    /** The time step the code belongs to, if it is one of the method's within the window. */
    const stepOf = (method: TwoFactorMethodRow, otp: string) =>
      Effect.gen(function*() {
        const secret = box.open(method.secret, sealContext(method.userWorkspaceId))
        if (!secret) return yield* malformed
        const timestamp = yield* Clock.currentTimeMillis
        const totp = totpOf(secret)
        const delta = /^\d{6}$/.test(otp) ? totp.validate({ token: otp, timestamp, window: WINDOW }) : null
        return delta === null ? null : totp.counter({ timestamp }) + delta
      })

    const verify: TwoFactorShape["verify"] = (userId, workspaceId, otp) =>
      Effect.gen(function*() {
        const membership = yield* membershipOf(userId, workspaceId)
        const method = yield* totpMethod(membership.id)
        if (!method) return yield* methodNotFound
        const step = yield* stepOf(method, otp.trim())
        if (step === null) return yield* invalidOtp
        // Atomic: of two requests with one code (or an older one), at most one passes.
        const accepted = yield* sql`
          UPDATE core."twoFactorAuthenticationMethod" SET status = 'VERIFIED', "lastUsedStep" = ${step}, "updatedAt" = now()
          WHERE id = ${method.id} AND ("lastUsedStep" IS NULL OR "lastUsedStep" < ${step}) RETURNING id`
        if (accepted.length === 0) return yield* invalidOtp
        yield* revokePendingRecoveryCodes(membership.id)
      })

    const remove: TwoFactorShape["remove"] = (userId, workspaceId, methodId) =>
      Effect.gen(function*() {
        const notFound = new BadUserInput({ message: "Two-factor authentication method not found", subCode: "INVALID_INPUT" })
        if (!isUuid(methodId)) return yield* notFound
        const found = firstRow<{ userId: string }>(yield* sql`
          SELECT uw."userId" FROM core."twoFactorAuthenticationMethod" m
          JOIN core."userWorkspace" uw ON uw.id = m."userWorkspaceId"
          WHERE m.id = ${methodId} AND uw."workspaceId" = ${workspaceId}`)
        if (!found) return yield* notFound
        if (found.userId !== userId) {
          return yield* new Forbidden({
            message: "You can only delete your own two-factor authentication methods",
            subCode: "FORBIDDEN_EXCEPTION"
          })
        }
        yield* sql`DELETE FROM core."twoFactorAuthenticationMethod" WHERE id = ${methodId}`
      })

    const summary: TwoFactorShape["summary"] = (userWorkspaceId) =>
      Effect.map(provideSql(methodsOf(userWorkspaceId)), (rows) =>
        rows.map((m) => ({ twoFactorAuthenticationMethodId: m.id, status: m.status, strategy: m.strategy })))

    const revokePendingRecoveryCodes = (userWorkspaceId: string) =>
      sql`UPDATE core."twoFactorAuthenticationRecoveryCode" SET "revokedAt" = now(), "updatedAt" = now()
          WHERE "userWorkspaceId" = ${userWorkspaceId} AND "usedAt" IS NULL AND "revokedAt" IS NULL RETURNING id`

    const hasVerifiedMethod = (userWorkspaceId: string) =>
      Effect.map(provideSql(methodsOf(userWorkspaceId)), (rows) => rows.some((m) => m.status === "VERIFIED"))

    const targetMembership = (targetUserId: string, workspaceId: string) =>
      Effect.flatMap(
        isUuid(targetUserId) ? workspaces.membership(targetUserId, workspaceId) : Effect.succeed(null),
        (membership) => membership ? Effect.succeed(membership) : Effect.fail(targetNotAllowed("The user is not a member of this workspace"))
      )

    const issueRecoveryCode: TwoFactorShape["issueRecoveryCode"] = (actorUserId, workspaceId, targetUserId, otp) =>
      Effect.gen(function*() {
        if (actorUserId === targetUserId) return yield* targetNotAllowed("A recovery code cannot be generated for yourself")
        if (!otp) return yield* stepUpRequired("A two-factor authentication code is required for this action")
        const actor = yield* membershipOf(actorUserId, workspaceId)
        if (!(yield* hasVerifiedMethod(actor.id))) {
          return yield* stepUpRequired("Two-factor authentication must be enabled in the current workspace for this action")
        }
        yield* verify(actorUserId, workspaceId, otp)
        const target = yield* targetMembership(targetUserId, workspaceId)
        if (!(yield* hasVerifiedMethod(target.id))) {
          return yield* targetNotAllowed("The member has no verified two-factor authentication method")
        }
        const recoveryCode = newRecoveryCode()
        const expiresAt = new Date((yield* Clock.currentTimeMillis) + RECOVERY_CODE_TTL_MS)
        yield* sql.withTransaction(Effect.zipRight(
          revokePendingRecoveryCodes(target.id),
          sql`INSERT INTO core."twoFactorAuthenticationRecoveryCode" ("userWorkspaceId", "codeHash", "issuedByUserId", "expiresAt")
              VALUES (${target.id}, ${hashRecoveryCode(recoveryCode)}, ${actorUserId}, ${expiresAt})`
        ))
        const issuedBy = yield* auth.findUser(actorUserId)
        const issuer = issuedBy ? `${issuedBy.firstName} ${issuedBy.lastName}`.trim() || issuedBy.email : "An administrator"
        yield* notify(targetUserId, (user) =>
          twoFactorRecoveryCodeIssuedMail({ email: user.email, issuer, validFor: lifetimeInWords(RECOVERY_CODE_TTL), link: frontendUrl.href }))
        return { recoveryCode, expiresAt }
      })

    const revokeRecoveryCode: TwoFactorShape["revokeRecoveryCode"] = (workspaceId, targetUserId) =>
      Effect.map(
        Effect.flatMap(targetMembership(targetUserId, workspaceId), (target) => revokePendingRecoveryCodes(target.id)),
        (rows) => rows.length > 0
      )

    const recoveryStatus: TwoFactorShape["recoveryStatus"] = (workspaceId, targetUserId) =>
      Effect.gen(function*() {
        const target = yield* targetMembership(targetUserId, workspaceId)
        const verified = yield* hasVerifiedMethod(target.id)
        const [row] = yield* sql<{ pending: Date | null; lastUsed: Date | null }>`
          SELECT max("expiresAt") FILTER (WHERE "usedAt" IS NULL AND "revokedAt" IS NULL AND "expiresAt" > now()) AS pending,
                 max("usedAt") AS "lastUsed"
          FROM core."twoFactorAuthenticationRecoveryCode" WHERE "userWorkspaceId" = ${target.id}`
        const lastUsed = row?.lastUsed ? new Date(row.lastUsed).getTime() : null
        return {
          hasVerifiedTwoFactorAuthenticationMethod: verified,
          isAwaitingRecoveryEnrollment: !verified && lastUsed !== null && Date.now() - lastUsed < RECOVERY_CODE_TTL_MS,
          pendingRecoveryCodeExpiresAt: row?.pending ? new Date(row.pending) : null
        }
      })

    const redeemRecoveryCode: TwoFactorShape["redeemRecoveryCode"] = (userId, workspaceId, recoveryCode, loginTokenId) =>
      Effect.gen(function*() {
        const membership = yield* membershipOf(userId, workspaceId)
        const consumed = yield* sql.withTransaction(Effect.gen(function*() {
          const used = yield* sql`
            UPDATE core."twoFactorAuthenticationRecoveryCode" SET "usedAt" = now(), "updatedAt" = now()
            WHERE "userWorkspaceId" = ${membership.id} AND "codeHash" = ${hashRecoveryCode(recoveryCode)}
              AND "usedAt" IS NULL AND "revokedAt" IS NULL AND "expiresAt" > now() RETURNING id`
          if (used.length === 0) return false
          yield* sql`DELETE FROM core."twoFactorAuthenticationMethod" WHERE "userWorkspaceId" = ${membership.id}`
          return true
        }))
        if (!consumed) return yield* invalidRecoveryCode
        // Whoever held the lost device may hold sessions too.
        yield* auth.endSessionsWith(userId, Effect.void, { keepLoginTokenId: loginTokenId })
        yield* notify(userId, (user) => twoFactorResetMail({ email: user.email, link: frontendUrl.href }))
      })

    return { initiate, verify, remove, summary, issueRecoveryCode, revokeRecoveryCode, recoveryStatus, redeemRecoveryCode }
  })
)
