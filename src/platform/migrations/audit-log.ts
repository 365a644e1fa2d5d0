import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The audit outbox (services/audit/outbox.ts: written by requests, in their transaction where they have one,
 * drained by the worker) and the PostgreSQL audit log used without CLICKHOUSE_URL. Newest first per
 * workspace is the only read order, hence the one index.
 */
export const createAuditLogTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
    CREATE TABLE core."auditOutbox" (
      id bigserial PRIMARY KEY,
      payload json NOT NULL,
      "createdAt" timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE core."auditLog" (
      id uuid PRIMARY KEY,
      "workspaceId" uuid,
      kind text NOT NULL,
      "actorType" text NOT NULL,
      "actorId" text,
      "actorName" text NOT NULL,
      "objectName" text,
      "recordId" text,
      details jsonb NOT NULL DEFAULT '{}',
      "occurredAt" timestamptz NOT NULL
    );
    CREATE INDEX "auditLog_workspace_occurredAt" ON core."auditLog" ("workspaceId", "occurredAt" DESC, id DESC)`))

/** Twenty's analytics tables (workspaceEvent, objectEvent, pageview), kept in PostgreSQL without CLICKHOUSE_URL. */
export const createAnalyticsTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
    CREATE TABLE core."workspaceEvent" (
      id uuid PRIMARY KEY, event text NOT NULL, "timestamp" timestamptz NOT NULL,
      "userId" text NOT NULL DEFAULT '', "workspaceId" text NOT NULL, properties jsonb NOT NULL DEFAULT '{}'
    );
    CREATE TABLE core."objectEvent" (
      id uuid PRIMARY KEY, event text NOT NULL, "timestamp" timestamptz NOT NULL,
      "userId" text NOT NULL DEFAULT '', "workspaceId" text NOT NULL, "recordId" text NOT NULL,
      "objectMetadataId" text NOT NULL, properties jsonb NOT NULL DEFAULT '{}'
    );
    CREATE TABLE core.pageview (
      id uuid PRIMARY KEY, name text NOT NULL, "timestamp" timestamptz NOT NULL,
      "userId" text NOT NULL DEFAULT '', "workspaceId" text NOT NULL DEFAULT '', properties jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX "workspaceEvent_workspace" ON core."workspaceEvent" ("workspaceId", event, "timestamp");
    CREATE INDEX "objectEvent_workspace" ON core."objectEvent" ("workspaceId", event, "timestamp");
    CREATE INDEX "pageview_workspace" ON core.pageview ("workspaceId", name, "timestamp")`))
