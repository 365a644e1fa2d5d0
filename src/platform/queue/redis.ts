import { Duration, Effect, Layer, Option, Schedule, Scope } from "effect"
import { Cluster } from "ioredis"
import { createHash } from "node:crypto"
import { primaries, Redis, type RedisClient } from "../redis/index.js"
import {
  checkQueueName,
  DEAD_LETTER_CAP,
  type Job,
  JobQueue,
  type JobQueueShape,
  makeSignals,
  type NewJob,
  prepareJob,
  QueueUnavailable,
  takeOne
} from "./job-queue.js"
import { enqueueLua, exchangeLua, extendLua, failLua, recoverLua, releaseLua, retryDeadLua } from "./lua.js"

type Arg = string | number

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT")
/** Errors with which a node refuses a command without running it: sent again, it runs at most once. */
const isNotRun = (error: unknown) => error instanceof Error && /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(error.message)

/** EVALSHA, falling back to EVAL when Redis lost its script cache (a restart, or a replica promoted). */
const script = (lua: string) => {
  const sha = createHash("sha1").update(lua).digest("hex")
  return (client: RedisClient, keys: ReadonlyArray<string>, args: ReadonlyArray<Arg>): Promise<unknown> =>
    client.evalsha(sha, keys.length, ...keys, ...args).catch((error: Error) =>
      isNoScript(error) ? client.eval(lua, keys.length, ...keys, ...args) : Promise.reject(error)
    )
}

/**
 * How long an enqueue waits for the replicas REDIS_CLUSTER_WAIT_REPLICAS asks for: a replica on the same
 * network answers within a millisecond; a master left without one (its replica promoted, the old master not
 * back yet) costs each enqueue this much, so it is kept short.
 */
const REPLICA_WAIT_MS = 250

/**
 * The script, then WAIT in the same pipeline (so on the same master, the one owning the keys): the reply
 * comes once `replicas` replicas have the write, so a master lost right after cannot take the job with it
 * (replication is asynchronous otherwise). Returns the script's reply and how many replicas acknowledged.
 */
const scriptReplicated = (lua: string) => {
  const sha = createHash("sha1").update(lua).digest("hex")
  const run = async (client: RedisClient, keys: ReadonlyArray<string>, args: ReadonlyArray<Arg>, replicas: number, useSha: boolean) => {
    const pipeline = client.pipeline()
    if (useSha) pipeline.evalsha(sha, keys.length, ...keys, ...args)
    else pipeline.eval(lua, keys.length, ...keys, ...args)
    const [[error, reply] = [null, null], [waitError, acknowledged] = [null, 0]] = (await pipeline.wait(replicas, REPLICA_WAIT_MS).exec()) ?? []
    // ioredis follows a MOVED in a pipeline only when every reply is that error; beside WAIT's count it hands
    // it back, slot map unchanged: refreshed here, and the enqueue is sent again (see `add`).
    if (isNotRun(error) && client instanceof Cluster) client.refreshSlotsCache()
    if (error) throw error
    if (waitError) throw waitError
    return { reply, acknowledged: Number(acknowledged) }
  }
  return (client: RedisClient, keys: ReadonlyArray<string>, args: ReadonlyArray<Arg>, replicas: number) =>
    run(client, keys, args, replicas, true).catch((error: unknown) =>
      isNoScript(error) ? run(client, keys, args, replicas, false) : Promise.reject(error)
    )
}
const enqueueReplicated = scriptReplicated(enqueueLua)

const scripts = {
  enqueue: script(enqueueLua),
  exchange: script(exchangeLua),
  fail: script(failLua),
  extend: script(extendLua),
  release: script(releaseLua),
  recover: script(recoverLua),
  retryDead: script(retryDeadLua)
}

const call = <A>(what: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new QueueUnavailable({ message: `${what}: ${(cause as Error)?.message ?? String(cause)}`, cause })
  })

/** Gives `effect` up after `timeout` (REDIS_COMMAND_TIMEOUT) with a QueueUnavailable naming `what`. */
const within = (timeout: Duration.Duration, what: string) => <A, R>(effect: Effect.Effect<A, QueueUnavailable, R>) =>
  Effect.timeoutFail(effect, {
    duration: timeout,
    onTimeout: () => new QueueUnavailable({ message: `${what}: no answer from Redis within ${Duration.format(timeout)}` })
  })

/** While a cluster's slots move (a failover, a resharding), an enqueue its node refused is sent again this often. */
const NOT_RUN_RETRY = Schedule.spaced("100 millis")

const int = (value: unknown) => Number(value ?? 0)

type Reply = ReadonlyArray<string | null>

/** Data is written as JSON by `enqueue`; anything else (written by hand) is handed over as the raw string. */
const parseData = (raw: string | null | undefined): unknown => {
  try {
    return JSON.parse(raw ?? "null")
  } catch {
    return raw
  }
}

/** Escapes glob characters for SCAN MATCH. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

export interface JobQueueRedisOptions {
  /** Prefix of every key; default the Redis service's prefix + `jobs:`. */
  readonly prefix?: string
  readonly deadLetterCap?: number
}

/**
 * Redis-backed queues shared by every process: the server enqueues, `bun run worker` processes. Every state
 * change is one Lua script (see lua.ts); a leased job whose worker dies is re-queued by any live worker.
 */
export const makeJobQueueRedis = (options: JobQueueRedisOptions = {}) =>
  Effect.gen(function*() {
    const { client, duplicate, prefix: redisPrefix, waitReplicas, commandTimeout } = yield* Redis
    const attempt = <A>(what: string, run: () => Promise<A>) => call(what, run).pipe(within(commandTimeout, what))
    const scope = yield* Effect.scope
    const prefix = options.prefix ?? `${redisPrefix}jobs:`
    const workersKey = `${prefix}workers`
    const deadLetterCap = options.deadLetterCap ?? DEAD_LETTER_CAP
    const owner = `${process.pid}:${crypto.randomUUID().slice(0, 8)}`

    const keys = new Map<string, ReturnType<typeof makeKeys>>()
    const makeKeys = (queue: string) => {
      checkQueueName(queue)
      // The hash tag {queue} keeps a queue's keys in one cluster slot, as its scripts need.
      const base = `${prefix}{${queue}}:`
      return {
        base,
        wait: `${base}wait`,
        delayed: `${base}delayed`,
        active: `${base}active`,
        dead: `${base}dead`,
        meta: `${base}meta`,
        job: `${base}job:`,
        channel: `${base}notify`
      }
    }
    const keysOf = (queue: string) => {
      let known = keys.get(queue)
      if (!known) keys.set(queue, known = makeKeys(queue))
      return known
    }

    // One subscriber per instance, opened on the first wait: a producer-only process never holds one.
    const signals = makeSignals()
    const watched = new Set<string>()
    const channelQueue = new Map<string, string>()
    let subscriber: RedisClient | undefined
    const lock = yield* Effect.makeSemaphore(1)
    const watch = (queue: string) =>
      watched.has(queue) ? Effect.void : lock.withPermits(1)(Effect.gen(function*() {
        if (watched.has(queue)) return
        if (!subscriber) {
          const connection = yield* Scope.extend(duplicate, scope)
          connection.on("message", (channel: string) => {
            const name = channelQueue.get(channel)
            if (name !== undefined) signals.bump(name)
          })
          // Messages sent while disconnected are gone: wake every waiter to look again (on a cluster, when a
          // node leaves: the subscriber may have been on it, and is moved to another).
          const wakeAll = () => {
            for (const name of watched) signals.bump(name)
          }
          connection.on("ready", wakeAll)
          if (connection instanceof Cluster) connection.on("-node", wakeAll)
          subscriber = connection
        }
        const channel = keysOf(queue).channel
        channelQueue.set(channel, queue)
        yield* attempt("subscribe", () => subscriber!.subscribe(channel))
        watched.add(queue)
      }).pipe(Effect.mapError((e) => new QueueUnavailable({ message: e.message, cause: e }))))

    const add = (queue: string, jobs: ReadonlyArray<NewJob>, tick?: { key: string; ttlMs: number }) => {
      const k = keysOf(queue)
      const args: Array<Arg> = [k.job, k.channel, tick?.key ?? "", tick?.ttlMs ?? 0]
      for (const job of jobs) {
        args.push(job.id, job.name, job.data, job.priority, job.delayMs, job.attempts, job.backoffMs)
      }
      if (waitReplicas === 0) {
        return attempt("enqueue", () => scripts.enqueue(client, [k.wait, k.delayed, k.meta], args)) as Effect.Effect<
          Array<string> | null,
          QueueUnavailable
        >
      }
      return call("enqueue", () => enqueueReplicated(client, [k.wait, k.delayed, k.meta], args, waitReplicas)).pipe(
        Effect.retry({ schedule: NOT_RUN_RETRY, while: (e) => isNotRun(e.cause) }),
        within(commandTimeout, "enqueue"),
        Effect.tap(({ acknowledged }) =>
          acknowledged < waitReplicas
            ? Effect.logWarning(`queue ${queue}: a job is on its master only (${acknowledged} of ${waitReplicas} replicas acknowledged within ${REPLICA_WAIT_MS} ms): a failover now would lose it`)
            : Effect.void),
        Effect.map(({ reply }) => reply as Array<string> | null)
      )
    }

    const toJob = (queue: string, row: Reply): Job => {
      const [id, lease, name, data, priority, attempts, backoff, attemptsMade, stalls, enqueuedAt, error] = row
      return {
        id: id!,
        queue,
        name: name!,
        data: parseData(data),
        priority: int(priority),
        attemptsMade: int(attemptsMade),
        maxAttempts: int(attempts),
        backoffMs: int(backoff),
        stalls: int(stalls),
        enqueuedAt: int(enqueuedAt),
        ...(error ? { lastError: error } : {}),
        ...(lease ? { lease } : {})
      }
    }

    const leasePairs = (jobs: ReadonlyArray<Job>) => jobs.flatMap((job) => [job.id, job.lease ?? ""])

    const self: Omit<JobQueueShape, "take"> = {
      enqueue: (queue, name, data, options) =>
        Effect.suspend(() => add(queue, [prepareJob(name, data, options)])).pipe(Effect.map((ids) => ids![0]!)),
      enqueueMany: (queue, jobs) =>
        Effect.suspend(() => add(queue, jobs.map((job) => prepareJob(job.name, job.data, job.options)))).pipe(
          Effect.map((ids) => ids ?? [])
        ),
      enqueueTick: (queue, name, data, tick) =>
        Effect.suspend(() =>
          add(queue, [prepareJob(name, data, { jobId: `tick:${name}:${tick.id}`, attempts: 1 })], {
            key: `${keysOf(queue).base}tick:${name}:${tick.id}`,
            ttlMs: Math.max(1, Math.round(Duration.toMillis(tick.ttl)))
          })
        ).pipe(Effect.map((ids) => ids !== null)),
      exchange: (queue, request) =>
        Effect.gen(function*() {
          if (request.take > 0) yield* watch(queue)
          const cursor = signals.version(queue)
          const k = keysOf(queue)
          const reply = (yield* attempt("exchange", () =>
            scripts.exchange(client, [k.wait, k.delayed, k.active, k.meta], [
              k.job,
              k.channel,
              request.owner,
              Math.round(Duration.toMillis(request.lease)),
              request.take,
              ...leasePairs(request.complete)
            ]))) as [Array<Reply>, number, number]
          return {
            jobs: reply[0].map((row) => toJob(queue, row)),
            completed: reply[2],
            nextDueInMs: reply[1] < 0 ? Option.none() : Option.some(reply[1]),
            cursor
          }
        }),
      awaitWork: (queue, cursor, timeout) => signals.wait(queue, cursor, timeout),
      complete: (job) => Effect.map(self.exchange(job.queue, { complete: [job], take: 0, lease: 0, owner }), (r) => r.completed > 0),
      fail: (job, error, options) =>
        Effect.gen(function*() {
          const k = keysOf(job.queue)
          const [outcome, delayMs] = (yield* attempt("fail", () =>
            scripts.fail(client, [k.delayed, k.active, k.dead], [
              k.job,
              k.channel,
              job.id,
              job.lease ?? "",
              error,
              options?.final ? "1" : "0",
              deadLetterCap
            ]))) as [string, number]
          if (outcome === "retrying") return { _tag: "Retrying", delayMs } as const
          return outcome === "dead" ? { _tag: "Dead" } as const : { _tag: "LeaseLost" } as const
        }),
      extend: (queue, jobs, lease) => {
        if (jobs.length === 0) return Effect.succeed([])
        const k = keysOf(queue)
        return attempt("extend", () =>
          scripts.extend(client, [k.active], [k.job, Math.round(Duration.toMillis(lease)), ...leasePairs(jobs)])) as Effect.Effect<
            Array<string>,
            QueueUnavailable
          >
      },
      release: (queue, jobs) => {
        if (jobs.length === 0) return Effect.succeed(0)
        const k = keysOf(queue)
        return attempt("release", () =>
          scripts.release(client, [k.wait, k.active, k.meta], [k.job, k.channel, ...leasePairs(jobs)])).pipe(
            Effect.map(int)
          )
      },
      recoverStalled: (queue, options) => {
        const k = keysOf(queue)
        return attempt("recover", () =>
          scripts.recover(client, [k.wait, k.active, k.dead, k.meta], [k.job, k.channel, options.maxStalls, deadLetterCap, 1000])).pipe(
            Effect.map((reply) => {
              const [requeued, dead] = reply as [number, number]
              return { requeued, dead }
            })
          )
      },
      counts: (queue) => {
        const k = keysOf(queue)
        return attempt("counts", () =>
          client.multi().zcard(k.wait).zcard(k.delayed).zcard(k.active).zcard(k.dead).hget(k.meta, "completed").exec()).pipe(
            Effect.map((results) => {
              const [waiting, delayed, active, dead, completed] = (results ?? []).map(([, value]) => int(value))
              return { waiting: waiting!, delayed: delayed!, active: active!, dead: dead!, completed: completed! }
            })
          )
      },
      deadLetters: (queue, limit = 100) => {
        const k = keysOf(queue)
        return attempt("dead letters", async () => {
          const ids = await client.zrevrange(k.dead, 0, limit - 1)
          if (ids.length === 0) return []
          const pipeline = client.pipeline()
          for (const id of ids) pipeline.hgetall(k.job + id)
          const rows = (await pipeline.exec()) ?? []
          return ids.flatMap((id, i) => {
            const h = rows[i]?.[1] as Record<string, string> | undefined
            if (!h || !h.name) return []
            return [{
              ...toJob(queue, [id, null, h.name, h.data ?? null, h.priority ?? null, h.attempts ?? null, h.backoff ?? null, h.attemptsMade ?? null, h.stalls ?? null, h.enqueuedAt ?? null, h.error ?? null]),
              ...(h.failedAt ? { failedAt: int(h.failedAt) } : {})
            }]
          })
        })
      },
      retryDead: (queue, id) => {
        const k = keysOf(queue)
        return attempt("retry dead", () => scripts.retryDead(client, [k.wait, k.dead, k.meta], [k.job, k.channel, id])).pipe(
          Effect.map((n) => int(n) === 1)
        )
      },
      announceWorker: (workerId, options) =>
        attempt("announce worker", () =>
          options?.retire ? client.zrem(workersKey, workerId) : client.zadd(workersKey, Date.now(), workerId)).pipe(Effect.asVoid),
      liveWorkers: (within) =>
        attempt("live workers", async () => {
          const since = Date.now() - Duration.toMillis(within)
          // Workers not heard from for a day are forgotten; the count is of those heard from since `since`.
          const replies = await client.multi().zremrangebyscore(workersKey, "-inf", since - 86_400_000)
            .zcount(workersKey, since, "+inf").exec()
          return Number(replies?.[1]?.[1] ?? 0)
        }),
      size: (queue) => attempt("size", () => client.zcard(keysOf(queue).wait)),
      obliterate: (queue) => {
        const pattern = `${globEscape(keysOf(queue).base)}*`
        // A cluster's SCAN covers one node: every master is scanned (the queue's keys share a slot, so one has them).
        return attempt("obliterate", () =>
          Promise.all(primaries(client).map(async (node) => {
            let cursor = "0"
            do {
              const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000)
              if (keys.length > 0) await node.unlink(...keys)
              cursor = next
            } while (cursor !== "0")
          })))
      }
    }
    return { ...self, take: takeOne(self, owner) } satisfies JobQueueShape
  })

/** Redis queues shared by every process: `bun run worker` takes what the server enqueues. */
export const JobQueueRedis = Layer.scoped(JobQueue, makeJobQueueRedis())
