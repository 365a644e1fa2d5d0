import { Effect } from "effect"
import type { User, UserWorkspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../domain/errors.js"
import { firstRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { userCacheKey } from "../auth/users.js"
import { workspaceMemberIdCacheKey } from "../records/actor.js"
import { ADMIN_ROLE_STANDARD_ID, membershipCacheKey } from "../workspace/index.js"
import type { MembersDeps, MembersShape } from "./index.js"

const memberNotFound = () =>
  new BadUserInput({ message: "Workspace member to delete not found in workspace", field: "workspaceMemberIdToDelete" })

const ownerStays = () =>
  new Forbidden({
    message: "The workspace owner cannot be removed; transfer the ownership first",
    subCode: "CANNOT_DELETE_WORKSPACE_OWNER"
  })

const lastAdmin = () =>
  new Forbidden({
    message: "Cannot delete account: user is the unique admin of a workspace",
    subCode: "CANNOT_DELETE_LAST_ADMIN_USER"
  })

export const makeRemoval = ({ sql, cache, results, permissions, revocations, workspaces }: MembersDeps) => {
  /**
   * Inside the caller's transaction: checks the owner and last-admin rules against locked rows, soft-deletes
   * the membership and deletes the workspaceMember record (records pointing at it lose the link or go with
   * it, per metadata).
   */
  const removeFromWorkspace = (workspaceId: string, userId: string) =>
    Effect.gen(function*() {
      const [workspace] = yield* sql<{ ownerUserId: string | null }>`
        SELECT "ownerUserId" FROM core.workspace WHERE id = ${workspaceId} FOR SHARE`
      if (workspace?.ownerUserId === userId) return yield* ownerStays()
      const membership = firstRow<UserWorkspace & { isAdmin: boolean }>(yield* sql`
        SELECT uw.*, (r."standardId" = ${ADMIN_ROLE_STANDARD_ID}) IS TRUE AS "isAdmin"
          FROM core."userWorkspace" uw LEFT JOIN core.role r ON r.id = uw."roleId"
         WHERE uw."userId" = ${userId} AND uw."workspaceId" = ${workspaceId} AND uw."deletedAt" IS NULL
         FOR UPDATE OF uw`)
      if (!membership) return yield* memberNotFound()
      if (membership.isAdmin && !workspace?.ownerUserId) {
        // Locked in the same order by every removal, so two admins removing each other cannot both succeed.
        const others = yield* sql`
          SELECT uw.id FROM core."userWorkspace" uw JOIN core.role r ON r.id = uw."roleId"
           WHERE uw."workspaceId" = ${workspaceId} AND uw."deletedAt" IS NULL AND uw.id <> ${membership.id}
             AND r."standardId" = ${ADMIN_ROLE_STANDARD_ID}
           ORDER BY uw.id FOR UPDATE OF uw`
        if (others.length === 0) return yield* lastAdmin()
      }
      yield* sql`UPDATE core."userWorkspace" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${membership.id}`
      const schema = yield* workspaces.schemaOf(workspaceId)
      if (schema) yield* sql`DELETE FROM ${sql(schema)}."workspaceMember" WHERE "userId" = ${userId}`
      const { isAdmin: _, ...removed } = membership
      return removed
    })

  /** As Twenty: a user left without any workspace is deleted (soft). */
  const deleteUserIfAlone = (userId: string) =>
    Effect.gen(function*() {
      const [remaining] = yield* sql<{ count: string }>`
        SELECT count(*) AS count FROM core."userWorkspace" WHERE "userId" = ${userId} AND "deletedAt" IS NULL`
      if (Number(remaining?.count ?? 0) > 0) return false
      yield* sql`UPDATE core."user" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${userId}`
      return true
    })

  const forgetCached = (userId: string, workspaceIds: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      yield* revocations.invalidate(userCacheKey(userId))
      yield* cache.invalidate(...workspaceIds.map((workspaceId) => workspaceMemberIdCacheKey(workspaceId, userId)))
      // The member's record is gone, and with it the links (or the records) of every object pointing at it.
      yield* Effect.forEach(workspaceIds, results.bumpWorkspace, { discard: true })
    })

  const removeMember: MembersShape["removeMember"] = (caller, workspaceMemberId) =>
    Effect.gen(function*() {
      const workspace = caller.workspace
      const schema = yield* workspaces.schemaOf(workspace.id)
      if (!schema || !isUuid(workspaceMemberId)) return yield* memberNotFound()
      const [target] = yield* sql<{ userId: string }>`
        SELECT "userId" FROM ${sql(schema)}."workspaceMember" WHERE id = ${workspaceMemberId} AND "deletedAt" IS NULL`
      if (!target) return yield* memberNotFound()
      // Leaving needs no permission; removing someone else needs WORKSPACE_MEMBERS.
      if (target.userId !== caller.user.id) yield* permissions.requireFlag(caller, "WORKSPACE_MEMBERS")
      if (workspace.ownerUserId === target.userId) return yield* ownerStays()

      const { removed } = yield* revocations.revoking(
        Effect.gen(function*() {
          const removed = yield* removeFromWorkspace(workspace.id, target.userId)
          const userDeleted = yield* deleteUserIfAlone(target.userId)
          if (!userDeleted) {
            yield* sql`UPDATE core."user" SET "defaultWorkspaceId" = NULL, "updatedAt" = now()
                       WHERE id = ${target.userId} AND "defaultWorkspaceId" = ${workspace.id}`
          }
          return { removed, userDeleted }
        }),
        {
          keys: ({ userDeleted }) => [
            membershipCacheKey(target.userId, workspace.id),
            ...(userDeleted ? [userCacheKey(target.userId)] : [])
          ]
        }
      )
      yield* forgetCached(target.userId, [workspace.id])
      return { ...removed, deletedAt: new Date().toISOString() }
    }).pipe(Effect.withSpan("Members.removeMember"))

  /** Twenty's deleteUser: the caller leaves every workspace (each rule checked), then the account is deleted. */
  const deleteUser: MembersShape["deleteUser"] = (user) =>
    Effect.gen(function*() {
      const memberships = yield* revocations.revoking(
        Effect.gen(function*() {
          const memberships = jsonRows<UserWorkspace>(yield* sql`
            SELECT * FROM core."userWorkspace" WHERE "userId" = ${user.id} AND "deletedAt" IS NULL ORDER BY "workspaceId"`)
          for (const membership of memberships) yield* removeFromWorkspace(membership.workspaceId, user.id)
          yield* sql`UPDATE core."user" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${user.id}`
          yield* sql`UPDATE core."authSession" SET "revokedAt" = now(), "updatedAt" = now()
                     WHERE "userId" = ${user.id} AND "revokedAt" IS NULL`
          return memberships
        }),
        {
          keys: (memberships) => [
            userCacheKey(user.id),
            ...memberships.map((membership) => membershipCacheKey(user.id, membership.workspaceId))
          ]
        }
      )
      yield* forgetCached(user.id, memberships.map((membership) => membership.workspaceId))
      return { ...user, deletedAt: new Date().toISOString() } satisfies User
    }).pipe(Effect.withSpan("Members.deleteUser"))

  return { removeMember, deleteUser }
}

