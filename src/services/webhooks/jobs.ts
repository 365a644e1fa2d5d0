import { Effect, Schema } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { jobHandler, type QueueSpec } from "../../jobs/runner.js"
import { RecordEventPayload } from "../events/payload.js"
import { JobQueue } from "../../platform/queue/index.js"
import { type Webhook, Webhooks } from "./index.js"

/** The webhooks subsystem's own queue: one `deliver` job per (event, matching webhook), each retried on its own. */
export const WEBHOOKS_QUEUE = "webhooks"
export const DELIVER_WEBHOOK_JOB = "deliver"

export const DeliverWebhookPayload = Schema.Struct({
  webhookId: Schema.String,
  event: RecordEventPayload
}).annotations({ identifier: "DeliverWebhookJob" })
export type DeliverWebhookJob = typeof DeliverWebhookPayload.Type

/** Queues one delivery per webhook. */
export const enqueueDeliveries = (webhooks: ReadonlyArray<Webhook>, event: RecordEvent) =>
  webhooks.length === 0
    ? Effect.void
    : Effect.flatMap(JobQueue, (queue) =>
      queue.enqueueMany(WEBHOOKS_QUEUE, webhooks.map((webhook) => ({
        name: DELIVER_WEBHOOK_JOB,
        data: { webhookId: webhook.id, event } satisfies DeliverWebhookJob,
        // Twenty tries once; Score retries: 2 s, 4 s, 8 s, 16 s, 32 s, then the dead-letter list.
        options: { attempts: 6, backoff: "2 seconds" }
      }))))

export const deliverWebhook = (job: DeliverWebhookJob, attempt: number) =>
  Effect.flatMap(Webhooks, (webhooks) => webhooks.deliver(job.webhookId, job.event, attempt))

export const webhooksQueue: QueueSpec<Webhooks> = {
  concurrency: 20,
  timeout: "30 seconds",
  handlers: {
    [DELIVER_WEBHOOK_JOB]: jobHandler(DeliverWebhookPayload, (payload, job) => deliverWebhook(payload, job.attemptsMade + 1))
  }
}
