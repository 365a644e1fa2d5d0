import { Context, Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import Pg from "pg"
import { Redis } from "../redis/index.js"
import type { PoolOptions } from "./budget.js"
import { splitPool } from "./budget.js"
import { BunReads, bunReadsOptions } from "./bun-reads.js"
import { keepClientErrorsInside } from "./client-errors.js"
import { CoalescingSocket } from "./coalescing-socket.js"
import { livePoolConfig, PgPool, replyTimeoutMs } from "./index.js"
import { walPosition, type WriteMarks, writeMarksMemory, writeMarksRedis } from "./write-marks.js"

/** A replica's pools, the same pair as the primary's (`pg`, and Bun's for the prepared list reads). */
export interface ReplicaPools {
  readonly name: string
  readonly pool: Pg.Pool
  readonly reads: BunReads | null
}

export interface ReplicaState {
  readonly name: string
  /** up: takes reads; lagging: more than DATABASE_READ_MAX_LAG_MS behind; down: unreachable or not a standby. */
  readonly status: "starting" | "up" | "lagging" | "down"
  readonly lagMs: number | null
  readonly error?: string
}

export interface ReadReplicasShape {
  /**
   * Where a read of the workspace outside a transaction goes now: a replica that is up and has replayed the
   * workspace's last write, else null (the primary). Never rejects.
   */
  readonly route: (workspaceId: string) => Promise<ReplicaPools | null>
  /** After a workspace's write committed (or failed): its reads stay on the primary until a replica replayed it. */
  readonly wrote: (workspaceId: string) => Promise<void>
  /** A read failed on `replica` (it is retried on the primary): unreachable, it takes no reads until a poll finds it back. */
  readonly failed: (replica: ReplicaPools, error: unknown) => void
  readonly states: () => ReadonlyArray<ReplicaState>
}

/** DATABASE_READ_URL's replicas; null without any (every read on the primary, no cost on the reads). */
export class ReadReplicas extends Context.Tag("score/ReadReplicas")<ReadReplicas, ReadReplicasShape | null>() {}

export interface ReplicaOptions extends PoolOptions {
  readonly maxLagMs: number
  readonly pollIntervalMs: number
}

export interface WalSample {
  readonly at: number
  readonly position: string
}

/**
 * How far behind a replica that replayed up to `replayed` is, in ms: since the first of the primary's samples
 * (oldest first) that stood past it; 0 when it replayed the newest. Known to a poll interval.
 */
export const replicaLag = (samples: ReadonlyArray<WalSample>, replayed: string, now: number) => {
  const ahead = samples.find((s) => s.position > replayed)
  return ahead === undefined ? 0 : now - ahead.at
}

/** Past every WAL position: a workspace whose write position could not be read stays on the primary for the ttl. */
const EVERYTHING = "FFFFFFFFFFFFFFFF"

const safeName = (url: string) => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || 5432}`
  } catch {
    return "(unparsable URL)"
  }
}

/** A failure that says the server cannot serve (no SQLSTATE, or classes 08, 57, 53), not that the statement was wrong. */
const unreachable = (error: unknown) => {
  const e = error as { code?: unknown; errno?: unknown } | null
  const state = typeof e?.errno === "string" ? e.errno : e?.code
  return typeof state !== "string" || !/^[0-9A-Z]{5}$/.test(state) || ["08", "57", "53"].includes(state.slice(0, 2))
}

const withTimeout = <A>(promise: Promise<A>, ms: number) =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    promise.then((a) => (clearTimeout(timer), resolve(a)), (e) => (clearTimeout(timer), reject(e)))
  })

/**
 * The replicas' pools, a poll of each replica's replay position against the primary's WAL position every
 * DATABASE_READ_POLL_INTERVAL_MS (lag: how long ago the primary first stood past what the replica replayed),
 * and the workspaces' write marks (write-marks.ts) in Redis when there is one.
 */
const makeReplicas = (urls: ReadonlyArray<Redacted.Redacted<string>>, options: ReplicaOptions) =>
  Effect.gen(function*() {
    const primary = yield* PgPool
    const redis = yield* Effect.serviceOption(Redis)
    const markTtl = options.maxLagMs + 2 * options.pollIntervalMs + 1_000
    const local = writeMarksMemory(markTtl)
    const shared: WriteMarks | null = Option.match(redis, { onNone: () => null, onSome: (r) => writeMarksRedis(r, markTtl) })
    const reply = replyTimeoutMs({ statement: options.statementTimeout, connect: options.connectTimeout })
    const { pg, reads } = splitPool(options.size)
    const replicas = yield* Effect.forEach(urls, (url) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const raw = Redacted.value(url)
          const pool = new Pg.Pool({ ...livePoolConfig(raw, pg, options), stream: () => new CoalescingSocket(reply) })
          pool.on("error", () => {})
          keepClientErrorsInside(pool)
          const replica: ReplicaPools = { name: safeName(raw), pool, reads: reads === 0 ? null : new BunReads(bunReadsOptions(raw, reads, options), reply) }
          return { replica, state: { name: replica.name, status: "starting", lagMs: null } as ReplicaState, replayed: null as string | null }
        }),
        ({ replica }) =>
          Effect.promise(() => Promise.all([replica.pool.end(), replica.reads?.close()])).pipe(Effect.timeoutOption(1000), Effect.ignore)
      ))
    const byReplica = new Map(replicas.map((r) => [r.replica, r]))

    // The primary's WAL position over the last max-lag window, oldest first.
    const samples: Array<WalSample> = []
    const lagOf = (replayed: string, now: number) => replicaLag(samples, replayed, now)
    const probeTimeout = Math.max(options.pollIntervalMs, 1_000)
    const poll = Effect.promise(async () => {
      const now = Date.now()
      try {
        const { rows: [row] } = await withTimeout(primary.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn"), probeTimeout)
        samples.push({ at: now, position: walPosition(row!.lsn) })
        while (samples.length > 1 && samples[0]!.at < now - options.maxLagMs - 2 * options.pollIntervalMs) samples.shift()
      } catch {
        // The primary is down: the replicas' lag is unknown, kept as last measured.
      }
      await Promise.all(replicas.map(async (entry) => {
        try {
          const { rows: [row] } = await withTimeout(
            entry.replica.pool.query<{ standby: boolean; lsn: string | null }>(
              "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn"
            ),
            probeTimeout
          )
          if (!row!.standby || row!.lsn === null) {
            entry.state = { name: entry.replica.name, status: "down", lagMs: null, error: "not a standby" }
            return
          }
          entry.replayed = walPosition(row!.lsn)
          const lagMs = lagOf(entry.replayed, Date.now())
          entry.state = { name: entry.replica.name, status: lagMs > options.maxLagMs ? "lagging" : "up", lagMs }
        } catch (error) {
          entry.state = { name: entry.replica.name, status: "down", lagMs: null, error: String((error as Error)?.message ?? error) }
        }
      }))
    })
    yield* poll
    yield* Effect.forkScoped(Effect.repeat(poll, Schedule.spaced(Duration.millis(options.pollIntervalMs))))
    yield* Effect.logInfo(`Database: ${replicas.length} read replica(s): ${replicas.map((r) => `${r.replica.name} ${r.state.status}`).join(", ")}`)

    const markOf = async (workspaceId: string) => {
      const mine = await local.get(workspaceId)
      const theirs = shared === null ? null : await shared.get(workspaceId)
      return mine === null ? theirs : theirs === null || mine > theirs ? mine : theirs
    }
    let turn = 0
    const route = async (workspaceId: string): Promise<ReplicaPools | null> => {
      const up = replicas.filter((r) => r.state.status === "up")
      if (up.length === 0) return null
      let mark: string | null
      try {
        mark = await markOf(workspaceId)
      } catch {
        return null // the marks cannot be read: the primary is always current
      }
      const caughtUp = mark === null ? up : up.filter((r) => r.replayed !== null && r.replayed >= mark)
      if (caughtUp.length === 0) return null
      return caughtUp[turn++ % caughtUp.length]!.replica
    }
    // The insert position, not pg_current_wal_lsn(): under synchronous_commit = off a commit returns before its
    // record is written, and the write position could then stand before it (test/pg-replica.test.ts caught it).
    const wrote = async (workspaceId: string) => {
      const position = await primary.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")
        .then(({ rows: [row] }) => walPosition(row!.lsn), () => EVERYTHING)
      await local.raise(workspaceId, position)
      if (shared !== null) await shared.raise(workspaceId, position).catch(() => {})
    }
    const failed = (replica: ReplicaPools, error: unknown) => {
      const entry = byReplica.get(replica)
      if (entry && unreachable(error)) {
        entry.state = { name: replica.name, status: "down", lagMs: null, error: String((error as Error)?.message ?? error) }
      }
    }
    return { route, wrote, failed, states: () => replicas.map((r) => r.state) } satisfies ReadReplicasShape
  })

/** DATABASE_READ_URL's replicas (none: the layer holds null). Needs the primary's PgPool; Redis when there is one. */
export const ReadReplicasLive = (urls: ReadonlyArray<Redacted.Redacted<string>>, options: ReplicaOptions) =>
  urls.length === 0 ? Layer.succeed(ReadReplicas, null) : Layer.scoped(ReadReplicas, makeReplicas(urls, options))

export const ReadReplicasNone = Layer.succeed(ReadReplicas, null)
