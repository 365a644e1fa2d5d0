import { Context, Data, Duration, Effect, Layer, Option, Redacted, type Scope } from "effect"
import IORedis, { Cluster } from "ioredis"
import type { ClusterNode } from "../config.js"
import { installTracingChannelHasSubscribers } from "../lib/tracing-channels.js"

installTracingChannelHasSubscribers()

export class RedisUnavailable extends Data.TaggedError("RedisUnavailable")<{ readonly message: string }> {}

/** A single server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES); ioredis speaks both with one command set. */
export type RedisClient = IORedis | Cluster

export interface RedisConnections {
  /** Commands; fails fast (no offline queue) so a Redis outage degrades instead of hanging requests. */
  readonly client: RedisClient
  /** Opens a dedicated connection (subscribers and blocking commands need their own). */
  readonly duplicate: Effect.Effect<RedisClient, RedisUnavailable, Scope.Scope>
  /** Starts every key and channel Score uses (REDIS_KEY_PREFIX), so deployments or test runs can share a server. */
  readonly prefix: string
  /**
   * `text` as a hash tag (`{text}`) on a cluster, where keys a script or transaction uses together must share a
   * slot; unchanged on a single server, so the key names of existing deployments stay as they were.
   */
  readonly slotTag: (text: string) => string
  /** On a cluster: how many replicas must have an enqueued job before it is acknowledged (0: not waited for). */
  readonly waitReplicas: number
  /**
   * REDIS_COMMAND_TIMEOUT: the longest a caller waits for one Redis operation, retries through a failover
   * included. ioredis bounds single commands with it; a pipeline or transaction on a cluster is bounded only by
   * its caller (`Effect.timeout` with this), since ioredis's own timer misses pipelines it retries.
   */
  readonly commandTimeout: Duration.Duration
}

export class Redis extends Context.Tag("score/Redis")<Redis, RedisConnections>() {}

const CONNECT_TIMEOUT = Duration.seconds(5)
export const DEFAULT_COMMAND_TIMEOUT = Duration.seconds(5)
/**
 * How often a cluster client re-reads the slot map whatever its traffic: a pipeline answered `MOVED` beside a
 * reply that is no error (a script beside `WAIT`) does not refresh it, so after a failover a process that only
 * sent such pipelines would keep aiming at the lost master.
 */
const SLOTS_REFRESH_INTERVAL_MS = 5_000
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 2000)

/** Connects `make`'s client, which is closed with the scope. */
const open = <C extends RedisClient>(make: () => C, describe: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const client = make()
      client.on("error", () => {}) // reported through failing commands and /healthz
      return client
    }),
    (client) => Effect.promise(() => client.status === "ready" ? client.quit().then(() => {}, () => client.disconnect()) : Promise.resolve(client.disconnect()))
  ).pipe(
    Effect.tap((client) =>
      Effect.tryPromise({
        try: () => client.connect(),
        catch: (e) => new RedisUnavailable({ message: `${describe} unreachable: ${(e as Error).message}` })
      }).pipe(
        Effect.timeoutFail({
          duration: CONNECT_TIMEOUT,
          onTimeout: () => new RedisUnavailable({ message: `${describe} unreachable: connection timed out` })
        }),
        // Its retries stop at once, even when the scope outlives the failure (a subscriber opened on first use).
        Effect.tapError(() => Effect.sync(() => client.disconnect()))
      ))
  )

const connect = (url: string, name: string, commandTimeout: Duration.Duration) =>
  open(() =>
    new IORedis(url, {
      connectionName: name,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: Duration.toMillis(commandTimeout),
      retryStrategy
    }), "Redis")

/**
 * A cluster client: commands follow MOVED/ASK, and while a master fails over they are retried against the
 * refreshed slot map (every 200 ms, at most 25 times), each command given up after `commandTimeout` (a
 * failover is detected within cluster-node-timeout, then the election). Subscribers are ioredis's own,
 * re-subscribed on another node when theirs is lost.
 */
const connectCluster = (nodes: ReadonlyArray<ClusterNode>, name: string, commandTimeout: Duration.Duration) =>
  open(() =>
    new Cluster(nodes.map((node) => ({ ...node })), {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      maxRedirections: 25,
      slotsRefreshTimeout: 2000,
      slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
      redisOptions: { connectionName: name, maxRetriesPerRequest: 1, commandTimeout: Duration.toMillis(commandTimeout) }
    }), "Redis Cluster")

const plain = (text: string) => text
const tagged = (text: string) => `{${text}}`

export const RedisLive = (url: Redacted.Redacted<string>, prefix = "score:", commandTimeout = DEFAULT_COMMAND_TIMEOUT) =>
  Layer.scoped(
    Redis,
    Effect.gen(function*() {
      const raw = Redacted.value(url)
      const client = yield* connect(raw, "score", commandTimeout)
      yield* Effect.logInfo(`Redis: ${new URL(raw).host}`)
      return { client, duplicate: connect(raw, "score-sub", commandTimeout), prefix, slotTag: plain, waitReplicas: 0, commandTimeout }
    })
  )

export const RedisClusterLive = (
  nodes: ReadonlyArray<ClusterNode>,
  prefix = "score:",
  waitReplicas = 1,
  commandTimeout = DEFAULT_COMMAND_TIMEOUT
) =>
  Layer.scoped(
    Redis,
    Effect.gen(function*() {
      const client = yield* connectCluster(nodes, "score", commandTimeout)
      yield* Effect.logInfo(`Redis Cluster: ${client.nodes("master").length} masters (seeds ${nodes.map((n) => `${n.host}:${n.port}`).join(",")})`)
      return { client, duplicate: connectCluster(nodes, "score-sub", commandTimeout), prefix, slotTag: tagged, waitReplicas, commandTimeout }
    })
  )

/** REDIS_CLUSTER_NODES when set (it takes precedence), else REDIS_URL; none: the in-memory twins. */
export const redisLayer = (settings: {
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  readonly redisClusterNodes: Option.Option<ReadonlyArray<ClusterNode>>
  readonly redisKeyPrefix: string
  readonly redisClusterWaitReplicas: number
  readonly redisCommandTimeout: Duration.Duration
}): Option.Option<Layer.Layer<Redis, RedisUnavailable>> =>
  Option.match(settings.redisClusterNodes, {
    onSome: (nodes) =>
      Option.some(RedisClusterLive(nodes, settings.redisKeyPrefix, settings.redisClusterWaitReplicas, settings.redisCommandTimeout)),
    onNone: () => Option.map(settings.redisUrl, (url) => RedisLive(url, settings.redisKeyPrefix, settings.redisCommandTimeout))
  })

/** The masters of a cluster (each one serves its own slots), or the single server. */
export const primaries = (client: RedisClient): ReadonlyArray<IORedis> =>
  client instanceof Cluster ? client.nodes("master") : [client]
