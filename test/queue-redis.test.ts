/**
 * What only the Redis queue can show: a worker process killed mid-job, and Redis itself restarted during a
 * burst. The restart test runs its own redis-server (append-only file, fsync on every write) on a free port.
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Effect, Layer, Logger, LogLevel, Option, Redacted, Schedule, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runWorker } from "../src/jobs/runner.js"
import { type Job, JobQueue, makeJobQueueRedis } from "../src/platform/queue/index.js"
import { RedisLive } from "../src/platform/redis/index.js"
import { TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"
import { freePort } from "./support/process.js"

const ROOT = path.resolve(import.meta.dir, "..")
const PREFIX = `score:test-${crypto.randomUUID().slice(0, 8)}:`
const quiet = Logger.minimumLogLevel(process.env.TEST_LOG_LEVEL === "debug" ? LogLevel.Debug : LogLevel.None)
const queueLayer = (url: string) =>
  Layer.scoped(JobQueue, makeJobQueueRedis({ prefix: PREFIX })).pipe(Layer.provide(RedisLive(Redacted.make(url))))
const run = <A, E>(effect: Effect.Effect<A, E, JobQueue | Scope.Scope>, url = TEST_REDIS_URL) =>
  Effect.runPromise(effect.pipe(Effect.scoped, Effect.provide(queueLayer(url)), Effect.provide(quiet)) as Effect.Effect<A, unknown>)

const children = new Set<{ kill: (signal?: number | NodeJS.Signals) => void }>()
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL")
  const { default: IORedis } = await import("ioredis")
  const client = new IORedis(TEST_REDIS_URL)
  const left = await client.keys(`${PREFIX}*`)
  if (left.length > 0) await client.unlink(...left)
  await client.quit()
  // A worker killed with SIGKILL leaves its last heartbeat in `workers` (forgotten after a day): by design.
  expect(left.filter((key) => key !== `${PREFIX}workers`)).toEqual([])
})

/** Appends a child's output to `sink` as it arrives. */
const collect = (stream: ReadableStream<Uint8Array>, sink: (text: string) => void) =>
  void (async () => {
    const reader = stream.getReader()
    const decoder = new TextDecoder()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) sink(decoder.decode(chunk.value))
  })()

const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

describe("Redis job queue, failures", () => {
  test("a worker killed mid-job: another worker re-runs the job once its lease expires", async () => {
    const queue = `q-${crypto.randomUUID()}`
    // The first worker is a separate process that announces the job and then never finishes it.
    const child = Bun.spawn(["bun", "-e", `
      import { Effect, Layer, Redacted } from "effect"
      import { runWorker } from "${ROOT}/src/jobs/runner.ts"
      import { JobQueue, makeJobQueueRedis } from "${ROOT}/src/platform/queue/index.ts"
      import { RedisLive } from "${ROOT}/src/platform/redis/index.ts"
      const layer = Layer.scoped(JobQueue, makeJobQueueRedis({ prefix: ${JSON.stringify(PREFIX)} })).pipe(
        Layer.provide(RedisLive(Redacted.make(${JSON.stringify(TEST_REDIS_URL)}))))
      const worker = runWorker({ queues: { ${JSON.stringify(queue)}: { lease: "1 second", handlers: {
        slow: (job) => Effect.sync(() => console.log("started " + job.id)).pipe(Effect.zipRight(Effect.never)) } } } })
      Effect.runFork(Layer.launch(Layer.scopedDiscard(worker).pipe(Layer.provide(layer))))
    `], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
    children.add(child)
    let output = ""
    collect(child.stdout, (text) => (output += text))

    await run(Effect.gen(function*() {
      const jobs = yield* JobQueue
      yield* Effect.addFinalizer(() => Effect.ignore(jobs.obliterate(queue)))
      const id = yield* jobs.enqueue(queue, "slow", { important: true })
      yield* Effect.promise(() => waitFor(() => output.includes(`started ${id}`), 15_000, "the child worker to start the job"))
      child.kill("SIGKILL")
      yield* Effect.promise(() => child.exited)
      const killedAt = Date.now()
      expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, active: 1 }) // still leased by the dead worker

      const reruns: Array<Job> = []
      yield* runWorker({
        queues: { [queue]: { lease: "1 second", handlers: { slow: (job) => Effect.sync(() => reruns.push(job)) } } }
      })
      yield* Effect.promise(() => waitFor(() => reruns.length > 0, 5_000, "the job to run again"))
      const waited = Date.now() - killedAt
      expect(waited).toBeLessThan(4_000) // lease 1 s + a recovery check every 0.5 s
      expect(reruns).toHaveLength(1)
      expect(reruns[0]).toMatchObject({ id, data: { important: true }, stalls: 1, attemptsMade: 0 })
      yield* Effect.promise(() =>
        waitFor(() => Effect.runPromise(jobs.counts(queue)).then((c) => c.completed === 1 && c.active === 0), 2_000, "the ack")
      )
    }))
  }, 30_000)

  test("Redis restarted during a burst: every acknowledged enqueue runs (at least once), none is lost", async () => {
    const port = freePort()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "score-redis-"))
    const startRedis = () => {
      const server = Bun.spawn([
        "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
        "--appendonly", "yes", "--appendfsync", "always"
      ], { stdout: "ignore", stderr: "ignore" })
      children.add(server)
      return server
    }
    let server = startRedis()
    const url = `redis://127.0.0.1:${port}`
    const { default: IORedis } = await import("ioredis")
    const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 })
    probe.on("error", () => {})
    const ready = () => probe.ping().then(() => true, () => false)
    await probe.connect().catch(() => {})
    await waitFor(ready, 10_000, "redis-server to start")

    const TOTAL = 3000
    const queue = `burst-${crypto.randomUUID().slice(0, 8)}`
    const runs = new Map<string, number>()
    let enqueueErrors = 0
    try {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        yield* runWorker({
          queues: {
            [queue]: {
              concurrency: 20,
              lease: "5 seconds",
              handlers: {
                noop: (job) => Effect.sync(() => runs.set(job.id, (runs.get(job.id) ?? 0) + 1)).pipe(Effect.zipRight(Effect.sleep("1 millis")))
              }
            }
          }
        }, { pollInterval: "500 millis" })

        // The producer retries a failed enqueue with the same jobId, so a retry after a lost reply is not a duplicate.
        const produce = Effect.forEach(
          Array.from({ length: TOTAL }, (_, i) => `job-${i}`),
          (jobId) =>
            jobs.enqueue(queue, "noop", { jobId }, { jobId }).pipe(
              Effect.tapError(() => Effect.sync(() => enqueueErrors++)),
              Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("20 seconds")))
            ),
          { concurrency: 10, discard: true }
        )
        const restart = Effect.gen(function*() {
          yield* Effect.promise(() => waitFor(() => runs.size >= 500, 10_000, "the burst to be under way"))
          server.kill("SIGKILL")
          yield* Effect.promise(() => server.exited)
          yield* Effect.sleep("300 millis")
          server = startRedis()
        })
        yield* Effect.all([produce, restart], { concurrency: "unbounded", discard: true })

        yield* Effect.promise(() => waitFor(() => runs.size === TOTAL, 30_000, `all ${TOTAL} jobs to run (ran ${runs.size})`))
        yield* Effect.promise(() =>
          waitFor(
            () => Effect.runPromise(Effect.either(jobs.counts(queue))).then((c) =>
              c._tag === "Right" && c.right.waiting + c.right.active + c.right.delayed === 0
            ),
            10_000,
            "the queue to drain"
          )
        )
        const counts = yield* jobs.counts(queue)
        expect(counts.dead).toBe(0)
        yield* jobs.obliterate(queue)
      }), url)
    } finally {
      probe.disconnect()
      server.kill("SIGKILL")
      await server.exited
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const duplicates = [...runs.values()].filter((n) => n > 1).length
    expect(enqueueErrors).toBeGreaterThan(0) // the outage was seen by the producer
    expect(runs.size).toBe(TOTAL) // 0 lost
    console.log(`restart during a burst: ${TOTAL} jobs, ${enqueueErrors} enqueue errors retried, ${duplicates} ran twice`)
  }, 60_000)

  test("keys are namespaced by queue and removed by obliterate", async () => {
    const queue = `q-${crypto.randomUUID()}`
    await run(Effect.gen(function*() {
      const jobs = yield* JobQueue
      yield* jobs.enqueue(queue, "a", null)
      yield* jobs.enqueue(queue, "b", null, { delay: "1 hour" })
      yield* jobs.enqueueTick(queue, "c", null, { id: "1", ttl: "1 minute" })
      expect(yield* jobs.enqueueTick(queue, "c", null, { id: "1", ttl: "1 minute" })).toBe(false)
      const job = Option.getOrThrow(yield* jobs.take(queue, "1 second"))
      yield* jobs.fail(job, "x", { final: true })
      const { default: IORedis } = yield* Effect.promise(() => import("ioredis"))
      const client = new IORedis(TEST_REDIS_URL)
      const keys = () => client.keys(`${PREFIX}{${queue}}:*`)
      const before = (yield* Effect.promise(keys)).map((key) => key.slice(PREFIX.length + queue.length + 3)).sort()
      expect(before.filter((key) => !key.startsWith("job:"))).toEqual(["dead", "delayed", "meta", "tick:c:1", "wait"])
      yield* jobs.obliterate(queue)
      expect(yield* Effect.promise(keys)).toEqual([])
      yield* Effect.promise(() => client.quit())
    }))
  })
})

describe("bun run worker", () => {
  test("takes jobs from Redis and stops gracefully on SIGTERM", async () => {
    const { createTestDatabase } = await import("./support/database.js")
    const { runScore } = await import("./support/process.js")
    const database = await createTestDatabase()
    const workerPrefix = testRedisPrefix()
    const worker = runScore("jobs/worker.ts", {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: workerPrefix,
      APP_SECRET: "worker-test-secret-0123456789-0123456789",
      LOG_LEVEL: "Info"
    })
    children.add(worker)
    let output = ""
    for (const stream of [worker.stdout, worker.stderr]) collect(stream, (text) => (output += text))
    try {
      await waitFor(() => output.includes("Worker") && output.includes("started"), 30_000, `the worker to start: ${output}`)
      const defaultPrefix = Layer.scoped(JobQueue, makeJobQueueRedis()).pipe(
        Layer.provide(RedisLive(Redacted.make(TEST_REDIS_URL), workerPrefix))
      )
      const marker = crypto.randomUUID()
      await Effect.runPromise(
        Effect.flatMap(JobQueue, (jobs) => jobs.enqueue("system", "ping", { marker })).pipe(
          Effect.scoped,
          Effect.provide(defaultPrefix),
          Effect.provide(quiet)
        )
      )
      await waitFor(() => output.includes(marker), 10_000, `the ping job to run: ${output}`)
      worker.kill("SIGTERM")
      expect(await worker.exited).toBe(0)
      expect(output).toContain("Worker stopped")
    } finally {
      worker.kill("SIGKILL")
      await database.drop()
    }
  }, 60_000)
})
