/**
 * Issue 21, Redis Cluster (REDIS_CLUSTER_NODES): a real 3-master + 3-replica cluster started for this file
 * (test/support/redis-cluster.ts). The cache and its pub/sub invalidation between two instances, the result
 * cache's epochs, the job queue (run, retry, dead, delayed; an enqueue waits for a replica), rate limits, two
 * application instances; every Lua script of the codebase run on the cluster (no CROSSSLOT possible); and a
 * master SIGKILLed under load: its replica takes over, no acknowledged job is lost, the cache and its
 * invalidations keep working.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Duration, Effect, Either, Exit, Layer, Logger, LogLevel, ManagedRuntime, Scope } from "effect"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { type JobHandler, runWorker } from "../src/jobs/runner.js"
import { Cache, CacheRedis, SET_IF_SAME_GENERATION } from "../src/platform/cache/index.js"
import { ResultCache, ResultCacheRedis, resultCacheScripts } from "../src/platform/cache/results.js"
import { parseClusterNodes } from "../src/platform/config.js"
import { RAISE_WRITE_MARK, writeMarksRedis } from "../src/platform/database/write-marks.js"
import { jobDurability } from "../src/platform/health/job-durability.js"
import * as queueScripts from "../src/platform/queue/lua.js"
import { JobQueue, makeJobQueueRedis } from "../src/platform/queue/index.js"
import { Redis, RedisClusterLive } from "../src/platform/redis/index.js"
import { RateLimits, RateLimitsRedis } from "../src/services/rate-limits/index.js"
import { startTestApp, testConfig, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { testRedisPrefix } from "./support/database.js"
import { freePort } from "./support/process.js"
import { type RedisClusterHandle, startRedisCluster } from "./support/redis-cluster.js"

const ROOT = join(import.meta.dir, "..")
const PREFIX = testRedisPrefix()
const quiet = Logger.minimumLogLevel(process.env.TEST_LOG_LEVEL === "debug" ? LogLevel.Debug : LogLevel.None)

let cluster: RedisClusterHandle
const instances: Array<ManagedRuntime.ManagedRuntime<Cache | ResultCache | JobQueue | RateLimits | Redis, unknown>> = []

/** One Score instance's Redis-backed services, on its own cluster connections (as another process would be). */
const instance = async (commandTimeout?: Duration.Duration) => {
  const config = await testConfig({ SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "3", API_RATE_LIMITING_SHORT_LIMIT: "10" })
  const redis = RedisClusterLive(parseClusterNodes(cluster.seeds)!, PREFIX, 1, commandTimeout)
  const services = Layer.mergeAll(
    CacheRedis,
    ResultCacheRedis,
    Layer.scoped(JobQueue, makeJobQueueRedis()),
    RateLimitsRedis(config)
  ).pipe(Layer.provideMerge(redis), Layer.provide(quiet))
  const runtime = ManagedRuntime.make(services)
  await runtime.runPromise(Effect.void)
  instances.push(runtime)
  return runtime
}

let a: Awaited<ReturnType<typeof instance>>
let b: Awaited<ReturnType<typeof instance>>

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 })
  a = await instance()
  b = await instance()
}, 60_000)

afterAll(async () => {
  for (const runtime of instances) await runtime.dispose().catch(() => {})
  await cluster?.stop()
})

const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}

/** Starts a worker on `a` for `queue`; the returned function stops it. */
const startWorker = async (runtime: typeof a, queue: string, handlers: Readonly<Record<string, JobHandler>>, lease: Duration.DurationInput = "30 seconds") => {
  const scope = await runtime.runPromise(Scope.make())
  await runtime.runPromise(runWorker({ queues: { [queue]: { handlers, lease, concurrency: 4 } } }, { pollInterval: "1 second" }).pipe(Scope.extend(scope)))
  return () => runtime.runPromise(Scope.close(scope, Exit.void))
}

const masterOf = async (key: string) => {
  const port = (await cluster.masters())[0]!
  const slot = Number((await cluster.cli(port, "CLUSTER", "KEYSLOT", key)).trim())
  for (const line of (await cluster.cli(port, "CLUSTER", "NODES")).split("\n")) {
    const [, address, flags, , , , , state, ...ranges] = line.split(" ")
    if (!flags?.includes("master") || flags.includes("fail") || state !== "connected") continue
    for (const range of ranges) {
      const [from, to = from] = range.split("-").map(Number)
      if (slot >= from! && slot <= to!) return Number(address!.split("@")[0]!.split(":")[1])
    }
  }
  throw new Error(`no master serves ${key}`)
}

/** The replicas of the master on `port`. */
const replicasOf = async (port: number) => {
  const lines = (await cluster.cli(port, "CLUSTER", "NODES")).split("\n").map((line) => line.split(" "))
  const masterId = lines.find((fields) => fields[2]?.includes("myself"))![0]
  return lines.filter((fields) => fields[2]?.includes("slave") && fields[3] === masterId).map((fields) => Number(fields[1]!.split("@")[0]!.split(":")[1]))
}

/** A fresh queue name whose master (returned too) still has a replica. */
const queueOnReplicatedMaster = async () => {
  for (;;) {
    const queue = `q-${crypto.randomUUID().slice(0, 8)}`
    const master = await masterOf(`${PREFIX}jobs:{${queue}}:wait`)
    if ((await replicasOf(master)).length > 0) return { queue, master }
  }
}

describe("Redis Cluster", () => {
  test("REDIS_CLUSTER_NODES: host:port lists, bad ones refused", () => {
    expect(parseClusterNodes("127.0.0.1:7000, redis-b:7001,[::1]:7002")).toEqual([
      { host: "127.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "::1", port: 7002 }
    ])
    expect(parseClusterNodes("127.0.0.1")).toBeUndefined()
    expect(parseClusterNodes("a:1,b:99999")).toBeUndefined()
    expect(parseClusterNodes("")).toBeUndefined()
  })

  test("a malformed REDIS_CLUSTER_NODES, or a cluster none of whose nodes answers, is one clear error", async () => {
    await expect(testConfig({ REDIS_CLUSTER_NODES: "127.0.0.1" })).rejects.toThrow(/REDIS_CLUSTER_NODES.*expected host:port/)
    const startedAt = Date.now()
    const failure = await Effect.runPromise(Effect.flip(Effect.scoped(Layer.build(RedisClusterLive([{ host: "127.0.0.1", port: freePort() }])))))
    expect(failure).toMatchObject({ _tag: "RedisUnavailable", message: expect.stringMatching(/^Redis Cluster unreachable/) })
    expect(Date.now() - startedAt).toBeLessThan(7_000)
  })

  test("the cache: shared between instances, invalidated in every instance's local tier through pub/sub", async () => {
    const key = `company:${crypto.randomUUID()}`
    let loads = 0
    const load = (value: string) => Effect.sync(() => (loads++, { value }))
    const read = (runtime: typeof a, value: string) =>
      runtime.runPromise(Effect.flatMap(Cache, (cache) => cache.getOrLoad(key, load(value), { ttl: "1 minute" })))
    expect(await read(a, "v1")).toEqual({ value: "v1" })
    expect(await read(b, "never")).toEqual({ value: "v1" }) // from the shared tier
    expect(loads).toBe(1)
    const epochBefore = await b.runPromise(Effect.map(Cache, (cache) => cache.epoch()))
    await a.runPromise(Effect.flatMap(Cache, (cache) => cache.invalidate(key, `other:${crypto.randomUUID()}`)))
    // invalidate returns once its own echo came back: every subscriber was sent the message.
    await waitFor("b to see the invalidation", () => b.runPromise(Effect.map(Cache, (cache) => cache.epoch() > epochBefore)))
    expect(await read(b, "v2")).toEqual({ value: "v2" })
    expect(await read(a, "never")).toEqual({ value: "v2" })
    expect(loads).toBe(2)
  })

  test("subscribers whose connections are dropped (as when their node goes) are re-subscribed: invalidations arrive again", async () => {
    const key = `role:${crypto.randomUUID()}`
    const read = (runtime: typeof a, value: string) =>
      runtime.runPromise(Effect.flatMap(Cache, (cache) => cache.getOrLoad(key, Effect.succeed(value), { ttl: "1 minute" })))
    expect(await read(b, "v1")).toBe("v1")
    let dropped = 0
    for (const node of cluster.nodes) dropped += Number((await cluster.cli(node.port, "CLIENT", "KILL", "TYPE", "pubsub")).trim())
    expect(dropped).toBeGreaterThanOrEqual(2) // at least both instances' cache subscribers
    const epoch = await b.runPromise(Effect.map(Cache, (cache) => cache.epoch()))
    await waitFor("b's invalidation to arrive through its new subscriber", async () => {
      await a.runPromise(Effect.flatMap(Cache, (cache) => cache.invalidate(`other:${crypto.randomUUID()}`)))
      return b.runPromise(Effect.map(Cache, (cache) => cache.epoch() > epoch))
    })
    await a.runPromise(Effect.flatMap(Cache, (cache) => cache.invalidate(key)))
    await waitFor("b to drop its copy", async () => (await read(b, "v2")) === "v2")
  })

  test("the result cache: epochs per workspace, bumps of several workspaces coalesced", async () => {
    const [w1, w2, w3] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
    let loads = 0
    const total = (runtime: typeof a, workspace: string) =>
      runtime.runPromise(Effect.flatMap(ResultCache, (results) =>
        Effect.promise(() => results.through(workspace, "count:company", ["company"], async () => ++loads))))
    const stored = () => Bun.sleep(50) // a result is stored after it is answered
    expect(await total(a, w1)).toBe(1)
    await stored()
    expect(await total(b, w1)).toBe(1)
    expect(await total(a, w2)).toBe(2)
    await stored()
    await b.runPromise(Effect.flatMap(ResultCache, (results) => results.bump(w1, ["company"])))
    expect(await total(a, w1)).toBe(3)
    expect(await total(a, w2)).toBe(2)
    // Concurrent bumps of three workspaces (slots on different masters) share flights: each workspace's own script.
    await a.runPromise(Effect.flatMap(ResultCache, (results) =>
      Effect.all([w1, w2, w3].map((w) => results.bump(w, ["company", "person"])), { concurrency: "unbounded" })))
    await a.runPromise(Effect.flatMap(ResultCache, (results) => results.bumpWorkspace(w2)))
    expect(await total(b, w1)).toBe(4)
    expect(await total(b, w2)).toBe(5)
  })

  test("the queue: run, retry with backoff, dead-lettered, retried from dead, delayed", async () => {
    const queue = `q-${crypto.randomUUID().slice(0, 8)}`
    const ran: Array<string> = []
    const ranAt = new Map<string, number>()
    let flakyFails = 1
    const stop = await startWorker(a, queue, {
      ok: (job) => Effect.sync(() => (ranAt.set(job.id, Date.now()), ran.push(`ok:${job.id}`))),
      flaky: (job) => Effect.suspend(() => flakyFails-- > 0 ? Effect.fail(new Error("once")) : Effect.sync(() => ran.push(`flaky:${job.id}`))),
      doomed: () => Effect.fail(new Error("always"))
    })
    try {
      await b.runPromise(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const ok = yield* jobs.enqueue(queue, "ok", { n: 1 })
        const flaky = yield* jobs.enqueue(queue, "flaky", null, { attempts: 3, backoff: "50 millis" })
        const doomed = yield* jobs.enqueue(queue, "doomed", null, { attempts: 2, backoff: "20 millis" })
        const delayedAt = Date.now()
        const delayed = yield* jobs.enqueue(queue, "ok", { n: 2 }, { delay: "400 millis" })
        yield* Effect.promise(() => waitFor("the jobs to run", async () => ran.length === 3 && (await b.runPromise(jobs.counts(queue))).dead === 1))
        expect(ran).toContain(`ok:${ok}`)
        expect(ran).toContain(`flaky:${flaky}`)
        // Run after its delay (on a loaded machine the flaky job's retry may come later still: no order asserted).
        expect(ranAt.get(delayed)! - delayedAt).toBeGreaterThanOrEqual(390)
        const dead = yield* jobs.deadLetters(queue)
        expect(dead.map((job) => [job.id, job.lastError])).toEqual([[doomed, "Error: always"]])
        expect(yield* jobs.retryDead(queue, doomed)).toBe(true)
        yield* Effect.promise(() => waitFor("the retried job to die again", async () => (await b.runPromise(jobs.counts(queue))).dead === 1 && ran.length === 3))
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 1, completed: 3 })
        // A tick is taken once across instances (its key in the queue's slot).
        const tick = { id: "2026-01-01T00:00", ttl: Duration.minutes(1) }
        expect(yield* jobs.enqueueTick(queue, "ok", null, tick)).toBe(true)
        expect(yield* Effect.promise(() => a.runPromise(Effect.flatMap(JobQueue, (other) => other.enqueueTick(queue, "ok", null, tick))))).toBe(false)
        yield* Effect.promise(() => waitFor("the tick", () => ran.length === 4))
        // The recovery script, the lease extension and release, run over the queue's slot too.
        expect(yield* jobs.recoverStalled(queue, { maxStalls: 2 })).toEqual({ requeued: 0, dead: 0 })
        expect(yield* jobs.extend(queue, [], Duration.seconds(1))).toEqual([])
      }))
    } finally {
      await stop()
    }
    await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue)))
    expect(await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.counts(queue)))).toMatchObject({ waiting: 0, dead: 0, completed: 0 })
  })

  test("an enqueue is acknowledged once a replica of its queue's master has it (WAIT on that master)", async () => {
    const queue = `q-${crypto.randomUUID().slice(0, 8)}`
    const enqueueTime = async () => {
      const startedAt = performance.now()
      await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.enqueue(queue, "x", null)))
      return performance.now() - startedAt
    }
    const master = await masterOf(`${PREFIX}jobs:{${queue}}:wait`)
    const [replica] = await replicasOf(master)
    expect(await enqueueTime()).toBeLessThan(200)
    // The replica stopped (SIGSTOP, well under cluster-node-timeout): the enqueue waits for it, up to the 250 ms bound.
    const stopped = cluster.nodes.find((node) => node.port === replica)!.proc
    stopped.kill("SIGSTOP")
    try {
      expect(await enqueueTime()).toBeGreaterThanOrEqual(240)
    } finally {
      stopped.kill("SIGCONT")
    }
    expect(await enqueueTime()).toBeLessThan(200)
    await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue)))
  })

  test("the queue's lease scripts: extend, release and stall recovery on the cluster", async () => {
    const queue = `q-${crypto.randomUUID().slice(0, 8)}`
    await b.runPromise(Effect.gen(function*() {
      const jobs = yield* JobQueue
      yield* jobs.enqueueMany(queue, [{ name: "x", data: 1 }, { name: "x", data: 2 }, { name: "x", data: 3 }])
      const taken = yield* jobs.exchange(queue, { complete: [], take: 3, lease: Duration.millis(200), owner: "test" })
      expect(taken.jobs).toHaveLength(3)
      expect(yield* jobs.extend(queue, taken.jobs.slice(0, 1), Duration.seconds(30))).toEqual([])
      expect(yield* jobs.release(queue, taken.jobs.slice(1, 2))).toBe(1)
      yield* Effect.sleep("300 millis")
      expect(yield* jobs.recoverStalled(queue, { maxStalls: 0 })).toEqual({ requeued: 0, dead: 1 })
      expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 1, active: 1, dead: 1 })
      yield* jobs.obliterate(queue)
    }))
  })

  test("rate limits: counters shared by instances on the cluster", async () => {
    const account = `${crypto.randomUUID()}@example.com`
    const attempt = (runtime: typeof a) =>
      runtime.runPromise(Effect.flatMap(RateLimits, (limits) => Effect.either(limits.attempt("password", "10.0.0.1", account))))
    for (let i = 0; i < 3; i++) expect((await attempt(i % 2 === 0 ? a : b))._tag).toBe("Right")
    const refused = await attempt(b)
    expect(refused._tag).toBe("Left")
    // The lock is in Redis: the other instance refuses too, and a success (on either) clears it.
    expect((await attempt(a))._tag).toBe("Left")
    await a.runPromise(Effect.flatMap(RateLimits, (limits) => limits.succeeded("password", account)))
    expect((await attempt(b))._tag).toBe("Right")

    const workspace = crypto.randomUUID()
    const refusals: Array<unknown> = []
    for (let i = 0; i < 30; i++) {
      const answer = await a.runPromise(Effect.map(RateLimits, (limits) => limits.apiRequest(workspace)))
      refusals.push(await answer)
    }
    expect(refusals.filter((r) => r !== null).length).toBeGreaterThan(0)
  })

  test("the job-durability check reads every master: append-only files, a worker heard from", async () => {
    await a.runPromise(Effect.gen(function*() {
      const jobs = yield* JobQueue
      yield* jobs.announceWorker("cluster-test-worker")
      const durability = yield* jobDurability(yield* Redis, jobs)
      expect(durability).toMatchObject({ persistence: "aof", warnings: [] })
      expect(durability.workers).toBeGreaterThanOrEqual(1)
      yield* jobs.announceWorker("cluster-test-worker", { retire: true })
    }))
    await cluster.cli((await cluster.masters())[1]!, "CONFIG", "SET", "appendonly", "no")
    try {
      const durability = await a.runPromise(Effect.flatMap(Redis, (redis) => Effect.flatMap(JobQueue, (jobs) => jobDurability(redis, jobs))))
      expect(durability.persistence).toBe("none") // one master without its append-only file (nor snapshots) is enough to warn
      expect(durability.warnings.join()).toContain("appendonly yes")
    } finally {
      await cluster.cli((await cluster.masters())[1]!, "CONFIG", "SET", "appendonly", "yes")
    }
  })

  // Runs after the tests above, which run every script (on its own it reports those that did not run).
  test("every Lua script of the codebase has run on the cluster, none refused for crossing slots", async () => {
    // A script added elsewhere must be listed (and run) here: the files that hold Lua today.
    const sources = (dir: string): Array<string> =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [])
    const withLua = sources(join(ROOT, "src")).filter((file) => readFileSync(file, "utf8").includes("redis.call(")).map((file) => relative(ROOT, file)).sort()
    expect(withLua).toEqual(["src/platform/cache/index.ts", "src/platform/cache/results.ts", "src/platform/database/write-marks.ts", "src/platform/queue/lua.ts"])

    // The read replicas' write marks: raised from several workspaces, read back from the cluster.
    await a.runPromise(Effect.flatMap(Redis, (redis) => Effect.promise(async () => {
      const marks = writeMarksRedis(redis, 60_000)
      for (const workspace of ["w-1", "w-2", "w-3"]) {
        await marks.raise(workspace, "00000001000000A0")
        await marks.raise(workspace, "0000000100000010") // never lowered
        expect(await marks.get(workspace)).toBe("00000001000000A0")
      }
    })))

    const scripts = {
      ...Object.fromEntries(Object.entries(queueScripts).map(([name, lua]) => [`queue.${name}`, lua])),
      "cache.setIfSameGeneration": SET_IF_SAME_GENERATION,
      "database.raiseWriteMark": RAISE_WRITE_MARK,
      ...Object.fromEntries(Object.entries(resultCacheScripts).map(([name, lua]) => [`results.${name}`, lua]))
    }
    expect(Object.keys(scripts)).toHaveLength(12)
    const masters = await cluster.masters()
    for (const [name, lua] of Object.entries(scripts)) {
      const sha = createHash("sha1").update(lua).digest("hex")
      const known = await Promise.all(masters.map(async (port) => (await cluster.cli(port, "SCRIPT", "EXISTS", sha)).trim() === "1"))
      expect({ name, ran: known.some(Boolean) }).toEqual({ name, ran: true })
    }
    for (const port of masters) {
      const errors = await cluster.cli(port, "INFO", "errorstats")
      expect(errors).not.toContain("CROSSSLOT")
    }
  })

  test("the application on the cluster: two instances share totals, and a metadata change made on one is seen by the other at once", async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.seeds, DATABASE_POOL_SIZE: "3" }
    const first = await startTestApp({ env })
    const second = await startTestApp({ databaseUrl: first.databaseUrl, env }) // one deployment: one key prefix
    try {
      const health = await (await first.request("/healthz")).json() as any
      expect(health).toMatchObject({ status: "ok", info: { redis: { status: "up", mode: "redis-cluster", persistence: "aof" } } })
      const owner = await signUpWithWorkspace(first)
      const apiKey = (await createApiKey(first, owner.accessToken)).token
      const rest = async (app: TestApp, path: string, body?: unknown) => {
        const response = await app.request(path, {
          method: body === undefined ? "GET" : "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        })
        return { status: response.status, body: await response.json() as any }
      }
      const total = async (app: TestApp) => (await rest(app, "/rest/companies?limit=1")).body.totalCount as number
      const start = await total(second)
      expect(await total(first)).toBe(start)
      expect((await rest(first, "/rest/companies", { name: "Acme" })).status).toBe(201)
      expect(await total(second)).toBe(start + 1) // the write moved the workspace's epoch in the cluster
      expect((await rest(second, "/rest/companies", { name: "Globex" })).status).toBe(201)
      expect(await total(first)).toBe(start + 2)

      // The second instance has the data model cached; the object created on the first is there at once.
      expect((await rest(second, "/rest/invoices")).status).toBeGreaterThanOrEqual(400)
      const created = await first.gql(
        `mutation { createOneObject(input: { object: { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" } }) { id } }`,
        {},
        apiKey
      )
      expect(created.body.errors).toBeUndefined()
      expect((await rest(second, "/rest/invoices", { name: "INV-1" })).status).toBe(201)
      expect((await rest(second, "/rest/invoices")).body.totalCount).toBe(1)
    } finally {
      await second.close()
      await first.close()
    }
  }, 120_000)

  test("a master SIGKILLed under load: its replica takes over, no acknowledged job is lost, the cache keeps working", async () => {
    const queue = `q-${crypto.randomUUID().slice(0, 8)}`
    const done = new Set<string>()
    const stop = await startWorker(a, queue, { work: (job) => Effect.sync(() => done.add(job.id)) }, "3 seconds")
    const acknowledged: Array<string> = []
    let refused = 0
    let producing = true
    let killedAt = Infinity
    let firstAfterKill: number | undefined
    // Three producers at once, so enqueues are in flight when the master dies.
    const producer = Promise.all([0, 1, 2].map(async () => {
      while (producing) {
        const startedAt = Date.now()
        await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.enqueue(queue, "work", { at: startedAt }))).then(
          (id) => {
            acknowledged.push(id)
            if (startedAt >= killedAt) firstAfterKill ??= Date.now()
          },
          () => refused++
        )
        await Bun.sleep(2)
      }
    }))
    const cacheKey = `workspace:${crypto.randomUUID()}`
    const cached = (runtime: typeof a, value: number) =>
      runtime.runPromise(Effect.flatMap(Cache, (cache) => cache.getOrLoad(cacheKey, Effect.succeed({ value }), { ttl: "1 minute" })))
    try {
      await waitFor("some jobs enqueued", () => acknowledged.length >= 200, 20_000)
      const victim = await masterOf(`${PREFIX}jobs:{${queue}}:wait`)
      killedAt = Date.now()
      await cluster.kill(victim)
      await cluster.waitHealthy(20_000)
      const promotedIn = Date.now() - killedAt
      const before = acknowledged.length
      // The promoted master has no replica left: each enqueue waits REPLICA_WAIT_MS for one, and is logged.
      await waitFor("enqueues to resume", () => acknowledged.length > before + 15, 45_000) // generous: a loaded machine slows the failover and ioredis' slot refresh
      const resumedIn = firstAfterKill! - killedAt
      producing = false
      await producer
      await waitFor("every acknowledged job to run", () => acknowledged.every((id) => done.has(id)), 30_000)
      console.log(`failover: promoted in ${promotedIn} ms, the first enqueue sent after the kill acknowledged in ${resumedIn} ms; ${acknowledged.length} acknowledged (all run), ${refused} refused during the failover`)
      expect(await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.counts(queue)))).toMatchObject({ waiting: 0, active: 0, dead: 0 })
      // The durability check reads the masters as they are now (the promoted replica has its append-only file).
      const durability = await a.runPromise(Effect.flatMap(Redis, (redis) => Effect.flatMap(JobQueue, (jobs) => jobDurability(redis, jobs))))
      expect(durability).toMatchObject({ persistence: "aof" })
      expect(durability.workers).toBeGreaterThanOrEqual(1)

      // The cache and its invalidations after the failover (a subscriber on the lost node was moved).
      expect(await cached(a, 1)).toEqual({ value: 1 })
      expect(await cached(b, 2)).toEqual({ value: 1 })
      const epoch = await b.runPromise(Effect.map(Cache, (cache) => cache.epoch()))
      await a.runPromise(Effect.flatMap(Cache, (cache) => cache.invalidate(cacheKey)))
      await waitFor("b to see the invalidation", () => b.runPromise(Effect.map(Cache, (cache) => cache.epoch() > epoch)))
      expect(await cached(b, 3)).toEqual({ value: 3 })
    } finally {
      producing = false
      await producer
      await stop()
    }
    await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue)))
  }, 120_000)

  test("a master that stops answering: commands give up after REDIS_COMMAND_TIMEOUT with a clear error, and work again once it answers", async () => {
    const timeoutMs = 300
    const c = await instance(Duration.millis(timeoutMs))
    const { queue, master } = await queueOnReplicatedMaster()
    let cacheKey = `company:${crypto.randomUUID()}`
    while (await masterOf(`${PREFIX}cache:{${cacheKey}}`) !== master) cacheKey = `company:${crypto.randomUUID()}`
    const enqueue = () => c.runPromise(Effect.either(Effect.flatMap(JobQueue, (jobs) => jobs.enqueue(queue, "x", null))))
    expect((await enqueue())._tag).toBe("Right")
    // Stopped for less than cluster-node-timeout: no failover, the master just does not answer for a while.
    const stopped = cluster.nodes.find((node) => node.port === master)!.proc
    const stoppedFor = 750
    stopped.kill("SIGSTOP")
    const resume = Bun.sleep(stoppedFor).then(() => stopped.kill("SIGCONT"))
    try {
      const startedAt = Date.now()
      const [refused, cached] = await Promise.all([
        enqueue().then((result) => ({ result, ms: Date.now() - startedAt })),
        // The cache degrades to its source (the shared tier does not answer in time).
        c.runPromise(Effect.flatMap(Cache, (cache) => cache.getOrLoad(cacheKey, Effect.succeed({ loaded: true }), { ttl: "1 minute" })))
          .then((value) => ({ value, ms: Date.now() - startedAt }))
      ])
      expect(refused.result._tag).toBe("Left")
      expect(Either.isLeft(refused.result) && refused.result.left.message).toMatch(/^enqueue: (Command timed out|no answer from Redis within 300)/)
      expect(refused.ms).toBeGreaterThanOrEqual(timeoutMs - 10)
      expect(refused.ms).toBeLessThan(stoppedFor - 100) // before the master answered again
      expect(cached.value).toEqual({ loaded: true })
      expect(cached.ms).toBeLessThan(stoppedFor - 100)
    } finally {
      await resume
    }
    await waitFor("enqueues to be answered again", async () => (await enqueue())._tag === "Right", 10_000)
    await b.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue))) // b: scanning every master may take longer than c's bound
  }, 60_000)

  test("an instance idle while its queue's master fails over: its next enqueue is answered (the slot map is refreshed, not left on the lost master)", async () => {
    const c = await instance()
    const { queue, master } = await queueOnReplicatedMaster()
    const enqueue = () => c.runPromise(Effect.either(Effect.flatMap(JobQueue, (jobs) => jobs.enqueue(queue, "x", null))))
    expect((await enqueue())._tag).toBe("Right") // c knows the slot's master now
    const killedAt = Date.now()
    await cluster.kill(master)
    await cluster.waitHealthy(20_000)
    const promotedIn = Date.now() - killedAt
    // Before, ioredis handed back MOVED (the script refused beside WAIT's count) without refreshing its slot map:
    // every enqueue of this process failed so, for as long as it sent nothing else.
    const first = await enqueue()
    const answeredIn = Date.now() - killedAt
    expect(Either.isLeft(first) ? first.left.message : "acknowledged").toBe("acknowledged")
    console.log(`idle failover: promoted in ${promotedIn} ms, the next enqueue acknowledged ${answeredIn} ms after the kill`)
    await c.runPromise(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue)))
  }, 60_000)
})
