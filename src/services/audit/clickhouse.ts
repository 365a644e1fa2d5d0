import { Effect, Layer } from "effect"
import type { AnalyticsEvent, AuditEvent } from "../../domain/audit.js"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import { CLICKHOUSE_TABLES, literal } from "./clickhouse-tables.js"
import { AuditLog, AuditStoreUnavailable } from "./index.js"
import { eventOfRow, type AuditRow } from "./rows.js"

/** The ClickHouse client is loaded only when CLICKHOUSE_URL is set (see README "Memory"). */
const loadClickHouse = lazyModule(() => import("@clickhouse/client"))

/** 'YYYY-MM-DD hh:mm:ss' in UTC, as a DateTime('UTC') column reads it in JSONEachRow. */
const dateTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace("T", " ")

const analyticsRow = (e: AnalyticsEvent) => {
  const base = {
    id: e.id,
    timestamp: dateTime(e.occurredAt),
    occurredAt: e.occurredAt,
    userId: e.userId,
    workspaceId: e.workspaceId,
    properties: JSON.stringify(e.properties)
  }
  if (e.table === "pageview") return { ...base, name: e.name }
  if (e.table === "objectEvent") return { ...base, event: e.name, recordId: e.recordId, objectMetadataId: e.objectMetadataId }
  return { ...base, event: e.name }
}

const auditRow = (e: AuditEvent) => ({
  id: e.id,
  workspaceId: e.workspaceId ?? "",
  kind: e.kind,
  actorType: e.actor.type,
  actorId: e.actor.id ?? "",
  actorName: e.actor.name,
  objectName: e.objectName ?? "",
  recordId: e.recordId ?? "",
  details: JSON.stringify(e.details),
  occurredAt: e.occurredAt
})

/**
 * The audit log and analytics tables in ClickHouse (CLICKHOUSE_URL), through `@clickhouse/client`: batches
 * inserted as JSONEachRow. Tables are created on first use, so a ClickHouse that is down at start only
 * delays the drain (rows wait in the PostgreSQL outbox).
 */
export const AuditLogClickHouse = (url: string) =>
  Layer.scoped(
    AuditLog,
    Effect.gen(function*() {
      const { ClickHouseLogLevel, createClient } = yield* Effect.promise(loadClickHouse)
      const client = yield* Effect.acquireRelease(
        Effect.sync(() =>
          createClient({
            url,
            request_timeout: 10_000,
            max_open_connections: 4,
            log: { level: ClickHouseLogLevel.OFF }
          })
        ),
        (client) => Effect.promise(() => client.close())
      )
      const attempt = <A>(what: string, run: () => Promise<A>) =>
        Effect.tryPromise({
          try: run,
          catch: (cause) => new AuditStoreUnavailable({ message: `ClickHouse ${what} failed: ${String(cause).slice(0, 300)}`, cause })
        })
      let tablesReady = false
      const ensureTables = Effect.suspend(() =>
        tablesReady ? Effect.void : Effect.forEach(CLICKHOUSE_TABLES, (query) => attempt("create table", () => client.command({ query })), { discard: true }).pipe(
          Effect.tap(() => Effect.sync(() => { tablesReady = true }))
        )
      )
      const insert = (table: string, values: ReadonlyArray<Record<string, unknown>>) =>
        values.length === 0
          ? Effect.void
          : attempt(`insert into ${table}`, () => client.insert({ table, values: [...values], format: "JSONEachRow" }))
      const select = <Row>(query: string) =>
        Effect.zipRight(ensureTables, attempt("query", async () => (await client.query({ query, format: "JSONEachRow" })).json<Row>()))
      return AuditLog.of({
        backend: "clickhouse",
        write: (audit, analytics) =>
          Effect.gen(function*() {
            yield* ensureTables
            yield* insert("auditLog", audit.map(auditRow))
            for (const table of ["workspaceEvent", "objectEvent", "pageview"] as const) {
              yield* insert(table, analytics.filter((e) => e.table === table).map(analyticsRow))
            }
          }),
        list: (workspaceId, filter, first, cursor) => {
          const conditions = [
            `workspaceId = ${literal(workspaceId)}`,
            ...(filter.actorId !== undefined ? [`actorId = ${literal(filter.actorId)}`] : []),
            ...(filter.kind !== undefined ? [`kind = ${literal(filter.kind)}`] : []),
            ...(filter.objectName !== undefined ? [`objectName = ${literal(filter.objectName)}`] : []),
            ...(filter.from !== undefined ? [`occurredAt >= ${Math.trunc(filter.from)}`] : []),
            ...(filter.to !== undefined ? [`occurredAt < ${Math.trunc(filter.to)}`] : []),
            ...(cursor
              ? [`(occurredAt < ${Math.trunc(cursor.occurredAt)} OR (occurredAt = ${Math.trunc(cursor.occurredAt)} AND id < ${literal(cursor.id)}))`]
              : [])
          ]
          return select<AuditRow>(
            `SELECT id, workspaceId, kind, actorType, actorId, actorName, objectName, recordId, details, occurredAt
               FROM auditLog FINAL WHERE ${conditions.join(" AND ")}
              ORDER BY occurredAt DESC, id DESC LIMIT ${Math.trunc(first) + 1}`
          ).pipe(Effect.map((rows) => ({ events: rows.slice(0, first).map(eventOfRow), hasNextPage: rows.length > first })))
        },
        countAnalytics: (table, workspaceId) =>
          select<{ count: string }>(`SELECT count() AS count FROM ${table} FINAL WHERE workspaceId = ${literal(workspaceId)}`).pipe(
            Effect.map(([row]) => Number(row?.count ?? 0))
          )
      })
    })
  )
