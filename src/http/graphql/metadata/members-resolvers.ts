import { Effect } from "effect"
import type { AuthContext, Workspace } from "../../../domain/auth.js"
import { Forbidden } from "../../../domain/errors.js"
import { AppConfig } from "../../../platform/config.js"
import { EmailVerification } from "../../../services/auth/email-verification.js"
import { Members } from "../../../services/members/index.js"
import { workspacePageUrl } from "../../../services/members/shared.js"
import { Permissions } from "../../../services/permissions/index.js"
import { toGraphQLError } from "../../errors.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** The services member resolvers run. */
export type MembersServices = AppConfig | Members | Permissions | EmailVerification

type Context = GraphQLContext<MembersServices>
type Args = Record<string, any>

/** What an anonymous caller holding the invite hash may see of a workspace (resolvers of private fields answer null). */
export type PublicWorkspace = Workspace & { readonly publicView: true }

const userOf = async (ctx: Context): Promise<Extract<AuthContext, { kind: "user" }>> => {
  const auth = await workspaceOf(ctx)
  if (auth.kind !== "user") {
    throw toGraphQLError(new Forbidden({ message: "This action needs a user session", subCode: "PERMISSION_DENIED" }))
  }
  return auth
}

/** Twenty guards these with SettingsPermissionGuard(WORKSPACE_MEMBERS). */
const requireMembersFlag = (auth: Exclude<AuthContext, { kind: "workspaceAgnostic" }>) =>
  Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "WORKSPACE_MEMBERS"))

export const membersResolvers = {
  Query: {
    findWorkspaceInvitations: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.zipRight(requireMembersFlag(auth), Effect.flatMap(Members, (m) => m.findInvitations(auth.workspace.id))))
    },
    checkWorkspaceInviteHashIsValid: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.map(Effect.flatMap(Members, (m) => m.checkInviteHash(args.inviteHash)), (isValid) => ({ isValid }))),
    findWorkspaceFromInviteHash: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.map(
        Effect.flatMap(Members, (m) => m.findWorkspaceFromInviteHash(args.inviteHash)),
        (workspace): PublicWorkspace => ({ ...workspace, defaultRoleId: null, publicView: true })
      ))
  },
  Mutation: {
    sendInvitations: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.zipRight(
        requireMembersFlag(auth),
        Effect.flatMap(Members, (m) => m.sendInvitations(auth, args.emails, args.roleId ?? null))
      ))
    },
    resendWorkspaceInvitation: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.zipRight(requireMembersFlag(auth), Effect.flatMap(Members, (m) => m.resendInvitation(auth, args.appTokenId))))
    },
    deleteWorkspaceInvitation: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.zipRight(
        requireMembersFlag(auth),
        Effect.flatMap(Members, (m) => m.deleteInvitation(auth.workspace.id, args.appTokenId))
      ))
    },
    signUpInWorkspace: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const { loginToken, workspace } = yield* Effect.flatMap(Members, (m) =>
          m.signUpInWorkspace({
            email: args.email,
            password: args.password,
            workspaceId: args.workspaceId,
            workspaceInviteHash: args.workspaceInviteHash,
            workspacePersonalInviteToken: args.workspacePersonalInviteToken,
            locale: args.locale,
            clientAddress: ctx.clientAddress
          }))
        yield* Effect.flatMap(EmailVerification, (v) => v.afterSignUp(args.email, workspace))
        const { frontendUrl } = yield* AppConfig
        return {
          loginToken,
          workspace: { id: workspace.id, workspaceUrls: { subdomainUrl: workspacePageUrl(frontendUrl, workspace.subdomain, "/"), customUrl: null } }
        }
      })),
    deleteUserFromWorkspace: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.flatMap(Members, (m) => m.removeMember(auth, args.workspaceMemberIdToDelete)))
    },
    deleteUser: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.flatMap(Members, (m) => m.deleteUser(auth.user)))
    }
  }
}
