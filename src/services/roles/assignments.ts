import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import { PermissionsErrorCode as Code } from "../../domain/permissions.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { apiKeyCacheKey } from "../api-keys/index.js"
import { permissionDenied } from "../permissions/index.js"
import { ADMIN_ROLE_STANDARD_ID, membershipCacheKey, workspaceCacheKey } from "../workspace/index.js"
import { findRoleIn, type RolesDeps } from "./deps.js"
import { loadApiKeysOfRole, loadMembers, type MemberFilter, type WorkspaceMemberView } from "./store.js"
import { invalidArg, memberNotFound } from "./validate.js"

/* Who holds which role: members, API keys, and the workspace's ownership. */

export const makeAssignments = ({ sql, revocations, workspaces }: RolesDeps) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.provideService(effect, SqlClient.SqlClient, sql)

  const members = (workspaceId: string, filter: MemberFilter) =>
    Effect.gen(function*() {
      const schema = yield* workspaces.schemaOf(workspaceId)
      return schema === null ? [] : yield* provided(loadMembers(workspaceId, schema, filter))
    })

  const member = (workspaceId: string, workspaceMemberId: string) =>
    Effect.flatMap(
      isUuid(workspaceMemberId) ? members(workspaceId, { byMember: workspaceMemberId }) : Effect.succeed([]),
      ([found]) => (found ? Effect.succeed(found) : Effect.fail(memberNotFound()))
    )

  /** Locks the workspace row: role assignments and ownership changes of one workspace run one at a time. */
  const lockWorkspace = (workspaceId: string) =>
    Effect.map(
      sql<{ ownerUserId: string | null; defaultRoleId: string | null }>`
        SELECT "ownerUserId", "defaultRoleId" FROM core.workspace WHERE id = ${workspaceId} FOR UPDATE`,
      (rows) => rows[0] ?? { ownerUserId: null, defaultRoleId: null }
    )

  const adminRoleId = (workspaceId: string) =>
    Effect.map(
      sql<{ id: string }>`SELECT id FROM core.role WHERE "workspaceId" = ${workspaceId} AND "standardId" = ${ADMIN_ROLE_STANDARD_ID}`,
      (rows) => rows[0]?.id ?? null
    )

  /**
   * Twenty's rules: nobody changes their own role, the last Admin stays Admin; Score's: the owner keeps
   * Admin until ownership is transferred.
   */
  const updateWorkspaceMemberRole = (workspaceId: string, callerUserId: string, workspaceMemberId: string, roleId: string) =>
    Effect.gen(function*() {
      const target = yield* member(workspaceId, workspaceMemberId)
      if (target.userId === callerUserId) {
        return yield* new Forbidden({ message: "Cannot update self role", subCode: Code.CANNOT_UPDATE_SELF_ROLE })
      }
      yield* revocations.revoking(
        Effect.gen(function*() {
          const workspace = yield* lockWorkspace(workspaceId)
          const role = yield* findRoleIn(sql, workspaceId, roleId)
          if (!role.canBeAssignedToUsers) {
            return yield* new BadUserInput({
              message: "Role cannot be assigned to users",
              field: "roleId",
              subCode: Code.ROLE_CANNOT_BE_ASSIGNED_TO_USERS
            })
          }
          const admin = yield* adminRoleId(workspaceId)
          const [current] = yield* sql<{ roleId: string | null }>`
            SELECT COALESCE("roleId", ${workspace.defaultRoleId}::uuid) AS "roleId" FROM core."userWorkspace"
             WHERE "userId" = ${target.userId} AND "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL`
          if (!current) return yield* memberNotFound()
          if (current.roleId === admin && role.id !== admin) {
            if (workspace.ownerUserId === target.userId) {
              return yield* new Forbidden({
                message: "The workspace owner keeps the Admin role; transfer ownership first",
                subCode: Code.CANNOT_UPDATE_OWNER_ROLE
              })
            }
            const [admins] = yield* sql<{ count: number }>`
              SELECT count(*)::int AS count FROM core."userWorkspace"
               WHERE "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL
                 AND COALESCE("roleId", ${workspace.defaultRoleId}::uuid) = ${admin}`
            if ((admins?.count ?? 0) <= 1) {
              return yield* new Forbidden({
                message: "Cannot unassign admin role from last admin of the workspace",
                subCode: Code.CANNOT_UNASSIGN_LAST_ADMIN
              })
            }
          }
          yield* sql`UPDATE core."userWorkspace" SET "roleId" = ${role.id}, "updatedAt" = now()
                     WHERE "userId" = ${target.userId} AND "workspaceId" = ${workspaceId}`
        }),
        { keys: () => [membershipCacheKey(target.userId, workspaceId)] }
      )
      return yield* member(workspaceId, workspaceMemberId)
    })

  const assignRoleToApiKey = (workspaceId: string, apiKeyId: string, roleId: string) =>
    Effect.gen(function*() {
      const notFound = new NotFound({ message: "API key not found", subCode: Code.API_KEY_NOT_FOUND })
      if (!isUuid(apiKeyId)) return yield* notFound
      yield* revocations.revoking(
        Effect.gen(function*() {
          const role = yield* findRoleIn(sql, workspaceId, roleId)
          if (!role.canBeAssignedToApiKeys) return yield* invalidArg("Role cannot be assigned to API keys", "roleId")
          const updated = yield* sql`UPDATE core."apiKey" SET "roleId" = ${role.id}, "updatedAt" = now()
                                     WHERE id = ${apiKeyId} AND "workspaceId" = ${workspaceId} RETURNING id`
          if (updated.length === 0) return yield* notFound
        }),
        { keys: () => [apiKeyCacheKey(apiKeyId)] }
      )
      return true
    })

  /** Only the owner hands ownership over; the new owner becomes Admin. */
  const transferOwnership = (workspaceId: string, callerUserId: string, workspaceMemberId: string) =>
    Effect.gen(function*() {
      const target = yield* member(workspaceId, workspaceMemberId)
      yield* revocations.revoking(
        Effect.gen(function*() {
          const workspace = yield* lockWorkspace(workspaceId)
          if (workspace.ownerUserId !== callerUserId) return yield* permissionDenied()
          const admin = yield* adminRoleId(workspaceId)
          if (admin === null) return yield* new NotFound({ message: "Admin role not found", subCode: "ADMIN_ROLE_NOT_FOUND" })
          yield* sql`UPDATE core.workspace SET "ownerUserId" = ${target.userId}, "updatedAt" = now() WHERE id = ${workspaceId}`
          yield* sql`UPDATE core."userWorkspace" SET "roleId" = ${admin}, "updatedAt" = now()
                     WHERE "userId" = ${target.userId} AND "workspaceId" = ${workspaceId}`
        }),
        {
          keys: () => [
            membershipCacheKey(target.userId, workspaceId),
            membershipCacheKey(callerUserId, workspaceId),
            workspaceCacheKey(workspaceId)
          ]
        }
      )
      return yield* member(workspaceId, workspaceMemberId)
    })

  /** Members and API keys without a role of their own act with the default role. */
  const setDefaultRole = (workspaceId: string, roleId: string) =>
    Effect.gen(function*() {
      yield* revocations.revoking(
        Effect.gen(function*() {
          yield* lockWorkspace(workspaceId)
          const role = yield* findRoleIn(sql, workspaceId, roleId)
          if (!role.canBeAssignedToUsers) {
            return yield* new BadUserInput({
              message: "Role cannot be assigned to users",
              field: "defaultRoleId",
              subCode: Code.ROLE_CANNOT_BE_ASSIGNED_TO_USERS
            })
          }
          yield* sql`UPDATE core.workspace SET "defaultRoleId" = ${role.id}, "updatedAt" = now() WHERE id = ${workspaceId}`
        }),
        { keys: () => [workspaceCacheKey(workspaceId)] }
      )
    })

  return {
    setDefaultRole,
    membersOfRole: (workspaceId: string, roleId: string) =>
      isUuid(roleId) ? members(workspaceId, { byRole: roleId }) : Effect.succeed<ReadonlyArray<WorkspaceMemberView>>([]),
    memberOfUser: (workspaceId: string, userId: string) =>
      Effect.map(members(workspaceId, { byUser: userId }), (found) => found[0] ?? null),
    apiKeysOfRole: (workspaceId: string, roleId: string) => provided(loadApiKeysOfRole(workspaceId, roleId)),
    updateWorkspaceMemberRole,
    assignRoleToApiKey,
    transferOwnership
  }
}
