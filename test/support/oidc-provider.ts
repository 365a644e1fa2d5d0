import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as jose from "jose"
import Provider from "oidc-provider"

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on a free local port: discovery, JWKS,
 * authorization with PKCE, token endpoint. Interactions are answered at once for `nextLogin.email`.
 */
export interface TestOidcProvider {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Who the next authorization signs in as. */
  readonly nextLogin: { email: string; emailVerified: boolean }
  /** When set, rewrites the ID token's payload in the token endpoint's answer (the signature is kept). */
  tamperIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | null
  /** Follows the provider's redirects from an authorization URL to the client's redirect URI (with code and state). */
  readonly authorize: (authorizationUrl: string) => Promise<URL>
  readonly close: () => Promise<void>
}

export const startOidcProvider = async (redirectUris: ReadonlyArray<string>): Promise<TestOidcProvider> => {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" }
  const state: Pick<TestOidcProvider, "nextLogin" | "tamperIdToken"> = {
    nextLogin: { email: "nobody@example.com", emailVerified: true },
    tamperIdToken: null
  }
  const provider = new Provider(issuer, {
    clients: [{
      client_id: "score-test",
      client_secret: "score-test-secret",
      redirect_uris: [...redirectUris],
      grant_types: ["authorization_code"],
      response_types: ["code"]
    }],
    jwks: { keys: [jwk as any] },
    cookies: { keys: ["test-cookie-key"] },
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["given_name", "family_name"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: state.nextLogin.emailVerified, given_name: "Ada", family_name: "Lovelace" })
    })
  } as any)
  provider.use(async (ctx: any, next: () => Promise<void>) => {
    await next()
    if (ctx.path === "/token" && state.tamperIdToken && ctx.body?.id_token) {
      const [header, payload, signature] = String(ctx.body.id_token).split(".")
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString())
      const forged = Buffer.from(JSON.stringify(state.tamperIdToken(claims))).toString("base64url")
      ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` }
    }
  })
  const callback = provider.callback()
  server.on("request", async (req, res) => {
    const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? "")
    if (!match) return callback(req, res)
    const details = await provider.interactionDetails(req, res)
    const accountId = state.nextLogin.email
    const grant = new provider.Grant({ accountId, clientId: details.params["client_id"] as string })
    grant.addOIDCScope("openid email profile")
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: false
    })
  })

  /** A browser's cookie jar for the provider's own cookies. */
  const authorize = async (authorizationUrl: string) => {
    const jar = new Map<string, string>()
    let url = new URL(authorizationUrl)
    for (let hop = 0; hop < 10; hop++) {
      if (!url.href.startsWith(issuer)) return url
      const response = await fetch(url, {
        redirect: "manual",
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") }
      })
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";")
        const [name, ...value] = pair!.split("=")
        jar.set(name!.trim(), value.join("="))
      }
      const location = response.headers.get("location")
      if (!location) throw new Error(`provider answered ${response.status} without a redirect: ${await response.text()}`)
      url = new URL(location, url)
    }
    throw new Error("too many redirects")
  }

  return Object.assign(state, {
    issuer,
    clientId: "score-test",
    clientSecret: "score-test-secret",
    authorize,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  })
}
