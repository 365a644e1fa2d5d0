import { Context, Duration, Effect, Layer, Option, Queue as EffectQueue } from "effect"
import { Redis } from "../redis/index.js"

export interface Job<A = unknown> {
  readonly name: string
  readonly data: A
  readonly enqueuedAt: string
}

export interface JobQueueShape {
  readonly enqueue: (queue: string, name: string, data: unknown) => Effect.Effect<void, Error>
  /** Waits up to `timeout` for the next job of `queue`. */
  readonly take: (queue: string, timeout: Duration.DurationInput) => Effect.Effect<Option.Option<Job>, Error>
  readonly size: (queue: string) => Effect.Effect<number, Error>
}

export class JobQueue extends Context.Tag("score/JobQueue")<JobQueue, JobQueueShape>() {}

/** In-process queues: embedded mode and unit tests. Jobs do not survive a restart. */
export const JobQueueMemory = Layer.sync(JobQueue, () => {
  const queues = new Map<string, EffectQueue.Queue<Job>>()
  const queueOf = (name: string) => {
    let queue = queues.get(name)
    if (!queue) {
      queue = Effect.runSync(EffectQueue.unbounded<Job>())
      queues.set(name, queue)
    }
    return queue
  }
  return {
    enqueue: (queue, name, data) =>
      EffectQueue.offer(queueOf(queue), { name, data, enqueuedAt: new Date().toISOString() }).pipe(Effect.asVoid),
    take: (queue, timeout) =>
      EffectQueue.take(queueOf(queue)).pipe(Effect.timeoutOption(timeout)),
    size: (queue) => EffectQueue.size(queueOf(queue))
  }
})

const keyOf = (queue: string) => `score:queue:${queue}`

/** Redis lists shared by every process: `bun run worker` takes what the server enqueues. */
export const JobQueueRedis = Layer.scoped(
  JobQueue,
  Effect.gen(function*() {
    const { client, duplicate } = yield* Redis
    const blocking = yield* duplicate
    const attempt = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (e) => e as Error })
    return {
      enqueue: (queue, name, data) =>
        attempt(() => client.lpush(keyOf(queue), JSON.stringify({ name, data, enqueuedAt: new Date().toISOString() })))
          .pipe(Effect.asVoid),
      take: (queue, timeout) =>
        attempt(() => blocking.brpop(keyOf(queue), Duration.toSeconds(timeout))).pipe(
          Effect.map((reply) => Option.map(Option.fromNullable(reply), ([, raw]) => JSON.parse(raw) as Job))
        ),
      size: (queue) => attempt(() => client.llen(keyOf(queue)))
    }
  })
)
