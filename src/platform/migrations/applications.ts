import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Twenty's apps (twenty-sdk's `twenty apply`): the application of a workspace with the manifest it last
 * applied and what that created (`entities`: universal identifier → Score id, per metadata name), its
 * registration, and the built files its CLI uploaded (bytes in file storage, one row per path).
 * Logic functions an app owns name it, and go with it.
 */
export const createApplicationTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE core."applicationRegistration" (
  id uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  "universalIdentifier" uuid NOT NULL,
  name text NOT NULL,
  "oAuthClientId" text NOT NULL,
  "tarballFileId" uuid,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  UNIQUE ("workspaceId", "universalIdentifier")
);
CREATE TABLE core.application (
  id uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  "universalIdentifier" uuid NOT NULL,
  name text NOT NULL,
  "sourceType" text NOT NULL DEFAULT 'LOCAL',
  manifest jsonb,
  entities jsonb NOT NULL DEFAULT '{}',
  "apiKeyId" uuid,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  UNIQUE ("workspaceId", "universalIdentifier")
);
CREATE TABLE core."applicationFile" (
  "fileId" uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  "applicationId" uuid NOT NULL REFERENCES core.application(id) ON DELETE CASCADE,
  folder text NOT NULL,
  path text NOT NULL,
  complete boolean NOT NULL DEFAULT false,
  "createdAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_file_app_idx ON core."applicationFile" ("applicationId", path);
ALTER TABLE core."logicFunction"
  ADD COLUMN "applicationId" uuid REFERENCES core.application(id) ON DELETE CASCADE,
  ADD COLUMN "universalIdentifier" uuid;
`))

/** An app's npm dependencies (its uploaded package.json and yarn.lock), installed for its functions. */
export const addApplicationDependencies = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`ALTER TABLE core.application ADD COLUMN dependencies jsonb`))
