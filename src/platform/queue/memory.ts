import { Clock, Duration, Effect, Layer, Option } from "effect"
import {
  checkQueueName,
  DEAD_LETTER_CAP,
  type Job,
  JobQueue,
  type JobQueueShape,
  makeSignals,
  type NewJob,
  prepareJob,
  takeOne
} from "./job-queue.js"

interface StoredJob {
  readonly id: string
  readonly name: string
  readonly data: string
  readonly priority: number
  readonly attempts: number
  readonly backoff: number
  readonly enqueuedAt: number
  attemptsMade: number
  stalls: number
  takes: number
  lease?: string
  error?: string
  failedAt?: number
}

interface Entry {
  readonly score: number
  readonly id: string
}

interface QueueState {
  readonly jobs: Map<string, StoredJob>
  /** Sorted by (priority, sequence), as the Redis sorted set. */
  readonly wait: Array<Entry>
  /** Sorted by due time. */
  readonly delayed: Array<Entry>
  /** id → lease deadline. */
  readonly active: Map<string, number>
  /** id → failedAt, oldest first. */
  readonly dead: Map<string, number>
  seq: number
  completed: number
}

const insertSorted = (list: Array<Entry>, entry: Entry) => {
  let low = 0
  let high = list.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (list[mid]!.score <= entry.score) low = mid + 1
    else high = mid
  }
  list.splice(low, 0, entry)
}

const toJob = (queue: string, job: StoredJob): Job => ({
  id: job.id,
  queue,
  name: job.name,
  data: JSON.parse(job.data),
  priority: job.priority,
  attemptsMade: job.attemptsMade,
  maxAttempts: job.attempts,
  backoffMs: job.backoff,
  stalls: job.stalls,
  enqueuedAt: job.enqueuedAt,
  ...(job.error === undefined ? {} : { lastError: job.error }),
  ...(job.failedAt === undefined ? {} : { failedAt: job.failedAt }),
  ...(job.lease === undefined ? {} : { lease: job.lease })
})

/**
 * In-process queues with the Redis implementation's semantics (priorities, delays, leases, retries, dead
 * letters, cron ticks): embedded mode and unit tests. Jobs do not survive a restart.
 */
export const makeJobQueueMemory = (options: { readonly deadLetterCap?: number } = {}): JobQueueShape => {
  const deadLetterCap = options.deadLetterCap ?? DEAD_LETTER_CAP
  const queues = new Map<string, QueueState>()
  const ticks = new Map<string, number>()
  /** Worker id → when it was last heard from. */
  const workers = new Map<string, number>()
  const signals = makeSignals()
  const owner = `memory:${crypto.randomUUID().slice(0, 8)}`

  const stateOf = (queue: string) => {
    let state = queues.get(queue)
    if (!state) {
      checkQueueName(queue)
      state = { jobs: new Map(), wait: [], delayed: [], active: new Map(), dead: new Map(), seq: 0, completed: 0 }
      queues.set(queue, state)
    }
    return state
  }
  /** Runs `f` atomically (it is synchronous) at the current time. */
  const at = <A>(f: (now: number) => A) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))

  const pushWait = (state: QueueState, job: StoredJob) => {
    if (state.wait.length === 0) state.seq = 0
    insertSorted(state.wait, { score: job.priority * 2 ** 32 + ++state.seq, id: job.id })
  }
  /** Adds to the delayed set; true when it became the earliest (sleeping workers must re-plan). */
  const pushDelayed = (state: QueueState, id: string, due: number) => {
    const earliest = state.delayed[0]?.score
    insertSorted(state.delayed, { score: due, id })
    return earliest === undefined || due < earliest
  }
  const bury = (state: QueueState, job: StoredJob, now: number) => {
    job.failedAt = now
    state.dead.set(job.id, now)
    for (const [id] of state.dead) {
      if (state.dead.size <= deadLetterCap) break
      state.dead.delete(id)
      state.jobs.delete(id)
    }
  }

  const add = (queue: string, jobs: ReadonlyArray<NewJob>, now: number) => {
    const state = stateOf(queue)
    const waitWasEmpty = state.wait.length === 0
    let wake = false
    for (const job of jobs) {
      if (state.jobs.has(job.id)) continue
      const stored: StoredJob = {
        id: job.id,
        name: job.name,
        data: job.data,
        priority: job.priority,
        attempts: job.attempts,
        backoff: job.backoffMs,
        enqueuedAt: now,
        attemptsMade: 0,
        stalls: 0,
        takes: 0
      }
      state.jobs.set(job.id, stored)
      if (job.delayMs > 0) wake = pushDelayed(state, job.id, now + job.delayMs) || wake
      else {
        pushWait(state, stored)
        wake = wake || waitWasEmpty
      }
    }
    if (wake) signals.bump(queue)
    return jobs.map((job) => job.id)
  }

  const owned = (state: QueueState, job: Job) => {
    const stored = state.jobs.get(job.id)
    return stored && stored.lease !== undefined && stored.lease === job.lease ? stored : undefined
  }

  const self: Omit<JobQueueShape, "take"> = {
    enqueue: (queue, name, data, options) =>
      Effect.suspend(() => {
        const job = prepareJob(name, data, options)
        return at((now) => add(queue, [job], now)[0]!)
      }),
    enqueueMany: (queue, jobs) =>
      Effect.suspend(() => {
        const prepared = jobs.map((job) => prepareJob(job.name, job.data, job.options))
        return at((now) => add(queue, prepared, now))
      }),
    enqueueTick: (queue, name, data, tick) =>
      Effect.suspend(() => {
        const job = prepareJob(name, data, { jobId: `tick:${name}:${tick.id}`, attempts: 1 })
        return at((now) => {
          const key = `${queue}\u0000${name}\u0000${tick.id}`
          for (const [k, expires] of ticks) if (expires <= now) ticks.delete(k)
          if (ticks.has(key)) return false
          ticks.set(key, now + Duration.toMillis(tick.ttl))
          add(queue, [job], now)
          return true
        })
      }),
    exchange: (queue, request) =>
      at((now) => {
        const state = stateOf(queue)
        const cursor = signals.version(queue)
        let completed = 0
        for (const job of request.complete) {
          if (owned(state, job)) {
            state.active.delete(job.id)
            state.jobs.delete(job.id)
            completed++
          }
        }
        state.completed += completed
        let promoted = 0
        while (state.delayed.length > 0 && state.delayed[0]!.score <= now && promoted < 1000) {
          const { id } = state.delayed.shift()!
          const job = state.jobs.get(id)
          if (job) pushWait(state, job)
          promoted++
        }
        const jobs: Array<Job> = []
        const deadline = now + Duration.toMillis(request.lease)
        while (jobs.length < request.take && state.wait.length > 0) {
          const { id } = state.wait.shift()!
          const job = state.jobs.get(id)
          if (!job) continue
          job.takes++
          job.lease = `${request.owner}:${job.takes}`
          state.active.set(id, deadline)
          jobs.push(toJob(queue, job))
        }
        if (promoted > 0 && state.wait.length > 0) signals.bump(queue)
        const next = state.delayed[0]
        return {
          jobs,
          completed,
          nextDueInMs: next ? Option.some(Math.max(0, next.score - now)) : Option.none(),
          cursor
        }
      }),
    awaitWork: (queue, cursor, timeout) => signals.wait(queue, cursor, timeout),
    complete: (job) =>
      at(() => {
        const state = stateOf(job.queue)
        if (!owned(state, job)) return false
        state.active.delete(job.id)
        state.jobs.delete(job.id)
        state.completed++
        return true
      }),
    fail: (job, error, options) =>
      at((now) => {
        const state = stateOf(job.queue)
        const stored = owned(state, job)
        if (!stored) return { _tag: "LeaseLost" } as const
        state.active.delete(job.id)
        delete stored.lease
        stored.attemptsMade++
        stored.error = error
        if (options?.final || stored.attemptsMade >= stored.attempts) {
          bury(state, stored, now)
          return { _tag: "Dead" } as const
        }
        const delayMs = stored.backoff * 2 ** (stored.attemptsMade - 1)
        if (pushDelayed(state, job.id, now + delayMs)) signals.bump(job.queue)
        return { _tag: "Retrying", delayMs } as const
      }),
    extend: (queue, jobs, lease) =>
      at((now) => {
        const state = stateOf(queue)
        const lost: Array<string> = []
        for (const job of jobs) {
          if (owned(state, job)) state.active.set(job.id, now + Duration.toMillis(lease))
          else lost.push(job.id)
        }
        return lost
      }),
    release: (queue, jobs) =>
      at(() => {
        const state = stateOf(queue)
        const waitWasEmpty = state.wait.length === 0
        let released = 0
        for (const job of jobs) {
          const stored = owned(state, job)
          if (!stored) continue
          state.active.delete(job.id)
          delete stored.lease
          pushWait(state, stored)
          released++
        }
        if (released > 0 && waitWasEmpty) signals.bump(queue)
        return released
      }),
    recoverStalled: (queue, options) =>
      at((now) => {
        const state = stateOf(queue)
        const waitWasEmpty = state.wait.length === 0
        let requeued = 0
        let dead = 0
        for (const [id, deadline] of [...state.active]) {
          if (deadline > now) continue
          state.active.delete(id)
          const job = state.jobs.get(id)
          if (!job) continue
          delete job.lease
          job.stalls++
          if (job.stalls > options.maxStalls) {
            job.error = `stalled: lease expired ${job.stalls} times (worker lost)`
            bury(state, job, now)
            dead++
          } else {
            pushWait(state, job)
            requeued++
          }
        }
        if (requeued > 0 && waitWasEmpty) signals.bump(queue)
        return { requeued, dead }
      }),
    counts: (queue) =>
      at(() => {
        const state = stateOf(queue)
        return {
          waiting: state.wait.length,
          delayed: state.delayed.length,
          active: state.active.size,
          dead: state.dead.size,
          completed: state.completed
        }
      }),
    deadLetters: (queue, limit = 100) =>
      at(() => {
        const state = stateOf(queue)
        return [...state.dead.keys()].reverse().slice(0, limit).flatMap((id) => {
          const job = state.jobs.get(id)
          return job ? [toJob(queue, job)] : []
        })
      }),
    retryDead: (queue, id) =>
      at(() => {
        const state = stateOf(queue)
        const job = state.jobs.get(id)
        if (!job || !state.dead.delete(id)) return false
        job.attemptsMade = 0
        job.stalls = 0
        delete job.error
        delete job.failedAt
        const waitWasEmpty = state.wait.length === 0
        pushWait(state, job)
        if (waitWasEmpty) signals.bump(queue)
        return true
      }),
    announceWorker: (workerId, options) =>
      at((now) => {
        if (options?.retire) workers.delete(workerId)
        else workers.set(workerId, now)
      }),
    liveWorkers: (within) =>
      at((now) => [...workers.values()].filter((seen) => seen >= now - Duration.toMillis(within)).length),
    size: (queue) => at(() => stateOf(queue).wait.length),
    obliterate: (queue) =>
      at(() => {
        queues.delete(queue)
        for (const key of ticks.keys()) if (key.startsWith(`${queue}\u0000`)) ticks.delete(key)
      })
  }
  return { ...self, take: takeOne(self, owner) }
}

/** In-process queues: embedded mode and unit tests. */
export const JobQueueMemory = Layer.sync(JobQueue, () => makeJobQueueMemory())
