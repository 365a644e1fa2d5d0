import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { FIELD_RESTRICTED, visibilityRank } from "../mail-timeline/visibility.js"
import { ident } from "../metadata/columns.js"
import type { Models } from "./models.js"
import type { Connection, RecordsScope, RecordValue } from "./types.js"

/*
 * Twenty's message and calendarEvent find-many / find-one post-query hooks
 * (apply-messages-visibility-restrictions, apply-calendar-events-visibility-restrictions): content is
 * stored whole and masked when a request reads it. A reader who owns the account of one of the record's
 * channels sees everything; others see what the most generous channel shares. Only the records a query
 * asks for at its root are masked, as Twenty's hooks are (nested reads are not).
 */

interface Rule {
  /** Fields masked at each visibility rank below sharing everything (index = rank). */
  readonly masked: ReadonlyArray<ReadonlyArray<string>>
  readonly sql: (schema: string) => string
}

const s = ident

const RULES: Readonly<Record<string, Rule>> = {
  message: {
    masked: [["subject", "text"], ["text"]],
    sql: (schema) => `
      SELECT m.id, coalesce(max(${visibilityRank("c")}), 0) AS rank, coalesce(bool_or(ca."accountOwnerId" = $2::uuid), false) AS owned
        FROM unnest($1::uuid[]) AS m(id)
        LEFT JOIN ${s(schema)}."messageChannelMessageAssociation" a ON a."messageId" = m.id AND a."deletedAt" IS NULL
        LEFT JOIN ${s(schema)}."messageChannel" c ON c.id = a."messageChannelId" AND c."deletedAt" IS NULL
        LEFT JOIN ${s(schema)}."connectedAccount" ca ON ca.id = c."connectedAccountId" AND ca."deletedAt" IS NULL
       GROUP BY m.id`
  },
  calendarEvent: {
    masked: [["title", "description"]],
    sql: (schema) => `
      SELECT e.id, CASE WHEN bool_or(c.visibility = 'SHARE_EVERYTHING') THEN 2 ELSE 0 END AS rank,
             coalesce(bool_or(ca."accountOwnerId" = $2::uuid), false) AS owned
        FROM unnest($1::uuid[]) AS e(id)
        LEFT JOIN ${s(schema)}."calendarChannelEventAssociation" a ON a."calendarEventId" = e.id AND a."deletedAt" IS NULL
        LEFT JOIN ${s(schema)}."calendarChannel" c ON c.id = a."calendarChannelId" AND c."deletedAt" IS NULL
        LEFT JOIN ${s(schema)}."connectedAccount" ca ON ca.id = c."connectedAccountId" AND ca."deletedAt" IS NULL
       GROUP BY e.id`
  }
}

/** Reads by a request's caller (a member or an API key) of an object with masked content; the system reads all. */
export const masksContent = (scope: RecordsScope, objectName: string) =>
  (scope.actor.source === "MANUAL" || scope.actor.source === "API") && objectName in RULES

/** Masks, in place, the content fields of `records` (which always carry their id) the caller may not see. */
export const makeContentMasks = (sql: SqlClient.SqlClient, models: Models) => {
  const mask = (scope: RecordsScope, objectName: string, records: ReadonlyArray<RecordValue>) =>
    Effect.gen(function*() {
      const rule = RULES[objectName]!
      const fields = rule.masked.flat()
      const shown = records.filter((record) => fields.some((field) => field in record))
      if (shown.length > 0) {
        const model = yield* models.modelFor(scope.workspaceId)
        const rows = yield* sql.unsafe<{ id: string; rank: number; owned: boolean }>(rule.sql(model.metadata.schema),
          [shown.map((record) => record["id"]), scope.actor.source === "MANUAL" ? scope.actor.workspaceMemberId : null])
        const byId = new Map(rows.map((row) => [row.id, row]))
        for (const record of shown) {
          const row = byId.get(record["id"] as string)
          if (!row || row.owned) continue
          for (const field of rule.masked[row.rank] ?? []) if (field in record) record[field] = FIELD_RESTRICTED
        }
      }
    })

  const connection = (scope: RecordsScope, objectName: string, answer: Connection) =>
    Effect.as(mask(scope, objectName, answer.edges.map((edge) => edge.node)), answer)

  const record = (scope: RecordsScope, objectName: string, answer: RecordValue | null) =>
    answer === null ? Effect.succeed(null) : Effect.as(mask(scope, objectName, [answer]), answer)

  return { connection, record }
}
