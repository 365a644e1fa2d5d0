import { Effect } from "effect"
import { type AttemptKind, RateLimits, type RateLimitsShape } from "../../../services/rate-limits/index.js"
import { clientAddressOf, rememberClientAddress } from "../../client-address.js"
import type { GraphQLContext } from "../yoga.js"

/** What the guards run: the shared request budgets. */
export type SignInLimitServices = RateLimits

type Args = Record<string, any>
type Resolver = (parent: unknown, args: Args, ctx: GraphQLContext<any>, info: unknown) => unknown

const emailKey = (email: unknown) => typeof email === "string" ? email.trim().toLowerCase() : ""

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex")

/**
 * The mutations that check a password or a code, and whose account each attempt counts against. A login
 * token stands for its sign-in (a new one needs the password again); a signed-in caller for its user.
 * Names absent from the schema (2FA before its resolvers exist) are skipped.
 */
const CREDENTIAL_CHECKS: Record<string, { kind: AttemptKind; account: (args: Args, ctx: GraphQLContext<any>) => Promise<string> }> = {
  signIn: { kind: "password", account: async (args) => emailKey(args.email) },
  getLoginTokenFromCredentials: { kind: "password", account: async (args) => emailKey(args.email) },
  getAuthTokensFromOTP: { kind: "otp", account: async (args) => `login:${sha256(String(args.loginToken ?? ""))}` },
  getAuthTokensFromTwoFactorAuthenticationRecoveryCode: {
    kind: "otp",
    account: async (args) => `login:${sha256(String(args.loginToken ?? ""))}`
  },
  verifyTwoFactorAuthenticationMethodForAuthenticatedUser: {
    kind: "otp",
    account: (_, ctx) => ctx.auth().then((who) => who.kind === "apiKey" ? `key:${who.apiKey.id}` : `user:${who.user.id}`)
  }
}

/**
 * Wraps /metadata's credential mutations: each attempt is counted per client address and per account
 * before any hash or code is checked (so a refused flood costs no argon2 time), and a success clears the
 * account's count. `emailPasswordResetLink` is counted per address and per email.
 */
export const guardCredentialMutations = (mutations: Record<string, Resolver>): Record<string, Resolver> => {
  const guarded: Record<string, Resolver> = { ...mutations }
  for (const [name, check] of Object.entries(CREDENTIAL_CHECKS)) {
    const resolve = mutations[name]
    if (!resolve) continue
    guarded[name] = async (parent, args, ctx, info) => {
      const account = await check.account(args, ctx)
      await ctx.run(Effect.flatMap(RateLimits, (limits) => limits.attempt(check.kind, ctx.clientAddress, account)))
      const result = await resolve(parent, args, ctx, info)
      await ctx.run(Effect.flatMap(RateLimits, (limits) => limits.succeeded(check.kind, account)))
      return result
    }
  }
  const resetLink = mutations["emailPasswordResetLink"]
  if (resetLink) {
    guarded["emailPasswordResetLink"] = async (parent, args, ctx, info) => {
      await ctx.run(Effect.flatMap(RateLimits, (limits) => limits.resetLinkRequest(ctx.clientAddress, emailKey(args.email))))
      return resetLink(parent, args, ctx, info)
    }
  }
  return guarded
}

const GUARDED = new RegExp(`\\b(${[...Object.keys(CREDENTIAL_CHECKS), "emailPasswordResetLink"].join("|")})\\b`)

/**
 * POST /metadata from an address this process has just refused: a document naming a guarded mutation is
 * refused again at once (429, the resolver's message), without the GraphQL pipeline (~1.6 ms a request
 * there, ~0.05 ms here), so a flood of refusals cannot crowd out other clients. Null: the request goes on
 * (`rebuilt` when its body had to be read).
 */
export const refuseKnownFlood = async (
  request: Request,
  limits: RateLimitsShape,
  headers: Readonly<Record<string, string>>
): Promise<{ readonly refused: Response } | { readonly rebuilt: Request } | null> => {
  const address = clientAddressOf(request)
  const refusal = address === null ? undefined : limits.refusedAddress(address)
  if (!refusal) return null
  const body = await request.text()
  if (GUARDED.test(body)) {
    return {
      refused: Response.json({
        errors: [{ message: refusal.message, extensions: { code: "TOO_MANY_REQUESTS", userFriendlyMessage: refusal.message } }],
        data: null
      }, { status: 429, headers: { "retry-after": String(refusal.retryAfterSeconds ?? 1), ...headers } })
    }
  }
  const rebuilt = new Request(request.url, { method: request.method, headers: request.headers, body })
  rememberClientAddress(rebuilt, address)
  return { rebuilt }
}
