import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import { jsonRows } from "../../platform/lib/sql-rows.js"
import type { Role } from "../workspace/index.js"

/* Reading roles with their permissions, and workspace members with their role, for the API. */

export interface PermissionFlagRow {
  readonly id: string
  readonly roleId: string
  readonly flag: string
}

export interface ObjectPermissionRow {
  readonly id: string
  readonly roleId: string
  readonly objectMetadataId: string
  readonly canReadObjectRecords: boolean | null
  readonly canUpdateObjectRecords: boolean | null
  readonly canSoftDeleteObjectRecords: boolean | null
  readonly canDestroyObjectRecords: boolean | null
}

export interface FieldPermissionRow {
  readonly id: string
  readonly roleId: string
  readonly objectMetadataId: string
  readonly fieldMetadataId: string
  readonly canReadFieldValue: boolean | null
  readonly canUpdateFieldValue: boolean | null
}

export interface RowPermissionRow {
  readonly id: string
  readonly roleId: string
  readonly objectMetadataId: string
  readonly filter: Readonly<Record<string, unknown>>
}

/** A role as `getRoles` answers it. */
export interface RoleView extends Role {
  readonly permissionFlags: ReadonlyArray<PermissionFlagRow>
  readonly objectPermissions: ReadonlyArray<ObjectPermissionRow>
  readonly fieldPermissions: ReadonlyArray<FieldPermissionRow>
  readonly rowPermissions: ReadonlyArray<RowPermissionRow>
}

/** Twenty's WorkspaceMember (core API shape) with Score's owner mark. */
export interface WorkspaceMemberView {
  readonly id: string
  readonly name: { readonly firstName: string; readonly lastName: string }
  readonly userEmail: string
  readonly colorScheme: string
  readonly locale: string
  readonly avatarUrl: string | null
  readonly userId: string
  readonly userWorkspaceId: string
  /** The member's role, or the workspace's default role when none is set. */
  readonly roleId: string | null
  readonly isOwner: boolean
}

const parseFilter = (filter: unknown) => (typeof filter === "string" ? JSON.parse(filter) : filter) as RowPermissionRow["filter"]

/** Every role of the workspace (or one, with `roleId`) with its flags and object, field and row permissions. */
export const loadRoleViews = (workspaceId: string, roleId: string | null = null) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [roles, flags, objects, fields, rows] = yield* Effect.all([
      sql`SELECT * FROM core.role WHERE "workspaceId" = ${workspaceId} AND (${roleId}::uuid IS NULL OR id = ${roleId})
          ORDER BY "createdAt", label`,
      sql<PermissionFlagRow>`SELECT id, "roleId", flag FROM core."permissionFlag"
          WHERE "workspaceId" = ${workspaceId} AND (${roleId}::uuid IS NULL OR "roleId" = ${roleId}) ORDER BY flag`,
      sql<ObjectPermissionRow>`SELECT id, "roleId", "objectMetadataId", "canReadObjectRecords", "canUpdateObjectRecords",
            "canSoftDeleteObjectRecords", "canDestroyObjectRecords"
          FROM core."objectPermission"
          WHERE "workspaceId" = ${workspaceId} AND (${roleId}::uuid IS NULL OR "roleId" = ${roleId})
          ORDER BY "objectMetadataId"`,
      sql<FieldPermissionRow>`SELECT id, "roleId", "objectMetadataId", "fieldMetadataId", "canReadFieldValue", "canUpdateFieldValue"
          FROM core."fieldPermission"
          WHERE "workspaceId" = ${workspaceId} AND (${roleId}::uuid IS NULL OR "roleId" = ${roleId})
          ORDER BY "objectMetadataId", "fieldMetadataId"`,
      sql<RowPermissionRow>`SELECT id, "roleId", "objectMetadataId", filter FROM core."rowPermission"
          WHERE "workspaceId" = ${workspaceId} AND (${roleId}::uuid IS NULL OR "roleId" = ${roleId})
          ORDER BY "objectMetadataId"`
    ])
    const of = <T extends { readonly roleId: string }>(list: ReadonlyArray<T>, id: string) => list.filter((r) => r.roleId === id)
    return jsonRows<Role>(roles).map((role): RoleView => ({
      ...role,
      permissionFlags: of(flags, role.id),
      objectPermissions: of(objects, role.id),
      fieldPermissions: of(fields, role.id),
      rowPermissions: of(rows, role.id).map((row) => ({ ...row, filter: parseFilter(row.filter) }))
    }))
  })

export type MemberFilter =
  | { readonly byRole: string }
  | { readonly byMember: string }
  | { readonly byUser: string }

/** Active members of the workspace (a workspaceMember record with a live membership), filtered. */
export const loadMembers = (
  workspaceId: string,
  schema: string,
  filter: MemberFilter
): Effect.Effect<ReadonlyArray<WorkspaceMemberView>, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const roleId = "byRole" in filter ? filter.byRole : null
    const memberId = "byMember" in filter ? filter.byMember : null
    const userId = "byUser" in filter ? filter.byUser : null
    const rows = yield* sql<{
      id: string
      nameFirstName: string | null
      nameLastName: string | null
      userEmail: string | null
      colorScheme: string | null
      locale: string | null
      avatarUrl: string | null
      userId: string
      userWorkspaceId: string
      roleId: string | null
      isOwner: boolean
    }>`
      SELECT m.id, m."nameFirstName", m."nameLastName", m."userEmail", m."colorScheme", m.locale, m."avatarUrl",
             m."userId", uw.id AS "userWorkspaceId", COALESCE(uw."roleId", w."defaultRoleId") AS "roleId",
             (w."ownerUserId" IS NOT NULL AND w."ownerUserId" = m."userId") AS "isOwner"
        FROM ${sql(schema)}."workspaceMember" m
        JOIN core."userWorkspace" uw ON uw."userId" = m."userId" AND uw."workspaceId" = ${workspaceId} AND uw."deletedAt" IS NULL
        JOIN core.workspace w ON w.id = uw."workspaceId"
       WHERE m."deletedAt" IS NULL
         AND (${roleId}::uuid IS NULL OR COALESCE(uw."roleId", w."defaultRoleId") = ${roleId})
         AND (${memberId}::uuid IS NULL OR m.id = ${memberId})
         AND (${userId}::uuid IS NULL OR m."userId" = ${userId})
       ORDER BY m."createdAt", m.id`
    return rows.map((row) => ({
      id: row.id,
      name: { firstName: row.nameFirstName ?? "", lastName: row.nameLastName ?? "" },
      userEmail: row.userEmail ?? "",
      colorScheme: row.colorScheme ?? "System",
      locale: row.locale ?? "en",
      avatarUrl: row.avatarUrl,
      userId: row.userId,
      userWorkspaceId: row.userWorkspaceId,
      roleId: row.roleId,
      isOwner: row.isOwner
    }))
  })

export interface ApiKeyForRole {
  readonly id: string
  readonly name: string
  readonly expiresAt: string
  readonly revokedAt: string | null
}

export const loadApiKeysOfRole = (workspaceId: string, roleId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql`SELECT k.id, k.name, k."expiresAt", k."revokedAt" FROM core."apiKey" k JOIN core.workspace w ON w.id = k."workspaceId"
          WHERE k."workspaceId" = ${workspaceId} AND COALESCE(k."roleId", w."defaultRoleId") = ${roleId}
          ORDER BY k."createdAt"`,
      jsonRows<ApiKeyForRole>
    ))
