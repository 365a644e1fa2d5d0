import { Duration, Effect, Option } from "effect"
import type { JobQueueShape } from "../queue/job-queue.js"
import type IORedis from "ioredis"
import { primaries, type RedisConnections } from "../redis/index.js"

/** How Redis keeps queued jobs across its own restart: an append-only file, snapshots only, nothing, or unknown (CONFIG refused). */
export type RedisPersistence = "aof" | "rdb" | "none" | "unknown"

export interface JobDurability {
  readonly persistence: RedisPersistence
  /** Workers heard from within WORKER_SEEN_WITHIN. */
  readonly workers: number
  readonly warnings: ReadonlyArray<string>
}

/** A worker announces itself every WORKER_HEARTBEAT; one unheard of for WORKER_SEEN_WITHIN is gone. */
export const WORKER_HEARTBEAT = Duration.seconds(5)
export const WORKER_SEEN_WITHIN = Duration.seconds(30)

const configValue = (node: IORedis, name: string) =>
  Effect.tryPromise(() => node.config("GET", name) as Promise<Array<string>>).pipe(
    Effect.map((reply) => Option.fromNullable(reply[1])),
    Effect.orElseSucceed(() => Option.none<string>())
  )

const nodePersistence = (node: IORedis) =>
  Effect.gen(function*() {
    const appendonly = yield* configValue(node, "appendonly")
    if (Option.isNone(appendonly)) return "unknown" as const
    if (appendonly.value === "yes") return "aof" as const
    const save = yield* configValue(node, "save")
    return Option.isSome(save) && save.value.trim() !== "" ? "rdb" as const : "none" as const
  })

/** Worst first: on a cluster, the master that would lose the most decides. */
const RISK: ReadonlyArray<RedisPersistence> = ["none", "rdb", "unknown", "aof"]

/** The server's persistence, or on a cluster the weakest of its masters' (each holds its own queues). */
export const redisPersistence = (redis: RedisConnections) =>
  Effect.map(
    Effect.forEach(primaries(redis.client), nodePersistence, { concurrency: "unbounded" }),
    (found) => RISK.find((level) => found.includes(level)) ?? "unknown"
  )

const persistenceWarning: Record<RedisPersistence, string | null> = {
  aof: null,
  unknown: null,
  rdb: "Redis persists by snapshots only (appendonly no): jobs queued since the last snapshot are lost if Redis restarts; set appendonly yes",
  none: "Redis does not persist (appendonly no, no snapshots): queued jobs and events are lost if Redis restarts; set appendonly yes"
}

export const noWorkerWarning =
  `No worker has taken jobs in the last ${Duration.format(WORKER_SEEN_WITHIN)}: start \`bun run worker\` (events, webhook deliveries and timeline entries wait in the queue until one runs)`

/** What /healthz and the start-up log say about jobs that could be lost or left waiting. */
export const jobDurability = (redis: RedisConnections, jobs: JobQueueShape) =>
  Effect.gen(function*() {
    const persistence = yield* redisPersistence(redis)
    const workers = yield* jobs.liveWorkers(WORKER_SEEN_WITHIN).pipe(Effect.orElseSucceed(() => 0))
    const warnings = [persistenceWarning[persistence], workers === 0 ? noWorkerWarning : null].filter((w) => w !== null)
    return { persistence, workers, warnings } satisfies JobDurability
  })

/**
 * Logs, for a server on Redis, what would lose jobs: a Redis that does not persist (at start), and no worker
 * heard from (after a grace period at start, then whenever that changes).
 */
export const watchJobDurability = (redis: RedisConnections, jobs: JobQueueShape) =>
  Effect.gen(function*() {
    const persistence = yield* redisPersistence(redis)
    const warning = persistenceWarning[persistence]
    if (warning) yield* Effect.logWarning(warning)
    let workersSeen = true
    yield* Effect.sleep(WORKER_SEEN_WITHIN)
    while (true) {
      const workers = yield* jobs.liveWorkers(WORKER_SEEN_WITHIN).pipe(Effect.orElseSucceed(() => -1))
      if (workers === 0 && workersSeen) yield* Effect.logWarning(noWorkerWarning)
      if (workers > 0 && !workersSeen) yield* Effect.logInfo(`A worker takes jobs again (${workers} running)`)
      if (workers >= 0) workersSeen = workers > 0
      yield* Effect.sleep(WORKER_HEARTBEAT)
    }
  })
