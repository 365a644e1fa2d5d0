import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Migration } from "./core.js"

/** Twenty's approved access domains and a workspace's rotatable public invite link. */
export const signInAccessMigrations: ReadonlyArray<Migration> = [
  {
    id: 18,
    name: "approved_access_domains",
    // A workspace's email domains (Twenty's core."approvedAccessDomain"): once validated through the mail
    // sent to an address on the domain, anyone the sign-in proves owns such an address may join.
    up: Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe(`
CREATE TABLE core."approvedAccessDomain" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  domain text NOT NULL,
  "isValidated" boolean NOT NULL DEFAULT false,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT approved_access_domain_domain_workspace_unique UNIQUE (domain, "workspaceId")
);
CREATE INDEX approved_access_domain_validated_idx ON core."approvedAccessDomain" (domain) WHERE "isValidated"`))
  },
  {
    id: 19,
    name: "workspace_invite_hash_unique",
    // updateWorkspace may now set inviteHash (the link's rotation): one hash names one workspace.
    up: Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe(`CREATE UNIQUE INDEX workspace_invite_hash_unique ON core.workspace ("inviteHash")`))
  }
]
