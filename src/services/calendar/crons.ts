import { Effect } from "effect"
import { channelsWhere, eachWorkspace, STALE_AFTER_MS } from "../messaging/crons.js"
import { calendarState } from "./channel.js"
import { enqueueCalendarSync } from "./jobs-queue.js"

/** Twenty's CalendarEventListFetchCronJob: channels waiting for their next sync. */
export const scheduleCalendarSyncs = eachWorkspace((workspaceId, schema) =>
  Effect.gen(function*() {
    const channels = yield* channelsWhere(schema, `"syncStage" = 'CALENDAR_EVENT_LIST_FETCH_PENDING'`, [], "calendarChannel")
    for (const { id } of channels) yield* enqueueCalendarSync(workspaceId, id)
    return channels.length
  }))

/** Twenty's CalendarOngoingStaleCronJob: a sync left ONGOING (or SCHEDULED) by a worker that died starts over. */
export const resetStaleCalendarChannels = (staleAfterMs = STALE_AFTER_MS) =>
  eachWorkspace((workspaceId, schema) =>
    Effect.gen(function*() {
      const stages = ["CALENDAR_EVENT_LIST_FETCH_ONGOING", "CALENDAR_EVENT_LIST_FETCH_SCHEDULED", "CALENDAR_EVENTS_IMPORT_ONGOING", "CALENDAR_EVENTS_IMPORT_SCHEDULED"] as const
      const channels = yield* channelsWhere(schema, `"syncStage" = ANY($1) AND "syncStageStartedAt" < $2`,
        [stages, new Date(Date.now() - staleAfterMs).toISOString()], "calendarChannel")
      let reset = 0
      for (const { id } of channels) {
        if (yield* calendarState.claimStage(workspaceId, id, stages, "CALENDAR_EVENT_LIST_FETCH_PENDING")) reset++
      }
      return reset
    }))

/** Twenty's CalendarRelaunchFailedCalendarChannelsCronJob: FAILED_UNKNOWN channels start over (a refused login does not). */
export const relaunchFailedCalendarChannels = eachWorkspace((workspaceId, schema) =>
  Effect.gen(function*() {
    const channels = yield* channelsWhere(schema, `"syncStage" = 'FAILED' AND "syncStatus" = 'FAILED_UNKNOWN'`, [], "calendarChannel")
    let relaunched = 0
    for (const { id } of channels) {
      if (yield* calendarState.claimStage(workspaceId, id, ["FAILED"], "CALENDAR_EVENT_LIST_FETCH_PENDING", { throttleFailureCount: 0 })) relaunched++
    }
    return relaunched
  }))
