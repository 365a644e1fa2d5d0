import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { auditAfter } from "../../../services/audit/outbox.js"
import type { AuthContext, AuthToken, User, UserWorkspace, Workspace } from "../../../domain/auth.js"
import { BadUserInput, Forbidden } from "../../../domain/errors.js"
import { ApiKeys } from "../../../services/api-keys/index.js"
import { Auth, type AvailableWorkspace } from "../../../services/auth/index.js"
import { EmailVerification } from "../../../services/auth/email-verification.js"
import { AppConfig } from "../../../platform/config.js"
import { type Role, Workspaces } from "../../../services/workspace/index.js"
import { toGraphQLError } from "../../errors.js"
import type { GraphQLContext } from "../yoga.js"
import type { PermissionFlag } from "../../../domain/permissions.js"
import type { WorkspaceCaller } from "../../../services/auth/permissions.js"
import { Permissions } from "../../../services/permissions/index.js"
import { Roles } from "../../../services/roles/index.js"
import { Metadata } from "../../../services/metadata/index.js"
import type { Access } from "../../../domain/permissions.js"
import type { WorkspaceMetadata } from "../../../domain/metadata.js"

/** What these resolvers run: the services they name. */
export type AuthResolverServices = AppConfig | Auth | ApiKeys | Workspaces | Permissions | Roles | Metadata | EmailVerification | SqlClient.SqlClient

/**
 * Twenty's `currentUserWorkspace.objectsPermissions`: what the caller may do with each object's records,
 * with restricted fields by field id, so a client can hide what it would be refused.
 */
const objectsPermissionsOf = (access: Access, metadata: WorkspaceMetadata) =>
  metadata.objects.filter((o) => o.isActive).map((object) => {
    const granted = access.unrestricted ? null : access.objects.get(object.nameSingular)
    const all = access.unrestricted
    return {
      objectMetadataId: object.id,
      canReadObjectRecords: all || (granted?.canRead ?? false),
      canUpdateObjectRecords: all || (granted?.canUpdate ?? false),
      canSoftDeleteObjectRecords: all || (granted?.canSoftDelete ?? false),
      canDestroyObjectRecords: all || (granted?.canDestroy ?? false),
      restrictedFields: Object.fromEntries(
        [...(granted?.restrictedFields ?? new Map())].flatMap(([name, restriction]) => {
          const field = object.fields.find((f) => f.name === name)
          return field ? [[field.id, restriction]] : []
        })
      )
    }
  })

/** The signed-in member's own membership: its permissions are answered; another membership's are not. */
const ownMembership = async (uw: UserWorkspace, ctx: Context) => {
  const auth = await ctx.auth()
  return auth.kind === "user" && auth.userWorkspace.id === uw.id ? auth : null
}

type Context = GraphQLContext<AuthResolverServices>
type Args = Record<string, any>

export const workspaceUrls = (workspace: Pick<Workspace, "subdomain">) =>
  Effect.map(AppConfig, ({ frontendUrl }) => {
    const url = new URL(frontendUrl.href)
    url.hostname = `${workspace.subdomain}.${url.hostname}`
    return { subdomainUrl: url.href, customUrl: null }
  })

const availableWorkspace = ({ workspace, loginToken }: AvailableWorkspace) =>
  Effect.map(workspaceUrls(workspace), (urls) => ({
    id: workspace.id,
    displayName: workspace.displayName,
    logo: workspace.logo,
    inviteHash: null,
    personalInviteToken: null,
    loginToken: loginToken?.token ?? null,
    sso: [],
    workspaceUrls: urls
  }))

export const signInResult = (result: { availableWorkspaces: ReadonlyArray<AvailableWorkspace>; tokens: unknown }) =>
  Effect.map(Effect.forEach(result.availableWorkspaces, availableWorkspace), (forSignIn) => ({
    tokens: result.tokens,
    availableWorkspaces: { availableWorkspacesForSignIn: forSignIn, availableWorkspacesForSignUp: [] }
  }))

const forbidden = (message: string) => new Forbidden({ message, subCode: "PERMISSION_DENIED" })

/** A workspace member or an API key: anything bound to one workspace. */
export const workspaceOf = async <R>(ctx: GraphQLContext<R>) => {
  const auth = await ctx.auth()
  if (auth.kind === "workspaceAgnostic") {
    throw toGraphQLError(forbidden("This action needs a workspace; sign in to one first"))
  }
  return auth
}

export const userOf = async <R>(ctx: GraphQLContext<R>): Promise<Extract<AuthContext, { kind: "user" }>> => {
  const auth = await workspaceOf(ctx)
  if (auth.kind !== "user") throw toGraphQLError(forbidden("This action needs a user session"))
  return auth
}

const withRole = <A extends { roleId: string | null }>(key: A) =>
  Effect.flatMap(Workspaces, (w) => Effect.map(w.findRole(key.roleId ?? ""), (role) => ({ ...key, role })))

const requireFlag = (caller: WorkspaceCaller, flag: PermissionFlag) => Effect.flatMap(Permissions, (p) => p.requireFlag(caller, flag))

const tokenPair = (tokens: { accessOrWorkspaceAgnosticToken: AuthToken; refreshToken: AuthToken }) => ({ tokens })

export const authResolvers = {
  Workspace: {
    allowedIframeOrigins: () => [],
    editableProfileFields: () => [],
    workspaceUrls: (w: Workspace, _: Args, ctx: Context) => ctx.run(workspaceUrls(w)),
    isCustomDomainEnabled: () => false,
    customDomain: () => null,
    isGoogleAuthEnabled: () => false,
    isMicrosoftAuthEnabled: () => false,
    isPasswordAuthEnabled: () => true,
    isGoogleAuthBypassEnabled: () => false,
    isMicrosoftAuthBypassEnabled: () => false,
    isPasswordAuthBypassEnabled: () => false,
    isTwoFactorAuthenticationEnforced: (w: Workspace) => w.isTwoFactorAuthenticationEnforced ?? false,
    workspaceDiscoverability: () => "MEMBERS_AND_INVITEES",
    trashRetentionDays: () => 14,
    eventLogRetentionDays: () => 365,
    // findWorkspaceFromInviteHash answers anonymous callers: no schema name for them.
    databaseSchema: (w: Workspace & { publicView?: true }, _: Args, ctx: Context) =>
      w.publicView ? null : ctx.run(Effect.flatMap(Workspaces, (s) => s.schemaOf(w.id))),
    defaultRole: (w: Workspace, _: Args, ctx: Context) =>
      w.defaultRoleId ? ctx.run(Effect.flatMap(Workspaces, (s) => s.findRole(w.defaultRoleId!))) : null
  },
  UserWorkspace: {
    workspace: (uw: UserWorkspace, _: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Workspaces, (s) => s.findById(uw.workspaceId))),
    permissionFlags: async (uw: UserWorkspace, _: Args, ctx: Context) => {
      const auth = await ownMembership(uw, ctx)
      return auth ? [...await ctx.run(Effect.flatMap(Permissions, (p) => p.flagsOf(auth)))] : null
    },
    objectsPermissions: async (uw: UserWorkspace, _: Args, ctx: Context) => {
      const auth = await ownMembership(uw, ctx)
      if (!auth) return null
      return ctx.run(Effect.gen(function*() {
        const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(auth.workspace.id))
        const access = yield* Effect.flatMap(Permissions, (p) => p.accessFor(auth, metadata))
        return objectsPermissionsOf(access, metadata)
      }))
    },
    objectPermissions: (uw: UserWorkspace, args: Args, ctx: Context) =>
      authResolvers.UserWorkspace.objectsPermissions(uw, args, ctx)
  },
  User: {
    onboardingStatus: () => "COMPLETED",
    currentWorkspace: async (_u: User, _: Args, ctx: Context) => {
      const auth = await ctx.auth()
      return auth.kind === "user" ? auth.workspace : null
    },
    currentUserWorkspace: async (_u: User, _: Args, ctx: Context) => {
      const auth = await ctx.auth()
      return auth.kind === "user" ? auth.userWorkspace : null
    },
    workspaces: (u: User, _: Args, ctx: Context) => ctx.run(Effect.flatMap(Workspaces, (s) => s.listMemberships(u.id))),
    userWorkspaces: (u: User, _: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Workspaces, (s) => s.listMemberships(u.id))),
    availableWorkspaces: (u: User, _: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const list = yield* Effect.flatMap(Workspaces, (s) => s.listForUser(u.id))
        const forSignIn = yield* Effect.forEach(list, (workspace) => availableWorkspace({ workspace, loginToken: null }))
        return { availableWorkspacesForSignIn: forSignIn, availableWorkspacesForSignUp: [] }
      }))
  },
  ApiKey: {},
  Query: {
    checkUserExists: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Auth, (auth) => auth.checkUserExists(args.email))),
    currentUser: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await ctx.auth()
      if (auth.kind === "apiKey") throw toGraphQLError(forbidden("API keys have no current user"))
      return auth.user
    },
    currentWorkspace: async (_: unknown, _args: Args, ctx: Context) => (await workspaceOf(ctx)).workspace,
    apiKeys: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        const keys = yield* Effect.flatMap(ApiKeys, (s) => s.list(auth.workspace.id))
        return yield* Effect.forEach(keys, withRole)
      }))
    },
    apiKey: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        return yield* withRole(yield* Effect.flatMap(ApiKeys, (s) => s.get(auth.workspace.id, args.input.id)))
      }))
    },
    getApiKeyRoles: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      const roles: ReadonlyArray<Role> = await ctx.run(
        Effect.zipRight(requireFlag(auth, "API_KEYS_AND_WEBHOOKS"), Effect.flatMap(Workspaces, (s) => s.listRoles(auth.workspace.id)))
      )
      return roles.filter((role) => role.canBeAssignedToApiKeys)
    }
  },
  Mutation: {
    signUp: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Auth, (auth) =>
        Effect.zipRight(auth.admitSignUp(ctx.clientAddress), auth.signUp(args as never))).pipe(
          Effect.tap((result) => Effect.flatMap(EmailVerification, (v) => v.afterSignUp(result.user.email, null))),
          Effect.flatMap(signInResult)
        )),
    signIn: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Auth, (auth) => auth.signIn(args.email, args.password)).pipe(Effect.flatMap(signInResult))),
    signUpInNewWorkspace: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await ctx.auth()
      if (auth.kind === "apiKey") throw toGraphQLError(forbidden("This action needs a user session"))
      const displayName = typeof args.input?.displayName === "string" ? args.input.displayName.trim() : null
      return ctx.run(Effect.gen(function*() {
        if (displayName !== null && displayName.length > 100) {
          return yield* new BadUserInput({ message: "displayName must be at most 100 characters", field: "displayName" })
        }
        const service = yield* Auth
        yield* service.admitWorkspaceCreation()
        const { workspace, loginToken } = yield* service.signUpInNewWorkspace(auth.user, displayName || null)
        return { loginToken, workspace: { id: workspace.id, workspaceUrls: yield* workspaceUrls(workspace) } }
      }))
    },
    getLoginTokenFromCredentials: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(
        Effect.flatMap(Auth, (auth) => auth.getLoginTokenFromCredentials(args.email, args.password, args.origin ?? null))
          .pipe(Effect.map((loginToken) => ({ loginToken })))
      ),
    getAuthTokensFromLoginToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Auth, (auth) => auth.getAuthTokensFromLoginToken(args.loginToken)).pipe(Effect.map(tokenPair))),
    renewToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Auth, (auth) => auth.renewToken(args.appToken)).pipe(Effect.map(tokenPair))),
    signOut: async (_: unknown, args: Args, ctx: Context) => {
      if (typeof args.refreshToken === "string") {
        await ctx.run(Effect.flatMap(Auth, (auth) => auth.signOutRefreshToken(args.refreshToken)))
        return true
      }
      const auth = await ctx.auth()
      if (auth.kind === "apiKey") return true
      await ctx.run(Effect.flatMap(Auth, (service) => service.signOut(auth.user)))
      return true
    },
    activateWorkspace: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "WORKSPACE")
        const displayName = args.data?.displayName ?? undefined
        return yield* Effect.flatMap(Workspaces, (s) =>
          s.update(auth.workspace.id, { displayName, activationStatus: "ACTIVE" }))
      }))
    },
    updateWorkspace: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "WORKSPACE")
        const workspaces = yield* Workspaces
        if (typeof args.data?.defaultRoleId === "string") {
          yield* requireFlag(auth, "ROLES")
          yield* Effect.flatMap(Roles, (r) => r.setDefaultRole(auth.workspace.id, args.data.defaultRoleId))
        }
        const enforce = args.data?.isTwoFactorAuthenticationEnforced
        const publicLink = args.data?.isPublicInviteLinkEnabled
        // Twenty's validateSecurityPermissions: the sign-in switches need SECURITY.
        if (typeof enforce === "boolean" || typeof publicLink === "boolean") yield* requireFlag(auth, "SECURITY")
        return yield* workspaces.update(auth.workspace.id, {
          displayName: args.data?.displayName ?? undefined,
          isTwoFactorAuthenticationEnforced: typeof enforce === "boolean" ? enforce : undefined,
          isPublicInviteLinkEnabled: typeof publicLink === "boolean" ? publicLink : undefined,
          inviteHash: typeof args.data?.inviteHash === "string" ? args.data.inviteHash : undefined
        })
      }))
    },
    createApiKey: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        const permissions = yield* Permissions
        // Without a role a key gets Admin, which only a holder of ROLES may hand out; others get the default role.
        const roleId: string | null | undefined = args.input.roleId ??
          ((yield* permissions.flagsOf(auth)).has("ROLES") ? null : auth.workspace.defaultRoleId)
        if (roleId) yield* permissions.requireMayAssign(auth, roleId)
        const key = yield* Effect.flatMap(ApiKeys, (s) => s.create(auth.workspace.id, { ...args.input, roleId }))
        yield* auditAfter(auth, "apiKey.created", () => ({ recordId: key.id, details: { name: key.name, roleId: key.roleId } }))(key)
        return yield* withRole(key)
      }))
    },
    updateApiKey: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        return yield* withRole(yield* Effect.flatMap(ApiKeys, (s) => s.update(auth.workspace.id, args.input)))
      }))
    },
    revokeApiKey: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        const key = yield* Effect.flatMap(ApiKeys, (s) => s.revoke(auth.workspace.id, args.input.id))
        yield* auditAfter(auth, "apiKey.revoked", () => ({ recordId: key.id, details: { name: key.name } }))(key)
        return yield* withRole(key)
      }))
    },
    generateApiKeyToken: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* requireFlag(auth, "API_KEYS_AND_WEBHOOKS")
        const signed = yield* Effect.flatMap(ApiKeys, (s) =>
          s.generateToken(auth.workspace.id, args.apiKeyId, args.expiresAt))
        return { token: signed.token }
      }))
    }
  }
}
