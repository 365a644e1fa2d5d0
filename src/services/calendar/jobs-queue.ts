import { Effect, Schema } from "effect"
import { JobQueue } from "../../platform/queue/index.js"

/** Twenty's calendar-queue: one channel's event list fetch (and import) at a time. */
export const CALENDAR_QUEUE = "calendar"
export const CALENDAR_EVENT_LIST_FETCH_JOB = "calendar-event-list-fetch"

export const CalendarChannelJob = Schema.Struct({ workspaceId: Schema.String, calendarChannelId: Schema.String })
  .annotations({ identifier: "CalendarChannelJob" })

/** The step claims its stage before running, so a job enqueued twice runs once; `deduplicate` keeps one waiting. */
export const enqueueCalendarSync = (workspaceId: string, calendarChannelId: string, deduplicate = true) =>
  Effect.flatMap(JobQueue, (queue) =>
    queue.enqueue(CALENDAR_QUEUE, CALENDAR_EVENT_LIST_FETCH_JOB, { workspaceId, calendarChannelId } satisfies typeof CalendarChannelJob.Type, {
      attempts: 1,
      ...(deduplicate ? { jobId: `${CALENDAR_EVENT_LIST_FETCH_JOB}:${calendarChannelId}` } : {})
    }))
