/** The job registry, schedules' ticks, and the worker inside `bun run start` in embedded mode. */
import type { QueueSpec } from "../src/jobs/runner.js"
import { describe, expect, test } from "bun:test"
import { Cause, Effect, Exit, Layer, Logger, LogLevel, Tracer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { registry } from "../src/jobs/registry.js"
import { runWorker, schedule, tickPlanner } from "../src/jobs/runner.js"
import { JobQueue, JobQueueMemory } from "../src/platform/queue/index.js"
import { startServer } from "./support/process.js"

describe("schedule ticks", () => {
  test("`every` ticks are aligned on the epoch, so every worker computes the same ones", () => {
    const plan = tickPlanner(schedule("q", "digest", { every: "5 minutes" }))
    const now = Date.parse("2026-01-01T12:03:10.500Z")
    const tick = plan(now)
    expect(new Date(tick.at).toISOString()).toBe("2026-01-01T12:05:00.000Z")
    expect(tick.id).toBe(String(tick.at))
    expect(plan(tick.at).at).toBe(tick.at + 300_000)
    expect(tick.ttlMs).toBe(600_000)
  })

  test("cron expressions (UTC; five fields, or six with seconds)", () => {
    const now = Date.parse("2026-01-01T12:03:10.500Z")
    const every5 = tickPlanner(schedule("q", "sync", { cron: "*/5 * * * *" }))
    expect(new Date(every5(now).at).toISOString()).toBe("2026-01-01T12:05:00.000Z")
    const nightly = tickPlanner(schedule("q", "cleanup", { cron: "30 2 * * *" }))
    const tick = nightly(now)
    expect(new Date(tick.at).toISOString()).toBe("2026-01-02T02:30:00.000Z")
    expect(tick.ttlMs).toBe(2 * 86_400_000)
    const seconds = tickPlanner(schedule("q", "fast", { cron: "*/10 * * * * *" }))
    expect(new Date(seconds(now).at).toISOString()).toBe("2026-01-01T12:03:20.000Z")
  })

  test("a bad cron expression stops the worker at start, naming the schedule", async () => {
    const exit = await Effect.runPromiseExit(
      runWorker({ queues: {}, schedules: [schedule("q", "broken", { cron: "every tuesday" })] }).pipe(
        Effect.scoped,
        Effect.provide(JobQueueMemory)
      )
    )
    expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("Schedule q/broken")
  })
})

describe("registry", () => {
  test("system/ping runs on the in-memory queue (embedded mode)", async () => {
    const logs: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(String(message))))
    await Effect.runPromise(
      Effect.gen(function*() {
        const jobs = yield* JobQueue
        // Only the system queue: the others need the database-backed services.
        yield* runWorker({ queues: { system: registry.queues["system"] as QueueSpec } })
        yield* jobs.enqueue("system", "ping", { hello: "world" })
        while ((yield* jobs.counts("system")).completed === 0) yield* Effect.sleep("5 millis")
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(JobQueueMemory, logger)), Effect.provide(Logger.minimumLogLevel(LogLevel.Info)))
    )
    expect(logs.some((line) => line.includes("ping"))).toBe(true)
  })
})

describe("observability", () => {
  test("each job runs in a span when a tracer is installed, and logs carry queue, job, jobId and attempt", async () => {
    const native = Effect.runSync(Effect.tracer)
    const spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown> }> = []
    const recording = Tracer.make({
      context: native.context,
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = native.span(name, parent, context, links, startTime, kind, options)
        spans.push({ name, attributes: span.attributes })
        return span
      }
    })
    const annotations: Array<Record<string, unknown>> = []
    const logger = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations: a }) => annotations.push(Object.fromEntries(a)))
    )
    await Effect.runPromise(
      Effect.gen(function*() {
        const jobs = yield* JobQueue
        yield* runWorker({ queues: { traced: { handlers: { hello: () => Effect.logInfo("inside") } } } })
        const id = yield* jobs.enqueue("traced", "hello", null)
        while ((yield* jobs.counts("traced")).completed === 0) yield* Effect.sleep("5 millis")
        expect(annotations).toContainEqual({ queue: "traced", job: "hello", jobId: id, attempt: 1 })
        const span = spans.find((s) => s.name === "job traced/hello")
        expect(span?.attributes.get("job.id")).toBe(id)
      }).pipe(
        Effect.scoped,
        Effect.withTracer(recording),
        Effect.provide(Layer.merge(JobQueueMemory, logger)),
        Effect.provide(Logger.minimumLogLevel(LogLevel.Info))
      )
    )
  })
})

describe("embedded mode", () => {
  test("`bun run start` without REDIS_URL runs the worker in-process and stops it with the server", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "score-jobs-"))
    const server = await startServer({ DATA_DIR: dataDir }, 60_000)
    try {
      expect(server.output()).toMatch(/Worker \S+ started: .*system \(concurrency 5\)/)
      expect(await server.stop()).toBe(0)
      expect(server.output()).toContain("Worker stopped")
    } finally {
      if (server.proc.exitCode === null) await server.stop("SIGKILL")
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 90_000)
})
