import { Effect, Schema } from "effect"
import { JobQueue } from "../../platform/queue/index.js"

/** Twenty's messaging-queue: one channel's list fetch or import batch at a time (jobId per channel and step). */
export const MESSAGING_QUEUE = "messaging"
export const MESSAGE_LIST_FETCH_JOB = "message-list-fetch"
export const MESSAGES_IMPORT_JOB = "messages-import"

export const ChannelJob = Schema.Struct({ workspaceId: Schema.String, messageChannelId: Schema.String }).annotations({ identifier: "MessagingChannelJob" })

/**
 * A step claims its stage before running (channel-state.ts `claimStage`), so a step enqueued twice runs
 * once; `deduplicate` also keeps one waiting job per channel and step (the crons use it).
 */
const enqueueStep = (name: string, workspaceId: string, messageChannelId: string, deduplicate: boolean) =>
  Effect.flatMap(JobQueue, (queue) =>
    queue.enqueue(MESSAGING_QUEUE, name, { workspaceId, messageChannelId } satisfies typeof ChannelJob.Type, {
      attempts: 1,
      ...(deduplicate ? { jobId: `${name}:${messageChannelId}` } : {})
    }))

export const enqueueChannelSync = (workspaceId: string, messageChannelId: string, deduplicate = true) =>
  enqueueStep(MESSAGE_LIST_FETCH_JOB, workspaceId, messageChannelId, deduplicate)

export const enqueueChannelImport = (workspaceId: string, messageChannelId: string, deduplicate = true) =>
  enqueueStep(MESSAGES_IMPORT_JOB, workspaceId, messageChannelId, deduplicate)
