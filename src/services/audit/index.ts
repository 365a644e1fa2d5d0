import { Context, Data, type Effect } from "effect"
import type { AnalyticsEvent, AuditCursor, AuditEvent, AuditLogFilter, AuditLogPage } from "../../domain/audit.js"

/** The audit log's store could not be written or read (ClickHouse down, PostgreSQL refused). */
export class AuditStoreUnavailable extends Data.TaggedError("AuditStoreUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export interface AuditLogShape {
  /** Which store: "clickhouse" or "postgresql". */
  readonly backend: "clickhouse" | "postgresql"
  /**
   * Stores a batch. Idempotent: an event whose id is already stored (a drain retried after a crash)
   * is stored once. Only the worker's drain calls it, never a request.
   */
  readonly write: (
    audit: ReadonlyArray<AuditEvent>,
    analytics: ReadonlyArray<AnalyticsEvent>
  ) => Effect.Effect<void, AuditStoreUnavailable>
  /** One workspace's events, newest first, after `cursor`, at most `first`. */
  readonly list: (
    workspaceId: string,
    filter: AuditLogFilter,
    first: number,
    cursor: AuditCursor | null
  ) => Effect.Effect<AuditLogPage, AuditStoreUnavailable>
  /** How many analytics events one table holds for a workspace (tests and operators). */
  readonly countAnalytics: (
    table: AnalyticsEvent["table"],
    workspaceId: string
  ) => Effect.Effect<number, AuditStoreUnavailable>
}

/** The audit log and Twenty's analytics tables: in ClickHouse with CLICKHOUSE_URL, otherwise in PostgreSQL. */
export class AuditLog extends Context.Tag("score/AuditLog")<AuditLog, AuditLogShape>() {}
