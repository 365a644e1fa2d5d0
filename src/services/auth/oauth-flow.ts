import { Duration, Effect } from "effect"
import { createHash } from "node:crypto"
import type * as oidc from "openid-client"
import { OAuthAccessDenied } from "../../domain/errors.js"
import type { Resolve } from "../../platform/lib/address-guard.js"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import { guardedFetch } from "../../platform/lib/pinned-request.js"

/**
 * The OAuth 2.0 authorization code flow with PKCE, state and nonce, through `openid-client` (discovery,
 * the token request, ID token checks: issuer, audience, expiry, nonce, and its signature against the
 * provider's JWKS, which enableNonRepudiationChecks turns on).
 */
export interface OAuthClient {
  readonly issuer: URL
  readonly clientId: string
  readonly clientSecret: string
  /**
   * For a provider a workspace admin configured: whether its endpoints may be private addresses
   * (SSO_ALLOW_PRIVATE_ISSUERS). Undefined for the operator's own (Google, Microsoft): not checked.
   */
  readonly allowPrivate?: boolean | undefined
  /** How its host is resolved (tests play a rebinding DNS); the system resolver otherwise. */
  readonly resolve?: Resolve | undefined
}

export interface AuthorizationRequest {
  readonly url: string
  readonly state: string
  readonly nonce: string
  readonly codeVerifier: string
}

export interface SignInClaims {
  readonly email: string
  readonly firstName: string
  readonly lastName: string
}

const DISCOVERY_TTL = Duration.toMillis("5 minutes")
const SCOPE = "openid email profile"

/** Plain http is allowed for a provider on this machine only (development and tests). */
const isLoopback = (url: URL) => ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)

/** openid-client is loaded with the first SSO sign-in, not at start (see README "Memory"). */
const loadOidc = lazyModule(() => import("openid-client"))

const discoveries = new Map<string, { at: number; config: Promise<oidc.Configuration> }>()

/** The provider's configuration, discovered at most every 5 minutes per client (a failure is not kept). */
export const discover = (client: OAuthClient) =>
  Effect.tryPromise({
    try: async () => {
      const oidc = await loadOidc()
      const key = createHash("sha256")
        .update(`${client.issuer.href}\n${client.clientId}\n${client.clientSecret}\n${client.allowPrivate}`)
        .digest("hex")
      const known = discoveries.get(key)
      if (known && Date.now() - known.at < DISCOVERY_TTL) return known.config
      const execute = [oidc.enableNonRepudiationChecks, ...(client.issuer.protocol === "http:" && isLoopback(client.issuer) ? [oidc.allowInsecureRequests] : [])]
      const config = oidc.discovery(client.issuer, client.clientId, client.clientSecret, undefined, {
        execute,
        timeout: 10,
        // Every request to the provider (discovery, JWKS, token) checks the address its host resolves to
        // and connects to exactly that address.
        ...(client.allowPrivate === undefined ? {} : { [oidc.customFetch]: guardedFetch(client.allowPrivate, client.resolve) })
      })
      discoveries.set(key, { at: Date.now(), config })
      config.catch(() => discoveries.delete(key))
      return config
    },
    catch: () => new OAuthAccessDenied({ message: "Invalid issuer" })
  })

/** The issuer as the provider names itself in its discovery document. */
export const issuerOf = (config: oidc.Configuration) => config.serverMetadata().issuer

export const authorizationRequest = (config: oidc.Configuration, redirectUri: string) =>
  Effect.promise(async (): Promise<AuthorizationRequest> => {
    const oidc = await loadOidc()
    const codeVerifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      response_type: "code",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce
    })
    return { url: url.href, state, nonce, codeVerifier }
  })

const claimString = (claims: Record<string, unknown>, name: string) => {
  const value = claims[name]
  return typeof value === "string" ? value : ""
}

/** Exchanges the callback's code and returns who signed in, or refuses (any check failing). */
export const exchangeCode = (
  config: oidc.Configuration,
  callbackUrl: URL,
  checks: { readonly state: string; readonly nonce: string; readonly codeVerifier: string }
) =>
  Effect.flatMap(Effect.promise(loadOidc), (oidc) =>
    Effect.tryPromise({
      try: () =>
        oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true
        }),
      catch: (error) =>
        new OAuthAccessDenied({
          message: error instanceof oidc.AuthorizationResponseError
            ? `The identity provider refused the sign-in: ${error.error}`
            : "The identity provider's answer could not be verified"
        })
    })
  ).pipe(
    Effect.flatMap((tokens) => {
      const claims: Record<string, unknown> = tokens.claims() ?? {}
      const email = claimString(claims, "email")
      if (!email) return Effect.fail(new OAuthAccessDenied({ message: "Email not found from identity provider." }))
      // An address the provider itself has not verified proves nothing about who owns it.
      if (claims["email_verified"] === false) {
        return Effect.fail(new OAuthAccessDenied({ message: "The identity provider has not verified this email." }))
      }
      return Effect.succeed<SignInClaims>({
        email,
        firstName: claimString(claims, "given_name"),
        lastName: claimString(claims, "family_name")
      })
    })
  )
