import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ident } from "../metadata/columns.js"
import type { RecordsScope } from "../records/types.js"
import { pageOffset, readableTarget, type TimelineTarget } from "./target.js"
import { maskedBody, maskedSubject, messageVisibility, type MessageVisibility, visibilityRank } from "./visibility.js"

/** Twenty's TimelineThreadParticipant. */
export interface TimelineParticipant {
  readonly personId: string | null
  readonly workspaceMemberId: string | null
  readonly firstName: string
  readonly lastName: string
  readonly displayName: string
  readonly avatarUrl: string
  readonly handle: string
}

/** Twenty's TimelineThread. */
export interface TimelineThread {
  readonly id: string
  readonly read: boolean
  readonly visibility: MessageVisibility
  readonly firstParticipant: TimelineParticipant
  readonly lastTwoParticipants: ReadonlyArray<TimelineParticipant>
  readonly lastMessageReceivedAt: string
  readonly lastMessageBody: string
  readonly subject: string
  readonly numberOfMessagesInThread: number
  readonly participantCount: number
}

export interface TimelineThreadsWithTotal {
  readonly totalNumberOfThreads: number
  readonly timelineThreads: ReadonlyArray<TimelineThread>
}

interface ThreadRow {
  readonly total: number
  readonly id: string | null
  readonly messages: number
  readonly subject: string | null
  readonly body: string | null
  readonly receivedAt: string | null
  readonly rank: number | null
  readonly owned: boolean
  readonly senders: ReadonlyArray<TimelineParticipant> | null
}

/** A participant's names as Twenty's formatThreadParticipant picks them: the person's, else the member's, else the header's. */
export const participantJson = (p: string, person: string, member: string) => `json_build_object(
  'personId', ${p}."personId", 'workspaceMemberId', ${p}."workspaceMemberId",
  'firstName', coalesce(nullif(${person}."nameFirstName", ''), nullif(${member}."nameFirstName", ''), ''),
  'lastName', coalesce(nullif(${person}."nameLastName", ''), nullif(${member}."nameLastName", ''), ''),
  'displayName', coalesce(nullif(${person}."nameFirstName", ''), nullif(${person}."nameLastName", ''), nullif(${member}."nameFirstName", ''),
    nullif(${member}."nameLastName", ''), nullif(${p}."displayName", ''), ${p}.handle, ''),
  'avatarUrl', coalesce(nullif(${person}."avatarUrl", ''), nullif(${member}."avatarUrl", ''), ''),
  'handle', coalesce(${p}.handle, ''))`

/**
 * One statement: the threads where one of the people took part, newest last message first (Twenty orders by
 * the last message the people took part in, which can disagree with the lastMessageReceivedAt shown), the page's
 * threads with their counts, first subject, last body, the reader's visibility and their senders (FROM
 * participants, one per handle, in the order they first wrote), beside the number of threads.
 */
export const threadsSql = (schema: string, people: string) => {
  const s = ident(schema)
  return `
WITH threads AS (
  SELECT m."messageThreadId" AS id, max(m."receivedAt") AS last
    FROM ${s}.message m
   WHERE m."deletedAt" IS NULL AND m."messageThreadId" IN (
           SELECT m1."messageThreadId"
             FROM ${s}."messageParticipant" p JOIN ${s}.message m1 ON m1.id = p."messageId" AND m1."deletedAt" IS NULL
            WHERE p."personId" IN (${people}) AND p."deletedAt" IS NULL)
   GROUP BY m."messageThreadId"
), page AS (
  SELECT id, last FROM threads ORDER BY last DESC NULLS LAST, id LIMIT $3 OFFSET $4
)
SELECT (SELECT count(*)::int FROM threads) AS total, page.id, stats.messages, first.subject, latest.body,
       to_char(latest."receivedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt",
       shared.rank, coalesce(shared.owned, false) AS owned, senders.list AS senders
  FROM (SELECT 1) one
  LEFT JOIN page ON true
  LEFT JOIN LATERAL (SELECT count(*)::int AS messages FROM ${s}.message m WHERE m."messageThreadId" = page.id AND m."deletedAt" IS NULL) stats ON true
  LEFT JOIN LATERAL (SELECT m.subject FROM ${s}.message m WHERE m."messageThreadId" = page.id AND m."deletedAt" IS NULL
                      ORDER BY m."receivedAt" ASC NULLS LAST, m.id LIMIT 1) first ON true
  LEFT JOIN LATERAL (SELECT m.text AS body, m."receivedAt" FROM ${s}.message m WHERE m."messageThreadId" = page.id AND m."deletedAt" IS NULL
                      ORDER BY m."receivedAt" DESC NULLS LAST, m.id DESC LIMIT 1) latest ON true
  LEFT JOIN LATERAL (
    SELECT max(${visibilityRank("c")}) AS rank, bool_or(ca."accountOwnerId" = $2::uuid) AS owned
      FROM ${s}.message m
      JOIN ${s}."messageChannelMessageAssociation" a ON a."messageId" = m.id AND a."deletedAt" IS NULL
      JOIN ${s}."messageChannel" c ON c.id = a."messageChannelId" AND c."deletedAt" IS NULL
      LEFT JOIN ${s}."connectedAccount" ca ON ca.id = c."connectedAccountId" AND ca."deletedAt" IS NULL
     WHERE m."messageThreadId" = page.id AND m."deletedAt" IS NULL) shared ON true
  LEFT JOIN LATERAL (
    SELECT json_agg(x.participant ORDER BY x."receivedAt" NULLS LAST, x.handle) AS list FROM (
      SELECT DISTINCT ON (p.handle) p.handle, m."receivedAt", ${participantJson("p", "per", "wm")} AS participant
        FROM ${s}."messageParticipant" p
        JOIN ${s}.message m ON m.id = p."messageId" AND m."deletedAt" IS NULL
        LEFT JOIN ${s}.person per ON per.id = p."personId" AND per."deletedAt" IS NULL
        LEFT JOIN ${s}."workspaceMember" wm ON wm.id = p."workspaceMemberId" AND wm."deletedAt" IS NULL
       WHERE m."messageThreadId" = page.id AND p.role = 'FROM' AND p."deletedAt" IS NULL
       ORDER BY p.handle, m."receivedAt" ASC NULLS LAST) x) senders ON true
 ORDER BY page.last DESC NULLS LAST, page.id`
}

const NOBODY: TimelineParticipant = {
  personId: null, workspaceMemberId: null, firstName: "", lastName: "", displayName: "", avatarUrl: "", handle: ""
}

/** Twenty's extractParticipantSummary: the first sender, then the last one and the one before it, by handle. */
export const participantSummary = (senders: ReadonlyArray<TimelineParticipant>) => {
  const first = senders[0] ?? NOBODY
  const others = senders.filter((p) => p.handle !== first.handle)
  const last = others.at(-1)
  const beforeLast = last ? others.filter((p) => p.handle !== last.handle).at(-1) : undefined
  return {
    firstParticipant: first,
    lastTwoParticipants: [...(last ? [last] : []), ...(beforeLast ? [beforeLast] : [])],
    participantCount: senders.length
  }
}

const threadOf = (row: ThreadRow): TimelineThread => {
  const visibility = messageVisibility(row.owned, row.rank)
  return {
    id: row.id!,
    read: true,
    visibility,
    ...participantSummary(row.senders ?? []),
    lastMessageReceivedAt: row.receivedAt ?? new Date().toISOString(),
    lastMessageBody: maskedBody(visibility, row.body ?? ""),
    subject: maskedSubject(visibility, row.subject ?? ""),
    numberOfMessagesInThread: row.messages
  }
}

/** Twenty's getTimelineThreadsFrom{Person,Company,Opportunity}Id, for the caller of `scope`. */
export const timelineThreads = (scope: RecordsScope, target: TimelineTarget, page: number, pageSize: number) =>
  Effect.gen(function*() {
    const offset = yield* pageOffset(page, pageSize)
    const readable = yield* readableTarget(scope, target)
    if (!readable) return { totalNumberOfThreads: 0, timelineThreads: [] } satisfies TimelineThreadsWithTotal
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.unsafe<ThreadRow>(threadsSql(readable.schema, readable.people),
      [target.id, scope.actor.workspaceMemberId, pageSize, offset])
    return {
      totalNumberOfThreads: rows[0]?.total ?? 0,
      timelineThreads: rows.filter((row) => row.id !== null).map(threadOf)
    } satisfies TimelineThreadsWithTotal
  })
