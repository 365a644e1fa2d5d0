import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import type { AnalyticsEvent, AuditEvent } from "../../domain/audit.js"
import { AuditLog, AuditStoreUnavailable } from "./index.js"
import { eventOfRow, type AuditRow } from "./rows.js"

const unavailable = (cause: unknown) => new AuditStoreUnavailable({ message: "PostgreSQL audit log unavailable", cause })

const iso = (ms: number) => new Date(ms).toISOString()

/** The audit log and analytics tables in PostgreSQL (migrations 41, 42): the embedded start needs nothing more. */
export const AuditLogPostgres = Layer.effect(
  AuditLog,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const writeAnalytics = (table: AnalyticsEvent["table"], events: ReadonlyArray<AnalyticsEvent>) => {
      if (events.length === 0) return Effect.void
      const base = (e: AnalyticsEvent) => ({
        id: e.id,
        timestamp: iso(e.occurredAt),
        userId: e.userId,
        workspaceId: e.workspaceId,
        properties: JSON.stringify(e.properties)
      })
      const rows = table === "pageview"
        ? events.map((e) => ({ ...base(e), name: e.name }))
        : table === "objectEvent"
        ? events.map((e) => ({ ...base(e), event: e.name, recordId: e.recordId, objectMetadataId: e.objectMetadataId }))
        : events.map((e) => ({ ...base(e), event: e.name }))
      return sql`INSERT INTO core.${sql(table)} ${sql.insert(rows)} ON CONFLICT (id) DO NOTHING`
    }
    const writeAudit = (events: ReadonlyArray<AuditEvent>) =>
      events.length === 0 ? Effect.void : sql`INSERT INTO core."auditLog" ${
        sql.insert(events.map((e) => ({
          id: e.id,
          workspaceId: e.workspaceId,
          kind: e.kind,
          actorType: e.actor.type,
          actorId: e.actor.id,
          actorName: e.actor.name,
          objectName: e.objectName,
          recordId: e.recordId,
          details: JSON.stringify(e.details),
          occurredAt: iso(e.occurredAt)
        })))
      } ON CONFLICT (id) DO NOTHING`
    return AuditLog.of({
      backend: "postgresql",
      write: (audit, analytics) =>
        Effect.all([
          writeAudit(audit),
          ...(["workspaceEvent", "objectEvent", "pageview"] as const).map((table) =>
            writeAnalytics(table, analytics.filter((e) => e.table === table)))
        ], { discard: true }).pipe(Effect.mapError(unavailable)),
      list: (workspaceId, filter, first, cursor) =>
        sql<AuditRow>`
          SELECT id, "workspaceId", kind, "actorType", "actorId", "actorName", "objectName", "recordId",
                 details, (extract(epoch FROM "occurredAt") * 1000)::float8 AS "occurredAt"
            FROM core."auditLog"
           WHERE ${sql.and([
             sql`"workspaceId" = ${workspaceId}`,
             ...(filter.actorId !== undefined ? [sql`"actorId" = ${filter.actorId}`] : []),
             ...(filter.kind !== undefined ? [sql`kind = ${filter.kind}`] : []),
             ...(filter.objectName !== undefined ? [sql`"objectName" = ${filter.objectName}`] : []),
             ...(filter.from !== undefined ? [sql`"occurredAt" >= ${iso(filter.from)}`] : []),
             ...(filter.to !== undefined ? [sql`"occurredAt" < ${iso(filter.to)}`] : []),
             ...(cursor ? [sql`("occurredAt", id) < (${iso(cursor.occurredAt)}::timestamptz, ${cursor.id}::uuid)`] : [])
           ])}
           ORDER BY "occurredAt" DESC, id DESC
           LIMIT ${first + 1}`.pipe(
          Effect.map((rows) => ({ events: rows.slice(0, first).map(eventOfRow), hasNextPage: rows.length > first })),
          Effect.mapError(unavailable)
        ),
      countAnalytics: (table, workspaceId) =>
        sql<{ count: number }>`SELECT count(*)::int AS count FROM core.${sql(table)} WHERE "workspaceId" = ${workspaceId}`.pipe(
          Effect.map(([row]) => row?.count ?? 0),
          Effect.mapError(unavailable)
        )
    })
  })
)
