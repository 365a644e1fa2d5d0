import { Duration, Effect } from "effect"
import type { Workspace } from "../../domain/auth.js"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { invitationMail } from "../mail/index.js"
import type { MembersDeps, MembersShape, SendInvitationsOutput, UserCaller, WorkspaceInvitation } from "./index.js"
import { hashInvitationToken, isEmail, newInvitationToken, normalizeEmail, workspacePageUrl } from "./shared.js"

// Twenty's user-friendly messages (workspace-invitation.exception.ts).
export const ALREADY_INVITED = "An invitation has already been sent to this email."
export const ALREADY_MEMBER = "This user is already a member of the workspace."

const roleNotFound = () => new NotFound({ message: "Role not found", subCode: "ROLE_NOT_FOUND" })
const invalidInvitation = () => new NotFound({ message: "Invalid appToken", subCode: "INVALID_INVITATION" })

interface InvitationRow {
  readonly id: string
  readonly context: { readonly email: string; readonly roleId?: string } | string
  readonly expiresAt: string | Date
}

const toInvitation = (row: InvitationRow): WorkspaceInvitation => {
  const context = typeof row.context === "string" ? JSON.parse(row.context) : row.context
  return {
    id: row.id,
    email: context.email,
    roleId: context.roleId ?? null,
    expiresAt: new Date(row.expiresAt).toISOString()
  }
}

const MAX_EMAILS_PER_CALL = 100

export const makeInvitations = ({ sql, config, mailer, permissions, workspaces }: MembersDeps) => {
  const isMember = (workspaceId: string, email: string) =>
    Effect.map(
      sql`SELECT 1 FROM core."userWorkspace" uw JOIN core."user" u ON u.id = uw."userId"
          WHERE uw."workspaceId" = ${workspaceId} AND uw."deletedAt" IS NULL AND u."deletedAt" IS NULL
            AND lower(u.email) = ${email}`,
      (rows) => rows.length > 0
    )

  /** One address: the token row and the queued mail commit together, or neither. */
  const inviteOne = (caller: UserCaller, workspace: Workspace, email: string, roleId: string | null) =>
    sql.withTransaction(Effect.gen(function*() {
      if (yield* isMember(workspace.id, email)) return { ok: false, error: ALREADY_MEMBER } as const
      const token = newInvitationToken()
      const expiresAt = new Date(Date.now() + Duration.toMillis(config.invitationTokenTtl))
      const context = JSON.stringify(roleId ? { email, roleId } : { email })
      // An expired invitation no longer blocks a new one.
      yield* sql`DELETE FROM core."appToken" WHERE "workspaceId" = ${workspace.id} AND type = 'InvitationToken'
                 AND lower(context->>'email') = ${email} AND "expiresAt" <= now()`
      const [row] = yield* sql<InvitationRow>`
        INSERT INTO core."appToken" ("workspaceId", type, value, "expiresAt", context)
        VALUES (${workspace.id}, 'InvitationToken', ${hashInvitationToken(token)}, ${expiresAt}, ${context}::jsonb)
        ON CONFLICT DO NOTHING RETURNING id, context, "expiresAt"`
      if (!row) return { ok: false, error: ALREADY_INVITED } as const
      const link = workspacePageUrl(config.frontendUrl, workspace.subdomain, `/invite/${workspace.inviteHash}`, {
        inviteToken: token,
        email
      })
      const rendered = invitationMail({ link, workspaceName: workspace.displayName, sender: caller.user })
      const senderName = `${caller.user.firstName} ${caller.user.lastName}`.trim() || caller.user.email
      yield* mailer.send({
        to: email,
        ...rendered,
        // Quoted: unquoted, the parentheses would be read as an address comment and dropped.
        from: `"${senderName.replace(/["\\<>\r\n]/g, "")} (via Score)" <${config.email.fromAddress}>`
      })
      return { ok: true, invitation: toInvitation(row) } as const
    })).pipe(
      Effect.catchTag("QueueUnavailable", () => Effect.succeed({ ok: false, error: `Could not send the invitation to ${email}, try again later.` } as const))
    )

  const sendInvitations: MembersShape["sendInvitations"] = (caller, emails, roleId) =>
    Effect.gen(function*() {
      const workspace = caller.workspace
      if (emails.length > MAX_EMAILS_PER_CALL) {
        return yield* new BadUserInput({ message: `At most ${MAX_EMAILS_PER_CALL} emails per call`, field: "emails" })
      }
      // Inviting with a role assigns it: beyond the default role that takes ROLES too (Twenty asks only
      // WORKSPACE_MEMBERS, which would let a member invite a second account of theirs as Admin).
      if (roleId !== null && roleId !== workspace.defaultRoleId) yield* permissions.requireFlag(caller, "ROLES")
      if (roleId !== null) {
        const role = isUuid(roleId) ? yield* workspaces.findRole(roleId) : null
        if (!role || role.workspaceId !== workspace.id) return yield* roleNotFound()
        if (!role.canBeAssignedToUsers) {
          return yield* new BadUserInput({ message: "Role cannot be assigned to users", field: "roleId" })
        }
      }
      const errors: Array<string> = []
      const result: Array<WorkspaceInvitation> = []
      for (const email of new Set(emails.map(normalizeEmail))) {
        if (!isEmail(email)) {
          errors.push(`Invalid email: "${email}"`)
          continue
        }
        const outcome = yield* inviteOne(caller, workspace, email, roleId)
        if (outcome.ok) result.push(outcome.invitation)
        else errors.push(outcome.error)
      }
      return { success: errors.length === 0, errors, result } satisfies SendInvitationsOutput
    }).pipe(Effect.withSpan("Members.sendInvitations"))

  const findInvitations: MembersShape["findInvitations"] = (workspaceId) =>
    Effect.map(
      sql`SELECT id, context, "expiresAt" FROM core."appToken"
          WHERE "workspaceId" = ${workspaceId} AND type = 'InvitationToken' ORDER BY "createdAt", id`,
      (rows) => jsonRows<InvitationRow>(rows).map(toInvitation)
    )

  const resendInvitation: MembersShape["resendInvitation"] = (caller, appTokenId) =>
    Effect.gen(function*() {
      if (!isUuid(appTokenId)) return yield* invalidInvitation()
      const [row] = yield* sql<InvitationRow>`
        DELETE FROM core."appToken"
        WHERE id = ${appTokenId} AND "workspaceId" = ${caller.workspace.id} AND type = 'InvitationToken'
        RETURNING id, context, "expiresAt"`
      if (!row) return yield* invalidInvitation()
      const { email, roleId } = toInvitation(row)
      // A role deleted since the first mail: the new invitation gets the default role.
      const role = roleId ? yield* workspaces.findRole(roleId) : null
      return yield* sendInvitations(caller, [email], role ? roleId : null)
    })

  const deleteInvitation: MembersShape["deleteInvitation"] = (workspaceId, appTokenId) =>
    isUuid(appTokenId)
      ? Effect.map(
        sql`DELETE FROM core."appToken"
            WHERE id = ${appTokenId} AND "workspaceId" = ${workspaceId} AND type = 'InvitationToken' RETURNING id`,
        (rows) => (rows.length > 0 ? "success" as const : "error" as const)
      )
      : Effect.succeed("error" as const)

  const workspaceOfInviteHash = (inviteHash: string) =>
    Effect.map(
      sql`SELECT * FROM core.workspace WHERE "inviteHash" = ${inviteHash} AND "deletedAt" IS NULL`,
      (rows) => jsonRows<Workspace>(rows)[0] ?? null
    )

  return {
    sendInvitations,
    findInvitations,
    resendInvitation,
    deleteInvitation,
    // The hash is also in personal invitation links; on its own it only works while the public link is on.
    checkInviteHash: (inviteHash: string) =>
      Effect.map(workspaceOfInviteHash(inviteHash), (w) => w !== null && w.isPublicInviteLinkEnabled),
    findWorkspaceFromInviteHash: (inviteHash: string) =>
      Effect.flatMap(workspaceOfInviteHash(inviteHash), (w) =>
        w && w.isPublicInviteLinkEnabled
          ? Effect.succeed(w)
          : Effect.fail(new NotFound({ message: "Workspace does not exist", subCode: "INVALID_INPUT" })))
  }
}

export type Invitations = ReturnType<typeof makeInvitations>
export { type InvitationRow, toInvitation }
