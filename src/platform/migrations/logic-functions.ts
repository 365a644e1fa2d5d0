import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Twenty's `logicFunction` (core, one row per function and workspace). Score keeps the function's source
 * tree (Twenty's `Sources`, `{ "src/index.ts": "…" }` or nested folders) in the row rather than in file storage.
 */
export const createLogicFunctionTable = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE core."logicFunction" (
  id uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  runtime text NOT NULL DEFAULT 'nodejs22.x',
  "timeoutSeconds" integer NOT NULL DEFAULT 300 CHECK ("timeoutSeconds" >= 1 AND "timeoutSeconds" <= 900),
  "handlerName" text NOT NULL DEFAULT 'main',
  "sourceHandlerPath" text NOT NULL DEFAULT 'src/index.ts',
  "builtHandlerPath" text NOT NULL DEFAULT 'src/index.mjs',
  "toolInputSchema" jsonb,
  "isTool" boolean NOT NULL DEFAULT false,
  "cronTriggerSettings" jsonb,
  "databaseEventTriggerSettings" jsonb,
  "httpRouteTriggerSettings" jsonb,
  sources jsonb NOT NULL,
  checksum text,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX logic_function_workspace_idx ON core."logicFunction" ("workspaceId");
`))
