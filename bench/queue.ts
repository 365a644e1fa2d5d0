/**
 * Job runner benchmark: Score's queue (Lua scripts over Redis, a fiber pool per queue) against BullMQ on the
 * same Redis in the same run. No-op jobs, concurrency 50: enqueue throughput (50 concurrent producers, one
 * job per call; and in batches of 100) and processing throughput (all jobs enqueued first, then one worker
 * drains them). Every key it creates it deletes. Run with `bun bench/queue.ts` (REDIS_URL, BENCH_JOBS and
 * BENCH_ROUNDS override the defaults).
 *
 * Prints a table and a final `RESULT {json}` line.
 */
import { Queue as BullQueue, Worker as BullWorker } from "bullmq"
import { Deferred, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { runWorker } from "../src/jobs/runner.js"
import { JobQueue, makeJobQueueRedis } from "../src/platform/queue/index.js"
import { RedisLive } from "../src/platform/redis/index.js"

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONCURRENCY = 50
const BATCH = 100
const PHASE_TIMEOUT_MS = 60_000
const SCORE_PREFIX = "score:bench:"
const BULL_PREFIX = "bullbench"

interface Figures {
  enqueue: number
  enqueueBatch: number
  process: number
}

const perSecond = (count: number, ms: number) => Math.round((count * 1000) / ms)

/** Runs `task(i)` for i in [0, count) with `concurrency` callers at a time. */
const pool = async (count: number, concurrency: number, task: (i: number) => Promise<unknown>) => {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++)
  }))
}

/** The same shape on fibers: `CONCURRENCY` fibers, each running tasks one after the other. */
const fiberPool = <E>(count: number, task: (i: number) => Effect.Effect<unknown, E>) => {
  let next = 0
  const loop = Effect.whileLoop({ while: () => next < count, body: () => task(next++), step: () => {} })
  return Effect.all(Array.from({ length: CONCURRENCY }, () => loop), { concurrency: "unbounded", discard: true })
}

const withDeadline = <A>(promise: Promise<A>, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: over ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS))
  ])

const scoreLayer = Layer.scoped(JobQueue, makeJobQueueRedis({ prefix: SCORE_PREFIX })).pipe(
  Layer.provide(RedisLive(Redacted.make(REDIS_URL))),
  Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
)

const benchScore = (round: number) =>
  Effect.gen(function*() {
    const jobs = yield* JobQueue
    const queue = `bench-${process.pid}-${round}`
    const batchQueue = `${queue}-batch`
    const result = yield* Effect.gen(function*() {
      let started = performance.now()
      yield* fiberPool(JOBS, (i) => jobs.enqueue(queue, "noop", { i }))
      const enqueue = perSecond(JOBS, performance.now() - started)

      started = performance.now()
      yield* fiberPool(JOBS / BATCH, (b) =>
        jobs.enqueueMany(batchQueue, Array.from({ length: BATCH }, (_, i) => ({ name: "noop", data: { i: b * BATCH + i } }))))
      const enqueueBatch = perSecond(JOBS, performance.now() - started)

      let processed = 0
      const allDone = yield* Deferred.make<void>()
      started = performance.now()
      yield* Effect.scoped(Effect.gen(function*() {
        yield* runWorker({
          queues: {
            [queue]: {
              concurrency: CONCURRENCY,
              handlers: { noop: () => Effect.sync(() => ++processed === JOBS && Deferred.unsafeDone(allDone, Effect.void)) }
            }
          }
        })
        yield* Deferred.await(allDone).pipe(Effect.timeout(PHASE_TIMEOUT_MS))
        // Processed means acknowledged in Redis, as BullMQ's "completed".
        while ((yield* jobs.counts(queue)).completed < JOBS) yield* Effect.sleep(1)
      }))
      const process = perSecond(JOBS, performance.now() - started)
      return { enqueue, enqueueBatch, process }
    }).pipe(Effect.ensuring(Effect.all([jobs.obliterate(queue), jobs.obliterate(batchQueue)]).pipe(Effect.ignore)))
    return result
  })

const benchBullMQ = async (round: number): Promise<Figures> => {
  const url = new URL(REDIS_URL)
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null }
  const name = `bench-${process.pid}-${round}`
  const queue = new BullQueue(name, {
    connection,
    prefix: BULL_PREFIX,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true }
  })
  const batchQueue = new BullQueue(`${name}-batch`, { connection, prefix: BULL_PREFIX, defaultJobOptions: { removeOnComplete: true } })
  try {
    await queue.waitUntilReady()
    let started = performance.now()
    await withDeadline(pool(JOBS, CONCURRENCY, (i) => queue.add("noop", { i })), "BullMQ enqueue")
    const enqueue = perSecond(JOBS, performance.now() - started)

    started = performance.now()
    await withDeadline(
      pool(JOBS / BATCH, CONCURRENCY, (b) =>
        batchQueue.addBulk(Array.from({ length: BATCH }, (_, i) => ({ name: "noop", data: { i: b * BATCH + i } })))),
      "BullMQ addBulk"
    )
    const enqueueBatch = perSecond(JOBS, performance.now() - started)

    let completed = 0
    let finish!: () => void
    const allDone = new Promise<void>((resolve) => (finish = resolve))
    started = performance.now()
    const worker = new BullWorker(name, async () => {}, { connection, prefix: BULL_PREFIX, concurrency: CONCURRENCY })
    worker.on("completed", () => {
      if (++completed === JOBS) finish()
    })
    await withDeadline(allDone, "BullMQ process")
    const process = perSecond(JOBS, performance.now() - started)
    await worker.close()
    return { enqueue, enqueueBatch, process }
  } finally {
    await queue.obliterate({ force: true }).catch(() => {})
    await batchQueue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    await batchQueue.close()
  }
}

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const main = async () => {
  const score: Array<Figures> = []
  const bull: Array<Figures> = []
  // A first round of each, not counted, warms up the JIT and Redis's script cache; then they alternate.
  for (let round = -1; round < ROUNDS; round++) {
    if (round < 0) {
      await Effect.runPromise(benchScore(round).pipe(Effect.provide(scoreLayer)))
      await benchBullMQ(round)
      continue
    }
    score.push(await Effect.runPromise(benchScore(round).pipe(Effect.provide(scoreLayer))))
    bull.push(await benchBullMQ(round))
  }
  const summary = (runs: Array<Figures>) => ({
    enqueue: median(runs.map((r) => r.enqueue)),
    enqueueBatch: median(runs.map((r) => r.enqueueBatch)),
    process: median(runs.map((r) => r.process))
  })
  const best = (runs: Array<Figures>) => ({
    enqueue: Math.max(...runs.map((r) => r.enqueue)),
    enqueueBatch: Math.max(...runs.map((r) => r.enqueueBatch)),
    process: Math.max(...runs.map((r) => r.process))
  })
  const s = summary(score)
  const b = summary(bull)
  const rows: Array<[string, number, number]> = [
    ["enqueue, 1 job per call (jobs/s)", s.enqueue, b.enqueue],
    [`enqueue, batches of ${BATCH} (jobs/s)`, s.enqueueBatch, b.enqueueBatch],
    ["process, no-op (jobs/s)", s.process, b.process]
  ]
  console.log(`\n${JOBS} no-op jobs, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds, Redis ${new URL(REDIS_URL).host}\n`)
  console.log(`${"".padEnd(38)}${"Score".padStart(10)}${"BullMQ".padStart(10)}${"ratio".padStart(8)}`)
  for (const [label, mine, theirs] of rows) {
    console.log(`${label.padEnd(38)}${String(mine).padStart(10)}${String(theirs).padStart(10)}${(mine / theirs).toFixed(2).padStart(8)}`)
  }
  const [sb, bb] = [best(score), best(bull)]
  console.log(`best of ${ROUNDS} (noise only slows a run): enqueue ${sb.enqueue} vs ${bb.enqueue}, batches ${sb.enqueueBatch} vs ${bb.enqueueBatch}, process ${sb.process} vs ${bb.process}`)
  console.log(`RESULT ${
    JSON.stringify({ jobs: JOBS, concurrency: CONCURRENCY, rounds: ROUNDS, score: s, bullmq: b, best: { score: sb, bullmq: bb }, runs: { score, bullmq: bull } })
  }`)
}

await main()
process.exit(0)
