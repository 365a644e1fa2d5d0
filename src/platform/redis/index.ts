import { Context, Data, Duration, Effect, Layer, Redacted } from "effect"
import IORedis from "ioredis"

export class RedisUnavailable extends Data.TaggedError("RedisUnavailable")<{ readonly message: string }> {}

export interface RedisConnections {
  /** Commands; fails fast (no offline queue) so a Redis outage degrades instead of hanging requests. */
  readonly client: IORedis
  /** Opens a dedicated connection (subscribers and blocking commands need their own). */
  readonly duplicate: Effect.Effect<IORedis, RedisUnavailable, import("effect").Scope.Scope>
  /** Starts every key and channel Score uses (REDIS_KEY_PREFIX), so deployments or test runs can share a server. */
  readonly prefix: string
}

export class Redis extends Context.Tag("score/Redis")<Redis, RedisConnections>() {}

const connect = (url: string, name: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const client = new IORedis(url, {
          connectionName: name,
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          retryStrategy: (attempt) => Math.min(attempt * 100, 2000)
        })
        client.on("error", () => {}) // reported through failing commands and /healthz
        await client.connect()
        return client
      },
      catch: (e) => new RedisUnavailable({ message: `Redis unreachable: ${(e as Error).message}` })
    }).pipe(
      Effect.timeoutFail({
        duration: Duration.seconds(5),
        onTimeout: () => new RedisUnavailable({ message: "Redis unreachable: connection timed out" })
      })
    ),
    (client) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
  )

export const RedisLive = (url: Redacted.Redacted<string>, prefix = "score:") =>
  Layer.scoped(
    Redis,
    Effect.gen(function*() {
      const raw = Redacted.value(url)
      const client = yield* connect(raw, "score")
      yield* Effect.logInfo(`Redis: ${new URL(raw).host}`)
      return { client, duplicate: connect(raw, "score-sub"), prefix }
    })
  )
