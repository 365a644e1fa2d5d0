import { Context, Duration, Effect, Fiber, Layer, Option } from "effect"
import { Cluster } from "ioredis"
import { Redis } from "../redis/index.js"
import { Lru } from "../lib/lru.js"
import { inTransaction, singleFlight } from "../lib/single-flight.js"
import { cacheLookups } from "../metrics/index.js"

export interface CacheOptions {
  readonly ttl: Duration.DurationInput
  /** Keep a copy in this process too (default); off reads the shared tier on every use. */
  readonly local?: boolean
}

export interface CacheShape {
  /**
   * Reads `key`, or runs `load` and stores its result. Not stored: a failure, null, and anything loaded
   * inside a transaction (it may see writes that are then rolled back).
   */
  readonly getOrLoad: <A, E, R>(
    key: string,
    load: Effect.Effect<A | null, E, R>,
    options: CacheOptions
  ) => Effect.Effect<A | null, E, R>
  /** Removes `key` here, in the shared tier, and in every other process's local tier. */
  readonly invalidate: (...keys: ReadonlyArray<string>) => Effect.Effect<void>
  /**
   * How many invalidations this process has seen. A value derived from cached ones (a verified
   * caller, a built schema) is valid while it has not moved; see `derivedMemo`.
   */
  readonly epoch: () => number
  readonly ping: Effect.Effect<void, Error>
}

export class Cache extends Context.Tag("score/Cache")<Cache, CacheShape>() {}

const LOCAL_TTL_CAP = Duration.seconds(10)
const LOCAL_HIT = { cache: "metadata", result: "local_hit" } as const
const SHARED_HIT = { cache: "metadata", result: "shared_hit" } as const
const MISS = { cache: "metadata", result: "miss" } as const
const INVALIDATION_ACK_TIMEOUT_MS = 1_000
const LOCAL_MAX_ENTRIES = 50_000
const GENERATION_TTL_MS = 86_400_000

export class LocalTier {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>()
  /** Bumped by every invalidation: a value loaded across one is not kept, since it may predate it. */
  epoch = 0

  get(key: string): Option.Option<unknown> {
    const entry = this.entries.get(key)
    if (!entry) return Option.none()
    if (entry.expiresAt < Date.now()) {
      this.entries.delete(key)
      return Option.none()
    }
    return Option.some(entry.value)
  }

  /** Values are stored as their JSON form so both tiers hand back the same shapes (dates as strings). */
  set(key: string, value: unknown, ttl: Duration.Duration) {
    value = JSON.parse(JSON.stringify(value))
    const now = Date.now()
    // Expired entries go from the old end as new ones come: a workspace's entries (its row, roles, members'
    // credentials) would otherwise stay until read again or LOCAL_MAX_ENTRIES, ~10 a workspace seen.
    for (const [oldest, entry] of this.entries) {
      if (entry.expiresAt >= now && this.entries.size < LOCAL_MAX_ENTRIES) break
      this.entries.delete(oldest)
    }
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt: now + Duration.toMillis(ttl) })
  }

  get size(): number {
    return this.entries.size
  }

  delete(key: string) {
    this.epoch++
    this.entries.delete(key)
  }

  /** Everything goes (invalidations may have been missed while the subscriber was away). */
  clear() {
    this.epoch++
    this.entries.clear()
  }
}

/** One process, no Redis: embedded mode and unit tests. */
export const CacheMemory = Layer.sync(Cache, () => {
  const local = new LocalTier()
  const shared = singleFlight()
  return {
    getOrLoad: (key, load, options) =>
      Effect.suspend(() => {
        const hit = local.get(key)
        if (Option.isSome(hit)) {
          cacheLookups.inc(LOCAL_HIT)
          return Effect.succeed(hit.value as never)
        }
        cacheLookups.inc(MISS)
        const epoch = local.epoch
        return Effect.map(Effect.zip(shared(key, load), inTransaction), ([value, transaction]) => {
          if (value === null) return null
          if (local.epoch !== epoch || transaction) return JSON.parse(JSON.stringify(value)) as never
          local.set(key, value, Duration.decode(options.ttl))
          return Option.getOrThrow(local.get(key)) as never
        })
      }),
    invalidate: (...keys) => Effect.sync(() => keys.forEach((key) => local.delete(key))),
    epoch: () => local.epoch,
    ping: Effect.void
  }
})


/** Stores the loaded value only if no invalidation happened since the load began (same generation). */
export const SET_IF_SAME_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return 1`

/**
 * Two tiers: this process's memory and Redis. Invalidations are published so every instance drops its
 * local copy; Redis failures degrade to loading from the source, never to an error.
 */
export const CacheRedis = Layer.scoped(
  Cache,
  Effect.gen(function*() {
    const { client, duplicate, prefix, slotTag, commandTimeout } = yield* Redis
    // Single commands are bounded by ioredis; the invalidation's transactions are not on a cluster.
    const redisCall = <A>(run: () => Promise<A>) => Effect.tryPromise(run).pipe(Effect.timeout(commandTimeout))
    const INVALIDATION_CHANNEL = `${prefix}cache:invalidate`
    // A value and its generation share a slot on a cluster (the key is their hash tag): one script reads and writes both.
    const valueKey = (key: string) => `${prefix}cache:${slotTag(key)}`
    const generationKey = (key: string) => `${prefix}cache-gen:${slotTag(key)}`
    const clustered = client instanceof Cluster
    const local = new LocalTier()
    const once = singleFlight()
    const subscriber = yield* duplicate
    // Our own invalidations come back too: their arrival means Redis has pushed them to every subscriber.
    const awaitingEcho = new Map<string, () => void>()
    subscriber.on("message", (_channel, message: string) => {
      const { keys, id } = JSON.parse(message) as { keys: Array<string>; id: string }
      for (const key of keys) local.delete(key)
      awaitingEcho.get(id)?.()
    })
    // Invalidations published while the subscriber was reconnecting (a single server's restart, or on a
    // cluster the subscriber's node lost and another chosen) never arrive: the local tier is dropped instead.
    subscriber.on("ready", () => local.clear())
    if (subscriber instanceof Cluster) subscriber.on("-node", () => local.clear())
    const echoOf = (id: string) =>
      Effect.async<void>((resume) => {
        const timer = setTimeout(() => done(), INVALIDATION_ACK_TIMEOUT_MS)
        const done = () => {
          clearTimeout(timer)
          awaitingEcho.delete(id)
          resume(Effect.void)
        }
        awaitingEcho.set(id, done)
        return Effect.sync(done)
      })
    yield* Effect.promise(() => subscriber.subscribe(INVALIDATION_CHANNEL))

    /** The shared value and its key's generation, in one round trip. */
    const readShared = (key: string) =>
      redisCall(() => client.mget(valueKey(key), generationKey(key))).pipe(
        Effect.map(([raw, generation]) => ({
          value: raw == null ? Option.none() : Option.some(JSON.parse(raw) as unknown),
          generation: generation ?? "0"
        })),
        Effect.catchAll((e) => Effect.as(Effect.logWarning("cache read failed", e), { value: Option.none(), generation: null }))
      )
    const writeShared = (key: string, value: unknown, ttl: Duration.Duration, generation: string | null) =>
      generation === null
        ? Effect.void
        : redisCall(() =>
          client.eval(SET_IF_SAME_GENERATION, 2, valueKey(key), generationKey(key), JSON.stringify(value), generation, Duration.toMillis(ttl))
        ).pipe(Effect.catchAll((e) => Effect.logWarning("cache write failed", e)))

    /**
     * Deletes the shared values and moves their generations (so a load that began before cannot store its
     * result), then tells every instance. One transaction on a single server; on a cluster one per key (each
     * in its key's slot), the message sent once all are done.
     */
    const dropShared = async (keys: ReadonlyArray<string>, message: string) => {
      const moveGeneration = <M extends ReturnType<typeof client.multi>>(multi: M, key: string) =>
        multi.incr(generationKey(key)).pexpire(generationKey(key), GENERATION_TTL_MS)
      if (!clustered) {
        await keys.reduce(moveGeneration, client.multi().del(...keys.map(valueKey))).publish(INVALIDATION_CHANNEL, message).exec()
        return
      }
      await Promise.all(keys.map((key) => moveGeneration(client.multi(), key).del(valueKey(key)).exec()))
      await client.publish(INVALIDATION_CHANNEL, message)
    }

    const loadThroughShared = <A, E, R>(key: string, load: Effect.Effect<A | null, E, R>, options: CacheOptions) =>
      Effect.gen(function*() {
        const useLocal = options.local !== false
        const ttl = Duration.decode(options.ttl)
        const localTtl = Duration.min(ttl, LOCAL_TTL_CAP)
        const epoch = local.epoch
        const shared = yield* readShared(key)
        if (Option.isSome(shared.value)) {
          cacheLookups.inc(SHARED_HIT)
          if (useLocal && local.epoch === epoch) local.set(key, shared.value.value, localTtl)
          return shared.value.value as A
        }
        cacheLookups.inc(MISS)
        const value = yield* load
        if (value === null) return null
        if (yield* inTransaction) return JSON.parse(JSON.stringify(value)) as A
        yield* writeShared(key, value, ttl, shared.generation)
        if (useLocal && local.epoch === epoch) local.set(key, value, localTtl)
        return JSON.parse(JSON.stringify(value)) as A
      })

    const cache: CacheShape = {
      getOrLoad: (key, load, options) =>
        Effect.suspend(() => {
          const hit = options.local !== false ? local.get(key) : Option.none()
          if (Option.isNone(hit)) return once(key, loadThroughShared(key, load, options))
          cacheLookups.inc(LOCAL_HIT)
          return Effect.succeed(hit.value as never)
        }),
      /** Returns once every instance's subscriber has been sent the invalidation (our own got it back). */
      invalidate: (...keys) =>
        Effect.gen(function*() {
          if (keys.length === 0) return
          keys.forEach((key) => local.delete(key))
          const id = crypto.randomUUID()
          const echo = yield* Effect.fork(echoOf(id))
          yield* redisCall(() => dropShared(keys, JSON.stringify({ keys, id }))).pipe(
            Effect.zipRight(Fiber.join(echo)),
            Effect.catchAll((e) => Effect.zipRight(Fiber.interrupt(echo), Effect.logError("cache invalidation failed", e)))
          )
        }),
      epoch: () => local.epoch,
      ping: Effect.tryPromise({ try: () => client.ping(), catch: (e) => e as Error }).pipe(Effect.timeout(commandTimeout), Effect.asVoid)
    }
    return cache
  })
)

/**
 * A process-local memo of values derived from cached entries: an entry is dropped by any invalidation
 * this process sees since it began loading, and after at most the local tier's lifetime. A sweep one
 * lifetime after a set drops what expired, so an idle process keeps nothing (a worker that has just run
 * a thousand workspaces' jobs would otherwise keep their models and metadata until its next set).
 */
export const derivedMemo = <V>(cache: CacheShape, capacity: number, lifetime: Duration.DurationInput = LOCAL_TTL_CAP) => {
  const lifetimeMs = Duration.toMillis(lifetime)
  const entries = new Lru<string, { readonly value: V; readonly epoch: number; readonly until: number }>(capacity)
  /** Drops stale entries from the old end: every entry behind a fresh one is fresher. */
  const dropStale = (now: number) => {
    const epoch = cache.epoch()
    for (let oldest = entries.oldest(); oldest && (oldest[1].until <= now || oldest[1].epoch !== epoch); oldest = entries.oldest()) {
      entries.delete(oldest[0])
    }
  }
  let sweep: ReturnType<typeof setTimeout> | undefined
  const sweepLater = () => {
    if (sweep !== undefined) return
    sweep = setTimeout(() => {
      sweep = undefined
      dropStale(Date.now())
      if (entries.size > 0) sweepLater()
    }, lifetimeMs + 10)
    sweep.unref?.()
  }
  return {
    get: (key: string): V | undefined => {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.epoch === cache.epoch() && entry.until > Date.now()) return entry.value
      entries.delete(key)
      return undefined
    },
    /** `since`: the epoch read before loading `value`; `until`: an earlier end (ms) when the value expires itself. */
    set: (key: string, value: V, since: number, until = Infinity) => {
      if (since !== cache.epoch()) return
      const now = Date.now()
      // Stale entries go from the old end, so what the memo keeps is what was used within its lifetime,
      // not `capacity` values (a workspace's model or metadata, which would outlive their own caches).
      dropStale(now)
      entries.set(key, { value, epoch: since, until: Math.min(until, now + lifetimeMs) })
      sweepLater()
    },
    delete: (key: string) => {
      entries.delete(key)
    },
    /** Entries held, fresh or not yet swept. */
    size: () => entries.size
  }
}
