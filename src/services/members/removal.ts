import { Effect } from "effect"
import type { UserWorkspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../domain/errors.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { userCacheKey } from "../auth/users.js"
import { workspaceMemberIdCacheKey } from "../records/actor.js"
import { ADMIN_ROLE_STANDARD_ID, membershipCacheKey } from "../workspace/index.js"
import type { MembersDeps, MembersShape } from "./index.js"

const memberNotFound = () =>
  new BadUserInput({ message: "Workspace member to delete not found in workspace", field: "workspaceMemberIdToDelete" })

export const makeRemoval = ({ sql, cache, permissions, revocations, workspaces }: MembersDeps) => {
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
      if (workspace.ownerUserId === target.userId) {
        return yield* new Forbidden({
          message: "The workspace owner cannot be removed; transfer the ownership first",
          subCode: "CANNOT_DELETE_WORKSPACE_OWNER"
        })
      }

      const removal = Effect.gen(function*() {
        const membership = firstRow<UserWorkspace & { isAdmin: boolean }>(yield* sql`
          SELECT uw.*, (r."standardId" = ${ADMIN_ROLE_STANDARD_ID}) IS TRUE AS "isAdmin"
            FROM core."userWorkspace" uw LEFT JOIN core.role r ON r.id = uw."roleId"
           WHERE uw."userId" = ${target.userId} AND uw."workspaceId" = ${workspace.id} AND uw."deletedAt" IS NULL
           FOR UPDATE OF uw`)
        if (!membership) return yield* memberNotFound()
        if (membership.isAdmin) {
          // Locked in the same order by every removal, so two admins removing each other cannot both succeed.
          const others = yield* sql`
            SELECT uw.id FROM core."userWorkspace" uw JOIN core.role r ON r.id = uw."roleId"
             WHERE uw."workspaceId" = ${workspace.id} AND uw."deletedAt" IS NULL AND uw.id <> ${membership.id}
               AND r."standardId" = ${ADMIN_ROLE_STANDARD_ID}
             ORDER BY uw.id FOR UPDATE OF uw`
          const ownerStays = workspace.ownerUserId !== null
          if (others.length === 0 && !ownerStays) {
            return yield* new Forbidden({
              message: "Cannot delete account: user is the unique admin of a workspace",
              subCode: "CANNOT_DELETE_LAST_ADMIN_USER"
            })
          }
        }
        yield* sql`UPDATE core."userWorkspace" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${membership.id}`
        // Records pointing at the member lose the link (SET NULL) or go with it (CASCADE), per metadata.
        yield* sql`DELETE FROM ${sql(schema)}."workspaceMember" WHERE "userId" = ${target.userId}`
        // As Twenty: a user left without any workspace is deleted (soft).
        const [remaining] = yield* sql<{ count: string }>`
          SELECT count(*) AS count FROM core."userWorkspace" WHERE "userId" = ${target.userId} AND "deletedAt" IS NULL`
        const userDeleted = Number(remaining?.count ?? 0) === 0
        if (userDeleted) {
          yield* sql`UPDATE core."user" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${target.userId}`
        } else {
          yield* sql`UPDATE core."user" SET "defaultWorkspaceId" = NULL, "updatedAt" = now()
                     WHERE id = ${target.userId} AND "defaultWorkspaceId" = ${workspace.id}`
        }
        return { membership, userDeleted }
      })

      const { membership } = yield* revocations.revoking(removal, {
        keys: ({ userDeleted }) => [
          membershipCacheKey(target.userId, workspace.id),
          ...(userDeleted ? [userCacheKey(target.userId)] : [])
        ]
      })
      yield* revocations.invalidate(userCacheKey(target.userId))
      yield* cache.invalidate(workspaceMemberIdCacheKey(workspace.id, target.userId))
      const { isAdmin: _, ...removed } = membership
      return { ...removed, deletedAt: new Date().toISOString() }
    }).pipe(Effect.withSpan("Members.removeMember"))

  return { removeMember }
}
