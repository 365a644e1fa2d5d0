import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { User } from "../../domain/auth.js"
import { Forbidden } from "../../domain/errors.js"
import { findUserWithPasswordByEmail, insertUser } from "../auth/users.js"
import type { MembersDeps, MembersShape } from "./index.js"
import { type InvitationRow, toInvitation } from "./invitations.js"
import type { makeJoin } from "./join.js"
import { normalizeEmail } from "./shared.js"
import { isOnValidatedDomain } from "./approved-access-domains.js"

// Twenty's AuthException messages (auth.service.ts checkAccessForSignIn, user.service.ts).
const forbidden = (message: string) => new Forbidden({ message, subCode: "FORBIDDEN_EXCEPTION" })

/** No password: the identity provider proved the address, so it counts as verified. */
const insertVerifiedUser = (sql: SqlClient.SqlClient, email: string, input: { readonly firstName: string; readonly lastName: string }) =>
  insertUser({ email, passwordHash: null, firstName: input.firstName, lastName: input.lastName, isEmailVerified: true }).pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.catchTag("Conflict", () => Effect.fail(new Forbidden({ message: "User already exists", subCode: "USER_ALREADY_EXISTS" })))
  )

/**
 * Twenty's SSO sign-in-up (auth.service.ts checkAccessForSignIn + signInUp) for an email an identity
 * provider vouched for: a member signs in; a user invited (a pending personal invitation for that email,
 * or the workspace's public link while it is enabled) joins, created first when unknown (no password,
 * email verified); so does anyone whose address is on one of the workspace's validated approved access
 * domains (the provider vouched for the address); anyone else is refused.
 */
export const makeIdentityJoin = ({ sql, auth, workspaces }: MembersDeps, join: ReturnType<typeof makeJoin>["join"]) => {
  const pendingInvitation = (workspaceId: string, email: string) =>
    Effect.map(
      sql<InvitationRow>`SELECT id, context, "expiresAt" FROM core."appToken"
          WHERE "workspaceId" = ${workspaceId} AND type = 'InvitationToken' AND "expiresAt" > now()
            AND lower(context->>'email') = ${email}
          ORDER BY "createdAt" DESC LIMIT 1`,
      (rows) => (rows[0] ? toInvitation(rows[0]) : null)
    )

  const signInFromIdentityProvider: MembersShape["signInFromIdentityProvider"] = (input) =>
    Effect.gen(function*() {
      const { workspace } = input
      const email = normalizeEmail(input.email)
      const [invitation, found] = yield* Effect.all([
        pendingInvitation(workspace.id, email),
        Effect.provideService(findUserWithPasswordByEmail(email), SqlClient.SqlClient, sql)
      ])
      if (found?.disabled) return yield* forbidden("User is disabled")
      // Twenty's checkAccessForSignIn: a validated domain lets its addresses in before any other rule.
      const onApprovedDomain = yield* isOnValidatedDomain(sql, workspace.id, email)
      if (!onApprovedDomain && input.viaPublicInviteLink && !invitation && !workspace.isPublicInviteLinkEnabled) {
        return yield* forbidden("Public invite link is disabled for this workspace")
      }
      const existing: User | null = found ? (({ passwordHash: _, ...user }) => user)(found) : null
      if (existing && (yield* workspaces.membership(existing.id, workspace.id))) return existing
      if (!invitation && !input.viaPublicInviteLink && !onApprovedDomain) {
        return yield* forbidden("User does not have access to this workspace")
      }
      if (!existing && workspace.activationStatus !== "ACTIVE") {
        return yield* forbidden("Workspace is not ready to welcome new members")
      }
      if (!existing && !invitation) yield* auth.admitSignUp(input.clientAddress)
      return yield* join(workspace, existing ? Effect.succeed(existing) : insertVerifiedUser(sql, email, input), invitation)
    }).pipe(Effect.withSpan("Members.signInFromIdentityProvider"))

  /**
   * Twenty's signUpOnNewWorkspace for a Google / Microsoft sign-in that names no workspace, of someone
   * with none: the user (created when unknown) gets a new workspace of their own, as its owner.
   */
  const signUpInNewWorkspaceFromIdentityProvider: MembersShape["signUpInNewWorkspaceFromIdentityProvider"] = (input) =>
    Effect.gen(function*() {
      const email = normalizeEmail(input.email)
      const found = yield* Effect.provideService(findUserWithPasswordByEmail(email), SqlClient.SqlClient, sql)
      if (found?.disabled) return yield* forbidden("User is disabled")
      yield* auth.admitWorkspaceCreation()
      if (!found) yield* auth.admitSignUp(input.clientAddress)
      return yield* sql.withTransaction(Effect.gen(function*() {
        const user: Pick<User, "id" | "email"> = found ?? (yield* insertVerifiedUser(sql, email, input))
        const workspace = yield* workspaces.create({ displayName: null, ownerUserId: user.id })
        return { user, workspace }
      }))
    }).pipe(Effect.withSpan("Members.signUpInNewWorkspaceFromIdentityProvider"))

  return { signInFromIdentityProvider, signUpInNewWorkspaceFromIdentityProvider }
}
