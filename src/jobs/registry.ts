import { Effect } from "effect"
import { defineRegistry } from "./runner.js"

/**
 * Every queue the worker runs, its concurrency and its handlers by job name, and the scheduled jobs.
 * Other subsystems add theirs here (webhooks, timeline, ...); `schedule(queue, name, { every } | { cron })`
 * enqueues a job once per tick across all workers.
 */
export const registry = defineRegistry({
  queues: {
    system: {
      concurrency: 5,
      handlers: {
        ping: (job) => Effect.logInfo("ping", job.data)
      }
    }
  },
  schedules: []
})
