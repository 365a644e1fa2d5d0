import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { User, Workspace } from "../../domain/auth.js"
import { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import { jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { findUserWithPasswordByEmail, insertUser, userCacheKey } from "../auth/users.js"
import { workspaceMemberIdCacheKey } from "../records/actor.js"
import { membershipCacheKey } from "../workspace/index.js"
import type { MembersDeps, MembersShape } from "./index.js"
import { type InvitationRow, toInvitation } from "./invitations.js"
import { hashInvitationToken, isEmail, normalizeEmail } from "./shared.js"
import { isOnValidatedDomain } from "./approved-access-domains.js"

// Twenty's AuthException messages (auth.service.ts, sign-in-up.service.ts, workspace-invitation.service.ts).
const forbidden = (message: string) => new Forbidden({ message, subCode: "FORBIDDEN_EXCEPTION" })
const noAccess = () => forbidden("User does not have access to this workspace")

export interface NewMember {
  readonly id: string
  readonly email: string
  readonly firstName: string
  readonly lastName: string
  readonly locale: string
}

export const makeJoin = ({ sql, auth, cache, config, results, workspaces, revocations }: MembersDeps) => {
  const findWorkspace = (input: { workspaceId?: string | null | undefined; workspaceInviteHash?: string | null | undefined }) =>
    Effect.map(
      input.workspaceInviteHash
        ? sql`SELECT * FROM core.workspace WHERE "inviteHash" = ${input.workspaceInviteHash} AND "deletedAt" IS NULL`
        : input.workspaceId && isUuid(input.workspaceId)
        ? sql`SELECT * FROM core.workspace WHERE id = ${input.workspaceId} AND "deletedAt" IS NULL`
        : Effect.succeed([]),
      (rows) => jsonRows<Workspace>(rows)[0] ?? null
    )

  const findInvitation = (workspaceId: string, token: string) =>
    Effect.map(
      sql<InvitationRow>`SELECT id, context, "expiresAt" FROM core."appToken"
          WHERE "workspaceId" = ${workspaceId} AND type = 'InvitationToken' AND value = ${hashInvitationToken(token)}`,
      (rows) => (rows[0] ? toInvitation(rows[0]) : null)
    )

  /** The invitation's role if it still exists in the workspace, else the workspace's default role. */
  const roleForNewMember = (workspace: Workspace, invitedRoleId: string | null) =>
    Effect.map(
      sql<{ id: string }>`
        SELECT id FROM core.role WHERE "workspaceId" = ${workspace.id} AND id = ${invitedRoleId ?? workspace.defaultRoleId}
        UNION ALL SELECT "defaultRoleId" FROM core.workspace WHERE id = ${workspace.id} AND "defaultRoleId" IS NOT NULL`,
      (rows) => rows[0]?.id ?? null
    )

  /**
   * In one transaction: the user (when `user` creates one), the invitation consumed (every invitation of
   * that email to the workspace, as Twenty), the membership and the workspaceMember record.
   */
  const join = (
    workspace: Workspace,
    user: Effect.Effect<NewMember, Forbidden | BadUserInput | SqlError.SqlError>,
    invitation: { readonly id: string; readonly roleId: string | null } | null
  ) =>
    Effect.gen(function*() {
      const schema = yield* workspaces.schemaOf(workspace.id)
      if (!schema) return yield* new NotFound({ message: "Workspace not found" })
      const roleId = yield* roleForNewMember(workspace, invitation?.roleId ?? null)
      const member = yield* sql.withTransaction(Effect.gen(function*() {
        const member = yield* user
        if (invitation) {
          const consumed = yield* sql`DELETE FROM core."appToken" WHERE id = ${invitation.id} RETURNING id`
          if (consumed.length === 0) return yield* forbidden("Invalid invitation token")
        }
        yield* sql`DELETE FROM core."appToken" WHERE "workspaceId" = ${workspace.id} AND type = 'InvitationToken'
                   AND lower(context->>'email') = ${normalizeEmail(member.email)}`
        // A membership removed earlier is replaced, never revived: tokens naming its id stay refused.
        yield* sql`DELETE FROM core."userWorkspace"
                   WHERE "userId" = ${member.id} AND "workspaceId" = ${workspace.id} AND "deletedAt" IS NOT NULL`
        const inserted = yield* sql`
          INSERT INTO core."userWorkspace" ("userId", "workspaceId", "roleId", locale)
          VALUES (${member.id}, ${workspace.id}, ${roleId}, ${member.locale})
          ON CONFLICT ("userId", "workspaceId") DO NOTHING RETURNING id`
        if (inserted.length > 0) {
          yield* sql`
            INSERT INTO ${sql(schema)}."workspaceMember"
              ("nameFirstName", "nameLastName", "colorScheme", "userEmail", "userId", "avatarUrl", locale, "createdByName")
            VALUES (${member.firstName}, ${member.lastName}, 'System', ${member.email}, ${member.id}, '', ${member.locale}, 'System')`
        }
        yield* sql`UPDATE core."user" SET "defaultWorkspaceId" = ${workspace.id}, "updatedAt" = now()
                   WHERE id = ${member.id} AND "defaultWorkspaceId" IS NULL`
        return member
      }))
      // A "not a member" read may be cached: drop it, and the user's cached row (default workspace).
      yield* revocations.invalidate(membershipCacheKey(member.id, workspace.id))
      yield* revocations.invalidate(userCacheKey(member.id))
      yield* cache.invalidate(workspaceMemberIdCacheKey(workspace.id, member.id))
      yield* results.bump(workspace.id, ["workspaceMember"])
      return member
    })

  const signUpInWorkspace: MembersShape["signUpInWorkspace"] = (input) =>
    Effect.gen(function*() {
      const email = input.email.trim()
      if (!isEmail(email)) return yield* new BadUserInput({ message: `Invalid email: "${input.email}"`, field: "email" })
      const workspace = yield* findWorkspace(input)
      if (!workspace) return yield* new NotFound({ message: "Workspace not found", subCode: "WORKSPACE_NOT_FOUND" })
      const invitation = input.workspacePersonalInviteToken
        ? yield* findInvitation(workspace.id, input.workspacePersonalInviteToken)
        : null
      const existing = yield* Effect.provideService(findUserWithPasswordByEmail(email), SqlClient.SqlClient, sql)
      const hasPublicLink = Boolean(input.workspaceInviteHash)
      // A validated approved access domain lets its addresses in (Twenty's checkAccessForSignIn), but a password
      // proves no address: only where sign-ups must verify it (IS_EMAIL_VERIFICATION_REQUIRED), as in Twenty.
      const onApprovedDomain = config.isEmailVerificationRequired && (yield* isOnValidatedDomain(sql, workspace.id, email))
      if (hasPublicLink && !invitation && !onApprovedDomain && !workspace.isPublicInviteLinkEnabled) {
        return yield* forbidden("Public invite link is disabled for this workspace")
      }
      if (!invitation && !hasPublicLink && !onApprovedDomain) {
        if (!existing || !(yield* workspaces.membership(existing.id, workspace.id))) return yield* noAccess()
      }
      if (invitation) {
        if (normalizeEmail(invitation.email) !== normalizeEmail(email)) return yield* forbidden("Email does not match the invitation")
        if (new Date(invitation.expiresAt).getTime() <= Date.now()) return yield* forbidden("Invitation expired")
      }
      if (!existing && workspace.activationStatus !== "ACTIVE") {
        return yield* forbidden("Workspace is not ready to welcome new members")
      }

      let user: Effect.Effect<NewMember, Forbidden | BadUserInput | SqlError.SqlError>
      if (existing) {
        // An existing account joins as itself: its password proves it.
        const verified: User = yield* auth.verifyCredentials(email, input.password)
        user = Effect.succeed(verified)
      } else {
        if (!invitation) yield* auth.admitSignUp(input.clientAddress)
        const passwordHash = yield* auth.hashNewPassword(input.password)
        user = insertUser({ email, passwordHash, locale: input.locale ?? undefined }).pipe(
          Effect.provideService(SqlClient.SqlClient, sql),
          Effect.tap((created) =>
            invitation ? sql`UPDATE core."user" SET "isEmailVerified" = true WHERE id = ${created.id}` : Effect.void),
          Effect.catchTag("Conflict", () => Effect.fail(new Forbidden({ message: "User already exists", subCode: "USER_ALREADY_EXISTS" })))
        )
      }
      const member = yield* join(workspace, user, invitation)
      const fresh = yield* workspaces.findById(workspace.id)
      const loginToken = yield* auth.issueLoginToken(member, workspace.id)
      return { loginToken, workspace: fresh ?? workspace }
    }).pipe(Effect.withSpan("Members.signUpInWorkspace"))

  return { signUpInWorkspace, join }
}

