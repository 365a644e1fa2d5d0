import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { AuthToken, User, UserWorkspace, Workspace } from "../../domain/auth.js"
import type { BadUserInput, Forbidden, NotFound, TooManyRequests, Unauthenticated } from "../../domain/errors.js"
import { Cache } from "../../platform/cache/index.js"
import { ResultCache } from "../../platform/cache/results.js"
import { AppConfig } from "../../platform/config.js"
import { Auth } from "../auth/index.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Mailer } from "../mail/index.js"
import { Permissions } from "../permissions/index.js"
import { Revocations } from "../revocations/index.js"
import { Workspaces } from "../workspace/index.js"
import { makeIdentityJoin } from "./identity-join.js"
import { makeInvitations } from "./invitations.js"
import { makeJoin } from "./join.js"
import { makeRemoval } from "./removal.js"

export type UserCaller = Extract<WorkspaceCaller, { kind: "user" }>

/** Twenty's WorkspaceInvitation. */
export interface WorkspaceInvitation {
  readonly id: string
  readonly email: string
  readonly roleId: string | null
  readonly expiresAt: string
}

/** Twenty's SendInvitationsOutput: every address either invited (`result`) or refused (`errors`). */
export interface SendInvitationsOutput {
  readonly success: boolean
  readonly errors: ReadonlyArray<string>
  readonly result: ReadonlyArray<WorkspaceInvitation>
}

/** Twenty's signUpInWorkspace arguments. */
export interface SignUpInWorkspaceInput {
  readonly email: string
  readonly password: string
  readonly workspaceId?: string | null | undefined
  readonly workspaceInviteHash?: string | null | undefined
  readonly workspacePersonalInviteToken?: string | null | undefined
  readonly locale?: string | null | undefined
  /** The socket's peer: public-link sign-ups count against SIGN_UP_MAX_PER_IP_PER_HOUR. */
  readonly clientAddress: string | null
}

type Failure = Forbidden | NotFound | BadUserInput | SqlError.SqlError

/** Someone an identity provider (SSO, Google, Microsoft) vouched for, signing in to `workspace`. */
export interface IdentitySignInInput {
  readonly email: string
  readonly firstName: string
  readonly lastName: string
  readonly workspace: Workspace
  /** The sign-in started from the workspace's public invite link (`workspaceInviteHash`). */
  readonly viaPublicInviteLink: boolean
  /** The socket's peer: a public-link sign-up counts against SIGN_UP_MAX_PER_IP_PER_HOUR. */
  readonly clientAddress: string | null
}

export interface MembersShape {
  readonly sendInvitations: (
    caller: UserCaller,
    emails: ReadonlyArray<string>,
    roleId: string | null
  ) => Effect.Effect<SendInvitationsOutput, Failure>
  readonly findInvitations: (workspaceId: string) => Effect.Effect<ReadonlyArray<WorkspaceInvitation>, SqlError.SqlError>
  /** Replaces the invitation by a new one (new token, new expiry) and mails it again. */
  readonly resendInvitation: (caller: UserCaller, appTokenId: string) => Effect.Effect<SendInvitationsOutput, Failure>
  /** Twenty's answer: "success", or "error" when no such invitation exists in the workspace. */
  readonly deleteInvitation: (workspaceId: string, appTokenId: string) => Effect.Effect<"success" | "error", SqlError.SqlError>
  /** Whether the public invite link of this hash works (the workspace exists and has the link enabled). */
  readonly checkInviteHash: (inviteHash: string) => Effect.Effect<boolean, SqlError.SqlError>
  readonly findWorkspaceFromInviteHash: (inviteHash: string) => Effect.Effect<Workspace, NotFound | SqlError.SqlError>
  /**
   * Joins a workspace through a personal invitation or the public link: a new user is created, an existing
   * one proves their password; the invitation is consumed. Returns a login token for the workspace.
   */
  readonly signUpInWorkspace: (
    input: SignUpInWorkspaceInput
  ) => Effect.Effect<
    { readonly loginToken: AuthToken; readonly workspace: Workspace },
    Failure | Unauthenticated | TooManyRequests
  >
  /**
   * Twenty's SSO sign-in-up: a member signs in; an invited user (personal invitation for the email, or the
   * public link) joins, created when unknown, consuming the invitation; anyone else is refused.
   */
  readonly signInFromIdentityProvider: (
    input: IdentitySignInInput
  ) => Effect.Effect<Pick<User, "id" | "email">, Failure | TooManyRequests>
  /**
   * Twenty's signUpOnNewWorkspace for a Google / Microsoft sign-in without a workspace: a new workspace owned
   * by the user (created when unknown). Refused by IS_SIGN_UP_DISABLED, or once a workspace exists without
   * IS_MULTIWORKSPACE_ENABLED ("New workspace setup is disabled").
   */
  readonly signUpInNewWorkspaceFromIdentityProvider: (
    input: Omit<IdentitySignInInput, "workspace" | "viaPublicInviteLink">
  ) => Effect.Effect<{ readonly user: Pick<User, "id" | "email">; readonly workspace: Workspace }, Failure | TooManyRequests>
  /**
   * Twenty's deleteUserFromWorkspace: the caller removes a member (WORKSPACE_MEMBERS) or themself. The
   * owner and the last admin stay; the removed member's tokens are refused from then on.
   */
  readonly removeMember: (caller: UserCaller, workspaceMemberId: string) => Effect.Effect<UserWorkspace, Failure>
  /**
   * Twenty's deleteUser: the user leaves every workspace (refused, with nothing changed, if they own one
   * or are the last admin of one), their sessions end and their account is deleted (soft).
   */
  readonly deleteUser: (user: User) => Effect.Effect<User, Failure>
}

export class Members extends Context.Tag("score/Members")<Members, MembersShape>() {}

export const MembersLive = Layer.effect(
  Members,
  Effect.gen(function*() {
    const deps = {
      sql: yield* SqlClient.SqlClient,
      cache: yield* Cache,
      results: yield* ResultCache,
      config: yield* AppConfig,
      auth: yield* Auth,
      mailer: yield* Mailer,
      permissions: yield* Permissions,
      revocations: yield* Revocations,
      workspaces: yield* Workspaces
    }
    const joining = makeJoin(deps)
    return {
      ...makeInvitations(deps),
      ...joining,
      ...makeIdentityJoin(deps, joining.join),
      ...makeRemoval(deps)
    } satisfies MembersShape
  })
)

export type MembersDeps = {
  readonly sql: SqlClient.SqlClient
  readonly cache: Context.Tag.Service<Cache>
  readonly results: Context.Tag.Service<ResultCache>
  readonly config: Context.Tag.Service<AppConfig>
  readonly auth: Context.Tag.Service<Auth>
  readonly mailer: Context.Tag.Service<Mailer>
  readonly permissions: Context.Tag.Service<Permissions>
  readonly revocations: Context.Tag.Service<Revocations>
  readonly workspaces: Context.Tag.Service<Workspaces>
}
