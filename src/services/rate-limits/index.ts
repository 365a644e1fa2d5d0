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
   * budgets (API_RATE_LIMITING_SHORT_* and _LONG_*); null (at once, or from the promise) when admitted.
   * Far below a budget the request is admitted at once and counted in the background (see localBudget);
   * near it every request is counted in the store before it is answered.
   */
  readonly apiRequest: (workspaceId: string) => Promise<ApiRefusal | null> | null
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
  /**
   * While this process has seen the account locked (until the lock ends or a success here): the refusal
   * to repeat, so the web handler can refuse its further attempts before any GraphQL work.
   */
  readonly lockedAccount: (kind: AttemptKind, account: string) => TooManyRequests | undefined
  readonly hasLockedAccounts: () => boolean
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

/** Background counts are sent to the store at least this often. */
const FLUSH_MS = 50

/**
 * A budget counted in the store without a store round trip per request: while the last count the store
 * gave (all instances) plus this process's unsent requests stays under half the limit, a request is
 * admitted at once and its count sent in the background (every FLUSH_MS, or sooner once an eighth of the
 * limit is pending). From half the limit on, every request waits for the store's answer, as before, so
 * refusals stay exact; instances can together overshoot by at most what each admits between two flushes.
 * Without this a Redis call per API-key request cost about a third of the list read's req/s (bench/permissions.ts).
 */
const localBudget = (limiter: RateLimiterAbstract, limit: number) => {
  interface Entry {
    known: number
    inFlight: number
    pending: number
    windowEndsAt: number
    flushing: Promise<void> | null
    timer: ReturnType<typeof setTimeout> | null
  }
  const entries = new Map<string, Entry>()
  const learn = (entry: Entry, res: RateLimiterRes) => {
    entry.known = res.consumedPoints
    entry.windowEndsAt = Date.now() + res.msBeforeNext
  }
  const flush = (key: string, entry: Entry): Promise<void> => {
    if (entry.timer) clearTimeout(entry.timer)
    entry.timer = null
    if (entry.flushing) return entry.flushing.then(() => (entry.pending > 0 ? flush(key, entry) : undefined))
    const points = entry.pending
    if (points === 0) return Promise.resolve()
    entry.pending = 0
    entry.inFlight += points
    entry.flushing = limiter.consume(key, points).then(
      (res) => learn(entry, res),
      (rejection) => {
        const refused = refusalOf(rejection)
        if (refused) learn(entry, refused)
      }
    ).finally(() => {
      entry.inFlight -= points
      entry.flushing = null
    })
    return entry.flushing
  }
  const entryOf = (key: string) => {
    let entry = entries.get(key)
    if (!entry) {
      if (entries.size > 100_000) entries.clear()
      entry = { known: 0, inFlight: 0, pending: 0, windowEndsAt: 0, flushing: null, timer: null }
      entries.set(key, entry)
    }
    if (Date.now() >= entry.windowEndsAt && entry.flushing === null) entry.known = 0
    return entry
  }
  return {
    /** null: admitted at once; otherwise the store's refusal (or null) once counted there. */
    take: (key: string): Promise<RateLimiterRes | null> | null => {
      const entry = entryOf(key)
      if (entry.known + entry.inFlight + entry.pending + 1 < limit / 2) {
        entry.pending++
        if (entry.pending >= Math.max(1, limit / 8)) void flush(key, entry)
        else entry.timer ??= setTimeout(() => void flush(key, entry), FLUSH_MS)
        return null
      }
      return flush(key, entry).then(() =>
        limiter.consume(key).then((res) => {
          learn(entry, res)
          return null
        }, (rejection) => {
          const refused = refusalOf(rejection)
          if (refused) learn(entry, refused)
          return refused
        })
      )
    }
  }
}

export const makeRateLimits = (config: AppConfigShape, limiter: MakeLimiter): RateLimitsShape => {
  const api = [
    { limit: config.apiRateLimitingShortLimit, ttlMs: config.apiRateLimitingShortTtlMs, name: "api-short" },
    { limit: config.apiRateLimitingLongLimit, ttlMs: config.apiRateLimitingLongTtlMs, name: "api-long" }
  ].map((budget) => ({
    ...budget,
    counter: localBudget(limiter({ keyPrefix: budget.name, points: budget.limit, duration: budget.ttlMs / 1000 }), budget.limit)
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

  const lockedAccounts = new Map<string, number>()
  const accountRefusal = (seconds: number) =>
    new TooManyRequests({ message: `Too many failed attempts for this account, retry in ${seconds} s`, retryAfterSeconds: seconds })

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
    apiRequest: (workspaceId) => {
      const counted = api.map((budget) => budget.counter.take(workspaceId))
      if (counted.every((c) => c === null)) return null
      return Promise.all(counted).then((results) => {
        let refusal: ApiRefusal | null = null
        results.forEach((refused, i) => {
          if (refused && (!refusal || refused.msBeforeNext > refusal.retryAfterMs)) {
            refusal = { message: `Limit reached (${api[i]!.limit} tokens per ${api[i]!.ttlMs} ms)`, retryAfterMs: refused.msBeforeNext }
          }
        })
        return refusal
      })
    },
    attempt: (kind, clientAddress, account) =>
      Effect.zipRight(
        addressBudget(clientAddress),
        Effect.flatMap(consume(failures[kind], `${kind}:${account}`), (refused) =>
          refused
            ? Effect.flatMap(lockAccount(failures[kind], `${kind}:${account}`, refused), (wait) => {
              if (lockedAccounts.size > 10_000) lockedAccounts.clear()
              lockedAccounts.set(`${kind}:${account}`, Date.now() + wait * 1000)
              return Effect.fail(accountRefusal(wait))
            })
            : Effect.void)
      ),
    succeeded: (kind, account) =>
      Effect.promise(() => {
        lockedAccounts.delete(`${kind}:${account}`)
        return Promise.all([failures[kind].delete(`${kind}:${account}`), locks.delete(`${kind}:${account}`)]).catch(() => undefined)
      }),
    refusedAddress: (clientAddress) => {
      const until = refusedAddresses.get(clientAddress)
      if (until === undefined) return undefined
      const left = until - Date.now()
      if (left > 0) return addressRefusal(left)
      refusedAddresses.delete(clientAddress)
      return undefined
    },
    lockedAccount: (kind, account) => {
      const until = lockedAccounts.get(`${kind}:${account}`)
      if (until === undefined) return undefined
      const left = until - Date.now()
      if (left > 0) return accountRefusal(retryIn(left))
      lockedAccounts.delete(`${kind}:${account}`)
      return undefined
    },
    hasLockedAccounts: () => lockedAccounts.size > 0,
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
