import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Score's own messaging bookkeeping, beside Twenty's records: an account's sealed credentials (never in
 * the connectedAccount record, which every API reads) and which IMAP UID of which folder holds which
 * message (a message moved or deleted on the server is found by comparing these with the folder's UIDs).
 */
export const createMessagingTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
CREATE TABLE core."connectedAccountCredential" (
  "connectedAccountId" uuid PRIMARY KEY,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  sealed text NOT NULL,
  "updatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "connectedAccountCredential_workspace_idx" ON core."connectedAccountCredential" ("workspaceId");
CREATE TABLE core."imapMessageUid" (
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "messageChannelId" uuid NOT NULL,
  folder text NOT NULL,
  "uidValidity" bigint NOT NULL,
  uid bigint NOT NULL,
  "messageExternalId" text NOT NULL,
  PRIMARY KEY ("messageChannelId", folder, uid)
);
CREATE INDEX "imapMessageUid_external_idx" ON core."imapMessageUid" ("messageChannelId", "messageExternalId");
CREATE INDEX "imapMessageUid_workspace_idx" ON core."imapMessageUid" ("workspaceId");`))
