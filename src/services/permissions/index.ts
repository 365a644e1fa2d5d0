import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import { type Access, PERMISSION_DENIED_MESSAGE, type PermissionFlag, type RolePermissions } from "../../domain/permissions.js"
import { Forbidden } from "../../domain/errors.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Revocations } from "../revocations/index.js"
import { actorOf, auditEvent, recordAudit } from "../audit/outbox.js"
import { compileAccess, NO_ACCESS, UNRESTRICTED } from "./access.js"
import { ALL_FLAGS, flagsOfRole } from "./flags.js"

export { compileAccess, NO_ACCESS, UNRESTRICTED } from "./access.js"
export { flagsOfRole } from "./flags.js"

/** Cache key of one role's stored permissions; every change to a role goes through `Revocations.revoking` with it. */
export const rolePermissionsKey = (roleId: string) => `rolePermissions:${roleId}`

export interface PermissionsShape {
  /**
   * The role the caller acts with: a member's role, an API key's role, else the workspace's default role.
   * Null for the workspace's owner (full access whatever their role) or when no role exists at all.
   */
  readonly roleIdOf: (caller: WorkspaceCaller) => string | null
  /** Whether the caller is the workspace's owner (full access, cannot be removed or demoted). */
  readonly isOwner: (caller: WorkspaceCaller) => boolean
  /** One role's stored permissions, cached under the revocation epoch; null when the role does not exist. */
  readonly rolePermissions: (roleId: string) => Effect.Effect<RolePermissions | null, SqlError.SqlError>
  /** The settings and tool flags the caller holds (every flag for the owner). */
  readonly flagsOf: (caller: WorkspaceCaller) => Effect.Effect<ReadonlySet<PermissionFlag>, SqlError.SqlError>
  /** Fails with Twenty's FORBIDDEN / PERMISSION_DENIED unless the caller holds `flag`. */
  readonly requireFlag: (caller: WorkspaceCaller, flag: PermissionFlag) => Effect.Effect<void, Forbidden | SqlError.SqlError>
  /**
   * Handing a role to a member, an invitation or an API key: the workspace's default role needs nothing
   * more than the door's own flag; any other role needs ROLES too, so WORKSPACE_MEMBERS or
   * API_KEYS_AND_WEBHOOKS alone cannot mint an Admin (stricter than Twenty).
   */
  readonly requireMayAssign: (caller: WorkspaceCaller, roleId: string) => Effect.Effect<void, Forbidden | SqlError.SqlError>
  /**
   * What the records service lets the caller do, compiled for `metadata` (the workspace's current version):
   * unrestricted for the owner and roles without restriction, nothing for a caller without a role.
   * Memoized per (role, revocation epoch, metadata version).
   */
  readonly accessFor: (caller: WorkspaceCaller, metadata: WorkspaceMetadata) => Effect.Effect<Access, SqlError.SqlError>
  /** `accessFor`'s memoized answer with no lookup (for the direct paths), or undefined when it must be looked up. */
  readonly currentAccess: (caller: WorkspaceCaller, metadata: WorkspaceMetadata) => Access | undefined
}

export class Permissions extends Context.Tag("score/Permissions")<Permissions, PermissionsShape>() {}

export const permissionDenied = () => new Forbidden({ message: PERMISSION_DENIED_MESSAGE, subCode: "PERMISSION_DENIED" })

/** A json column as the driver gives it: parsed already (pg), or its text. */
const parsedJson = <A>(value: A | string): A => (typeof value === "string" ? JSON.parse(value) as A : value)

/**
 * A role and its flags and overrides in one statement (four were ~0.5 MiB of garbage and five round trips
 * on a workspace's first call): the lists as json arrays.
 */
const loadRolePermissions = (roleId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [role] = yield* sql<
      Omit<RolePermissions, "roleId" | "permissionFlags" | "objectPermissions" | "fieldPermissions" | "rowPermissions"> & {
        readonly permissionFlags: RolePermissions["permissionFlags"] | string
        readonly objectPermissions: RolePermissions["objectPermissions"] | string
        readonly fieldPermissions: RolePermissions["fieldPermissions"] | string
        readonly rowPermissions: RolePermissions["rowPermissions"] | string
      }
    >`
      SELECT r."canUpdateAllSettings", r."canAccessAllTools", r."canReadAllObjectRecords", r."canUpdateAllObjectRecords",
             r."canSoftDeleteAllObjectRecords", r."canDestroyAllObjectRecords",
             COALESCE((SELECT json_agg(p.flag ORDER BY p.flag) FROM core."permissionFlag" p WHERE p."roleId" = r.id), '[]') AS "permissionFlags",
             COALESCE((SELECT json_agg(json_build_object(
                 'objectMetadataId', o."objectMetadataId", 'canReadObjectRecords', o."canReadObjectRecords",
                 'canUpdateObjectRecords', o."canUpdateObjectRecords", 'canSoftDeleteObjectRecords', o."canSoftDeleteObjectRecords",
                 'canDestroyObjectRecords', o."canDestroyObjectRecords") ORDER BY o."objectMetadataId")
               FROM core."objectPermission" o WHERE o."roleId" = r.id), '[]') AS "objectPermissions",
             COALESCE((SELECT json_agg(json_build_object(
                 'objectMetadataId', f."objectMetadataId", 'fieldMetadataId', f."fieldMetadataId",
                 'canReadFieldValue', f."canReadFieldValue", 'canUpdateFieldValue', f."canUpdateFieldValue") ORDER BY f."fieldMetadataId")
               FROM core."fieldPermission" f WHERE f."roleId" = r.id), '[]') AS "fieldPermissions",
             COALESCE((SELECT json_agg(json_build_object('objectMetadataId', w."objectMetadataId", 'filter', w.filter) ORDER BY w."objectMetadataId")
               FROM core."rowPermission" w WHERE w."roleId" = r.id), '[]') AS "rowPermissions"
        FROM core.role r WHERE r.id = ${roleId}`
    if (!role) return null
    return {
      roleId,
      canUpdateAllSettings: role.canUpdateAllSettings,
      canAccessAllTools: role.canAccessAllTools,
      canReadAllObjectRecords: role.canReadAllObjectRecords,
      canUpdateAllObjectRecords: role.canUpdateAllObjectRecords,
      canSoftDeleteAllObjectRecords: role.canSoftDeleteAllObjectRecords,
      canDestroyAllObjectRecords: role.canDestroyAllObjectRecords,
      permissionFlags: parsedJson(role.permissionFlags),
      objectPermissions: parsedJson(role.objectPermissions),
      fieldPermissions: parsedJson(role.fieldPermissions),
      rowPermissions: parsedJson(role.rowPermissions).map((row) => ({ objectMetadataId: row.objectMetadataId, filter: parsedJson(row.filter) }))
    } satisfies RolePermissions
  })

export const PermissionsLive = Layer.effect(
  Permissions,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const revocations = yield* Revocations

    const isOwner = (caller: WorkspaceCaller) =>
      caller.kind === "user" && caller.workspace.ownerUserId !== null && caller.workspace.ownerUserId === caller.user.id

    const roleIdOf = (caller: WorkspaceCaller) => {
      if (isOwner(caller)) return null
      const own = caller.kind === "user" ? caller.userWorkspace.roleId : caller.apiKey.roleId
      return own ?? caller.workspace.defaultRoleId
    }

    const rolePermissions = (roleId: string) =>
      revocations.credential(
        rolePermissionsKey(roleId),
        Effect.provideService(loadRolePermissions(roleId), SqlClient.SqlClient, sql),
        { ttl: "5 minutes" }
      )

    const flagsOf = (caller: WorkspaceCaller) =>
      Effect.suspend(() => {
        if (isOwner(caller)) return Effect.succeed(ALL_FLAGS)
        const roleId = roleIdOf(caller)
        if (roleId === null) return Effect.succeed(new Set<PermissionFlag>())
        return Effect.map(rolePermissions(roleId), (role) => (role ? flagsOfRole(role) : new Set<PermissionFlag>()))
      })

    // A refusal is audited (permission.denied, with the flag) before it reaches the caller.
    const requireFlag = (caller: WorkspaceCaller, flag: PermissionFlag) =>
      Effect.flatMap(flagsOf(caller), (flags) =>
        flags.has(flag) ? Effect.void : Effect.zipRight(
          Effect.provideService(
            recordAudit(auditEvent("permission.denied", caller.workspace.id, actorOf(caller), { details: { flag } })),
            SqlClient.SqlClient,
            sql
          ),
          Effect.fail(permissionDenied())
        ))

    const requireMayAssign = (caller: WorkspaceCaller, roleId: string) =>
      roleId === caller.workspace.defaultRoleId ? Effect.void : requireFlag(caller, "ROLES")

    /** Compiled accesses by metadata version, then `roleId@epoch`; a new epoch drops the older entries. */
    const compiled = new WeakMap<WorkspaceMetadata, { epoch: number; byRole: Map<string, Access> }>()
    const memoOf = (metadata: WorkspaceMetadata, epoch: number) => {
      let memo = compiled.get(metadata)
      if (!memo || memo.epoch !== epoch) compiled.set(metadata, memo = { epoch, byRole: new Map() })
      return memo.byRole
    }

    const currentAccess = (caller: WorkspaceCaller, metadata: WorkspaceMetadata) => {
      if (isOwner(caller)) return UNRESTRICTED
      const roleId = roleIdOf(caller)
      if (roleId === null) return NO_ACCESS
      const epoch = revocations.epoch()
      return epoch === null ? undefined : compiled.get(metadata)?.epoch === epoch ? memoOf(metadata, epoch).get(roleId) : undefined
    }

    const accessFor = (caller: WorkspaceCaller, metadata: WorkspaceMetadata) =>
      Effect.suspend(() => {
        const known = currentAccess(caller, metadata)
        if (known) return Effect.succeed(known)
        const roleId = roleIdOf(caller)!
        const epoch = revocations.epoch()
        return Effect.map(rolePermissions(roleId), (role) => {
          const access = role ? compileAccess(role, metadata) : NO_ACCESS
          if (epoch !== null && revocations.epoch() === epoch) memoOf(metadata, epoch).set(roleId, access)
          return access
        })
      })

    return { roleIdOf, isOwner, rolePermissions, flagsOf, requireFlag, requireMayAssign, accessFor, currentAccess } satisfies PermissionsShape
  })
)
