import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { Records } from "../records/index.js"
import { emailScope, select } from "./scope.js"

const CHUNK = 200

/**
 * Twenty's MessagingConnectedAccountDeletionCleanupJob: once an account is deleted, its channels go (and
 * with them their associations and folders), then every message no channel holds any more, the threads
 * left empty, its sealed credentials and its IMAP bookkeeping, and the calendar events no channel holds.
 */
export const cleanUpDeletedAccount = (event: RecordEvent) =>
  Effect.gen(function*() {
    if (event.objectNameSingular !== "connectedAccount" || (event.action !== "deleted" && event.action !== "destroyed")) return
    const sql = yield* SqlClient.SqlClient
    const records = yield* Records
    const scope = emailScope(event.workspaceId)
    const s = ident((yield* Effect.flatMap(Metadata, (m) => m.get(event.workspaceId))).schema)
    yield* records.destroyMany(scope, "messageChannel", { connectedAccountId: { eq: event.recordId } }, select())
    yield* records.destroyMany(scope, "calendarChannel", { connectedAccountId: { eq: event.recordId } }, select())
    yield* sql`DELETE FROM core."connectedAccountCredential" WHERE "connectedAccountId" = ${event.recordId}`
    yield* sql.unsafe(`DELETE FROM core."imapMessageUid" u WHERE u."workspaceId" = $1
                        AND NOT EXISTS (SELECT 1 FROM ${s}."messageChannel" c WHERE c.id = u."messageChannelId")`, [event.workspaceId])
    for (;;) {
      const orphans = yield* sql.unsafe<{ id: string }>(
        `SELECT m.id FROM ${s}.message m WHERE NOT EXISTS (SELECT 1 FROM ${s}."messageChannelMessageAssociation" a WHERE a."messageId" = m.id) LIMIT ${CHUNK}`)
      if (orphans.length === 0) break
      yield* records.destroyMany(scope, "message", { id: { in: orphans.map((o) => o.id) } }, select())
    }
    for (;;) {
      const empty = yield* sql.unsafe<{ id: string }>(
        `SELECT t.id FROM ${s}."messageThread" t WHERE NOT EXISTS (SELECT 1 FROM ${s}.message m WHERE m."messageThreadId" = t.id) LIMIT ${CHUNK}`)
      if (empty.length === 0) break
      yield* records.destroyMany(scope, "messageThread", { id: { in: empty.map((t) => t.id) } }, select())
    }
    // Twenty's CalendarEventCleanerConnectedAccountDeletionCleanupJob: events no calendar channel holds any more.
    for (;;) {
      const orphans = yield* sql.unsafe<{ id: string }>(
        `SELECT e.id FROM ${s}."calendarEvent" e WHERE NOT EXISTS (SELECT 1 FROM ${s}."calendarChannelEventAssociation" a WHERE a."calendarEventId" = e.id) LIMIT ${CHUNK}`)
      if (orphans.length === 0) break
      yield* records.destroyMany(scope, "calendarEvent", { id: { in: orphans.map((e) => e.id) } }, select())
    }
  })
