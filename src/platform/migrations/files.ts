import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Uploaded files' rows (services/files) and the workspace logo's file id. */
export const createFileTable = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
CREATE TABLE core.file (
  id uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  folder text NOT NULL,
  name text NOT NULL,
  extension text NOT NULL,
  "mimeType" text NOT NULL,
  size bigint NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'uploaded', 'ready')),
  "fieldMetadataId" uuid,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_workspace ON core.file ("workspaceId", folder);
ALTER TABLE core.workspace ADD COLUMN "logoFileId" uuid;
`)
})
