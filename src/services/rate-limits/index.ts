import { Context, Duration, Effect, Layer } from "effect"
import {
  type IRateLimiterOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract
} from "rate-limiter-flexible"
import { TooManyRequests } from "../../domain/errors.js"
import type { AppConfigShape } from "../../platform/config.js"
import { Redis } from "../../platform/redis/index.js"

/**
 * Request budgets shared by every instance: counters in Redis (RateLimitsRedis), or in this process
 * without Redis (RateLimitsMemory). Counting is rate-limiter-flexible's (one atomic Lua call per
 * counter, fixed windows, a memory fallback while Redis fails): maintained, and both twins behave alike.
 * Twenty refills a token bucket instead; a fixed window lets at most twice the limit through across a
 * window's edge.
 */

/** A refusal of the data APIs: Twenty's message, and when to retry. */
export interface ApiRefusal {
  readonly message: string
  readonly retryAfterMs: number
}

/** Credential checks guarded per client address and per account. */
export type AttemptKind = "password" | "otp"

export interface RateLimitsShape {
  /**
   * One data API request (/graphql, /rest) by an API key of this workspace, against Twenty's two
   * budgets (API_RATE_LIMITING_SHORT_* and _LONG_*); null when admitted. A promise: it runs on the hot path.
   */
  readonly apiRequest: (workspaceId: string) => Promise<ApiRefusal | null>
  /**
   * Before checking a password or a code: counts the attempt against the address and the account.
   * The account's attempts are forgotten on success (`succeeded`); past SIGN_IN_MAX_FAILURES_PER_ACCOUNT
   * unanswered ones it is locked for SIGN_IN_BACKOFF, doubled with each lock up to SIGN_IN_BACKOFF_MAX.
   */
  readonly attempt: (kind: AttemptKind, clientAddress: string | null, account: string) => Effect.Effect<void, TooManyRequests>
  readonly succeeded: (kind: AttemptKind, account: string) => Effect.Effect<void>
  /**
   * While this process has seen the address refused (until its budget's window ends): the message to
   * repeat, so the web handler can refuse further credential requests before any GraphQL work.
   */
  readonly refusedAddress: (clientAddress: string) => TooManyRequests | undefined
  /** A password reset link asked for: counted against the address and the email. */
  readonly resetLinkRequest: (clientAddress: string | null, email: string) => Effect.Effect<void, TooManyRequests>
}

export class RateLimits extends Context.Tag("score/RateLimits")<RateLimits, RateLimitsShape>() {}

type MakeLimiter = (options: IRateLimiterOptions & { readonly keyPrefix: string }) => RateLimiterAbstract

const LOCK_MEMORY_SECONDS = 24 * 3600

const seconds = (d: Duration.Duration) => Math.max(1, Math.ceil(Duration.toMillis(d) / 1000))

/** A promise's rejection with a RateLimiterRes is a refusal; any other (the store failed twice) admits. */
const refusalOf = (rejection: unknown): RateLimiterRes | null => rejection instanceof RateLimiterRes ? rejection : null

const retryIn = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

export const makeRateLimits = (config: AppConfigShape, limiter: MakeLimiter): RateLimitsShape => {
  const api = [
    { limit: config.apiRateLimitingShortLimit, ttlMs: config.apiRateLimitingShortTtlMs, name: "api-short" },
    { limit: config.apiRateLimitingLongLimit, ttlMs: config.apiRateLimitingLongTtlMs, name: "api-long" }
  ].map((budget) => ({
    ...budget,
    limiter: limiter({ keyPrefix: budget.name, points: budget.limit, duration: budget.ttlMs / 1000 })
  }))
  const perAddress = limiter({ keyPrefix: "auth-address", points: config.signInMaxAttemptsPerAddressPerMinute, duration: 60 })
  const failures = {
    password: limiter({ keyPrefix: "auth-password", points: config.signInMaxFailuresPerAccount, duration: 3600 }),
    otp: limiter({ keyPrefix: "auth-otp", points: config.signInMaxFailuresPerAccount, duration: 3600 })
  }
  const locks = limiter({ keyPrefix: "auth-locks", points: 1_000_000, duration: LOCK_MEMORY_SECONDS })
  const resetLinks = limiter({ keyPrefix: "auth-reset", points: config.passwordResetMaxPerAccountPerHour, duration: 3600 })
  const backoff = seconds(config.signInBackoff)
  const backoffMax = seconds(config.signInBackoffMax)

  const consume = (rl: RateLimiterAbstract, key: string) =>
    Effect.promise(() => rl.consume(key).then(() => null, refusalOf))

  const refusedAddresses = new Map<string, number>()
  const addressRefusal = (retryMs: number) =>
    new TooManyRequests({
      message: `Too many sign-in attempts from this address: at most ${config.signInMaxAttemptsPerAddressPerMinute} per minute (SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE), retry in ${retryIn(retryMs)} s`,
      retryAfterSeconds: retryIn(retryMs)
    })

  const addressBudget = (clientAddress: string | null) =>
    clientAddress === null ? Effect.void : Effect.flatMap(consume(perAddress, clientAddress), (refused) => {
      if (!refused) return Effect.void
      if (refusedAddresses.size > 10_000) refusedAddresses.clear()
      refusedAddresses.set(clientAddress, Date.now() + refused.msBeforeNext)
      return Effect.fail(addressRefusal(refused.msBeforeNext))
    })

  /** The attempt that goes one past the allowance starts a lock, twice as long as the previous one. */
  const lockAccount = (rl: RateLimiterAbstract, key: string, refused: RateLimiterRes) =>
    refused.consumedPoints !== rl.points + 1
      ? Effect.succeed(retryIn(refused.msBeforeNext))
      : Effect.promise(async () => {
        const previous = await locks.penalty(key, 1).then((r) => r.consumedPoints, () => 1)
        const lockSeconds = Math.min(backoffMax, backoff * 2 ** Math.min(previous - 1, 30))
        await rl.block(key, lockSeconds).catch(() => undefined)
        return lockSeconds
      })

  return {
    apiRequest: async (workspaceId) => {
      const results = await Promise.all(api.map((budget) => budget.limiter.consume(workspaceId).then(() => null, refusalOf)))
      let refusal: ApiRefusal | null = null
      results.forEach((refused, i) => {
        if (refused && (!refusal || refused.msBeforeNext > refusal.retryAfterMs)) {
          refusal = { message: `Limit reached (${api[i]!.limit} tokens per ${api[i]!.ttlMs} ms)`, retryAfterMs: refused.msBeforeNext }
        }
      })
      return refusal
    },
    attempt: (kind, clientAddress, account) =>
      Effect.zipRight(
        addressBudget(clientAddress),
        Effect.flatMap(consume(failures[kind], `${kind}:${account}`), (refused) =>
          refused
            ? Effect.flatMap(lockAccount(failures[kind], `${kind}:${account}`, refused), (wait) =>
              Effect.fail(new TooManyRequests({
                message: `Too many failed attempts for this account, retry in ${wait} s`,
                retryAfterSeconds: wait
              })))
            : Effect.void)
      ),
    succeeded: (kind, account) =>
      Effect.promise(() =>
        Promise.all([failures[kind].delete(`${kind}:${account}`), locks.delete(`${kind}:${account}`)]).catch(() => undefined)
      ),
    refusedAddress: (clientAddress) => {
      const until = refusedAddresses.get(clientAddress)
      if (until === undefined) return undefined
      const left = until - Date.now()
      if (left > 0) return addressRefusal(left)
      refusedAddresses.delete(clientAddress)
      return undefined
    },
    resetLinkRequest: (clientAddress, email) =>
      Effect.zipRight(
        addressBudget(clientAddress),
        Effect.flatMap(consume(resetLinks, email), (refused) =>
          refused
            ? Effect.fail(new TooManyRequests({
              message: `Too many password reset requests for this email: at most ${config.passwordResetMaxPerAccountPerHour} per hour (PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR), retry in ${retryIn(refused.msBeforeNext)} s`,
              retryAfterSeconds: retryIn(refused.msBeforeNext)
            }))
            : Effect.void)
      )
  }
}

const memoryLimiter: MakeLimiter = (options) => new RateLimiterMemory(options)

/** Embedded mode (no REDIS_URL): the same budgets, per process. */
export const RateLimitsMemory = (config: AppConfigShape) => Layer.succeed(RateLimits, makeRateLimits(config, memoryLimiter))

/** Counters in Redis under REDIS_KEY_PREFIX, shared by every instance; while Redis fails, each process counts alone. */
export const RateLimitsRedis = (config: AppConfigShape) => Layer.effect(
  RateLimits,
  Effect.gen(function*() {
    const redis = yield* Redis
    return makeRateLimits(config, (options) =>
      new RateLimiterRedis({
        ...options,
        storeClient: redis.client,
        keyPrefix: `${redis.prefix}rl:${options.keyPrefix}`,
        insuranceLimiter: new RateLimiterMemory(options)
      }))
  })
)
