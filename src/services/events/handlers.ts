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
    if (matching.length > 0) {
      yield* queue.enqueueMany(WEBHOOKS_QUEUE, matching.map((webhook) => ({
        name: DELIVER_WEBHOOK_JOB,
        data: { webhookId: webhook.id, event } satisfies DeliverWebhookJob,
        // Twenty tries once; Score retries: 2 s, 4 s, 8 s, 16 s, 32 s, then the dead-letter list.
        options: { attempts: 6, backoff: "2 seconds" }
      })))
    }
    yield* recordTimelineActivity(event)
  })

export const deliverWebhook = (job: DeliverWebhookJob, attempt: number) =>
  Effect.flatMap(Webhooks, (webhooks) => webhooks.deliver(job.webhookId, job.event, attempt))
