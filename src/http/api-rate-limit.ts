import { Effect, Exit, Runtime } from "effect"
import type { AuthContext } from "../domain/auth.js"
import { Auth } from "../services/auth/index.js"
import { type ApiRefusal, RateLimits } from "../services/rate-limits/index.js"
import { bearerToken } from "./caller.js"

/** Twenty's throttled answers: the data APIs' user-facing message (throttler.exception.ts). */
const USER_FRIENDLY = "Rate limit reached. Please try again later."

/** The data APIs Twenty throttles (its workspace query runner): /graphql and /rest records, not metadata. */
const isDataPath = (path: string) =>
  path === "/graphql" ||
  (path.startsWith("/rest/") && !path.startsWith("/rest/metadata") && !path.startsWith("/rest/open-api"))

/** A refusal as Twenty words it: REST 429 `{ statusCode, error, messages }`, GraphQL BAD_USER_INPUT `LIMIT_REACHED`; both with Retry-After. */
export const refusalResponse = (path: string, refusal: ApiRefusal, headers: Readonly<Record<string, string>>) => {
  const retry = { "retry-after": String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))), ...headers }
  return path === "/graphql"
    ? Response.json({
      errors: [{
        message: refusal.message,
        extensions: { code: "BAD_USER_INPUT", subCode: "LIMIT_REACHED", userFriendlyMessage: USER_FRIENDLY }
      }]
    }, { status: 429, headers: retry })
    : Response.json({ statusCode: 429, error: "TooManyRequestsException", messages: [refusal.message] }, {
      status: 429,
      headers: retry
    })
}

/**
 * Twenty's API_RATE_LIMITING_* budgets, per workspace, for requests made with an API key (members' sessions
 * are not throttled, as in Twenty). Runs before both hot paths and the Effect app; null admits the request.
 * The caller comes from Auth's memo (no work while known); an unknown or invalid token is left to the
 * route, which answers it as usual. Far below a budget this costs no store round trip (RateLimits' localBudget).
 */
export const makeApiRateLimit = Effect.gen(function*() {
  const auth = yield* Auth
  const limits = yield* RateLimits
  const runExit = Runtime.runPromiseExit(yield* Effect.runtime<never>())

  const callerOf = (token: string): AuthContext | Promise<AuthContext | undefined> | undefined =>
    auth.authenticated(token) ??
      runExit(auth.authenticate(token)).then((exit) => Exit.isSuccess(exit) ? exit.value : undefined)

  /** null at once when the budget admits the request without waiting for the store. */
  const judge = (who: AuthContext | undefined, path: string, headers: Readonly<Record<string, string>>) => {
    if (who?.kind !== "apiKey") return null
    const counted = limits.apiRequest(who.workspace.id)
    return counted && counted.then((refusal) => refusal && refusalResponse(path, refusal, headers))
  }

  return (request: Request, path: string, headers: Readonly<Record<string, string>>): Promise<Response | null> | null => {
    if (request.method === "OPTIONS" || !isDataPath(path)) return null
    const token = bearerToken(request.headers.get("authorization"))
    if (token === null) return null
    const who = callerOf(token)
    if (who === undefined || (!(who instanceof Promise) && who.kind !== "apiKey")) return null
    return who instanceof Promise ? who.then((caller) => judge(caller, path, headers)) : judge(who, path, headers)
  }
})
