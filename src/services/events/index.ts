import { SqlClient } from "@effect/sql"
import { Duration, Effect, Schedule } from "effect"
import type { RecordAction, RecordEvent } from "../../domain/events.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { JobQueue } from "../../platform/queue/index.js"
import type { Actor } from "../records/types.js"
import { writeAuditOutbox } from "../audit/outbox.js"
import { auditOfRecordEvent } from "../audit/record-events.js"
import { eventOfOutbox, type OutboxPayload } from "./outbox.js"

export const EVENTS_QUEUE = "events"
export const RECORD_EVENT_JOB = "record-event"

/** Fields whose value differs between two depth-0 records (system timestamps and actors aside). */
export const changedFields = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  Object.keys(after).filter((key) =>
    !["updatedAt", "updatedBy"].includes(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key])
  )

export const recordEvents = (
  workspaceId: string,
  object: ObjectMetadata,
  action: RecordAction,
  actor: Actor,
  changes: ReadonlyArray<{ readonly record: Record<string, unknown>; readonly before?: Record<string, unknown> }>
): Array<RecordEvent> => {
  const occurredAt = new Date().toISOString()
  return changes.flatMap(({ record, before }) => {
    const updatedFields = before && action === "updated" ? changedFields(before, record) : undefined
    if (updatedFields && updatedFields.length === 0) return []
    return [{
      name: `${object.nameSingular}.${action}` as const,
      action,
      workspaceId,
      objectMetadataId: object.id,
      objectNameSingular: object.nameSingular,
      recordId: record["id"] as string,
      record,
      ...(before && action === "updated" ? { before } : {}),
      ...(updatedFields ? { updatedFields } : {}),
      actor,
      occurredAt
    }]
  })
}

/** Writes events in the caller's transaction: they commit (or roll back) with the records they describe. */
export const writeToOutbox = (events: ReadonlyArray<RecordEvent>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    events.length === 0
      ? Effect.void
      : sql`INSERT INTO core."eventOutbox" ${
        sql.insert(events.map((e) => ({
          workspaceId: e.workspaceId,
          name: e.name,
          recordId: e.recordId,
          payload: JSON.stringify(e)
        })))
      }`.pipe(Effect.asVoid))

const BATCH = 500

/**
 * Moves committed events from the outbox to the job queue: claimed with SKIP LOCKED (any number of
 * relays may run), enqueued, then deleted in the same transaction. If the process dies after the
 * enqueue and before the commit, the events are relayed again: delivery is at least once.
 * Returns how many events were relayed.
 */
export const relayOnce = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const queue = yield* JobQueue
  return yield* sql.withTransaction(
    Effect.gen(function*() {
      const rows = yield* sql<{ id: string; payload: OutboxPayload }>`
        SELECT id, payload FROM core."eventOutbox" ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`
      if (rows.length === 0) return 0
      const events = rows.map((row) => eventOfOutbox(row.payload))
      // The outbox id as job id: an event relayed twice (crash before the delete) is not queued twice.
      yield* queue.enqueueMany(
        EVENTS_QUEUE,
        events.map((data, i) => ({ name: RECORD_EVENT_JOB, data, options: { jobId: `event-${rows[i]!.id}`, attempts: 5 } }))
      )
      // The writes' audit rows commit with the delete: each relayed event is audited exactly once.
      yield* writeAuditOutbox(events.flatMap(auditOfRecordEvent))
      yield* sql`DELETE FROM core."eventOutbox" WHERE id IN ${sql.in(rows.map((row) => row.id))}`
      return rows.length
    })
  )
}).pipe(Effect.withSpan("Events.relayOnce"))

/** Relays forever: drains while there is work, then polls every `idle`. Queue outages are retried. */
export const runRelay = (idle: Duration.DurationInput = "50 millis") =>
  relayOnce.pipe(
    Effect.flatMap((relayed) => (relayed === BATCH ? Effect.void : Effect.sleep(idle))),
    Effect.catchAllCause((cause) =>
      Effect.logWarning("Event relay failed; retrying", cause).pipe(Effect.zipRight(Effect.sleep("1 second")))
    ),
    Effect.repeat(Schedule.forever),
    Effect.asVoid
  )
