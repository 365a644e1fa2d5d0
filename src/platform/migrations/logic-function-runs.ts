import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The runs of logic functions' cron and database-event triggers (services/logic-functions/triggers.ts): one
 * row per tick or event and function, its id derived from them (so a tick or event handled twice runs once),
 * with the execution's status, result and logs. Swept after a week.
 */
export const createLogicFunctionRunTable = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE core."logicFunctionRun" (
  id uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  "logicFunctionId" uuid NOT NULL REFERENCES core."logicFunction"(id) ON DELETE CASCADE,
  trigger text NOT NULL,
  status text NOT NULL DEFAULT 'RUNNING',
  data jsonb,
  logs text,
  error jsonb,
  duration integer,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "finishedAt" timestamptz
);
CREATE INDEX logic_function_run_function_idx ON core."logicFunctionRun" ("logicFunctionId", "createdAt");
CREATE INDEX logic_function_run_created_idx ON core."logicFunctionRun" ("createdAt");
CREATE INDEX logic_function_event_trigger_idx ON core."logicFunction" ("workspaceId") WHERE "databaseEventTriggerSettings" IS NOT NULL;
CREATE INDEX logic_function_cron_trigger_idx ON core."logicFunction" (id) WHERE "cronTriggerSettings" IS NOT NULL;
`))
