import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { UserWorkspace, Workspace } from "../../domain/auth.js"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { Cache } from "../../platform/cache/index.js"
import { WorkspaceProvisioner } from "../metadata/provisioner.js"
import { Revocations } from "../revocations/index.js"
import { firstRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { isUniqueViolation } from "../../platform/lib/pg-errors.js"

export interface Role {
  readonly id: string
  readonly workspaceId: string
  readonly standardId: string | null
  readonly label: string
  readonly description: string | null
  readonly icon: string | null
  readonly isEditable: boolean
  readonly canUpdateAllSettings: boolean
  readonly canAccessAllTools: boolean
  readonly canReadAllObjectRecords: boolean
  readonly canUpdateAllObjectRecords: boolean
  readonly canSoftDeleteAllObjectRecords: boolean
  readonly canDestroyAllObjectRecords: boolean
  readonly canBeAssignedToUsers: boolean
  readonly canBeAssignedToAgents: boolean
  readonly canBeAssignedToApiKeys: boolean
}

export const ADMIN_ROLE_STANDARD_ID = "20202020-0001-0001-0001-000000000001"
export const MEMBER_ROLE_STANDARD_ID = "20202020-0002-0001-0001-000000000002"
/** Score's read-only standard role (Twenty documents it as an example custom role). */
export const GUEST_ROLE_STANDARD_ID = "20202020-0003-0001-0001-000000000003"

export interface CreateWorkspaceInput {
  readonly displayName: string | null
  readonly ownerUserId: string
}

export interface WorkspacesShape {
  /** Creates the workspace, its roles, its PostgreSQL schema, and makes the owner an admin member. */
  readonly create: (input: CreateWorkspaceInput) => Effect.Effect<Workspace, SqlError.SqlError>
  readonly findById: (id: string) => Effect.Effect<Workspace | null, SqlError.SqlError>
  readonly findBySubdomain: (subdomain: string) => Effect.Effect<Workspace | null, SqlError.SqlError>
  readonly update: (
    id: string,
    patch: {
      readonly displayName?: string | undefined
      readonly activationStatus?: Workspace["activationStatus"]
      readonly isTwoFactorAuthenticationEnforced?: boolean | undefined
      readonly isPublicInviteLinkEnabled?: boolean | undefined
      /** A new public invite link (Twenty's front end rotates it with a fresh UUID); links of the old one stop working. */
      readonly inviteHash?: string | undefined
      /** The uploaded logo (core.file); `logo` is then signed from it when read. */
      readonly logoFileId?: string | undefined
    }
  ) => Effect.Effect<Workspace, SqlError.SqlError | NotFound | BadUserInput>
  /** Drops the workspace's schema and every row that belongs to it. */
  readonly remove: (id: string) => Effect.Effect<void, SqlError.SqlError | NotFound>
  readonly membership: (userId: string, workspaceId: string) => Effect.Effect<UserWorkspace | null, SqlError.SqlError>
  readonly listForUser: (userId: string) => Effect.Effect<ReadonlyArray<Workspace>, SqlError.SqlError>
  readonly listMemberships: (userId: string) => Effect.Effect<ReadonlyArray<UserWorkspace>, SqlError.SqlError>
  readonly listRoles: (workspaceId: string) => Effect.Effect<ReadonlyArray<Role>, SqlError.SqlError>
  readonly findRole: (id: string) => Effect.Effect<Role | null, SqlError.SqlError>
  readonly schemaOf: (workspaceId: string) => Effect.Effect<string | null, SqlError.SqlError>
}

export class Workspaces extends Context.Tag("score/Workspaces")<Workspaces, WorkspacesShape>() {}

const CACHE_TTL = "5 minutes"
export const workspaceCacheKey = (id: string) => `workspace:${id}`
/** Credentials (read through Revocations): removing a membership or changing a role must go through `revoking`. */
export const membershipCacheKey = (userId: string, workspaceId: string) => `userWorkspace:${userId}:${workspaceId}`

const slugify = (name: string | null) =>
  (name ?? "workspace").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 40) || "workspace"

const randomSuffix = () => Math.random().toString(36).slice(2, 8)

/** Workspace schemas are named by us, never by users: `workspace_` + 24 base36 characters. */
const newSchemaName = () => `workspace_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`

const roleFlags = (all: boolean, settings: boolean, writes: boolean) => ({
  canUpdateAllSettings: settings,
  canAccessAllTools: settings,
  canReadAllObjectRecords: all,
  canUpdateAllObjectRecords: writes,
  canSoftDeleteAllObjectRecords: writes,
  canDestroyAllObjectRecords: writes
})

/** A new workspace's Admin, Member and Guest roles. */
const standardRoles = (workspaceId: string) => [
  { workspaceId, standardId: ADMIN_ROLE_STANDARD_ID, label: "Admin", description: "Admin role", icon: "IconUserCog", isEditable: false, ...roleFlags(true, true, true) },
  { workspaceId, standardId: MEMBER_ROLE_STANDARD_ID, label: "Member", description: "Member role", icon: "IconUser", isEditable: true, ...roleFlags(true, false, true) },
  {
    workspaceId,
    standardId: GUEST_ROLE_STANDARD_ID,
    label: "Guest",
    description: "Guest role: reads records, changes nothing",
    icon: "IconUserQuestion",
    isEditable: false,
    ...roleFlags(true, false, false)
  }
]

export const WorkspacesLive = Layer.effect(
  Workspaces,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const cache = yield* Cache
    const revocations = yield* Revocations
    const provisioner = yield* WorkspaceProvisioner

    const loadWorkspace = (id: string) =>
      Effect.map(sql`SELECT * FROM core.workspace WHERE id = ${id} AND "deletedAt" IS NULL`, firstRow<Workspace>)

    /** Under the revocation epoch: an ownership or default-role change reaches every instance within the poll interval. */
    const findById = (id: string) => revocations.credential(workspaceCacheKey(id), loadWorkspace(id), { ttl: CACHE_TTL })

    /** The name's slug, or the slug with a random suffix when taken (checked atomically by the insert). */
    const insertWorkspace = (displayName: string | null) =>
      Effect.gen(function*() {
        const base = slugify(displayName)
        for (const subdomain of [base, `${base}-${randomSuffix()}`, `${base}-${randomSuffix()}`]) {
          const [row] = yield* sql<{ id: string }>`
            INSERT INTO core.workspace ("displayName", subdomain, "activationStatus")
            VALUES (${displayName}, ${subdomain}, 'ACTIVE')
            ON CONFLICT DO NOTHING RETURNING id`
          if (row) return row.id
        }
        return yield* Effect.die(new Error(`No free subdomain for "${base}"`))
      })

    /** Five round trips and a transaction (the roles, the owner's membership and the schema's rows: one statement). */
    const create = (input: CreateWorkspaceInput) =>
      sql.withTransaction(
        Effect.gen(function*() {
          const workspaceId = yield* insertWorkspace(input.displayName)
          const schema = newSchemaName()
          const [owner] = yield* sql<{ email: string; firstName: string; lastName: string; locale: string }>`
            WITH roles AS (
              INSERT INTO core.role ${sql.insert(standardRoles(workspaceId))} RETURNING id, "standardId"
            ), owned AS (
              UPDATE core.workspace
                 SET "defaultRoleId" = (SELECT id FROM roles WHERE "standardId" = ${MEMBER_ROLE_STANDARD_ID}),
                     "ownerUserId" = ${input.ownerUserId}
               WHERE id = ${workspaceId}
            ), source AS (
              INSERT INTO core."dataSource" ("workspaceId", schema) VALUES (${workspaceId}, ${schema})
            ), membership AS (
              INSERT INTO core."userWorkspace" ("userId", "workspaceId", "roleId")
              SELECT ${input.ownerUserId}, ${workspaceId}, id FROM roles WHERE "standardId" = ${ADMIN_ROLE_STANDARD_ID}
            ), defaulted AS (
              UPDATE core."user" SET "defaultWorkspaceId" = ${workspaceId}, "updatedAt" = now()
               WHERE id = ${input.ownerUserId} AND "defaultWorkspaceId" IS NULL
            )
            SELECT email, "firstName", "lastName", locale FROM core."user" WHERE id = ${input.ownerUserId}`
          if (!owner) return yield* Effect.die(new Error(`Workspace owner ${input.ownerUserId} does not exist`))
          yield* provisioner.provision(workspaceId, schema, { userId: input.ownerUserId, ...owner })
          return (yield* loadWorkspace(workspaceId))!
        })
      ).pipe(
        Effect.tap(() => revocations.invalidate(`user:${input.ownerUserId}`)),
        Effect.tap(() => provisioner.replenish),
        Effect.withSpan("Workspaces.create")
      )

    const update: WorkspacesShape["update"] = (id, patch) =>
      Effect.gen(function*() {
        if (patch.displayName !== undefined && patch.displayName.trim().length === 0) {
          return yield* new BadUserInput({ message: "displayName cannot be empty", field: "displayName" })
        }
        if (patch.inviteHash !== undefined) {
          if (!/^[A-Za-z0-9_-]{8,100}$/.test(patch.inviteHash)) {
            return yield* new BadUserInput({ message: "inviteHash must be 8 to 100 letters, digits, - or _", field: "inviteHash" })
          }
        }
        const rows = yield* sql`
          UPDATE core.workspace SET
            "displayName" = COALESCE(${patch.displayName ?? null}, "displayName"),
            "activationStatus" = COALESCE(${patch.activationStatus ?? null}, "activationStatus"),
            "isTwoFactorAuthenticationEnforced" = COALESCE(${patch.isTwoFactorAuthenticationEnforced ?? null}, "isTwoFactorAuthenticationEnforced"),
            "isPublicInviteLinkEnabled" = COALESCE(${patch.isPublicInviteLinkEnabled ?? null}, "isPublicInviteLinkEnabled"),
            "inviteHash" = COALESCE(${patch.inviteHash ?? null}, "inviteHash"),
            "logoFileId" = COALESCE(${patch.logoFileId ?? null}, "logoFileId"),
            "updatedAt" = now()
          WHERE id = ${id} AND "deletedAt" IS NULL RETURNING *`.pipe(
          // The unique index decides, so two workspaces taking the same hash at once cannot both get it.
          Effect.catchIf(isUniqueViolation, () => new BadUserInput({ message: "inviteHash is already in use", field: "inviteHash" }))
        )
        const workspace = firstRow<Workspace>(rows)
        if (!workspace) return yield* new NotFound({ message: "Workspace not found" })
        yield* revocations.invalidate(workspaceCacheKey(id))
        return workspace
      })

    const remove = (id: string) =>
      sql.withTransaction(
        Effect.gen(function*() {
          const [source] = yield* sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${id}`
          const deleted = yield* sql`DELETE FROM core.workspace WHERE id = ${id} RETURNING id`
          if (deleted.length === 0) return yield* new NotFound({ message: "Workspace not found" })
          if (source) yield* sql`DROP SCHEMA IF EXISTS ${sql(source.schema)} CASCADE`
        })
      ).pipe(Effect.zipRight(revocations.invalidate(workspaceCacheKey(id))))

    const membership = (userId: string, workspaceId: string) =>
      revocations.credential(
        membershipCacheKey(userId, workspaceId),
        Effect.map(
          sql`SELECT * FROM core."userWorkspace"
              WHERE "userId" = ${userId} AND "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL`,
          firstRow<UserWorkspace>
        ),
        { ttl: CACHE_TTL }
      )

    return {
      create,
      findById,
      findBySubdomain: (subdomain) =>
        Effect.map(
          sql`SELECT * FROM core.workspace WHERE lower(subdomain) = lower(${subdomain}) AND "deletedAt" IS NULL`,
          firstRow<Workspace>
        ),
      update,
      remove,
      membership,
      listForUser: (userId) =>
        Effect.map(
          sql`SELECT w.* FROM core.workspace w JOIN core."userWorkspace" uw ON uw."workspaceId" = w.id
              WHERE uw."userId" = ${userId} AND uw."deletedAt" IS NULL AND w."deletedAt" IS NULL
              ORDER BY uw."createdAt"`,
          jsonRows<Workspace>
        ),
      listMemberships: (userId) =>
        Effect.map(
          sql`SELECT uw.* FROM core."userWorkspace" uw JOIN core.workspace w ON w.id = uw."workspaceId"
              WHERE uw."userId" = ${userId} AND uw."deletedAt" IS NULL AND w."deletedAt" IS NULL
              ORDER BY uw."createdAt"`,
          jsonRows<UserWorkspace>
        ),
      listRoles: (workspaceId) =>
        Effect.map(
          sql`SELECT * FROM core.role WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", label`,
          jsonRows<Role>
        ),
      findRole: (id) =>
        revocations.credential(`role:${id}`, Effect.map(sql`SELECT * FROM core.role WHERE id = ${id}`, firstRow<Role>), {
          ttl: CACHE_TTL
        }),
      schemaOf: (workspaceId) =>
        cache.getOrLoad(
          `dataSource:${workspaceId}`,
          Effect.map(
            sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${workspaceId}`,
            (rows) => rows[0]?.schema ?? null
          ),
          { ttl: CACHE_TTL }
        )
    }
  })
)
