import { Context, Data, Deferred, Duration, Effect, Exit, Option } from "effect"

/** Redis did not answer (down, restarting, loading): nothing was done, or the call may be retried safely. */
export class QueueUnavailable extends Data.TaggedError("QueueUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export interface EnqueueOptions {
  /** Runs no earlier than this from now. */
  readonly delay?: Duration.DurationInput
  /** Lower runs first (as in BullMQ and `nice`): an integer within ±1,000,000; default 0. FIFO within a priority. */
  readonly priority?: number
  /** Runs in all, the first included; default 3. */
  readonly attempts?: number
  /** Base of the exponential backoff: the n-th failure waits base × 2^(n−1); default 1 second. */
  readonly backoff?: Duration.DurationInput
  /** Deduplicates: while a job with this id is waiting, delayed, running or dead, enqueueing it again does nothing. */
  readonly jobId?: string
}

/** A job as handlers see it; JSON all the way (`data` went through JSON.stringify/parse). */
export interface Job<A = unknown> {
  readonly id: string
  readonly queue: string
  readonly name: string
  readonly data: A
  readonly priority: number
  /** Failed attempts so far (a lease that expired counts in `stalls` instead). */
  readonly attemptsMade: number
  readonly maxAttempts: number
  readonly backoffMs: number
  readonly stalls: number
  readonly enqueuedAt: number
  readonly lastError?: string
  readonly failedAt?: number
  /** Held while the job is leased: proves the holder still owns it when completing, failing or extending. */
  readonly lease?: string
}

export interface Exchange {
  /** Leased jobs whose handler succeeded: removed for good (a lease lost meanwhile is skipped). */
  readonly complete: ReadonlyArray<Job>
  /** Leases up to this many jobs, highest priority first. */
  readonly take: number
  readonly lease: Duration.DurationInput
  /** Names the taker in lease tokens (worker id). */
  readonly owner: string
}

export interface Exchanged {
  readonly jobs: ReadonlyArray<Job>
  readonly completed: number
  /** Milliseconds until the earliest delayed job is due, if any. */
  readonly nextDueInMs: Option.Option<number>
  /** Pass to `awaitWork`: a notification after this exchange started wakes the waiter at once. */
  readonly cursor: number
}

export type FailOutcome =
  | { readonly _tag: "Retrying"; readonly delayMs: number }
  | { readonly _tag: "Dead" }
  | { readonly _tag: "LeaseLost" }

export interface QueueCounts {
  readonly waiting: number
  readonly delayed: number
  readonly active: number
  readonly dead: number
  readonly completed: number
}

export interface JobQueueShape {
  /** Enqueues one job and returns its id; once this succeeds the job runs at least once (unless dead-lettered). */
  readonly enqueue: (
    queue: string,
    name: string,
    data: unknown,
    options?: EnqueueOptions
  ) => Effect.Effect<string, QueueUnavailable>
  /** Enqueues several jobs in one atomic step. */
  readonly enqueueMany: (
    queue: string,
    jobs: ReadonlyArray<{ readonly name: string; readonly data: unknown; readonly options?: EnqueueOptions }>
  ) => Effect.Effect<ReadonlyArray<string>, QueueUnavailable>
  /**
   * Enqueues the job for one cron tick unless some process already did (the tick is remembered for `ttl`);
   * true when this call enqueued it.
   */
  readonly enqueueTick: (
    queue: string,
    name: string,
    data: unknown,
    tick: { readonly id: string; readonly ttl: Duration.DurationInput }
  ) => Effect.Effect<boolean, QueueUnavailable>
  /** Waits up to `timeout` for the next job and leases it (default 30 s): `complete` or `fail` it. */
  readonly take: (
    queue: string,
    timeout: Duration.DurationInput,
    options?: { readonly lease?: Duration.DurationInput }
  ) => Effect.Effect<Option.Option<Job>, QueueUnavailable>
  /** The worker's one round trip: acknowledges finished jobs, promotes due delayed jobs, leases new ones. */
  readonly exchange: (queue: string, request: Exchange) => Effect.Effect<Exchanged, QueueUnavailable>
  /** Returns when work may have arrived after `cursor` (enqueue, retry due, recovery) or after `timeout`. */
  readonly awaitWork: (queue: string, cursor: number, timeout: Duration.DurationInput) => Effect.Effect<void>
  readonly complete: (job: Job) => Effect.Effect<boolean, QueueUnavailable>
  /** Counts a failed attempt: retried after the backoff, or dead-lettered after the last one (or when `final`). */
  readonly fail: (
    job: Job,
    error: string,
    options?: { readonly final?: boolean }
  ) => Effect.Effect<FailOutcome, QueueUnavailable>
  /** Renews the leases of running jobs; returns the ids whose lease was lost (expired and recovered). */
  readonly extend: (
    queue: string,
    jobs: ReadonlyArray<Job>,
    lease: Duration.DurationInput
  ) => Effect.Effect<ReadonlyArray<string>, QueueUnavailable>
  /** Puts leased jobs back, first in line for their priority, without counting an attempt (shutdown). */
  readonly release: (queue: string, jobs: ReadonlyArray<Job>) => Effect.Effect<number, QueueUnavailable>
  /** Re-queues jobs whose lease expired (their worker died); after `maxStalls` re-queues a job is dead-lettered. */
  readonly recoverStalled: (
    queue: string,
    options: { readonly maxStalls: number }
  ) => Effect.Effect<{ readonly requeued: number; readonly dead: number }, QueueUnavailable>
  readonly counts: (queue: string) => Effect.Effect<QueueCounts, QueueUnavailable>
  /** A worker says it is alive (every few seconds while it runs); `retire` when it stops. */
  readonly announceWorker: (workerId: string, options?: { readonly retire?: boolean }) => Effect.Effect<void, QueueUnavailable>
  /** Workers heard from within `within`. */
  readonly liveWorkers: (within: Duration.DurationInput) => Effect.Effect<number, QueueUnavailable>
  /** Dead-lettered jobs, newest first, with their last error. */
  readonly deadLetters: (queue: string, limit?: number) => Effect.Effect<ReadonlyArray<Job>, QueueUnavailable>
  /** Moves a dead-lettered job back to the queue with fresh attempts. */
  readonly retryDead: (queue: string, id: string) => Effect.Effect<boolean, QueueUnavailable>
  /** Jobs waiting to run now. */
  readonly size: (queue: string) => Effect.Effect<number, QueueUnavailable>
  /** Deletes everything of a queue (tests, benchmarks). */
  readonly obliterate: (queue: string) => Effect.Effect<void, QueueUnavailable>
}

export class JobQueue extends Context.Tag("score/JobQueue")<JobQueue, JobQueueShape>() {}

export const DEFAULT_ATTEMPTS = 3
export const DEFAULT_BACKOFF_MS = 1_000
export const DEFAULT_LEASE = Duration.seconds(30)
export const DEAD_LETTER_CAP = 10_000
const MAX_PRIORITY = 1_000_000

const QUEUE_NAME = /^[\w.:-]{1,200}$/

/** Queue names go into Redis keys and hash tags; they are code constants, so a bad one is a bug. */
export const checkQueueName = (queue: string) => {
  if (!QUEUE_NAME.test(queue)) throw new Error(`Invalid queue name ${JSON.stringify(queue)}: letters, digits, _ . : -`)
}

export interface NewJob {
  readonly id: string
  readonly name: string
  readonly data: string
  readonly priority: number
  readonly delayMs: number
  readonly attempts: number
  readonly backoffMs: number
}

/** Validates options and serialises data once, for both implementations. */
export const prepareJob = (name: string, data: unknown, options: EnqueueOptions = {}): NewJob => {
  const priority = options.priority ?? 0
  if (!Number.isInteger(priority) || Math.abs(priority) > MAX_PRIORITY) {
    throw new Error(`Job priority must be an integer within ±${MAX_PRIORITY}, got ${priority}`)
  }
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`Job attempts must be ≥ 1, got ${attempts}`)
  return {
    id: options.jobId ?? crypto.randomUUID(),
    name,
    data: JSON.stringify(data ?? null),
    priority,
    delayMs: options.delay === undefined ? 0 : Math.max(0, Math.ceil(Duration.toMillis(options.delay))),
    attempts,
    backoffMs: options.backoff === undefined ? DEFAULT_BACKOFF_MS : Math.max(0, Math.round(Duration.toMillis(options.backoff)))
  }
}

/** Wake-ups per queue: a version counter bumped on every notification, and the fibers waiting for it. */
export const makeSignals = () => {
  const versions = new Map<string, number>()
  const waiters = new Map<string, Set<() => void>>()
  const version = (channel: string) => versions.get(channel) ?? 0
  const bump = (channel: string) => {
    versions.set(channel, version(channel) + 1)
    const waiting = waiters.get(channel)
    if (waiting) for (const wake of [...waiting]) wake()
  }
  const wait = (channel: string, cursor: number, timeout: Duration.DurationInput): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (version(channel) > cursor) return Effect.void
      return Effect.flatMap(Deferred.make<void>(), (woken) => {
        const wake = () => Deferred.unsafeDone(woken, Exit.void)
        let set = waiters.get(channel)
        if (!set) waiters.set(channel, set = new Set())
        set.add(wake)
        return Deferred.await(woken).pipe(
          Effect.timeoutOption(timeout),
          Effect.ensuring(Effect.sync(() => {
            set.delete(wake)
            if (set.size === 0) waiters.delete(channel)
          }))
        )
      })
    }).pipe(Effect.asVoid)
  return { version, bump, wait, channels: () => [...versions.keys()] }
}

/** `take` on top of `exchange` + `awaitWork`, the same for both implementations. */
export const takeOne = (
  self: Pick<JobQueueShape, "exchange" | "awaitWork">,
  owner: string
): JobQueueShape["take"] =>
(queue, timeout, options) =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(timeout)
    while (true) {
      const result = yield* self.exchange(queue, { complete: [], take: 1, lease: options?.lease ?? DEFAULT_LEASE, owner })
      if (result.jobs.length > 0) return Option.some(result.jobs[0]!)
      const left = deadline - Date.now()
      if (left <= 0) return Option.none()
      const due = Option.getOrElse(result.nextDueInMs, () => left)
      yield* self.awaitWork(queue, result.cursor, Math.max(1, Math.min(left, due)))
    }
  })
