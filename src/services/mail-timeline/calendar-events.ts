import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ident } from "../metadata/columns.js"
import type { RecordsScope } from "../records/types.js"
import { pageOffset, readableTarget, type TimelineTarget } from "./target.js"
import { participantJson, type TimelineParticipant } from "./threads.js"
import { calendarVisibility, type CalendarVisibility, FIELD_RESTRICTED } from "./visibility.js"

/** Twenty's TimelineCalendarEvent. */
export interface TimelineCalendarEvent {
  readonly id: string
  readonly title: string
  readonly isCanceled: boolean
  readonly isFullDay: boolean
  readonly startsAt: string | null
  readonly endsAt: string | null
  readonly description: string
  readonly location: string
  readonly conferenceSolution: string
  readonly conferenceLink: { primaryLinkLabel: string; primaryLinkUrl: string; secondaryLinks: ReadonlyArray<unknown> | null }
  readonly participants: ReadonlyArray<TimelineParticipant>
  readonly visibility: CalendarVisibility
}

export interface TimelineCalendarEventsWithTotal {
  readonly totalNumberOfCalendarEvents: number
  readonly timelineCalendarEvents: ReadonlyArray<TimelineCalendarEvent>
}

interface EventRow {
  readonly total: number
  readonly id: string | null
  readonly title: string | null
  readonly isCanceled: boolean | null
  readonly isFullDay: boolean | null
  readonly startsAt: string | null
  readonly endsAt: string | null
  readonly description: string | null
  readonly location: string | null
  readonly conferenceSolution: string | null
  readonly linkLabel: string | null
  readonly linkUrl: string | null
  readonly secondaryLinks: ReadonlyArray<unknown> | null
  readonly shared: boolean
  readonly owned: boolean
  readonly participants: ReadonlyArray<TimelineParticipant> | null
}

const iso = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * One statement: the events one of the people attends, latest start first, the page's events with their
 * participants and whether the reader owns, or a channel shares, them; beside the number of events.
 */
const eventsSql = (schema: string, people: string) => {
  const s = ident(schema)
  return `
WITH events AS (
  SELECT DISTINCT e.id, e."startsAt"
    FROM ${s}."calendarEventParticipant" p JOIN ${s}."calendarEvent" e ON e.id = p."calendarEventId" AND e."deletedAt" IS NULL
   WHERE p."personId" IN (${people}) AND p."deletedAt" IS NULL
), page AS (
  SELECT id, "startsAt" FROM events ORDER BY "startsAt" DESC NULLS LAST, id LIMIT $3 OFFSET $4
)
SELECT (SELECT count(*)::int FROM events) AS total, e.id, e.title, e."isCanceled", e."isFullDay",
       ${iso(`e."startsAt"`)} AS "startsAt", ${iso(`e."endsAt"`)} AS "endsAt", e.description, e.location, e."conferenceSolution",
       e."conferenceLinkPrimaryLinkLabel" AS "linkLabel", e."conferenceLinkPrimaryLinkUrl" AS "linkUrl",
       e."conferenceLinkSecondaryLinks" AS "secondaryLinks",
       coalesce(shared.shared, false) AS shared, coalesce(shared.owned, false) AS owned, attending.list AS participants
  FROM (SELECT 1) one
  LEFT JOIN page ON true
  LEFT JOIN ${s}."calendarEvent" e ON e.id = page.id
  LEFT JOIN LATERAL (
    SELECT bool_or(c.visibility = 'SHARE_EVERYTHING') AS shared, bool_or(ca."accountOwnerId" = $2::uuid) AS owned
      FROM ${s}."calendarChannelEventAssociation" a
      JOIN ${s}."calendarChannel" c ON c.id = a."calendarChannelId" AND c."deletedAt" IS NULL
      LEFT JOIN ${s}."connectedAccount" ca ON ca.id = c."connectedAccountId" AND ca."deletedAt" IS NULL
     WHERE a."calendarEventId" = page.id AND a."deletedAt" IS NULL) shared ON true
  LEFT JOIN LATERAL (
    SELECT json_agg(${participantJson("p", "per", "wm")} ORDER BY p."isOrganizer" DESC, p.handle) AS list
      FROM ${s}."calendarEventParticipant" p
      LEFT JOIN ${s}.person per ON per.id = p."personId" AND per."deletedAt" IS NULL
      LEFT JOIN ${s}."workspaceMember" wm ON wm.id = p."workspaceMemberId" AND wm."deletedAt" IS NULL
     WHERE p."calendarEventId" = page.id AND p."deletedAt" IS NULL) attending ON true
 ORDER BY page."startsAt" DESC NULLS LAST, page.id`
}

/** Twenty's TimelineCalendarEventService row: METADATA hides the title and description. */
const eventOf = (row: EventRow): TimelineCalendarEvent => {
  const visibility = calendarVisibility(row.owned, row.shared)
  const hidden = visibility === "METADATA"
  return {
    id: row.id!,
    title: hidden ? FIELD_RESTRICTED : row.title ?? "",
    isCanceled: row.isCanceled ?? false,
    isFullDay: row.isFullDay ?? false,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    description: hidden ? FIELD_RESTRICTED : row.description ?? "",
    location: row.location ?? "",
    conferenceSolution: row.conferenceSolution ?? "",
    conferenceLink: { primaryLinkLabel: row.linkLabel ?? "", primaryLinkUrl: row.linkUrl ?? "", secondaryLinks: row.secondaryLinks },
    participants: row.participants ?? [],
    visibility
  }
}

/**
 * Twenty's getTimelineCalendarEventsFrom{Person,Company,Opportunity}Id, for the caller of `scope`. The total
 * counts every event of the people (Twenty's counts the page's events only; a pager needs the whole).
 */
export const timelineCalendarEvents = (scope: RecordsScope, target: TimelineTarget, page: number, pageSize: number) =>
  Effect.gen(function*() {
    const offset = yield* pageOffset(page, pageSize)
    const readable = yield* readableTarget(scope, target)
    if (!readable) return { totalNumberOfCalendarEvents: 0, timelineCalendarEvents: [] } satisfies TimelineCalendarEventsWithTotal
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe<EventRow>(eventsSql(readable.schema, readable.people),
      [target.id, scope.actor.workspaceMemberId, pageSize, offset])
    return {
      totalNumberOfCalendarEvents: rows[0]?.total ?? 0,
      timelineCalendarEvents: rows.filter((row) => row.id !== null).map(eventOf)
    } satisfies TimelineCalendarEventsWithTotal
  })
