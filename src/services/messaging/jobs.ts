import { Effect } from "effect"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { relaunchFailedChannels, resetStaleChannels, scheduleImports, scheduleListFetches } from "./crons.js"
import { fetchMessageList, importMessages } from "./imap-sync.js"
import { ChannelJob, MESSAGE_LIST_FETCH_JOB, MESSAGES_IMPORT_JOB, MESSAGING_QUEUE } from "./jobs-queue.js"

export { MESSAGING_QUEUE } from "./jobs-queue.js"

const LIST_FETCH_CRON = "message-list-fetch-cron"
const IMPORT_CRON = "messages-import-cron"
const STALE_CRON = "ongoing-stale-cron"
const RELAUNCH_CRON = "relaunch-failed-cron"

type Requirements =
  | Effect.Effect.Context<ReturnType<typeof fetchMessageList>>
  | Effect.Effect.Context<ReturnType<typeof importMessages>>
  | Effect.Effect.Context<typeof scheduleListFetches>
  | Effect.Effect.Context<ReturnType<typeof resetStaleChannels>>

/** Twenty's messaging-queue jobs and crons for IMAP channels (a step holds its channel by its stage). */
export const messagingQueue: QueueSpec<Requirements> = {
  concurrency: 2,
  lease: "2 minutes",
  timeout: "30 minutes",
  handlers: {
    [MESSAGE_LIST_FETCH_JOB]: jobHandler(ChannelJob, (job) => Effect.asVoid(fetchMessageList(job.workspaceId, job.messageChannelId))),
    [MESSAGES_IMPORT_JOB]: jobHandler(ChannelJob, (job) => Effect.asVoid(importMessages(job.workspaceId, job.messageChannelId))),
    [LIST_FETCH_CRON]: () => Effect.asVoid(scheduleListFetches),
    [IMPORT_CRON]: () => Effect.asVoid(scheduleImports),
    [STALE_CRON]: () => Effect.asVoid(resetStaleChannels()),
    [RELAUNCH_CRON]: () => Effect.asVoid(relaunchFailedChannels)
  }
}

export const messagingSchedules = [
  schedule(MESSAGING_QUEUE, LIST_FETCH_CRON, { cron: "2-59/5 * * * *" }),
  schedule(MESSAGING_QUEUE, IMPORT_CRON, { cron: "* * * * *" }),
  schedule(MESSAGING_QUEUE, STALE_CRON, { cron: "*/15 * * * *" }),
  schedule(MESSAGING_QUEUE, RELAUNCH_CRON, { cron: "*/30 * * * *" })
]
