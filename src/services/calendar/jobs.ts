import { Effect } from "effect"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { syncCalendarChannel } from "./caldav-sync.js"
import { relaunchFailedCalendarChannels, resetStaleCalendarChannels, scheduleCalendarSyncs } from "./crons.js"
import { CALENDAR_EVENT_LIST_FETCH_JOB, CALENDAR_QUEUE, CalendarChannelJob } from "./jobs-queue.js"

export { CALENDAR_QUEUE } from "./jobs-queue.js"

const LIST_FETCH_CRON = "calendar-event-list-fetch-cron"
const STALE_CRON = "calendar-ongoing-stale-cron"
const RELAUNCH_CRON = "calendar-relaunch-failed-cron"

type Requirements =
  | Effect.Effect.Context<ReturnType<typeof syncCalendarChannel>>
  | Effect.Effect.Context<typeof scheduleCalendarSyncs>
  | Effect.Effect.Context<ReturnType<typeof resetStaleCalendarChannels>>

/** Twenty's calendar-queue jobs and crons for CalDAV channels. */
export const calendarQueue: QueueSpec<Requirements> = {
  concurrency: 1,
  lease: "2 minutes",
  timeout: "30 minutes",
  handlers: {
    [CALENDAR_EVENT_LIST_FETCH_JOB]: jobHandler(CalendarChannelJob, (job) => Effect.asVoid(syncCalendarChannel(job.workspaceId, job.calendarChannelId))),
    [LIST_FETCH_CRON]: () => Effect.asVoid(scheduleCalendarSyncs),
    [STALE_CRON]: () => Effect.asVoid(resetStaleCalendarChannels()),
    [RELAUNCH_CRON]: () => Effect.asVoid(relaunchFailedCalendarChannels)
  }
}

export const calendarSchedules = [
  schedule(CALENDAR_QUEUE, LIST_FETCH_CRON, { cron: "*/5 * * * *" }),
  schedule(CALENDAR_QUEUE, STALE_CRON, { cron: "*/15 * * * *" }),
  schedule(CALENDAR_QUEUE, RELAUNCH_CRON, { cron: "*/30 * * * *" })
]
