/**
 * The job queue's semantics, written once and run on both implementations: the in-memory one (embedded
 * mode) and Redis (the machine's, under a key prefix of this run, deleted at the end).
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Deferred, Duration, Effect, ExecutionStrategy, Exit, Layer, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import { type Registry, runWorker, schedule, type WorkerOptions } from "../src/jobs/runner.js"
import { type Job, JobQueue, makeJobQueueMemory, makeJobQueueRedis } from "../src/platform/queue/index.js"
import { RedisLive } from "../src/platform/redis/index.js"
import { TEST_REDIS_URL } from "./support/database.js"

const PREFIX = `score:test-${crypto.randomUUID().slice(0, 8)}:`

interface Backend {
  readonly name: string
  readonly make: (options?: { deadLetterCap?: number }) => Layer.Layer<JobQueue, unknown>
  /** Two handles on the same queues: two connections (two processes) for Redis, one shared instance in memory. */
  readonly pair: () => readonly [Layer.Layer<JobQueue, unknown>, Layer.Layer<JobQueue, unknown>]
}

const memory: Backend = {
  name: "memory",
  make: (options) => Layer.sync(JobQueue, () => makeJobQueueMemory(options)),
  pair: () => {
    const shared = Layer.succeed(JobQueue, makeJobQueueMemory())
    return [shared, shared]
  }
}

const redisLayer = (options?: { deadLetterCap?: number }) =>
  Layer.scoped(JobQueue, makeJobQueueRedis({ prefix: PREFIX, ...options })).pipe(
    Layer.provide(RedisLive(Redacted.make(TEST_REDIS_URL)))
  )
const redis: Backend = { name: "redis", make: redisLayer, pair: () => [redisLayer(), redisLayer()] }

afterAll(async () => {
  const { default: IORedis } = await import("ioredis")
  const client = new IORedis(TEST_REDIS_URL)
  let cursor = "0"
  const left: Array<string> = []
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000)
    left.push(...keys)
    cursor = next
  } while (cursor !== "0")
  if (left.length > 0) await client.unlink(...left)
  await client.quit()
  expect(left).toEqual([]) // every test cleaned up after itself
})

const quiet = Logger.minimumLogLevel(process.env.TEST_LOG_LEVEL === "debug" ? LogLevel.Debug : LogLevel.None)

/** A fresh queue name; the queue is deleted when the test's scope closes. */
const freshQueue = Effect.gen(function*() {
  const jobs = yield* JobQueue
  const queue = `q-${crypto.randomUUID()}`
  yield* Effect.addFinalizer(() => Effect.ignore(jobs.obliterate(queue)))
  return queue
})

const sleepUntil = (condition: () => boolean, timeout: Duration.DurationInput = "5 seconds") =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(timeout)
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`condition not met within ${Duration.format(timeout)}`)
      yield* Effect.sleep("5 millis")
    }
  })

/** Runs a worker for `queue` in a scope of its own; the returned effect stops it (gracefully). */
const startWorker = <R>(registry: Registry<R>, options?: WorkerOptions) =>
  Effect.gen(function*() {
    const own = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    yield* runWorker(registry, { pollInterval: "10 seconds", ...options }).pipe(Scope.extend(own))
    return Scope.close(own, Exit.void)
  })

const suite = (backend: Backend) => {
  const run = <A, E>(effect: Effect.Effect<A, E, JobQueue | Scope.Scope>, layer = backend.make()) =>
    Effect.runPromise(effect.pipe(Effect.scoped, Effect.provide(layer), Effect.provide(quiet)) as Effect.Effect<A, unknown>)

  describe(`JobQueue (${backend.name})`, () => {
    test("take leases a job; complete removes it once; the data is a JSON copy", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const data = { n: 1, at: new Date(0) }
        const id = yield* jobs.enqueue(queue, "hello", data)
        const job = Option.getOrThrow(yield* jobs.take(queue, "1 second"))
        expect(job).toMatchObject({ id, queue, name: "hello", data: { n: 1, at: "1970-01-01T00:00:00.000Z" }, attemptsMade: 0 })
        expect(job.lease).toBeString()
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, active: 1 })
        expect(yield* jobs.complete(job)).toBe(true)
        expect(yield* jobs.complete(job)).toBe(false)
        expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, dead: 0, completed: 1 })
        expect(Option.isNone(yield* jobs.take(queue, "20 millis"))).toBe(true)
      }))
    })

    test("lower priority numbers run first, FIFO within a priority", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        yield* jobs.enqueue(queue, "low", null, { priority: 5 })
        yield* jobs.enqueue(queue, "default-1", null)
        yield* jobs.enqueue(queue, "urgent", null, { priority: -3 })
        yield* jobs.enqueueMany(queue, [{ name: "default-2", data: null }, { name: "default-3", data: null }])
        const order: Array<string> = []
        for (let i = 0; i < 5; i++) order.push(Option.getOrThrow(yield* jobs.take(queue, "1 second")).name)
        expect(order).toEqual(["urgent", "default-1", "default-2", "default-3", "low"])
      }))
    })

    test("a delayed job is not taken before it is due", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const started = Date.now()
        yield* jobs.enqueue(queue, "later", null, { delay: "300 millis" })
        yield* jobs.enqueue(queue, "now", null)
        expect(Option.getOrThrow(yield* jobs.take(queue, "1 second")).name).toBe("now")
        expect(Option.isNone(yield* jobs.take(queue, "100 millis"))).toBe(true)
        expect(yield* jobs.counts(queue)).toMatchObject({ delayed: 1 })
        expect(Option.getOrThrow(yield* jobs.take(queue, "2 seconds")).name).toBe("later")
        expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      }))
    })

    test("a jobId deduplicates while the job exists", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        expect(yield* jobs.enqueue(queue, "once", { v: 1 }, { jobId: "invoice-42" })).toBe("invoice-42")
        expect(yield* jobs.enqueue(queue, "once", { v: 2 }, { jobId: "invoice-42" })).toBe("invoice-42")
        expect(yield* jobs.size(queue)).toBe(1)
        const job = Option.getOrThrow(yield* jobs.take(queue, "1 second"))
        expect(job.data).toEqual({ v: 1 })
        yield* jobs.enqueue(queue, "once", { v: 3 }, { jobId: "invoice-42" }) // running: still a duplicate
        expect(yield* jobs.size(queue)).toBe(0)
        yield* jobs.complete(job)
        yield* jobs.enqueue(queue, "once", { v: 4 }, { jobId: "invoice-42" }) // completed jobs are not kept
        expect(yield* jobs.size(queue)).toBe(1)
      }))
    })

    test("failed attempts are retried with exponential backoff, then dead-lettered; a dead job can be retried", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const attempts: Array<number> = []
        let succeed = false
        yield* startWorker({
          queues: {
            [queue]: {
              handlers: {
                flaky: () =>
                  Effect.suspend(() => {
                    attempts.push(Date.now())
                    return succeed ? Effect.void : Effect.fail(new Error(`boom ${attempts.length}`))
                  })
              }
            }
          }
        })
        const id = yield* jobs.enqueue(queue, "flaky", { x: 1 }, { attempts: 3, backoff: "100 millis" })
        yield* sleepUntil(() => attempts.length === 3)
        const [gap1, gap2] = [attempts[1]! - attempts[0]!, attempts[2]! - attempts[1]!]
        expect(gap1).toBeGreaterThanOrEqual(95)
        expect(gap1).toBeLessThan(700)
        expect(gap2).toBeGreaterThanOrEqual(195)
        expect(gap2).toBeLessThan(900)
        yield* Effect.sleep("50 millis")
        const dead = yield* jobs.deadLetters(queue)
        expect(dead).toHaveLength(1)
        expect(dead[0]).toMatchObject({ id, name: "flaky", data: { x: 1 }, attemptsMade: 3, lastError: "Error: boom 3" })
        expect(dead[0]!.failedAt).toBeNumber()
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 1 })

        succeed = true
        expect(yield* jobs.retryDead(queue, id)).toBe(true)
        yield* sleepUntil(() => attempts.length === 4)
        yield* Effect.sleep("50 millis")
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0, completed: 1 })
      }))
    })

    test("a job that succeeds on a later attempt is not dead-lettered; its handler sees attemptsMade", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const seen: Array<number> = []
        yield* startWorker({
          queues: {
            [queue]: {
              handlers: {
                second: (job) => {
                  seen.push(job.attemptsMade)
                  return job.attemptsMade === 0 ? Effect.die("defects count as failures too") : Effect.void
                }
              }
            }
          }
        })
        yield* jobs.enqueue(queue, "second", null, { backoff: "10 millis" })
        yield* sleepUntil(() => seen.length === 2)
        yield* Effect.sleep("50 millis")
        expect(seen).toEqual([0, 1])
        expect(yield* jobs.counts(queue)).toMatchObject({ dead: 0, completed: 1, delayed: 0 })
      }))
    })

    test("a job with no handler is dead-lettered at once; a handler over its timeout fails", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        let slowRuns = 0
        yield* startWorker({
          queues: {
            [queue]: {
              timeout: "50 millis",
              handlers: { slow: () => Effect.sync(() => slowRuns++).pipe(Effect.zipRight(Effect.never)) }
            }
          }
        })
        yield* jobs.enqueue(queue, "unknown", null, { attempts: 5 })
        yield* jobs.enqueue(queue, "slow", null, { attempts: 2, backoff: "10 millis" })
        yield* sleepUntil(() => slowRuns === 2)
        yield* Effect.sleep("150 millis")
        const dead = yield* jobs.deadLetters(queue)
        expect(dead.map((job) => [job.name, job.attemptsMade, job.lastError]).sort()).toEqual([
          ["slow", 2, "JobTimedOut: still running after 50ms"],
          ["unknown", 1, `NoHandler: no handler for job ${queue}/unknown`]
        ])
      }))
    })

    test("an expired lease is recovered; the old holder can no longer complete it; too many stalls dead-letter it", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        yield* jobs.enqueue(queue, "fragile", null)
        const first = Option.getOrThrow(yield* jobs.take(queue, "1 second", { lease: "100 millis" }))
        expect(yield* jobs.recoverStalled(queue, { maxStalls: 1 })).toEqual({ requeued: 0, dead: 0 })
        yield* Effect.sleep("150 millis")
        expect(yield* jobs.recoverStalled(queue, { maxStalls: 1 })).toEqual({ requeued: 1, dead: 0 })
        const second = Option.getOrThrow(yield* jobs.take(queue, "1 second", { lease: "100 millis" }))
        expect(second).toMatchObject({ id: first.id, stalls: 1, attemptsMade: 0 })
        expect(second.lease).not.toBe(first.lease)
        expect(yield* jobs.complete(first)).toBe(false)
        expect(yield* jobs.fail(first, "late")).toEqual({ _tag: "LeaseLost" })
        expect(yield* jobs.extend(queue, [first, second], "1 second")).toEqual([first.id])
        yield* Effect.sleep("150 millis")
        expect(yield* jobs.recoverStalled(queue, { maxStalls: 1 })).toEqual({ requeued: 0, dead: 0 }) // extended
        expect(yield* jobs.release(queue, [second])).toBe(1)
        const third = Option.getOrThrow(yield* jobs.take(queue, "1 second", { lease: "50 millis" }))
        expect(third.stalls).toBe(1) // a release is not a stall
        yield* Effect.sleep("100 millis")
        expect(yield* jobs.recoverStalled(queue, { maxStalls: 1 })).toEqual({ requeued: 0, dead: 1 })
        const [dead] = yield* jobs.deadLetters(queue)
        expect(dead).toMatchObject({ id: first.id, stalls: 2, lastError: "stalled: lease expired 2 times (worker lost)" })
      }))
    })

    test("the dead-letter list is capped, oldest out first", async () => {
      await run(
        Effect.gen(function*() {
          const jobs = yield* JobQueue
          const queue = yield* freshQueue
          for (const name of ["a", "b", "c"]) {
            yield* jobs.enqueue(queue, name, null)
            const job = Option.getOrThrow(yield* jobs.take(queue, "1 second"))
            expect(yield* jobs.fail(job, "no", { final: true })).toEqual({ _tag: "Dead" })
            yield* Effect.sleep("2 millis")
          }
          expect((yield* jobs.deadLetters(queue)).map((job) => job.name)).toEqual(["c", "b"])
        }),
        backend.make({ deadLetterCap: 2 })
      )
    })

    test("a worker runs at most `concurrency` jobs at once and wakes on enqueue without polling", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        let running = 0
        let peak = 0
        let finished = 0
        yield* startWorker({
          queues: {
            [queue]: {
              concurrency: 4,
              handlers: {
                work: () =>
                  Effect.sync(() => (peak = Math.max(peak, ++running))).pipe(
                    Effect.zipRight(Effect.sleep("20 millis")),
                    Effect.ensuring(Effect.sync(() => (running--, finished++)))
                  )
              }
            }
          }
        }) // polls every 10 s: anything faster is a notification
        yield* Effect.sleep("50 millis")
        const started = Date.now()
        yield* jobs.enqueue(queue, "work", null)
        yield* sleepUntil(() => finished === 1)
        expect(Date.now() - started).toBeLessThan(1_000)
        yield* jobs.enqueue(queue, "work", null, { delay: "200 millis" })
        yield* sleepUntil(() => finished === 2)
        expect(Date.now() - started).toBeLessThan(1_500)
        yield* jobs.enqueueMany(queue, Array.from({ length: 20 }, () => ({ name: "work", data: null })))
        yield* sleepUntil(() => finished === 22)
        expect(peak).toBe(4)
        yield* Effect.sleep("50 millis")
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 0, active: 0, completed: 22 })
      }))
    })

    test("shutdown stops taking jobs and lets running ones finish", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const started: Array<number> = []
        const finished: Array<number> = []
        const stop = yield* startWorker({
          queues: {
            [queue]: {
              concurrency: 2,
              handlers: {
                work: (job: Job) =>
                  Effect.sync(() => started.push((job.data as { i: number }).i)).pipe(
                    Effect.zipRight(Effect.sleep("300 millis")),
                    Effect.zipRight(Effect.sync(() => finished.push((job.data as { i: number }).i)))
                  )
              }
            }
          }
        })
        yield* jobs.enqueueMany(queue, [1, 2, 3, 4].map((i) => ({ name: "work", data: { i } })))
        yield* sleepUntil(() => started.length === 2)
        const stopping = Date.now()
        yield* stop
        expect(Date.now() - stopping).toBeGreaterThanOrEqual(200)
        expect(finished.sort()).toEqual([1, 2])
        expect(started).toHaveLength(2)
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 2, active: 0, completed: 2 })
      }))
    })

    test("shutdown past its timeout interrupts running jobs and puts them back", async () => {
      await run(Effect.gen(function*() {
        const jobs = yield* JobQueue
        const queue = yield* freshQueue
        const running = yield* Deferred.make<void>()
        const stop = yield* startWorker(
          { queues: { [queue]: { handlers: { stuck: () => Effect.zipRight(Deferred.succeed(running, undefined), Effect.never) } } } },
          { shutdownTimeout: "100 millis" }
        )
        const id = yield* jobs.enqueue(queue, "stuck", null)
        yield* Deferred.await(running)
        yield* stop
        expect(yield* jobs.counts(queue)).toMatchObject({ waiting: 1, active: 0, dead: 0 })
        const again = Option.getOrThrow(yield* jobs.take(queue, "1 second"))
        expect(again).toMatchObject({ id, attemptsMade: 0, stalls: 0 })
      }))
    })

    test("a schedule runs once per tick across two workers", async () => {
      const [a, b] = backend.pair()
      const queue = `q-${crypto.randomUUID()}`
      const runs: Array<{ worker: string; id: string }> = []
      const workerOn = (worker: string) => ({
        queues: { [queue]: { concurrency: 2, handlers: { tick: (job: Job) => Effect.sync(() => runs.push({ worker, id: job.id })) } } },
        schedules: [schedule(queue, "tick", { every: "100 millis" }, { from: "schedule" })]
      })
      await Promise.all([
        run(startWorker(workerOn("a")).pipe(Effect.zipRight(Effect.sleep("650 millis"))), a),
        run(startWorker(workerOn("b")).pipe(Effect.zipRight(Effect.sleep("650 millis"))), b)
      ])
      await run(Effect.flatMap(JobQueue, (jobs) => jobs.obliterate(queue)), a)
      const ids = runs.map((r) => r.id)
      expect(new Set(ids).size).toBe(ids.length) // no tick twice
      expect(ids.length).toBeGreaterThanOrEqual(4)
      expect(ids.length).toBeLessThanOrEqual(7)
      for (const id of ids) expect(id).toMatch(/^tick:tick:\d+00$/)
    })
  })
}

suite(memory)
suite(redis)
