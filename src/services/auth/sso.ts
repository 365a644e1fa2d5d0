import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { createHash } from "node:crypto"
import type { AuthProvider, Workspace } from "../../domain/auth.js"
import { BadUserInput, NotFound, OAuthAccessDenied } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import { jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { Members } from "../members/index.js"
import { workspacePageUrl } from "../members/shared.js"
import { Workspaces } from "../workspace/index.js"
import { Auth } from "./index.js"
import { authorizationRequest, discover, exchangeCode, issuerOf, type OAuthClient } from "./oauth-flow.js"
import { SecretBox } from "./secret-box.js"

/** A client secret opens only in its own workspace's provider rows. */
const clientSecretContext = (workspaceId: string) => `sso-client-secret:${workspaceId}`
import { findUserWithPasswordByEmail } from "./users.js"

/** Twenty's workspace SSO identity provider, as its /metadata types show it (never the client secret). */
export interface IdentityProvider {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly type: "OIDC" | "SAML"
  readonly status: "Active" | "Inactive" | "Error"
  readonly issuer: string
}

export type SocialProvider = "google" | "microsoft"
/**
 * Where a sign-in starts: a workspace's identity provider, or Google / Microsoft for the whole server;
 * `workspaceInviteHash` when it starts from a workspace's public invite link (Twenty's query parameter).
 */
export type SignInTarget =
  | { readonly kind: "oidc"; readonly identityProviderId: string; readonly workspaceInviteHash: string | null }
  | { readonly kind: SocialProvider; readonly workspaceId: string | null; readonly workspaceInviteHash: string | null }

export interface SsoShape {
  /** Discovers the issuer first (Twenty's "Invalid issuer" otherwise) and stores the secret sealed. */
  readonly createOIDCIdentityProvider: (
    workspaceId: string,
    input: { name: string; issuer: string; clientID: string; clientSecret: string }
  ) => Effect.Effect<IdentityProvider, BadUserInput | SqlError.SqlError>
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<IdentityProvider>, SqlError.SqlError>
  readonly listActive: (workspaceId: string) => Effect.Effect<ReadonlyArray<IdentityProvider>, SqlError.SqlError>
  readonly remove: (workspaceId: string, id: string) => Effect.Effect<void, NotFound | SqlError.SqlError>
  readonly setStatus: (workspaceId: string, id: string, status: IdentityProvider["status"]) => Effect.Effect<IdentityProvider, NotFound | SqlError.SqlError>
  /** Twenty's `getAuthorizationUrlForSSO`: the server's login route of an active provider. */
  readonly authorizationUrl: (id: string) => Effect.Effect<{ authorizationURL: string; type: string; id: string }, NotFound | SqlError.SqlError>
  readonly isEnabled: (provider: SocialProvider) => boolean
  /** The provider's authorization URL, and the state the callback must bring back (also set as a cookie). */
  readonly startSignIn: (target: SignInTarget) => Effect.Effect<{ url: string; state: string }, OAuthAccessDenied | SqlError.SqlError>
  /**
   * Checks the callback (state against the browser's cookie and a pending sign-in, used once; code, PKCE,
   * ID token) and answers Twenty's redirect: the workspace's /verify page with a login token, or with
   * `errorMessage` when refused.
   */
  /** Twenty's error redirect: the front end's /verify page with `errorMessage`. */
  readonly refusalUrl: (message: string) => string
  readonly finishSignIn: (
    kind: SignInTarget["kind"],
    callbackSearch: URLSearchParams,
    cookieState: string | null,
    clientAddress: string | null
  ) => Effect.Effect<string, SqlError.SqlError>
}

export class Sso extends Context.Tag("score/Sso")<Sso, SsoShape>() {}

const COLUMNS = `id, "workspaceId", name, type, status, issuer`
const notFound = new NotFound({ message: "Identity provider not found" })
const hashState = (state: string) => createHash("sha256").update(state).digest("hex")

interface PendingSignIn {
  readonly provider: string
  readonly identityProviderId: string | null
  readonly workspaceId: string | null
  readonly workspaceInviteHash: string | null
  readonly codeVerifier: string
  readonly nonce: string
}

export const SsoLive = Layer.effect(
  Sso,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* AppConfig
    const box = yield* SecretBox
    const auth = yield* Auth
    const workspaces = yield* Workspaces
    const members = yield* Members

    const serverPath = (path: string) => new URL(path, config.serverUrl).href
    /** A page of the default front end (no workspace known, or one the caller may not learn). */
    const frontendPage = (pathname: string, search: Record<string, string>) => {
      const url = new URL(config.frontendUrl.href)
      url.pathname = `${url.pathname.replace(/\/+$/, "")}${pathname}`
      for (const [key, value] of Object.entries(search)) url.searchParams.set(key, value)
      return url.href
    }
    const social = (provider: SocialProvider) => {
      const settings = config[provider]
      return settings.enabled && Option.isSome(settings.clientId) && Option.isSome(settings.clientSecret)
        ? {
          client: { issuer: settings.issuer, clientId: settings.clientId.value, clientSecret: Redacted.value(settings.clientSecret.value) },
          redirectUri: Option.getOrElse(Option.map(settings.callbackUrl, (u) => u.href), () => serverPath(`/auth/${provider}/redirect`))
        }
        : null
    }

    const findProvider = (id: string) =>
      isUuid(id)
        ? Effect.map(sql`SELECT ${sql.literal(COLUMNS)}, "clientID", "clientSecret" FROM core."workspaceSSOIdentityProvider" WHERE id = ${id}`,
          firstRow<IdentityProvider & { clientID: string | null; clientSecret: string | null }>)
        : Effect.succeed(null)

    const list = (workspaceId: string, onlyActive: boolean) =>
      sql<IdentityProvider>`SELECT ${sql.literal(COLUMNS)} FROM core."workspaceSSOIdentityProvider"
        WHERE "workspaceId" = ${workspaceId} ${onlyActive ? sql`AND status = 'Active'` : sql``} ORDER BY "createdAt", id`

    /** The client of a target: an active identity provider of the workspace, or an enabled social provider. */
    const clientOf = (target: SignInTarget) =>
      Effect.gen(function*() {
        if (target.kind !== "oidc") {
          const found = social(target.kind)
          if (!found) return yield* new OAuthAccessDenied({ message: `${target.kind === "google" ? "Google" : "Microsoft"} auth is not enabled` })
          return { ...found, workspaceId: target.workspaceId, identityProviderId: null }
        }
        const provider = yield* findProvider(target.identityProviderId)
        const secret = provider?.clientSecret ? box.open(provider.clientSecret, clientSecretContext(provider.workspaceId)) : null
        if (!provider || provider.status !== "Active" || provider.type !== "OIDC" || !provider.clientID || secret === null) {
          return yield* new OAuthAccessDenied({ message: "Identity provider not found" })
        }
        return {
          client: {
            issuer: new URL(provider.issuer),
            clientId: provider.clientID,
            clientSecret: secret,
            allowPrivate: config.ssoAllowPrivateIssuers
          } satisfies OAuthClient,
          redirectUri: serverPath("/auth/oidc/callback"),
          workspaceId: provider.workspaceId as string | null,
          identityProviderId: provider.id as string | null
        }
      })

    const startSignIn = (target: SignInTarget) =>
      Effect.gen(function*() {
        const { client, redirectUri, workspaceId, identityProviderId } = yield* clientOf(target)
        if (workspaceId !== null && (!isUuid(workspaceId) || !(yield* workspaces.findById(workspaceId)))) {
          return yield* new OAuthAccessDenied({ message: "Workspace not found" })
        }
        const request = yield* authorizationRequest(yield* discover(client), redirectUri)
        const expiresAt = new Date(Date.now() + Duration.toMillis(config.oauthSignInTtl))
        yield* sql`DELETE FROM core."oauthSignIn" WHERE "expiresAt" < now()`
        yield* sql`INSERT INTO core."oauthSignIn"
            ("stateHash", provider, "identityProviderId", "workspaceId", "workspaceInviteHash", "codeVerifier", nonce, "expiresAt")
          VALUES (${hashState(request.state)}, ${target.kind}, ${identityProviderId}, ${workspaceId}, ${target.workspaceInviteHash},
            ${request.codeVerifier}, ${request.nonce}, ${expiresAt})`
        return { url: request.url, state: request.state }
      })

    /** Used once: a replayed callback finds nothing. */
    const consumePending = (kind: string, state: string) =>
      Effect.map(
        sql`DELETE FROM core."oauthSignIn" WHERE "stateHash" = ${hashState(state)} AND provider = ${kind} AND "expiresAt" > now()
            RETURNING provider, "identityProviderId", "workspaceId", "workspaceInviteHash", "codeVerifier", nonce`,
        firstRow<PendingSignIn>
      )

    const workspaceOfInviteHash = (inviteHash: string) =>
      Effect.map(
        sql`SELECT * FROM core.workspace WHERE "inviteHash" = ${inviteHash} AND "deletedAt" IS NULL`,
        (rows) => jsonRows<Workspace>(rows)[0] ?? null
      )

    /**
     * Twenty's findWorkspaceForSignInUp: the invite link's workspace, else the identity provider's, else the
     * one a Google / Microsoft sign-in asked for, else the known user's default (or first) workspace.
     */
    const workspaceForSignIn = (pending: PendingSignIn, email: string) =>
      Effect.gen(function*() {
        if (pending.workspaceInviteHash) return yield* workspaceOfInviteHash(pending.workspaceInviteHash)
        if (pending.workspaceId) return yield* workspaces.findById(pending.workspaceId)
        const user = yield* Effect.provideService(findUserWithPasswordByEmail(email), SqlClient.SqlClient, sql)
        if (!user) return null
        const workspaceId = user.defaultWorkspaceId ?? (yield* workspaces.listForUser(user.id))[0]?.id
        return workspaceId ? yield* workspaces.findById(workspaceId) : null
      })

    const finishSignIn = (kind: SignInTarget["kind"], search: URLSearchParams, cookieState: string | null, clientAddress: string | null) =>
      Effect.gen(function*() {
        const state = search.get("state")
        if (!state) return yield* new OAuthAccessDenied({ message: "Missing state" })
        const pending = yield* consumePending(kind, state)
        // The state must come back to the browser that started the sign-in (login CSRF).
        if (!pending || cookieState !== state) return yield* new OAuthAccessDenied({ message: "Invalid or expired sign-in state" })
        // consumePending matched `kind`, and an OIDC sign-in always names its identity provider.
        const target: SignInTarget = kind === "oidc"
          ? { kind, identityProviderId: pending.identityProviderId ?? "", workspaceInviteHash: pending.workspaceInviteHash }
          : { kind, workspaceId: pending.workspaceId, workspaceInviteHash: pending.workspaceInviteHash }
        const { client, redirectUri, workspaceId: providerWorkspaceId } = yield* clientOf(target)
        const callbackUrl = new URL(redirectUri)
        callbackUrl.search = search.toString()
        const claims = yield* exchangeCode(yield* discover(client), callbackUrl, { ...pending, state })
        const found = yield* workspaceForSignIn(pending, claims.email)
        // Twenty's signUpOnNewWorkspace: a Google / Microsoft sign-in naming no workspace, by someone without one.
        const startsWorkspace = !found && kind !== "oidc" && !pending.workspaceInviteHash && !pending.workspaceId
        if (!found && !startsWorkspace) return yield* new OAuthAccessDenied({ message: "Workspace not found" })
        if (found && kind === "oidc" && found.id !== providerWorkspaceId) {
          return yield* new OAuthAccessDenied({ message: "Identity provider does not belong to this workspace" })
        }
        const { user, workspace } = yield* (found
          ? Effect.map(members.signInFromIdentityProvider({
            ...claims,
            workspace: found,
            viaPublicInviteLink: pending.workspaceInviteHash !== null,
            clientAddress
          }), (user) => ({ user, workspace: found }))
          : members.signUpInNewWorkspaceFromIdentityProvider({ ...claims, clientAddress })).pipe(
          Effect.catchTags({
            Forbidden: (e) => Effect.fail(new OAuthAccessDenied({ message: e.message })),
            NotFound: (e) => Effect.fail(new OAuthAccessDenied({ message: e.message })),
            BadUserInput: (e) => Effect.fail(new OAuthAccessDenied({ message: e.message })),
            TooManyRequests: (e) => Effect.fail(new OAuthAccessDenied({ message: e.message }))
          })
        )
        const authProvider: AuthProvider = kind === "oidc" ? "sso" : kind
        const loginToken = yield* auth.issueLoginToken(user, workspace.id, authProvider)
        return workspacePageUrl(config.frontendUrl, workspace.subdomain, "/verify", { loginToken: loginToken.token })
      }).pipe(
        Effect.catchTag("OAuthAccessDenied", (denied) =>
          Effect.succeed(frontendPage("/verify", { errorMessage: denied.message })))
      )

    return {
      createOIDCIdentityProvider: (workspaceId, input) =>
        Effect.gen(function*() {
          const issuer = URL.canParse(input.issuer) ? new URL(input.issuer) : null
          if (!issuer || !input.clientID || !input.clientSecret) {
            return yield* new BadUserInput({ message: "Invalid issuer" })
          }
          const client = { issuer, clientId: input.clientID, clientSecret: input.clientSecret, allowPrivate: config.ssoAllowPrivateIssuers }
          const discovered = yield* discover(client).pipe(
            Effect.mapError(() => new BadUserInput({ message: "Invalid issuer" }))
          )
          const rows = yield* sql<IdentityProvider>`INSERT INTO core."workspaceSSOIdentityProvider"
              ("workspaceId", name, type, issuer, "clientID", "clientSecret")
            VALUES (${workspaceId}, ${input.name}, 'OIDC', ${issuerOf(discovered)}, ${input.clientID}, ${box.seal(input.clientSecret, clientSecretContext(workspaceId))})
            RETURNING ${sql.literal(COLUMNS)}`
          return rows[0]!
        }),
      list: (workspaceId) => list(workspaceId, false),
      listActive: (workspaceId) => list(workspaceId, true),
      remove: (workspaceId, id) =>
        isUuid(id)
          ? Effect.flatMap(
            sql`DELETE FROM core."workspaceSSOIdentityProvider" WHERE id = ${id} AND "workspaceId" = ${workspaceId} RETURNING id`,
            (rows) => rows.length > 0 ? Effect.void : Effect.fail(notFound)
          )
          : Effect.fail(notFound),
      setStatus: (workspaceId, id, status) =>
        isUuid(id)
          ? Effect.flatMap(
            sql<IdentityProvider>`UPDATE core."workspaceSSOIdentityProvider" SET status = ${status}, "updatedAt" = now()
              WHERE id = ${id} AND "workspaceId" = ${workspaceId} RETURNING ${sql.literal(COLUMNS)}`,
            (rows) => rows[0] ? Effect.succeed(rows[0]) : Effect.fail(notFound)
          )
          : Effect.fail(notFound),
      authorizationUrl: (id) =>
        Effect.flatMap(findProvider(id), (provider) =>
          provider && provider.status === "Active"
            ? Effect.succeed({
              authorizationURL: serverPath(`/auth/${provider.type.toLowerCase()}/login/${provider.id}`),
              type: provider.type,
              id: provider.id
            })
            : Effect.fail(notFound)),
      isEnabled: (provider) => config[provider].enabled,
      startSignIn,
      refusalUrl: (message) => frontendPage("/verify", { errorMessage: message }),
      finishSignIn
    } satisfies SsoShape
  })
)
