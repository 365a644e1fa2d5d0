import { Effect, Schema } from "effect"
import { Records } from "../records/index.js"
import { CALENDAR_CHANNEL, channelStateOf } from "../messaging/channel-state.js"
import { emailScope, select } from "../messaging/scope.js"

/**
 * Twenty's calendar channel state machine: CALENDAR_EVENT_LIST_FETCH_PENDING → …_ONGOING →
 * CALENDAR_EVENTS_IMPORT_ONGOING → back to …_PENDING with syncStatus ACTIVE. CalDAV answers the changed
 * objects with their data, so the list fetch and the import run as one job. Failures as the message channel's.
 */
export type CalendarSyncStage =
  | "CALENDAR_EVENT_LIST_FETCH_PENDING" | "CALENDAR_EVENT_LIST_FETCH_SCHEDULED" | "CALENDAR_EVENT_LIST_FETCH_ONGOING"
  | "CALENDAR_EVENTS_IMPORT_PENDING" | "CALENDAR_EVENTS_IMPORT_SCHEDULED" | "CALENDAR_EVENTS_IMPORT_ONGOING" | "FAILED" | "PENDING_CONFIGURATION"

export interface CalendarChannel {
  readonly id: string
  readonly handle: string
  readonly connectedAccountId: string
  readonly syncStage: CalendarSyncStage
  readonly isSyncEnabled: boolean
  readonly visibility: "METADATA" | "SHARE_EVERYTHING"
  readonly isContactAutoCreationEnabled: boolean
  readonly contactAutoCreationPolicy: "AS_PARTICIPANT_AND_ORGANIZER" | "AS_PARTICIPANT" | "AS_ORGANIZER" | "NONE"
  readonly syncCursor: string | null
  readonly throttleFailureCount: number
}

const FIELDS = select(
  "handle", "connectedAccountId", "syncStage", "isSyncEnabled", "visibility", "isContactAutoCreationEnabled",
  "contactAutoCreationPolicy", "syncCursor", "throttleFailureCount"
)

export const loadCalendarChannel = (workspaceId: string, channelId: string) =>
  Effect.flatMap(Records, (records) => records.findOne(emailScope(workspaceId), "calendarChannel", { id: { eq: channelId } }, FIELDS)).pipe(
    Effect.map((row) => row as unknown as CalendarChannel | null)
  )

export const calendarState = channelStateOf<CalendarSyncStage>(CALENDAR_CHANNEL)

/**
 * Where each calendar's sync stands (Twenty's CalDavSyncCursor): its RFC 6578 sync-token, and the ETag of
 * every object seen, which the sync falls back to when the server has no sync-collection or forgot the token.
 */
export const CalendarCursor = Schema.parseJson(Schema.Struct({
  calendars: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ syncToken: Schema.NullOr(Schema.String), etags: Schema.Record({ key: Schema.String, value: Schema.String }) })
  })
}))
export type CalendarCursor = typeof CalendarCursor.Type

export const decodeCursor = (text: string | null): CalendarCursor => {
  const decoded = text ? Schema.decodeUnknownOption(CalendarCursor)(text) : null
  return decoded?._tag === "Some" ? decoded.value : { calendars: {} }
}

export const saveCursor = (workspaceId: string, channelId: string, cursor: CalendarCursor) =>
  calendarState.updateChannel(workspaceId, channelId, { syncCursor: Schema.encodeSync(CalendarCursor)(cursor) })
