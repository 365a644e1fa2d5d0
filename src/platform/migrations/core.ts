import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { clearNullEquivalentValues } from "./null-equivalent-values.js"
import { seedMissingViews } from "./standard-views.js"
import { addStandardObjects } from "../../services/metadata/standard-sync.js"
import { createTrigramIndexes } from "./trigram-indexes.js"
import { createImportRunTables } from "./import-runs.js"
import { createFileTable } from "./files.js"
import { createMessagingTables } from "./messaging.js"

export interface Migration {
  readonly id: number
  readonly name: string
  readonly up: Effect.Effect<unknown, unknown, SqlClient.SqlClient>
}

const timestamps = `
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now()`

/** The `core` schema, in order. Never edit a migration that has shipped: add one. */
export const coreMigrations: ReadonlyArray<Migration> = [
  {
    id: 1,
    name: "accounts_and_workspaces",
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core.workspace (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "displayName" text,
  subdomain text NOT NULL,
  logo text,
  "inviteHash" text NOT NULL DEFAULT md5(random()::text),
  "activationStatus" text NOT NULL DEFAULT 'ACTIVE',
  "defaultRoleId" uuid,
  "metadataVersion" integer NOT NULL DEFAULT 1,
  "allowImpersonation" boolean NOT NULL DEFAULT true,
  "isPublicInviteLinkEnabled" boolean NOT NULL DEFAULT true,${timestamps},
  "deletedAt" timestamptz,
  CONSTRAINT workspace_activation_status CHECK ("activationStatus" IN
    ('PENDING_CREATION', 'ONGOING_CREATION', 'ACTIVE', 'INACTIVE', 'SUSPENDED'))
);
CREATE UNIQUE INDEX workspace_subdomain_key ON core.workspace (lower(subdomain));

CREATE TABLE core."user" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "firstName" text NOT NULL DEFAULT '',
  "lastName" text NOT NULL DEFAULT '',
  email text NOT NULL,
  "passwordHash" text,
  "isEmailVerified" boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  "canImpersonate" boolean NOT NULL DEFAULT false,
  "canAccessFullAdminPanel" boolean NOT NULL DEFAULT false,
  locale text NOT NULL DEFAULT 'en',
  "defaultWorkspaceId" uuid REFERENCES core.workspace (id) ON DELETE SET NULL,${timestamps},
  "deletedAt" timestamptz
);
CREATE UNIQUE INDEX user_email_key ON core."user" (lower(email)) WHERE "deletedAt" IS NULL;

CREATE TABLE core.role (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "standardId" uuid,
  label text NOT NULL,
  description text,
  icon text,
  "isEditable" boolean NOT NULL DEFAULT true,
  "canUpdateAllSettings" boolean NOT NULL DEFAULT false,
  "canAccessAllTools" boolean NOT NULL DEFAULT false,
  "canReadAllObjectRecords" boolean NOT NULL DEFAULT false,
  "canUpdateAllObjectRecords" boolean NOT NULL DEFAULT false,
  "canSoftDeleteAllObjectRecords" boolean NOT NULL DEFAULT false,
  "canDestroyAllObjectRecords" boolean NOT NULL DEFAULT false,
  "canBeAssignedToUsers" boolean NOT NULL DEFAULT true,
  "canBeAssignedToAgents" boolean NOT NULL DEFAULT true,
  "canBeAssignedToApiKeys" boolean NOT NULL DEFAULT true,${timestamps},
  UNIQUE ("workspaceId", label)
);
ALTER TABLE core.workspace ADD CONSTRAINT workspace_default_role_fk
  FOREIGN KEY ("defaultRoleId") REFERENCES core.role (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE core."userWorkspace" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userId" uuid NOT NULL REFERENCES core."user" (id) ON DELETE CASCADE,
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "roleId" uuid REFERENCES core.role (id) ON DELETE SET NULL,
  locale text NOT NULL DEFAULT 'en',${timestamps},
  "deletedAt" timestamptz,
  UNIQUE ("userId", "workspaceId")
);
CREATE INDEX user_workspace_workspace_idx ON core."userWorkspace" ("workspaceId");

CREATE TABLE core."apiKey" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  name text NOT NULL,
  "expiresAt" timestamptz NOT NULL,
  "revokedAt" timestamptz,
  "roleId" uuid REFERENCES core.role (id) ON DELETE SET NULL,${timestamps}
);
CREATE INDEX api_key_workspace_idx ON core."apiKey" ("workspaceId");

CREATE TABLE core."appToken" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userId" uuid REFERENCES core."user" (id) ON DELETE CASCADE,
  "workspaceId" uuid REFERENCES core.workspace (id) ON DELETE CASCADE,
  type text NOT NULL,
  "expiresAt" timestamptz NOT NULL,
  "revokedAt" timestamptz,
  context jsonb,${timestamps},
  CONSTRAINT app_token_type CHECK (type IN
    ('RefreshToken', 'LoginToken', 'PasswordResetToken', 'InvitationToken', 'EmailVerificationToken'))
);
CREATE INDEX app_token_user_idx ON core."appToken" ("userId", type);

CREATE TABLE core."dataSource" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL UNIQUE REFERENCES core.workspace (id) ON DELETE CASCADE,
  schema text NOT NULL UNIQUE,${timestamps}
);
`)
    })
  },
  {
    id: 2,
    name: "object_and_field_metadata",
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core."objectMetadata" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "nameSingular" text NOT NULL,
  "namePlural" text NOT NULL,
  "labelSingular" text NOT NULL,
  "labelPlural" text NOT NULL,
  description text,
  icon text,
  shortcut text,
  "tableName" text NOT NULL,
  "isCustom" boolean NOT NULL DEFAULT false,
  "isActive" boolean NOT NULL DEFAULT true,
  "isSystem" boolean NOT NULL DEFAULT false,
  "isRemote" boolean NOT NULL DEFAULT false,
  "isSearchable" boolean NOT NULL DEFAULT false,
  "isUIReadOnly" boolean NOT NULL DEFAULT false,
  "isLabelSyncedWithName" boolean NOT NULL DEFAULT false,
  "labelIdentifierFieldMetadataId" uuid,
  "imageIdentifierFieldMetadataId" uuid,
  "duplicateCriteria" jsonb,${timestamps},
  UNIQUE ("workspaceId", "nameSingular"),
  UNIQUE ("workspaceId", "namePlural"),
  UNIQUE ("workspaceId", "tableName")
);

CREATE TABLE core."fieldMetadata" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "objectMetadataId" uuid NOT NULL REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  name text NOT NULL,
  label text NOT NULL,
  type text NOT NULL,
  description text,
  icon text,
  "isCustom" boolean NOT NULL DEFAULT false,
  "isActive" boolean NOT NULL DEFAULT true,
  "isSystem" boolean NOT NULL DEFAULT false,
  "isNullable" boolean NOT NULL DEFAULT true,
  "isUnique" boolean NOT NULL DEFAULT false,
  "isUIReadOnly" boolean NOT NULL DEFAULT false,
  "isLabelSyncedWithName" boolean NOT NULL DEFAULT false,
  "defaultValue" jsonb,
  options jsonb,
  settings jsonb,
  "relationType" text,
  "relationTargetObjectMetadataId" uuid REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  "relationTargetFieldMetadataId" uuid REFERENCES core."fieldMetadata" (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  "onDelete" text,
  "morphId" uuid,${timestamps},
  UNIQUE ("objectMetadataId", name),
  CONSTRAINT field_relation_type CHECK ("relationType" IN ('MANY_TO_ONE', 'ONE_TO_MANY'))
);
CREATE INDEX field_metadata_workspace_idx ON core."fieldMetadata" ("workspaceId");
ALTER TABLE core."objectMetadata"
  ADD FOREIGN KEY ("labelIdentifierFieldMetadataId") REFERENCES core."fieldMetadata" (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  ADD FOREIGN KEY ("imageIdentifierFieldMetadataId") REFERENCES core."fieldMetadata" (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
`)
    })
  },
  {
    id: 3,
    name: "metadata_foreign_key_indexes",
    // Without them, deleting a workspace scans the whole field table once per deleted row.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE INDEX field_metadata_object_idx ON core."fieldMetadata" ("objectMetadataId");
CREATE INDEX field_metadata_relation_target_field_idx ON core."fieldMetadata" ("relationTargetFieldMetadataId")
  WHERE "relationTargetFieldMetadataId" IS NOT NULL;
CREATE INDEX field_metadata_relation_target_object_idx ON core."fieldMetadata" ("relationTargetObjectMetadataId")
  WHERE "relationTargetObjectMetadataId" IS NOT NULL;
CREATE INDEX object_metadata_label_identifier_idx ON core."objectMetadata" ("labelIdentifierFieldMetadataId")
  WHERE "labelIdentifierFieldMetadataId" IS NOT NULL;
CREATE INDEX object_metadata_image_identifier_idx ON core."objectMetadata" ("imageIdentifierFieldMetadataId")
  WHERE "imageIdentifierFieldMetadataId" IS NOT NULL;
CREATE INDEX role_workspace_idx ON core.role ("workspaceId");
CREATE INDEX app_token_workspace_idx ON core."appToken" ("workspaceId") WHERE "workspaceId" IS NOT NULL;
CREATE INDEX user_default_workspace_idx ON core."user" ("defaultWorkspaceId") WHERE "defaultWorkspaceId" IS NOT NULL;
CREATE INDEX user_workspace_role_idx ON core."userWorkspace" ("roleId") WHERE "roleId" IS NOT NULL;
CREATE INDEX api_key_role_idx ON core."apiKey" ("roleId") WHERE "roleId" IS NOT NULL;
`)
    })
  },
  {
    id: 4,
    name: "event_outbox",
    // Record events are written in the same transaction as the record (a transactional outbox) and
    // relayed to the job queue afterwards, so none is lost between commit and enqueue.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core."eventOutbox" (
  id bigserial PRIMARY KEY,
  "workspaceId" uuid NOT NULL,
  name text NOT NULL,
  "recordId" uuid NOT NULL,
  payload jsonb NOT NULL,
  "createdAt" timestamptz NOT NULL DEFAULT now()
);
`)
    })
  },
  {
    id: 5,
    name: "webhooks",
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core.webhook (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "targetUrl" text NOT NULL,
  operations text[] NOT NULL DEFAULT ARRAY['*.*'],
  description text,
  secret text NOT NULL DEFAULT '',${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX webhook_workspace_idx ON core.webhook ("workspaceId") WHERE "deletedAt" IS NULL;

CREATE TABLE core."webhookDelivery" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "webhookId" uuid NOT NULL REFERENCES core.webhook (id) ON DELETE CASCADE,
  "workspaceId" uuid NOT NULL,
  "eventName" text NOT NULL,
  "recordId" uuid,
  attempt integer NOT NULL,
  success boolean NOT NULL,
  "responseStatus" integer,
  error text,
  "durationMs" integer NOT NULL,
  "createdAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_delivery_webhook_idx ON core."webhookDelivery" ("webhookId", "createdAt" DESC);
`)
    })
  },
  {
    id: 6,
    name: "revocation_epoch_and_sessions",
    // One row moved by every revocation in its own transaction (see services/revocations); a session
    // groups a sign-in's rotated refresh tokens and the access tokens issued with them.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core."revocationEpoch" (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch bigint NOT NULL
);
INSERT INTO core."revocationEpoch" (epoch) VALUES (0);

CREATE TABLE core."authSession" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userId" uuid NOT NULL REFERENCES core."user" (id) ON DELETE CASCADE,
  "revokedAt" timestamptz,${timestamps}
);
CREATE INDEX auth_session_user_idx ON core."authSession" ("userId") WHERE "revokedAt" IS NULL;
ALTER TABLE core."appToken" ADD COLUMN "sessionId" uuid REFERENCES core."authSession" (id) ON DELETE CASCADE;
CREATE INDEX app_token_session_idx ON core."appToken" ("sessionId") WHERE "sessionId" IS NOT NULL;
`)
    })
  },
  {
    id: 7,
    name: "permissions",
    // Twenty's role permissions: per-object overrides of the role-wide can*AllObjectRecords flags,
    // per-field restrictions (only false is meaningful), settings/tool flags, and Score's row
    // permissions (a record filter per role and object, ANDed into every read and write).
    // The Guest role is added to existing workspaces; the workspace's owner is its creator.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core."objectPermission" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "roleId" uuid NOT NULL REFERENCES core.role (id) ON DELETE CASCADE,
  "objectMetadataId" uuid NOT NULL REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  "canReadObjectRecords" boolean,
  "canUpdateObjectRecords" boolean,
  "canSoftDeleteObjectRecords" boolean,
  "canDestroyObjectRecords" boolean,${timestamps},
  UNIQUE ("roleId", "objectMetadataId")
);
CREATE INDEX object_permission_object_idx ON core."objectPermission" ("objectMetadataId");
CREATE INDEX object_permission_workspace_idx ON core."objectPermission" ("workspaceId");

CREATE TABLE core."fieldPermission" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "roleId" uuid NOT NULL REFERENCES core.role (id) ON DELETE CASCADE,
  "objectMetadataId" uuid NOT NULL REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  "fieldMetadataId" uuid NOT NULL REFERENCES core."fieldMetadata" (id) ON DELETE CASCADE,
  "canReadFieldValue" boolean,
  "canUpdateFieldValue" boolean,${timestamps},
  UNIQUE ("roleId", "fieldMetadataId")
);
CREATE INDEX field_permission_object_idx ON core."fieldPermission" ("objectMetadataId");
CREATE INDEX field_permission_field_idx ON core."fieldPermission" ("fieldMetadataId");
CREATE INDEX field_permission_workspace_idx ON core."fieldPermission" ("workspaceId");

CREATE TABLE core."permissionFlag" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "roleId" uuid NOT NULL REFERENCES core.role (id) ON DELETE CASCADE,
  flag text NOT NULL,${timestamps},
  UNIQUE ("roleId", flag)
);
CREATE INDEX permission_flag_workspace_idx ON core."permissionFlag" ("workspaceId");

CREATE TABLE core."rowPermission" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE,
  "roleId" uuid NOT NULL REFERENCES core.role (id) ON DELETE CASCADE,
  "objectMetadataId" uuid NOT NULL REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  filter jsonb NOT NULL,${timestamps},
  UNIQUE ("roleId", "objectMetadataId")
);
CREATE INDEX row_permission_object_idx ON core."rowPermission" ("objectMetadataId");
CREATE INDEX row_permission_workspace_idx ON core."rowPermission" ("workspaceId");

ALTER TABLE core.workspace ADD COLUMN "ownerUserId" uuid REFERENCES core."user" (id) ON DELETE SET NULL;
CREATE INDEX workspace_owner_idx ON core.workspace ("ownerUserId") WHERE "ownerUserId" IS NOT NULL;
UPDATE core.workspace w SET "ownerUserId" = (
  SELECT uw."userId" FROM core."userWorkspace" uw JOIN core.role r ON r.id = uw."roleId"
   WHERE uw."workspaceId" = w.id AND uw."deletedAt" IS NULL AND r."standardId" = '20202020-0001-0001-0001-000000000001'
   ORDER BY uw."createdAt", uw.id LIMIT 1);

INSERT INTO core.role ("workspaceId", "standardId", label, description, icon, "isEditable",
  "canUpdateAllSettings", "canAccessAllTools", "canReadAllObjectRecords", "canUpdateAllObjectRecords",
  "canSoftDeleteAllObjectRecords", "canDestroyAllObjectRecords", "canBeAssignedToApiKeys")
SELECT w.id, '20202020-0003-0001-0001-000000000003', 'Guest', 'Guest role: reads records, changes nothing', 'IconUserQuestion',
  false, false, false, true, false, false, false, true
  FROM core.workspace w
 WHERE NOT EXISTS (SELECT 1 FROM core.role r WHERE r."workspaceId" = w.id AND r."standardId" = '20202020-0003-0001-0001-000000000003')
   AND NOT EXISTS (SELECT 1 FROM core.role r WHERE r."workspaceId" = w.id AND r.label = 'Guest');
`)
    })
  },
  {
    id: 8,
    name: "invitations",
    // Invitation tokens (core."appToken" type InvitationToken, context { email, roleId }) are looked up by
    // the SHA-256 of the token the mail carries (`value`); the token itself is never stored.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
ALTER TABLE core."appToken" ADD COLUMN value text;
CREATE UNIQUE INDEX app_token_value_key ON core."appToken" (type, value) WHERE value IS NOT NULL;
CREATE UNIQUE INDEX app_token_invitation_email_key ON core."appToken" ("workspaceId", lower(context->>'email'))
  WHERE type = 'InvitationToken';
`)
    })
  },
  {
    id: 9,
    name: "views",
    // Twenty's saved views, core metadata as in current Twenty (view, viewField, viewFilter, viewFilterGroup,
    // viewSort, viewGroup, viewFieldGroup). `delete*` sets deletedAt, `destroy*` removes the row.
    // Existing workspaces get the standard views, and their custom objects an index view.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const common = `
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace (id) ON DELETE CASCADE`
      const child = `${common},
  "viewId" uuid NOT NULL REFERENCES core.view (id) ON DELETE CASCADE`
      const field = (onDelete: string) => `REFERENCES core."fieldMetadata" (id) ON DELETE ${onDelete}`
      yield* sql.unsafe(`
CREATE TABLE core.view (${common},
  "objectMetadataId" uuid NOT NULL REFERENCES core."objectMetadata" (id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL DEFAULT 'TABLE',
  key text,
  icon text NOT NULL,
  position double precision NOT NULL DEFAULT 0,
  "isCompact" boolean NOT NULL DEFAULT false,
  "isCustom" boolean NOT NULL DEFAULT true,
  "openRecordIn" text NOT NULL DEFAULT 'SIDE_PANEL',
  "kanbanAggregateOperation" text,
  "kanbanAggregateOperationFieldMetadataId" uuid ${field("SET NULL")},
  "mainGroupByFieldMetadataId" uuid ${field("SET NULL")},
  "shouldHideEmptyGroups" boolean NOT NULL DEFAULT false,
  "kanbanColumnWidth" integer,
  "calendarFieldMetadataId" uuid ${field("SET NULL")},
  "calendarLayout" text,
  "anyFieldFilterValue" text,
  visibility text NOT NULL DEFAULT 'WORKSPACE',
  "createdByUserWorkspaceId" uuid,
  "isActive" boolean NOT NULL DEFAULT true,${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX view_workspace_object_idx ON core.view ("workspaceId", "objectMetadataId");

CREATE TABLE core."viewFieldGroup" (${child},
  name text NOT NULL,
  position double precision NOT NULL DEFAULT 0,
  "isVisible" boolean NOT NULL DEFAULT true,
  "isActive" boolean NOT NULL DEFAULT true,${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX view_field_group_view_idx ON core."viewFieldGroup" ("viewId");

CREATE TABLE core."viewField" (${child},
  "fieldMetadataId" uuid NOT NULL ${field("CASCADE")},
  "isVisible" boolean NOT NULL DEFAULT true,
  size double precision NOT NULL DEFAULT 0,
  position double precision NOT NULL DEFAULT 0,
  "aggregateOperation" text,
  "viewFieldGroupId" uuid REFERENCES core."viewFieldGroup" (id) ON DELETE SET NULL,
  "isActive" boolean NOT NULL DEFAULT true,${timestamps},
  "deletedAt" timestamptz
);
CREATE UNIQUE INDEX view_field_unique_idx ON core."viewField" ("viewId", "fieldMetadataId") WHERE "deletedAt" IS NULL;
CREATE INDEX view_field_field_idx ON core."viewField" ("fieldMetadataId");

CREATE TABLE core."viewFilterGroup" (${child},
  "parentViewFilterGroupId" uuid REFERENCES core."viewFilterGroup" (id) ON DELETE CASCADE,
  "logicalOperator" text NOT NULL DEFAULT 'AND',
  "positionInViewFilterGroup" double precision,${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX view_filter_group_view_idx ON core."viewFilterGroup" ("viewId");

CREATE TABLE core."viewFilter" (${child},
  "fieldMetadataId" uuid NOT NULL ${field("CASCADE")},
  operand text NOT NULL DEFAULT 'IS',
  value jsonb NOT NULL,
  "viewFilterGroupId" uuid REFERENCES core."viewFilterGroup" (id) ON DELETE CASCADE,
  "positionInViewFilterGroup" double precision,
  "subFieldName" text,
  "relationTargetFieldMetadataId" uuid ${field("SET NULL")},${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX view_filter_view_idx ON core."viewFilter" ("viewId");
CREATE INDEX view_filter_field_idx ON core."viewFilter" ("fieldMetadataId");

CREATE TABLE core."viewSort" (${child},
  "fieldMetadataId" uuid NOT NULL ${field("CASCADE")},
  direction text NOT NULL DEFAULT 'ASC',
  "subFieldName" text,${timestamps},
  "deletedAt" timestamptz
);
CREATE UNIQUE INDEX view_sort_unique_idx ON core."viewSort" ("viewId", "fieldMetadataId") WHERE "deletedAt" IS NULL;
CREATE INDEX view_sort_field_idx ON core."viewSort" ("fieldMetadataId");

CREATE TABLE core."viewGroup" (${child},
  "fieldMetadataId" uuid ${field("CASCADE")},
  "isVisible" boolean NOT NULL DEFAULT true,
  "fieldValue" text NOT NULL,
  position double precision NOT NULL DEFAULT 0,${timestamps},
  "deletedAt" timestamptz
);
CREATE INDEX view_group_view_idx ON core."viewGroup" ("viewId");
`)
      yield* seedMissingViews(null)
    })
  },
  {
    id: 10,
    name: "two_factor_authentication",
    // TOTP secrets are AES-GCM sealed with a key derived from APP_SECRET (services/auth/secret-box.ts);
    // "lastUsedStep" is the last accepted time step, so a code is never accepted twice.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
ALTER TABLE core.workspace ADD COLUMN "isTwoFactorAuthenticationEnforced" boolean NOT NULL DEFAULT false;
CREATE TABLE core."twoFactorAuthenticationMethod" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userWorkspaceId" uuid NOT NULL REFERENCES core."userWorkspace"(id) ON DELETE CASCADE,
  strategy text NOT NULL DEFAULT 'TOTP',
  status text NOT NULL DEFAULT 'PENDING',
  secret text NOT NULL,
  "lastUsedStep" bigint,${timestamps},
  UNIQUE ("userWorkspaceId", strategy)
);
CREATE TABLE core."twoFactorAuthenticationRecoveryCode" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "userWorkspaceId" uuid NOT NULL REFERENCES core."userWorkspace"(id) ON DELETE CASCADE,
  "codeHash" text NOT NULL,
  "issuedByUserId" uuid,
  "expiresAt" timestamptz NOT NULL,
  "usedAt" timestamptz,
  "revokedAt" timestamptz,${timestamps}
);
CREATE UNIQUE INDEX two_factor_recovery_code_pending_key ON core."twoFactorAuthenticationRecoveryCode" ("userWorkspaceId")
  WHERE "usedAt" IS NULL AND "revokedAt" IS NULL;
`)
    })
  },
  {
    id: 11,
    name: "sso",
    // Twenty's workspace SSO identity providers (the client secret sealed by SecretBox), and the pending
    // OAuth sign-ins: one row per state (stored as its SHA-256), deleted when its callback arrives.
    up: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`
CREATE TABLE core."workspaceSSOIdentityProvider" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "workspaceId" uuid NOT NULL REFERENCES core.workspace(id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL DEFAULT 'OIDC' CHECK (type IN ('OIDC', 'SAML')),
  status text NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive', 'Error')),
  issuer text NOT NULL,
  "clientID" text,
  "clientSecret" text,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspace_sso_identity_provider_workspace ON core."workspaceSSOIdentityProvider" ("workspaceId");
CREATE TABLE core."oauthSignIn" (
  "stateHash" text PRIMARY KEY,
  provider text NOT NULL,
  "identityProviderId" uuid REFERENCES core."workspaceSSOIdentityProvider"(id) ON DELETE CASCADE,
  "workspaceId" uuid REFERENCES core.workspace(id) ON DELETE CASCADE,
  "codeVerifier" text NOT NULL,
  nonce text NOT NULL,
  "expiresAt" timestamptz NOT NULL
);
`)
    })
  },
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
  {
    id: 30,
    name: "messaging_tables",
    up: createMessagingTables
  },
  {
    id: 31,
    name: "messaging_objects",
    // Twenty's messaging and calendar objects for workspaces made before them, with their inverse
    // fields on person and workspaceMember.
    up: addStandardObjects([
      "connectedAccount", "messageChannel", "messageFolder", "messageThread", "message", "messageParticipant",
      "messageChannelMessageAssociation", "calendarChannel", "calendarEvent", "calendarEventParticipant",
      "calendarChannelEventAssociation", "blocklist"
    ])
  }
]
