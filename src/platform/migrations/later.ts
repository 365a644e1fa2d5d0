import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { addStandardObjects } from "../../services/metadata/standard-sync.js"
import type { Migration } from "./core.js"
import { createAnalyticsTables, createAuditLogTables } from "./audit-log.js"
import { addApplicationDependencies, createApplicationTables } from "./applications.js"
import { createFileTable } from "./files.js"
import { createImportRunTables, dropImportRowForeignKey, frameImportBatches, unlogImportRows } from "./import-runs.js"
import { createLogicFunctionTable } from "./logic-functions.js"
import { createLogicFunctionRunTable } from "./logic-function-runs.js"
import { createMailDeliveryTable } from "./mail-deliveries.js"
import { createMessagingTables } from "./messaging.js"
import { clearNullEquivalentValues } from "./null-equivalent-values.js"
import { signInAccessMigrations } from "./sign-in-access.js"
import { createTrigramIndexes } from "./trigram-indexes.js"

/** Migrations from 12 on: each names the module that holds its DDL (core.ts holds the first schema, 1–11). */
export const laterMigrations: ReadonlyArray<Migration> = [
  {
    id: 12,
    name: "null_equivalent_values",
    // '' and empty lists written before Score stored them as NULL (Twenty's null-equivalent values).
    up: clearNullEquivalentValues
  },
  {
    id: 13,
    name: "trigram_indexes",
    // pg_trgm GIN indexes on the text columns a CRM filters with ilike '%…%' (new workspaces get them at creation).
    up: createTrigramIndexes
  },
  {
    id: 14,
    name: "import_runs",
    // Bulk imports (services/imports): the run and its progress, the uploaded rows staged until the job has
    // taken them, and each refused row with its reason.
    up: createImportRunTables
  },
  {
    id: 15,
    name: "files",
    // Uploaded files: bytes in FileStorage under workspace-{workspaceId}/{folder}/{id}{extension}, one row
    // each. "pending" until its bytes arrived ("uploaded"), "ready" once completed; rows without a workspace
    // or record referencing them are swept (services/files/sweep.ts).
    up: createFileTable
  },
  {
    id: 16,
    name: "oauth_sign_in_invite_hash",
    // A sign-in started from a workspace's public invite link (Twenty's `workspaceInviteHash` in the
    // OAuth state) may join that workspace when its callback arrives.
    up: Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe(`ALTER TABLE core."oauthSignIn" ADD COLUMN "workspaceInviteHash" text`))
  },
  {
    id: 17,
    name: "workflow_objects",
    // Twenty's workflow, workflowVersion, workflowRun and workflowAutomatedTrigger for workspaces made
    // before them (new workspaces get them with the standard model). The one migration reaching into
    // services: the standard model's builder lives with the metadata service.
    up: addStandardObjects(["workflow", "workflowVersion", "workflowRun", "workflowAutomatedTrigger"])
  },
  ...signInAccessMigrations,
  { id: 28, name: "mail_deliveries", up: createMailDeliveryTable },
  {
    id: 26,
    name: "logic_functions",
    // Twenty's logic functions (workflow CODE steps): their settings and source, per workspace.
    up: createLogicFunctionTable
  },
  {
    id: 20,
    name: "event_outbox_lz4",
    // An update's event (the record before and after, some 4 KB of jsonb) is compressed as it is written:
    // pglz cost PostgreSQL about 120 µs a row, lz4 about 30 (5,000 rows, PostgreSQL 15). A server built
    // without lz4 (PGlite) keeps pglz.
    up: Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe(`DO $$ BEGIN
        ALTER TABLE core."eventOutbox" ALTER COLUMN payload SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
      END $$`))
  },
  {
    id: 21,
    name: "event_outbox_json",
    // The outbox payload as json, not jsonb: a write's one statement puts the records' JSON in as built,
    // without parsing it into jsonb (an update's statement: about 200 µs of database CPU → 187). Every
    // writer's jsonb still goes in (assignment cast); the compression stays lz4 where PostgreSQL has it.
    up: Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe(`DO $$ BEGIN
        ALTER TABLE core."eventOutbox" ALTER COLUMN payload TYPE json USING payload::json;
        BEGIN
          ALTER TABLE core."eventOutbox" ALTER COLUMN payload SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
        END;
      END $$`))
  },
  { id: 22, name: "unlogged_import_rows", up: unlogImportRows },
  { id: 34, name: "import_batch_frames", up: frameImportBatches },
  { id: 30, name: "messaging_tables", up: createMessagingTables },
  {
    id: 31,
    name: "messaging_objects",
    // Twenty's messaging and calendar objects for workspaces made before them, with their inverse relations.
    up: addStandardObjects([
      "connectedAccount", "messageChannel", "messageFolder", "messageThread", "message", "messageParticipant",
      "messageChannelMessageAssociation", "calendarChannel", "calendarEvent", "calendarEventParticipant",
      "calendarChannelEventAssociation", "blocklist"
    ])
  },
  { id: 41, name: "audit_log", up: createAuditLogTables },
  { id: 42, name: "analytics_events", up: createAnalyticsTables },
  {
    id: 46,
    name: "applications",
    // Twenty apps (services/applications): applications, their registrations and uploaded files; logic
    // functions an app owns.
    up: createApplicationTables
  },
  {
    id: 47,
    name: "logic_function_runs",
    // The runs of logic functions' cron and database-event triggers, one per tick or event.
    up: createLogicFunctionRunTable
  },
  { id: 48, name: "application_dependencies", up: addApplicationDependencies },
  { id: 49, name: "import_rows_without_foreign_key", up: dropImportRowForeignKey }
]
