import { Effect } from "effect"
import { type DocumentNode, Kind, type OperationDefinitionNode, parse } from "graphql"
import type { TooManyRequests } from "../../../domain/errors.js"
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
const PASSWORD_CHECKS = new Set(Object.keys(CREDENTIAL_CHECKS).filter((name) => CREDENTIAL_CHECKS[name]!.kind === "password"))
const NAMES_PASSWORD_CHECK = new RegExp(`\\b(${[...PASSWORD_CHECKS].join("|")})\\b`)

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The accounts (emails) a POST body's operation checks passwords for, when every root field of it is a
 * password check whose email is a literal or a variable given; null for anything else (the GraphQL path
 * then answers it). A parse of a small document: tens of µs.
 */
const passwordCheckAccounts = (body: string): Array<string> | null => {
  let params: unknown
  let document: DocumentNode
  try {
    params = JSON.parse(body)
    if (!isRecord(params) || typeof params["query"] !== "string") return null
    document = parse(params["query"])
  } catch {
    return null
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  const named = params["operationName"]
  const operation = typeof named === "string" ? operations.find((o) => o.name?.value === named) : operations.length === 1 ? operations[0] : undefined
  if (!operation || operation.operation !== "mutation") return null
  const variables = isRecord(params["variables"]) ? params["variables"] : {}
  const accounts: Array<string> = []
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !PASSWORD_CHECKS.has(selection.name.value)) return null
    const value = selection.arguments?.find((a) => a.name.value === "email")?.value
    const email = value?.kind === Kind.STRING ? value.value : value?.kind === Kind.VARIABLE ? variables[value.name.value] : undefined
    if (typeof email !== "string") return null
    accounts.push(emailKey(email))
  }
  return accounts.length > 0 ? accounts : null
}

/** The refusal of a body whose every password check names an account this process saw locked. */
const lockedAccountsRefusal = (body: string, limits: RateLimitsShape): TooManyRequests | undefined => {
  if (!NAMES_PASSWORD_CHECK.test(body)) return undefined
  const refusals = passwordCheckAccounts(body)?.map((account) => limits.lockedAccount("password", account))
  if (!refusals || refusals.some((r) => r === undefined)) return undefined
  return refusals.reduce((a, b) => ((b!.retryAfterSeconds ?? 0) > (a!.retryAfterSeconds ?? 0) ? b : a))
}

const tooManyRequests = (refusal: TooManyRequests, headers: Readonly<Record<string, string>>) =>
  Response.json({
    errors: [{ message: refusal.message, extensions: { code: "TOO_MANY_REQUESTS", userFriendlyMessage: refusal.message } }],
    data: null
  }, { status: 429, headers: { "retry-after": String(refusal.retryAfterSeconds ?? 1), ...headers } })

/**
 * POST /metadata refused before the GraphQL pipeline (~1.4–2.8 ms of CPU a request there, ~60 µs here,
 * bench/sign-in-flood.ts) while this process knows the answer: from an address it has just refused, a
 * document naming a guarded mutation; while an account is locked, a document whose every password check
 * names a locked account (these attempts, which hash nothing, then no longer count against the address).
 * So a flood of refusals cannot crowd out other clients. Null: the request goes on (`rebuilt` when its
 * body had to be read).
 */
export const refuseKnownFlood = async (
  request: Request,
  limits: RateLimitsShape,
  headers: Readonly<Record<string, string>>
): Promise<{ readonly refused: Response } | { readonly rebuilt: Request } | null> => {
  const address = clientAddressOf(request)
  const refusal = address === null ? undefined : limits.refusedAddress(address)
  if (!refusal && !limits.hasLockedAccounts()) return null
  const body = await request.text()
  const early = refusal && GUARDED.test(body) ? refusal : lockedAccountsRefusal(body, limits)
  if (early) return { refused: tooManyRequests(early, headers) }
  const rebuilt = new Request(request.url, { method: request.method, headers: request.headers, body })
  rememberClientAddress(rebuilt, address)
  return { rebuilt }
}
