import { Effect, Fiber, Option } from "effect"
import { JobQueue, type Job } from "../services/queue/index.js"

/** Handlers by queue and job name. Later issues register theirs here (webhooks, timeline, ...). */
export type JobHandler = (job: Job) => Effect.Effect<void, unknown>

export const handlers: Record<string, Record<string, JobHandler>> = {
  system: {
    ping: (job) => Effect.logInfo("ping", job.data)
  }
}

const consume = (queue: string, byName: Record<string, JobHandler>) =>
  Effect.gen(function*() {
    const jobs = yield* JobQueue
    while (true) {
      const next = yield* jobs.take(queue, "2 seconds").pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning(`queue ${queue} unavailable`, e).pipe(Effect.zipRight(Effect.sleep("1 second"))), Option.none()))
      )
      if (Option.isNone(next)) continue
      const job = next.value
      const handler = byName[job.name]
      if (!handler) {
        yield* Effect.logError(`No handler for job ${queue}/${job.name}`)
        continue
      }
      yield* handler(job).pipe(
        Effect.withSpan(`job.${queue}.${job.name}`),
        Effect.catchAllCause((cause) => Effect.logError(`Job ${queue}/${job.name} failed`, cause))
      )
    }
  })

/** One consumer fiber per queue; interrupted (and so stopped) when the worker's scope closes. */
export const runWorker = Effect.gen(function*() {
  const fibers = yield* Effect.forEach(Object.entries(handlers), ([queue, byName]) =>
    Effect.forkScoped(consume(queue, byName)))
  yield* Effect.logInfo(`Worker started: queues ${Object.keys(handlers).join(", ")}`)
  yield* Effect.addFinalizer(() => Effect.logInfo("Worker stopping"))
  return fibers as ReadonlyArray<Fiber.RuntimeFiber<never, never>>
})
