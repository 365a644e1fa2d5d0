import {
  Cause,
  Clock,
  Cron,
  Data,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberSet,
  Option,
  ParseResult,
  Queue,
  Schedule,
  Schema,
  type Scope
} from "effect"
import * as os from "node:os"
import { instrumentation, queueLatency } from "../platform/metrics/index.js"
import { DEFAULT_LEASE, type Job, JobQueue, QueueUnavailable } from "../platform/queue/index.js"
import { WORKER_HEARTBEAT } from "../platform/health/job-durability.js"

/** A handler runs one job; failing (or dying) counts an attempt. */
export type JobHandler<R = never> = (job: Job) => Effect.Effect<unknown, unknown, R>

/**
 * A handler of a declared payload, as `PersistedQueue.make({ name, schema })`: the runner decodes `job.data`
 * with `payload` first. A payload that does not decode can never succeed, so it is dead-lettered at once.
 */
export interface TypedJobHandler<A, R = never> {
  readonly payload: Schema.Schema<A, any>
  readonly handle: (payload: A, job: Job) => Effect.Effect<unknown, unknown, R>
}

export const jobHandler = <A, I, R>(
  payload: Schema.Schema<A, I>,
  handle: (payload: A, job: Job) => Effect.Effect<unknown, unknown, R>
): TypedJobHandler<A, R> => ({ payload, handle })

export interface QueueSpec<R = never> {
  /** Jobs of this queue running at once in one worker process; default 1. */
  readonly concurrency?: number
  /** How long a taken job is reserved for its worker; renewed every third of it while the handler runs. Default 30 s. */
  readonly lease?: Duration.DurationInput
  /** A handler running longer fails (and is retried like any failure). */
  readonly timeout?: Duration.DurationInput
  /** Times a job may lose its worker (lease expired) and be re-queued before it is dead-lettered; default 2. */
  readonly maxStalls?: number
  readonly handlers: Readonly<Record<string, JobHandler<R> | TypedJobHandler<any, R>>>
}

/** A job enqueued once per tick across every worker: `every` aligned on the epoch, or a cron expression (UTC). */
export interface ScheduleSpec {
  readonly queue: string
  readonly name: string
  readonly data?: unknown
  readonly when: { readonly every: Duration.DurationInput } | { readonly cron: string }
}

export interface Registry<R = never> {
  readonly queues: Readonly<Record<string, QueueSpec<R>>>
  readonly schedules?: ReadonlyArray<ScheduleSpec>
}

export const defineRegistry = <R = never>(registry: Registry<R>): Registry<R> => registry

export const schedule = (
  queue: string,
  name: string,
  when: ScheduleSpec["when"],
  data?: unknown
): ScheduleSpec => ({ queue, name, when, data })

export interface WorkerOptions {
  /** How long shutdown waits for running jobs before releasing them back to their queue; default 10 s. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** Longest idle wait between two looks at a queue (notifications normally wake a worker at once); default 5 s. */
  readonly pollInterval?: Duration.DurationInput
  readonly workerId?: string
}

export class JobTimedOut extends Data.TaggedError("JobTimedOut")<{ readonly message: string }> {}
export class NoHandler extends Data.TaggedError("NoHandler")<{ readonly message: string }> {}
/** `job.data` does not match the job's payload schema: retrying cannot help. */
export class MalformedJobPayload extends Data.TaggedError("MalformedJobPayload")<{ readonly message: string }> {}

/** Turns a typed handler into a plain one that decodes first (the decoder is built once per handler). */
const decodingHandler = <R>(queue: string, name: string, handler: JobHandler<R> | TypedJobHandler<any, R>): JobHandler<R> => {
  if (typeof handler === "function") return handler
  const decode = Schema.decodeUnknown(handler.payload, { errors: "all" })
  return (job) =>
    decode(job.data).pipe(
      Effect.mapError((error) =>
        new MalformedJobPayload({
          message: `job ${queue}/${name} has a malformed payload:\n${ParseResult.TreeFormatter.formatErrorSync(error)}`
        })
      ),
      Effect.flatMap((payload) => handler.handle(payload, job))
    )
}

/** Failures that no retry can fix: dead-letter the job on its first attempt. */
const isFinal = (cause: Cause.Cause<unknown>) =>
  Option.exists(Cause.failureOption(cause), (error) => error instanceof MalformedJobPayload || error instanceof NoHandler)

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause) as { _tag?: unknown; message?: unknown } | string
  if (typeof error === "string") return error
  if (error && typeof error === "object") {
    const message = typeof error.message === "string" ? error.message : ""
    const tag = typeof error._tag === "string" ? error._tag : error instanceof Error ? error.name : ""
    if (message || tag) return tag && message ? `${tag}: ${message}` : message || tag
  }
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const builtInTracer = Effect.runSync(Effect.tracer)

/** Retries a Redis call (50 ms doubling, at most 2 s apart) for at most `budget`. */
const persistently = <A>(effect: Effect.Effect<A, QueueUnavailable>, budget: Duration.DurationInput) =>
  Effect.retry(
    effect,
    Schedule.exponential("50 millis").pipe(Schedule.union(Schedule.spaced("2 seconds")), Schedule.upTo(budget))
  )

/** When a schedule fires next after `now`, the tick's id, and how long to remember that it was taken. */
export const tickPlanner = (spec: ScheduleSpec): (now: number) => { at: number; id: string; ttlMs: number } => {
  if ("every" in spec.when) {
    const period = Duration.toMillis(spec.when.every)
    if (!(period >= 1)) throw new Error(`Schedule ${spec.queue}/${spec.name}: "every" must be at least 1 ms`)
    return (now) => {
      const at = (Math.floor(now / period) + 1) * period
      return { at, id: String(at), ttlMs: Math.max(2 * period, 60_000) }
    }
  }
  const expression = spec.when.cron
  const cron = Either.getOrThrowWith(
    Cron.parse(expression, "UTC"),
    (e) => new Error(`Schedule ${spec.queue}/${spec.name}: ${e.message} (${expression})`)
  )
  return (now) => {
    const at = Cron.next(cron, new Date(now)).getTime()
    const following = Cron.next(cron, new Date(at)).getTime()
    return { at, id: String(at), ttlMs: Math.max(2 * (following - at), 60_000) }
  }
}

interface QueueRunner {
  readonly queue: string
  readonly stop: Deferred.Deferred<void>
  readonly fetcher: Fiber.RuntimeFiber<void>
  /** Drains what is left after the shutdown timeout: interrupts handlers, releases their jobs, flushes acks. */
  readonly abandon: Effect.Effect<void>
}

const startQueue = <R>(
  queue: string,
  spec: QueueSpec<R>,
  workerId: string,
  pollIntervalMs: number
): Effect.Effect<QueueRunner, never, JobQueue | Scope.Scope | R> =>
  Effect.gen(function*() {
    const jobs = yield* JobQueue
    const concurrency = Math.max(1, Math.floor(spec.concurrency ?? 1))
    const lease = Duration.decode(spec.lease ?? DEFAULT_LEASE)
    const leaseMs = Duration.toMillis(lease)
    const maxStalls = spec.maxStalls ?? 2
    const timeout = spec.timeout === undefined ? Option.none() : Option.some(Duration.decode(spec.timeout))
    const stop = yield* Deferred.make<void>()
    const pokes = yield* Queue.sliding<void>(1)
    const handlerFibers = yield* FiberSet.make()
    // A Map: a job named `constructor` or `__proto__` finds no handler rather than an Object method.
    const handlers = new Map(Object.entries(spec.handlers).map(([name, handler]) => [name, decodingHandler(queue, name, handler)]))
    /** Leased jobs handed to the pool of `concurrency` handler fibers. */
    const ready = yield* Queue.unbounded<Job>()
    // Without an exporting tracer a span per job is pure cost (more than a no-op job's): only trace when someone listens.
    const traced = (yield* Effect.tracer) !== builtInTracer
    /** Leased jobs whose handler has not settled yet. */
    const inFlight = new Map<string, Job>()
    /** Jobs whose handler succeeded, to acknowledge on the next exchange (they hold their slot until then). */
    const done: Array<Job> = []

    const settle = (job: Job, exit: Exit.Exit<unknown, unknown>) =>
      Exit.match(exit, {
        onSuccess: () =>
          Effect.sync(() => {
            inFlight.delete(job.id)
            done.push(job)
            Queue.unsafeOffer(pokes, undefined)
          }),
        onFailure: (cause) => {
          const reason = describeFailure(cause)
          return persistently(jobs.fail(job, reason, { final: isFinal(cause) }), Duration.millis(Math.min(leaseMs, 10_000))).pipe(
            Effect.flatMap((outcome) => {
              switch (outcome._tag) {
                case "Retrying":
                  return Effect.logWarning(`Job failed, retrying in ${outcome.delayMs} ms: ${reason}`)
                case "Dead":
                  return Effect.logError(`Job dead-lettered after ${job.attemptsMade + 1} attempt(s): ${reason}`, cause)
                case "LeaseLost":
                  return Effect.logWarning(`Job failed after its lease was lost (another worker has it): ${reason}`)
              }
            }),
            Effect.catchAll((e) =>
              Effect.logError(`Job failed and the failure could not be recorded (it will run again): ${e.message}`)
            ),
            Effect.ensuring(Effect.sync(() => {
              inFlight.delete(job.id)
              Queue.unsafeOffer(pokes, undefined)
            }))
          )
        }
      })

    const runJob = (job: Job) => {
      if (instrumentation.enabled && job.attemptsMade === 0 && job.stalls === 0) {
        queueLatency.observe({ queue }, Math.max(0, Date.now() - job.enqueuedAt) / 1000)
      }
      const handler = handlers.get(job.name)
      const work = handler === undefined
        ? Effect.fail(new NoHandler({ message: `no handler for job ${queue}/${job.name}` }))
        : Effect.suspend(() => handler(job))
      const bounded = Option.match(timeout, {
        onNone: () => work,
        onSome: (duration) =>
          Effect.timeoutFail(work, {
            duration,
            onTimeout: () => new JobTimedOut({ message: `still running after ${Duration.format(duration)}` })
          })
      })
      const settled = bounded.pipe(
        Effect.exit,
        Effect.flatMap((exit) => Effect.uninterruptible(settle(job, exit)))
      )
      const spanned = traced
        ? Effect.withSpan(settled, `job ${queue}/${job.name}`, {
          attributes: { "job.queue": queue, "job.name": job.name, "job.id": job.id, "job.attempt": job.attemptsMade + 1 },
          captureStackTrace: false
        })
        : settled
      return Effect.annotateLogs(spanned, { queue, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 })
    }

    /** One round trip: acknowledge finished jobs, lease up to `want` more and start them. */
    const cycle = (want: number) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const acks = done.slice()
          // Interrupted or timed out after Redis ran it, the jobs it leased come back when their lease expires.
          const result = yield* restore(
            jobs.exchange(queue, { complete: acks, take: want, lease, owner: workerId }).pipe(
              Effect.timeoutFail({
                duration: "10 seconds",
                onTimeout: () => new QueueUnavailable({ message: "exchange: no answer in 10 s" })
              })
            )
          ).pipe(Effect.either)
          if (Either.isLeft(result)) return result
          done.splice(0, acks.length)
          for (const job of result.right.jobs) inFlight.set(job.id, job)
          yield* Queue.offerAll(ready, result.right.jobs)
          return result
        })
      )

    const fetch = Effect.gen(function*() {
      let failures = 0
      while (true) {
        const stopping = yield* Deferred.isDone(stop)
        // Jobs leased and not settled hold the slots; finished ones are acknowledged by this same exchange.
        const want = stopping ? 0 : concurrency - inFlight.size
        if (done.length === 0 && (want === 0 || stopping)) {
          if (inFlight.size === 0 && stopping) return
          // Every slot is busy: wait for a handler to finish (or for shutdown).
          yield* stopping ? Queue.take(pokes) : Effect.raceFirst(Queue.take(pokes), Deferred.await(stop))
          continue
        }
        const result = yield* cycle(want)
        if (Either.isLeft(result)) {
          failures++
          const log = failures === 1 ? Effect.logWarning : Effect.logDebug
          yield* log(`Queue unavailable, retrying: ${result.left.message}`)
          yield* Effect.raceFirst(Effect.sleep(Math.min(50 * 2 ** failures, 2_000)), Deferred.await(stop))
          continue
        }
        if (failures > 0) yield* Effect.logInfo(`Queue available again after ${failures} failed attempt(s)`)
        failures = 0
        const { jobs: taken, nextDueInMs, cursor } = result.right
        if (taken.length < want) {
          // The queue is drained: sleep until a notification, a due delayed job, a finished handler or shutdown.
          const idle = Math.max(1, Math.min(pollIntervalMs, Option.getOrElse(nextDueInMs, () => pollIntervalMs)))
          yield* Effect.raceAll([
            jobs.awaitWork(queue, cursor, idle),
            Queue.take(pokes),
            Deferred.await(stop)
          ])
        }
      }
    })

    const heartbeat = Effect.gen(function*() {
      const leased = [...inFlight.values(), ...done]
      if (leased.length === 0) return
      // A job acknowledged meanwhile reads as lost: only the ones still held are news.
      const lost = (yield* jobs.extend(queue, leased, lease)).filter((id) => inFlight.has(id))
      if (lost.length > 0) {
        yield* Effect.logWarning(`Lease lost for ${lost.length} running job(s), another worker may run them: ${lost.join(", ")}`)
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logDebug(`Lease renewal failed: ${e.message}`)),
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(10, leaseMs / 3))))
    )

    const recovery = jobs.recoverStalled(queue, { maxStalls }).pipe(
      Effect.flatMap(({ requeued, dead }) =>
        requeued + dead > 0
          ? Effect.logWarning(`Recovered stalled jobs (worker lost): ${requeued} re-queued, ${dead} dead-lettered`)
          : Effect.void
      ),
      Effect.catchAll((e) => Effect.logDebug(`Stalled-job check failed: ${e.message}`)),
      Effect.repeat(Schedule.spaced(Duration.millis(Math.min(5_000, Math.max(50, leaseMs / 2)))))
    )

    // The pool: `concurrency` fibers, each running one job after another (cheaper than a fiber per job).
    const handlerLoop = Queue.take(ready).pipe(
      Effect.flatMap(runJob),
      Effect.catchAllDefect((defect) => Effect.logError("Job runner defect", defect)),
      Effect.forever
    )
    for (let i = 0; i < concurrency; i++) yield* FiberSet.run(handlerFibers, handlerLoop)
    const annotate = Effect.annotateLogs({ queue })
    yield* Effect.forkScoped(annotate(heartbeat))
    yield* Effect.forkScoped(annotate(recovery))
    // A defect in the loop (a bug, a corrupt job) must not silently stop the queue: log it and start over.
    const supervised: Effect.Effect<void, never, R> = fetch.pipe(
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.logError("Queue loop crashed; restarting it in 1 s", cause).pipe(
            Effect.zipRight(Effect.sleep("1 second")),
            Effect.zipRight(Effect.suspend(() => supervised))
          )
      )
    )
    const fetcher = yield* Effect.forkScoped(annotate(supervised))

    const abandon = Effect.gen(function*() {
      yield* FiberSet.clear(handlerFibers)
      yield* Fiber.interrupt(fetcher)
      const unfinished = [...inFlight.values()]
      if (unfinished.length > 0) {
        const released = yield* persistently(jobs.release(queue, unfinished), "2 seconds").pipe(Effect.orElseSucceed(() => 0))
        yield* Effect.logWarning(
          `Shutdown timeout: ${unfinished.length} job(s) interrupted, ${released} released back to the queue (the rest run again when their lease expires)`
        )
      }
      if (done.length > 0) {
        yield* persistently(jobs.exchange(queue, { complete: done, take: 0, lease, owner: workerId }), "2 seconds").pipe(
          Effect.ignore
        )
      }
    }).pipe(annotate)

    return { queue, stop, fetcher, abandon }
  })

const runSchedule = (spec: ScheduleSpec) =>
  Effect.gen(function*() {
    const jobs = yield* JobQueue
    const plan = tickPlanner(spec)
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const tick = plan(now)
      yield* Effect.sleep(Math.max(0, tick.at - now))
      const enqueued = yield* persistently(
        jobs.enqueueTick(spec.queue, spec.name, spec.data ?? null, { id: tick.id, ttl: tick.ttlMs }),
        Duration.millis(Math.min(tick.ttlMs / 2, 30_000))
      ).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logError(`Scheduled job not enqueued: ${e.message}`), false))
      )
      if (enqueued) yield* Effect.logDebug(`Scheduled job enqueued for tick ${new Date(tick.at).toISOString()}`)
    }
  }).pipe(Effect.annotateLogs({ queue: spec.queue, job: spec.name, schedule: "every" in spec.when ? "every" : spec.when.cron }))

/**
 * Runs every queue of the registry and its schedules in the current scope. Per queue: a pool of `concurrency`
 * handler fibers, fed by one fetcher whose single round trip acknowledges finished jobs and leases new ones;
 * a lease-renewal fiber; a stalled-job check. Each job runs with log annotations (queue, job, jobId, attempt)
 * and, when a tracer is installed, a span `job <queue>/<name>`. Closing the scope stops taking jobs, waits
 * for running ones up to `shutdownTimeout`, then releases what is left back to its queue.
 * It returns once started: `Effect.scoped(runWorker(r))` alone stops the worker at once; keep the scope open
 * (`Layer.scopedDiscard`, or `Effect.zipRight(runWorker(r), Effect.never)` inside `Effect.scoped`).
 */
export const runWorker = <R = never>(
  registry: Registry<R>,
  options: WorkerOptions = {}
): Effect.Effect<void, never, JobQueue | Scope.Scope | R> =>
  Effect.gen(function*() {
    const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 4)}`
    const pollIntervalMs = Duration.toMillis(options.pollInterval ?? "5 seconds")
    const shutdownTimeout = options.shutdownTimeout ?? "10 seconds"
    // Checked before anything starts: a bad cron expression is a bug in the registry.
    for (const spec of registry.schedules ?? []) tickPlanner(spec)
    // Registered first so it runs last, after the queues' fibers are gone: closing the scope interrupts them.
    yield* Effect.addFinalizer(() => Effect.logInfo("Worker stopped"))
    const runners = yield* Effect.forEach(
      Object.entries(registry.queues),
      ([queue, spec]) => startQueue(queue, spec, workerId, pollIntervalMs)
    )
    const schedules = yield* Effect.forEach(registry.schedules ?? [], (spec) => Effect.forkScoped(runSchedule(spec)))
    // Seen by /healthz and the server's log, which warn when no worker takes jobs.
    // (The retirement is registered first so that it runs after the heartbeat has stopped.)
    const jobs = yield* JobQueue
    yield* Effect.addFinalizer(() => jobs.announceWorker(workerId, { retire: true }).pipe(Effect.ignore))
    yield* Effect.forkScoped(
      jobs.announceWorker(workerId).pipe(Effect.ignore, Effect.repeat(Schedule.spaced(WORKER_HEARTBEAT)))
    )
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Fiber.interruptAll(schedules)
        yield* Effect.forEach(runners, (runner) => Deferred.succeed(runner.stop, undefined))
        yield* Effect.logInfo("Worker stopping: no new jobs, waiting for running ones")
        const finished = yield* Effect.interruptible(Fiber.awaitAll(runners.map((runner) => runner.fetcher))).pipe(
          Effect.timeoutOption(shutdownTimeout)
        )
        if (Option.isNone(finished)) yield* Effect.forEach(runners, (runner) => runner.abandon, { concurrency: "unbounded" })
      })
    )
    yield* Effect.logInfo(
      `Worker ${workerId} started: ${
        runners.map(({ queue }) => `${queue} (concurrency ${registry.queues[queue]!.concurrency ?? 1})`).join(", ")
      }${(registry.schedules ?? []).length > 0 ? `; ${registry.schedules!.length} schedule(s)` : ""}`
    )
  })
