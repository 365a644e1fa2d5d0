import { Effect } from "effect"
import type { RecordEvent } from "../schema/events.js"
import { DELIVER_WEBHOOK_JOB, type DeliverWebhookJob, deliverWebhook, handleRecordEvent, WEBHOOKS_QUEUE } from "../services/events/handlers.js"
import { EVENTS_QUEUE, RECORD_EVENT_JOB } from "../services/events/index.js"
import { defineRegistry } from "./runner.js"

/**
 * Every queue the worker runs, its concurrency and its handlers by job name, and the scheduled jobs.
 * Other subsystems add theirs here (webhooks, timeline, ...); `schedule(queue, name, { every } | { cron })`
 * enqueues a job once per tick across all workers.
 */
export const registry = defineRegistry({
  queues: {
    [EVENTS_QUEUE]: {
      concurrency: 10,
      handlers: { [RECORD_EVENT_JOB]: (job) => handleRecordEvent(job.data as RecordEvent) }
    },
    [WEBHOOKS_QUEUE]: {
      concurrency: 20,
      timeout: "30 seconds",
      handlers: { [DELIVER_WEBHOOK_JOB]: (job) => deliverWebhook(job.data as DeliverWebhookJob, job.attemptsMade + 1) }
    },
    system: {
      concurrency: 5,
      handlers: {
        ping: (job) => Effect.logInfo("ping", job.data)
      }
    }
  },
  schedules: []
})
