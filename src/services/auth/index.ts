import * as jose from "jose"
import { auditEvent, recordAudit } from "../audit/outbox.js"
import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer } from "effect"
import type {
  ApiKey,
  AuthContext,
  AuthProvider,
  AuthToken,
  AuthTokenPair,
  RefreshTokenPayload,
  User,
  Workspace
} from "../../domain/auth.js"
import { BadUserInput, Forbidden, NotFound, type TooManyRequests, Unauthenticated } from "../../domain/errors.js"
import { ApiKeys } from "../api-keys/index.js"
import { Cache, derivedMemo } from "../../platform/cache/index.js"
import { AppConfig } from "../../platform/config.js"
import { Revocations } from "../revocations/index.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import { Workspaces } from "../workspace/index.js"
import { PasswordHasher } from "./hasher.js"
import { makeHashGate, validatePassword } from "./password.js"
import { makeSignUpLimits } from "./sign-up-limits.js"
import { Tokens } from "./tokens.js"
import { findUserById, findUserWithPasswordByEmail, insertUser, userCacheKey } from "./users.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { requireSecondFactor } from "./two-factor-methods.js"

export interface AvailableWorkspace {
  readonly workspace: Workspace
  readonly loginToken: AuthToken | null
}

export interface SignInResult {
  readonly user: User
  readonly availableWorkspaces: ReadonlyArray<AvailableWorkspace>
  readonly tokens: AuthTokenPair
}

export interface SignUpInput {
  readonly email: string
  readonly password: string
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
  readonly locale?: string | undefined
  /** Accounts created by the operator (the CLI) need no verification mail. */
  readonly isEmailVerified?: boolean | undefined
}

type AuthFailure = Unauthenticated | Forbidden | BadUserInput | TooManyRequests | SqlError.SqlError

export interface AuthShape {
  readonly signUp: (input: SignUpInput) => Effect.Effect<SignInResult, AuthFailure>
  /** Public sign-up from this client address: off by IS_SIGN_UP_DISABLED, limited per address. */
  readonly admitSignUp: (clientAddress: string | null) => Effect.Effect<void, Forbidden | TooManyRequests>
  /**
   * A public request for a new workspace: off by IS_SIGN_UP_DISABLED, or once one exists without
   * IS_MULTIWORKSPACE_ENABLED; limited per minute.
   */
  readonly admitWorkspaceCreation: () => Effect.Effect<void, Forbidden | TooManyRequests | SqlError.SqlError>
  readonly signIn: (email: string, password: string) => Effect.Effect<SignInResult, AuthFailure>
  readonly signUpInNewWorkspace: (
    user: User,
    displayName: string | null
  ) => Effect.Effect<{ workspace: Workspace; loginToken: AuthToken }, SqlError.SqlError>
  readonly getLoginTokenFromCredentials: (
    email: string,
    password: string,
    origin: string | null
  ) => Effect.Effect<AuthToken, AuthFailure | NotFound>
  /**
   * Single use: a login token exchanged once cannot be exchanged again. Refused with Twenty's 2FA subcodes
   * (the token stays usable) unless `secondFactorProved` (getAuthTokensFromOTP checked a code first).
   */
  readonly getAuthTokensFromLoginToken: (
    loginToken: string,
    options?: { readonly secondFactorProved?: boolean }
  ) => Effect.Effect<AuthTokenPair, AuthFailure>
  /** Who a login token, still unused, signs in and where; the token is not used up. */
  readonly peekLoginToken: (loginToken: string) => Effect.Effect<{ user: User; workspaceId: string; id: string }, AuthFailure>
  /** Rotates the refresh token; presenting a rotated one again revokes all of that user's sessions. */
  readonly renewToken: (refreshToken: string) => Effect.Effect<AuthTokenPair, AuthFailure>
  readonly signOut: (user: Pick<User, "id">) => Effect.Effect<void, SqlError.SqlError>
  /**
   * Runs `change` and ends every session of the user (refresh tokens, sessions, unused login tokens) in
   * one transaction and one revocation: a password reset's old tokens stop with the old password.
   */
  readonly endSessionsWith: <A, E, R>(
    userId: string,
    change: Effect.Effect<A, E, R>,
    options?: { readonly keepLoginTokenId?: string }
  ) => Effect.Effect<A, E | SqlError.SqlError, R>
  /** A new session for a user proved by other means than a password (a verified email link). */
  readonly signInUser: (user: User) => Effect.Effect<SignInResult, SqlError.SqlError>
  /** Ends the one session the refresh token belongs to. */
  readonly signOutRefreshToken: (refreshToken: string) => Effect.Effect<void, AuthFailure>
  readonly checkUserExists: (email: string) => Effect.Effect<{ exists: boolean; availableWorkspacesCount: number; isEmailVerified: boolean }, SqlError.SqlError>
  /** The request pipeline's step: bearer token → who is calling. */
  readonly authenticate: (token: string) => Effect.Effect<AuthContext, AuthFailure>
  /**
   * The caller `authenticate` found for this token, while nothing it was read from has been invalidated
   * in this process (and for at most the local cache's lifetime); undefined otherwise.
   */
  readonly authenticated: (token: string) => AuthContext | undefined
  readonly findUser: (id: string) => Effect.Effect<User | null, SqlError.SqlError>
  /** The user with this email and password, or Twenty's refusal (the same for an unknown email and a wrong password). */
  readonly verifyCredentials: (email: string, password: string) => Effect.Effect<User, AuthFailure>
  /** Checks a new password against the rules and hashes it (through the hashing gate). */
  readonly hashNewPassword: (password: string) => Effect.Effect<string, BadUserInput | TooManyRequests>
  /** A single-use login token for a member of the workspace (exchanged by getAuthTokensFromLoginToken). */
  readonly issueLoginToken: (
    user: Pick<User, "id" | "email">,
    workspaceId: string,
    authProvider?: AuthProvider
  ) => Effect.Effect<AuthToken, SqlError.SqlError>
}

export class Auth extends Context.Tag("score/Auth")<Auth, AuthShape>() {}

const VERIFIED_CALLERS = 10_000

const sessionCacheKey = (id: string) => `authSession:${id}`

interface AuthSession {
  readonly id: string
  readonly userId: string
  readonly revokedAt: string | null
}

/**
 * One answer for an unknown email, a wrong password and an account without a password, so sign-in does
 * not tell which emails have accounts (Twenty answers USER_NOT_FOUND for the first). Twenty's public
 * checkUserExists still does, by design.
 */
const invalidCredentials = new Forbidden({ message: "Invalid email or password", subCode: "FORBIDDEN_EXCEPTION" })
/** Twenty's refusal while IS_EMAIL_VERIFICATION_REQUIRED and the address is unverified. */
export const emailNotVerified = new Forbidden({ message: "Email is not verified", subCode: "EMAIL_NOT_VERIFIED" })
const tokenInvalid = new Unauthenticated({ message: "Token invalid." })

/** `https://acme.example.com` → `acme`; anything without a subdomain → null. */
export const subdomainOf = (origin: string | null) => {
  if (!origin) return null
  try {
    const host = new URL(origin).hostname
    const parts = host.split(".")
    return parts.length > 2 || (parts.length === 2 && parts[1] === "localhost") ? parts[0]! : null
  } catch {
    return null
  }
}

export const AuthLive = Layer.effect(
  Auth,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* AppConfig
    const tokens = yield* Tokens
    const cache = yield* Cache
    const workspaces = yield* Workspaces
    const apiKeys = yield* ApiKeys
    const revocations = yield* Revocations
    const provideSql = Effect.provideService(SqlClient.SqlClient, sql)
    const hasher = yield* PasswordHasher
    const hashing = yield* makeHashGate(config.passwordHashConcurrency, config.passwordHashQueue)
    const signUpLimits = makeSignUpLimits(config)
    /** Twenty's isSignUpEnabled: without IS_MULTIWORKSPACE_ENABLED, only the first workspace may be made. */
    const singleWorkspaceGate = config.isMultiWorkspaceEnabled
      ? Effect.void
      : Effect.flatMap(
        sql`SELECT 1 FROM core.workspace LIMIT 1`,
        (rows) => rows.length === 0 ? Effect.void : Effect.fail(new Forbidden({ message: "New workspace setup is disabled", subCode: "SIGNUP_DISABLED" }))
      )

    const findUser = (id: string) =>
      revocations.credential(userCacheKey(id), provideSql(findUserById(id)), { ttl: "5 minutes" })

    /** A sign-in: its rotated refresh tokens and every access token issued with them end together. */
    const startSession = (userId: string) =>
      Effect.map(
        sql<{ id: string }>`INSERT INTO core."authSession" ("userId") VALUES (${userId}) RETURNING id`,
        (rows) => rows[0]!.id
      )

    const findSession = (id: unknown) =>
      typeof id === "string" && isUuid(id)
        ? revocations.credential(
          sessionCacheKey(id),
          Effect.map(sql`SELECT id, "userId", "revokedAt" FROM core."authSession" WHERE id = ${id}`, firstRow<AuthSession>),
          { ttl: "5 minutes" }
        )
        : Effect.succeed(null)

    /** The token's session must exist, belong to its user and not be revoked. */
    const checkSession = (sessionId: unknown, userId: string) =>
      Effect.flatMap(findSession(sessionId), (session) =>
        session && session.userId === userId && session.revokedAt === null ? Effect.void : Effect.fail(tokenInvalid))

    const storeAppToken = (
      type: "RefreshToken" | "LoginToken",
      userId: string,
      workspaceId: string | null,
      expiresAt: Date,
      sessionId: string | null = null
    ) =>
      Effect.map(
        sql<{ id: string }>`INSERT INTO core."appToken" (type, "userId", "workspaceId", "expiresAt", "sessionId")
                            VALUES (${type}, ${userId}, ${workspaceId}, ${expiresAt}, ${sessionId}) RETURNING id`,
        (rows) => rows[0]!.id
      )

    const refreshToken = (
      user: User,
      workspaceId: string | null,
      target: RefreshTokenPayload["targetedTokenType"],
      sessionId: string,
      authProvider: AuthProvider
    ) =>
      Effect.gen(function*() {
        const expiresAt = new Date(Date.now() + Duration.toMillis(config.refreshTokenTtl))
        const jti = yield* storeAppToken("RefreshToken", user.id, workspaceId, expiresAt, sessionId)
        return yield* tokens.sign({
          sub: user.id,
          type: "REFRESH",
          userId: user.id,
          jti,
          authProvider,
          targetedTokenType: target,
          ...(workspaceId ? { workspaceId } : {})
        }, { until: expiresAt })
      })

    const workspaceAgnosticPair = (user: User, sessionId: string, authProvider: AuthProvider = "password") =>
      Effect.all({
        accessOrWorkspaceAgnosticToken: tokens.sign(
          { sub: user.id, type: "WORKSPACE_AGNOSTIC", userId: user.id, sessionId, authProvider },
          config.workspaceAgnosticTokenTtl
        ),
        refreshToken: refreshToken(user, null, "WORKSPACE_AGNOSTIC", sessionId, authProvider)
      })

    const accessPair = (user: User, workspaceId: string, sessionId: string, authProvider: AuthProvider) =>
      Effect.gen(function*() {
        const membership = yield* workspaces.membership(user.id, workspaceId)
        if (!membership) return yield* new Forbidden({ message: "User does not have access to this workspace" })
        return yield* Effect.all({
          accessOrWorkspaceAgnosticToken: tokens.sign({
            sub: user.id,
            type: "ACCESS",
            workspaceId,
            userId: user.id,
            userWorkspaceId: membership.id,
            sessionId,
            authProvider
          }, config.accessTokenTtl),
          refreshToken: refreshToken(user, workspaceId, "ACCESS", sessionId, authProvider)
        })
      })

    const loginToken = (user: Pick<User, "id" | "email">, workspaceId: string, authProvider: AuthProvider = "password") =>
      Effect.gen(function*() {
        const expiresAt = new Date(Date.now() + Duration.toMillis(config.loginTokenTtl))
        const jti = yield* storeAppToken("LoginToken", user.id, workspaceId, expiresAt)
        return yield* tokens.sign(
          { sub: user.email, type: "LOGIN", workspaceId, jti, authProvider },
          { until: expiresAt }
        )
      })

    const checkCredentials = (email: string, password: string) =>
      Effect.gen(function*() {
        const found = yield* provideSql(findUserWithPasswordByEmail(email))
        // The same work whether or not the account exists, so timing does not tell either.
        const verified = yield* hashing(
          found?.passwordHash ? hasher.verify(password, found.passwordHash) : hasher.verifyAgainstDummy(password)
        )
        const audited = (kind: "signIn.succeeded" | "signIn.failed", reason?: string) =>
          provideSql(recordAudit(auditEvent(
            kind,
            found?.defaultWorkspaceId ?? null,
            found ? { type: "user", id: found.id, name: found.email } : { type: "anonymous", id: null, name: email.slice(0, 320) },
            { details: reason ? { reason } : {} }
          )))
        if (!found || !verified) {
          yield* audited("signIn.failed", found ? "wrong password" : "unknown email")
          return yield* invalidCredentials
        }
        if (found.disabled) {
          yield* audited("signIn.failed", "user disabled")
          return yield* new Forbidden({ message: "User is disabled" })
        }
        yield* audited("signIn.succeeded")
        const { passwordHash: _, ...user } = found
        return user as User
      })

    /** Asked only after the password proved right, so it tells nothing to someone without it. */
    const requireVerifiedEmail = (user: Pick<User, "isEmailVerified">) =>
      config.isEmailVerificationRequired && !user.isEmailVerified ? Effect.fail(emailNotVerified) : Effect.void

    const availableWorkspaces = (user: User) =>
      Effect.flatMap(workspaces.listForUser(user.id), (list) =>
        Effect.forEach(list, (workspace) =>
          Effect.map(loginToken(user, workspace.id), (token) => ({ workspace, loginToken: token }))))

    const signInUser = (user: User) =>
      Effect.gen(function*() {
        return {
          user,
          availableWorkspaces: yield* availableWorkspaces(user),
          tokens: yield* workspaceAgnosticPair(user, yield* startSession(user.id))
        }
      })

    const signIn = (email: string, password: string) =>
      Effect.gen(function*() {
        const user = yield* checkCredentials(email, password)
        yield* requireVerifiedEmail(user)
        return yield* signInUser(user)
      }).pipe(Effect.withSpan("Auth.signIn"))

    const signUp = (input: SignUpInput) =>
      Effect.gen(function*() {
        const email = input.email.trim()
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320) {
          return yield* new BadUserInput({ message: `Invalid email: "${input.email}"`, field: "email" })
        }
        yield* validatePassword(input.password)
        const passwordHash = yield* hashing(hasher.hash(input.password))
        const user = yield* provideSql(insertUser({ ...input, email, passwordHash })).pipe(
          Effect.catchTag("Conflict", () =>
            Effect.fail(new Forbidden({ message: "User already exists", subCode: "USER_ALREADY_EXISTS" })))
        )
        return { user, availableWorkspaces: [], tokens: yield* workspaceAgnosticPair(user, yield* startSession(user.id)) }
      }).pipe(Effect.withSpan("Auth.signUp"))

    const signUpInNewWorkspace = (user: User, displayName: string | null) =>
      Effect.gen(function*() {
        const workspace = yield* workspaces.create({ displayName, ownerUserId: user.id })
        return { workspace, loginToken: yield* loginToken(user, workspace.id) }
      })

    const getLoginTokenFromCredentials = (email: string, password: string, origin: string | null) =>
      Effect.gen(function*() {
        const user = yield* checkCredentials(email, password)
        yield* requireVerifiedEmail(user)
        const subdomain = subdomainOf(origin)
        const bySubdomain = subdomain ? yield* workspaces.findBySubdomain(subdomain) : null
        const workspaceId = bySubdomain?.id ?? user.defaultWorkspaceId ??
          (yield* workspaces.listForUser(user.id))[0]?.id
        if (!workspaceId) return yield* new NotFound({ message: "User has no workspace" })
        if (!(yield* workspaces.membership(user.id, workspaceId))) {
          return yield* new Forbidden({ message: "User does not have access to this workspace" })
        }
        return yield* loginToken(user, workspaceId)
      })

    const consumeAppToken = (id: string, type: "RefreshToken" | "LoginToken") =>
      Effect.map(
        sql`UPDATE core."appToken" SET "revokedAt" = now(), "updatedAt" = now()
            WHERE id = ${id} AND type = ${type} AND "revokedAt" IS NULL AND "expiresAt" > now()
            RETURNING id, "userId", "workspaceId", "sessionId"`,
        firstRow<{ id: string; userId: string; workspaceId: string | null; sessionId: string | null }>
      )

    const activeUser = (id: string) =>
      Effect.flatMap(findUser(id), (user) =>
        user && !user.disabled ? Effect.succeed(user) : Effect.fail(tokenInvalid))

    const findLiveLoginToken = (id: string) =>
      Effect.map(
        sql`SELECT "userId", "workspaceId" FROM core."appToken"
            WHERE id = ${id} AND type = 'LoginToken' AND "revokedAt" IS NULL AND "expiresAt" > now()`,
        firstRow<{ userId: string; workspaceId: string | null }>
      )

    const peekLoginToken = (token: string) =>
      Effect.gen(function*() {
        const payload = yield* tokens.verify(token, ["LOGIN"])
        const live = yield* findLiveLoginToken(payload.jti)
        if (!live || live.workspaceId !== payload.workspaceId) return yield* tokenInvalid
        return { user: yield* activeUser(live.userId), workspaceId: payload.workspaceId, id: payload.jti }
      })

    const getAuthTokensFromLoginToken = (token: string, options?: { readonly secondFactorProved?: boolean }) =>
      Effect.gen(function*() {
        const payload = yield* tokens.verify(token, ["LOGIN"])
        if (!options?.secondFactorProved) {
          const { user, workspaceId } = yield* peekLoginToken(token)
          const [membership, workspace] = yield* Effect.all([workspaces.membership(user.id, workspaceId), workspaces.findById(workspaceId)])
          if (membership && workspace) yield* provideSql(requireSecondFactor(membership.id, workspace))
        }
        const consumed = yield* consumeAppToken(payload.jti, "LoginToken")
        if (!consumed || consumed.workspaceId !== payload.workspaceId) return yield* tokenInvalid
        const user = yield* activeUser(consumed.userId)
        yield* requireVerifiedEmail(user)
        return yield* accessPair(user, payload.workspaceId, yield* startSession(user.id), payload.authProvider ?? "password")
      })

    /** Refresh and login tokens and sessions: the user's access tokens are refused from then on. */
    const endSessionsWith = <A, E, R>(userId: string, change: Effect.Effect<A, E, R>, options?: { readonly keepLoginTokenId?: string }) =>
      revocations.revoking(
        Effect.zip(change, sql<{ id: string; kind: "token" | "session" }>`
          WITH tokens AS (
            UPDATE core."appToken" SET "revokedAt" = now(), "updatedAt" = now()
            WHERE "userId" = ${userId} AND type IN ('RefreshToken', 'LoginToken') AND "revokedAt" IS NULL
              AND id IS DISTINCT FROM ${options?.keepLoginTokenId ?? null} RETURNING id
          ), sessions AS (
            UPDATE core."authSession" SET "revokedAt" = now(), "updatedAt" = now()
            WHERE "userId" = ${userId} AND "revokedAt" IS NULL RETURNING id
          )
          SELECT id, 'token' AS kind FROM tokens UNION ALL SELECT id, 'session' AS kind FROM sessions`),
        {
          changed: ([, rows]) => rows.length > 0,
          keys: ([, rows]) => rows.flatMap((row) => (row.kind === "session" ? [sessionCacheKey(row.id)] : []))
        }
      ).pipe(Effect.map(([result]) => result))

    const revokeAllSessions = (userId: string) => endSessionsWith(userId, Effect.void)

    const revokeSession = (sessionId: string) =>
      revocations.revoking(
        sql`UPDATE core."authSession" SET "revokedAt" = now(), "updatedAt" = now()
            WHERE id = ${sessionId} AND "revokedAt" IS NULL RETURNING id`,
        { keys: () => [sessionCacheKey(sessionId)], changed: (rows) => rows.length > 0 }
      ).pipe(Effect.asVoid)

    const renewToken = (token: string) =>
      Effect.gen(function*() {
        const payload = yield* tokens.verify(token, ["REFRESH"])
        const consumed = yield* consumeAppToken(payload.jti, "RefreshToken")
        if (!consumed) {
          // A refresh token used twice was stolen or replayed: end every session of that user.
          yield* revokeAllSessions(payload.userId)
          yield* provideSql(recordAudit(auditEvent(
            "refreshToken.reused",
            payload.workspaceId ?? null,
            { type: "user", id: payload.userId, name: "" },
            { details: { sessionsRevoked: true } }
          )))
          return yield* new Forbidden({
            message: "Suspicious activity detected, this refresh token has been revoked. All tokens have been revoked.",
            subCode: "FORBIDDEN_EXCEPTION"
          })
        }
        const user = yield* activeUser(consumed.userId)
        // Refresh tokens issued before sessions existed start one.
        const sessionId = consumed.sessionId ?? (yield* startSession(user.id))
        const authProvider = payload.authProvider ?? "password"
        return payload.targetedTokenType === "ACCESS" && payload.workspaceId
          ? yield* accessPair(user, payload.workspaceId, sessionId, authProvider)
          : yield* workspaceAgnosticPair(user, sessionId, authProvider)
      }).pipe(Effect.withSpan("Auth.renewToken"))

    const activeWorkspace = (id: string) =>
      Effect.flatMap(workspaces.findById(id), (workspace): Effect.Effect<Workspace, Unauthenticated | Forbidden> => {
        if (!workspace) return Effect.fail(tokenInvalid)
        if (workspace.activationStatus === "SUSPENDED" || workspace.activationStatus === "INACTIVE") {
          return Effect.fail(new Forbidden({ message: "Workspace is not active" }))
        }
        return Effect.succeed(workspace)
      })

    const verifiedCallers = derivedMemo<AuthContext>(cache, VERIFIED_CALLERS)

    /**
     * Memo entries are keyed by the revocation epoch, so none outlives a revocation this instance has
     * seen; with no recently confirmed epoch, every request is verified afresh.
     */
    const memoKey = (epoch: number, token: string) => `${epoch}:${token}`
    const authenticated = (token: string) => {
      const epoch = revocations.epoch()
      return epoch === null ? undefined : verifiedCallers.get(memoKey(epoch, token))
    }

    /** A verified caller stays verified until its token or API key expires, a revocation, or a cache invalidation. */
    const authenticate = (token: string): Effect.Effect<AuthContext, AuthFailure> =>
      Effect.suspend(() => {
        const known = authenticated(token)
        if (known) return Effect.succeed(known)
        const since = cache.epoch()
        const epoch = revocations.epoch()
        return Effect.tap(verifyCaller(token), (caller) => {
          if (epoch === null) return
          const apiKeyEnd = caller.kind === "apiKey" ? new Date(caller.apiKey.expiresAt).getTime() : Infinity
          const tokenEnd = (jose.decodeJwt(token).exp ?? 0) * 1000
          verifiedCallers.set(memoKey(epoch, token), caller, since, Math.min(apiKeyEnd, tokenEnd))
        })
      })

    const verifyCaller = (token: string): Effect.Effect<AuthContext, AuthFailure> =>
      Effect.gen(function*() {
        const payload = yield* tokens.verify(token, ["ACCESS", "API_KEY", "WORKSPACE_AGNOSTIC"])
        switch (payload.type) {
          case "ACCESS": {
            const [user, workspace, userWorkspace] = yield* Effect.all([
              activeUser(payload.userId),
              activeWorkspace(payload.workspaceId),
              workspaces.membership(payload.userId, payload.workspaceId),
              checkSession(payload.sessionId, payload.userId)
            ], { concurrency: "unbounded" })
            if (!userWorkspace || userWorkspace.id !== payload.userWorkspaceId) return yield* tokenInvalid
            return { kind: "user", user, workspace, userWorkspace, authProvider: payload.authProvider ?? "password" } as const
          }
          case "API_KEY": {
            const apiKey: ApiKey | null = yield* apiKeys.findById(payload.jti)
            if (
              !apiKey || apiKey.workspaceId !== payload.workspaceId || apiKey.revokedAt !== null ||
              new Date(apiKey.expiresAt).getTime() <= Date.now()
            ) return yield* tokenInvalid
            return { kind: "apiKey", apiKey, workspace: yield* activeWorkspace(apiKey.workspaceId) } as const
          }
          case "WORKSPACE_AGNOSTIC": {
            const [user] = yield* Effect.all([activeUser(payload.userId), checkSession(payload.sessionId, payload.userId)], {
              concurrency: "unbounded"
            })
            return { kind: "workspaceAgnostic", user, authProvider: payload.authProvider ?? "password" } as const
          }
        }
      }).pipe(Effect.withSpan("Auth.authenticate"))

    return {
      signUp,
      admitSignUp: signUpLimits.admitSignUp,
      admitWorkspaceCreation: () => Effect.zipRight(singleWorkspaceGate, signUpLimits.admitWorkspaceCreation()),
      signIn,
      signUpInNewWorkspace,
      getLoginTokenFromCredentials,
      getAuthTokensFromLoginToken,
      peekLoginToken,
      renewToken,
      signOut: (user) => revokeAllSessions(user.id),
      endSessionsWith,
      signInUser,
      signOutRefreshToken: (token) =>
        Effect.flatMap(tokens.verify(token, ["REFRESH"]), (payload) => consumeAppToken(payload.jti, "RefreshToken")).pipe(
          Effect.flatMap((consumed) => consumed?.sessionId ? revokeSession(consumed.sessionId) : Effect.void)
        ),
      checkUserExists: (email) =>
        Effect.gen(function*() {
          const user = yield* provideSql(findUserWithPasswordByEmail(email))
          if (!user) return { exists: false, availableWorkspacesCount: 0, isEmailVerified: false }
          const list = yield* workspaces.listForUser(user.id)
          return { exists: true, availableWorkspacesCount: list.length, isEmailVerified: user.isEmailVerified }
        }),
      authenticate,
      authenticated,
      findUser,
      verifyCredentials: checkCredentials,
      hashNewPassword: (password) => Effect.zipRight(validatePassword(password), hashing(hasher.hash(password))),
      issueLoginToken: loginToken
    }
  })
)
