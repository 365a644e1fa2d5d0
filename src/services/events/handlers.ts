import { Effect } from "effect"
import type { RecordEvent } from "../../schema/events.js"
import { JobQueue } from "../queue/index.js"
import { recordTimelineActivity } from "../timeline/index.js"
import { Webhooks } from "../webhooks/index.js"

export const WEBHOOKS_QUEUE = "webhooks"
export const DELIVER_WEBHOOK_JOB = "deliver"

export interface DeliverWebhookJob {
  readonly webhookId: string
  readonly event: RecordEvent
}

/**
 * A record event's consumers: one delivery job per matching webhook (each retried on its own), and the
 * record's timeline activity.
 */
export const handleRecordEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    const webhooks = yield* Webhooks
    const queue = yield* JobQueue
    const matching = yield* webhooks.matching(event.workspaceId, event.name)
    yield* Effect.forEach(matching, (webhook) =>
      queue.enqueue(WEBHOOKS_QUEUE, DELIVER_WEBHOOK_JOB, { webhookId: webhook.id, event } satisfies DeliverWebhookJob), { discard: true })
    yield* recordTimelineActivity(event)
  })

export const deliverWebhook = (job: DeliverWebhookJob, attempt: number) =>
  Effect.flatMap(Webhooks, (webhooks) => webhooks.deliver(job.webhookId, job.event, attempt))
