import { SqlClient } from "@effect/sql"
import { Duration, Effect, Schema } from "effect"
import { type AnalyticsEvent, type AuditEvent, AuditOutboxPayload } from "../../domain/audit.js"
import { AuditLog } from "./index.js"

const BATCH = 1000
const decodePayload = Schema.decodeUnknownEither(AuditOutboxPayload)

/**
 * Moves one batch from the audit outbox to the audit log: claimed with SKIP LOCKED (any number of workers
 * may drain), written, then deleted in the same transaction. A failed write (ClickHouse down) rolls the
 * claim back and the rows wait; a crash after a ClickHouse insert and before the commit writes them again,
 * which the store's idempotence absorbs. A payload that does not decode is logged and dropped.
 * Returns how many rows were taken.
 */
export const drainAuditOnce = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const log = yield* AuditLog
  return yield* sql.withTransaction(Effect.gen(function*() {
    const rows = yield* sql<{ id: string; payload: unknown }>`
      SELECT id, payload FROM core."auditOutbox" ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`
    if (rows.length === 0) return 0
    const audit: Array<AuditEvent> = []
    const analytics: Array<AnalyticsEvent> = []
    for (const row of rows) {
      const decoded = decodePayload(typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload)
      if (decoded._tag === "Left") {
        yield* Effect.logWarning(`Audit outbox row ${row.id} dropped: it does not decode`)
      } else if (decoded.right.stream === "audit") audit.push(decoded.right.event)
      else analytics.push(decoded.right.event)
    }
    yield* log.write(audit, analytics)
    yield* sql`DELETE FROM core."auditOutbox" WHERE id IN ${sql.in(rows.map((row) => row.id))}`
    return rows.length
  }))
}).pipe(Effect.withSpan("AuditLog.drainOnce"))

/**
 * Drains forever: at once while batches come full, then every `idle`. A failure (the store or PostgreSQL
 * down) is retried with a doubling pause up to 30 s; the rows stay in the outbox meanwhile.
 */
export const runAuditDrain = (idle: Duration.DurationInput = "200 millis") =>
  Effect.gen(function*() {
    let failures = 0
    while (true) {
      const taken = yield* drainAuditOnce.pipe(
        Effect.tap(() => Effect.sync(() => { failures = 0 })),
        Effect.catchAllCause((cause) =>
          Effect.gen(function*() {
            failures += 1
            if (failures === 1 || failures % 20 === 0) yield* Effect.logWarning("Audit log drain failed; the events wait in the outbox", cause)
            yield* Effect.sleep(Duration.millis(Math.min(30_000, 250 * 2 ** Math.min(failures, 7))))
            return -1
          })
        )
      )
      if (taken >= 0 && taken < BATCH) yield* Effect.sleep(idle)
    }
  })
