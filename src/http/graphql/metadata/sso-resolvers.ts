import { Effect } from "effect"
import type { Workspace } from "../../../domain/auth.js"
import { AppConfig } from "../../../platform/config.js"
import { type IdentityProvider, Sso, type SsoShape } from "../../../services/auth/sso.js"
import { NotFound } from "../../../domain/errors.js"
import { subdomainOf } from "../../../services/auth/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf, workspaceUrls } from "./auth-resolvers.js"

/** The services SSO resolvers run. */
export type SsoServices = Sso | Permissions | AppConfig | Workspaces

type Context = GraphQLContext<SsoServices>
type Args = Record<string, any>

/** Twenty guards the identity provider settings with the SECURITY permission. */
const withSso = async <A>(ctx: Context, run: (sso: SsoShape, workspace: Workspace) => Effect.Effect<A, any, SsoServices>) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "SECURITY"))
    return yield* run(yield* Sso, auth.workspace)
  }))
}

const ssoConnection = ({ id, type, issuer, name, status }: IdentityProvider) => ({ id, type, issuer, name, status })

/**
 * Twenty's sign-in page data: the providers the server enables (configuration) and the workspace's
 * active identity providers. Without an origin, Twenty's placeholder "default workspace".
 */
const publicWorkspaceData = (origin: string | null, originHeader: string | null) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const system = { google: config.google.enabled, microsoft: config.microsoft.enabled, password: true, magicLink: false }
    const bypass = { google: false, microsoft: false, password: false }
    if (!origin) {
      const url = originHeader ?? config.frontendUrl.href
      return {
        id: "default-workspace",
        logo: "",
        displayName: "Default Workspace",
        workspaceUrls: { subdomainUrl: url, customUrl: url },
        authProviders: { ...system, sso: [] },
        authBypassProviders: bypass
      }
    }
    const subdomain = subdomainOf(origin)
    const workspace = subdomain ? yield* Effect.flatMap(Workspaces, (w) => w.findBySubdomain(subdomain)) : null
    if (!workspace) return yield* new NotFound({ message: "Workspace not found" })
    const sso = yield* Effect.flatMap(Sso, (s) => s.listActive(workspace.id))
    return {
      id: workspace.id,
      logo: workspace.logo ?? "",
      displayName: workspace.displayName,
      workspaceUrls: yield* workspaceUrls(workspace),
      authProviders: { ...system, sso: sso.map(ssoConnection) },
      authBypassProviders: bypass
    }
  })

export const ssoResolvers = {
  Workspace: {
    isGoogleAuthEnabled: (_: Workspace, _args: Args, ctx: Context) => ctx.run(Effect.map(AppConfig, (c) => c.google.enabled)),
    isMicrosoftAuthEnabled: (_: Workspace, _args: Args, ctx: Context) => ctx.run(Effect.map(AppConfig, (c) => c.microsoft.enabled))
  },
  AvailableWorkspace: {
    sso: (w: { id: string }, _args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Sso, (sso) => Effect.map(sso.listActive(w.id), (list) => list.map(ssoConnection))))
  },
  Query: {
    getPublicWorkspaceDataByDomain: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(publicWorkspaceData(args.origin ?? null, ctx.origin)),
    getSSOIdentityProviders: (_: unknown, _args: Args, ctx: Context) =>
      withSso(ctx, (sso, workspace) =>
        Effect.map(sso.list(workspace.id), (list) =>
          list.map((p) => ({ ...ssoConnection(p), workspace: { id: workspace.id, displayName: workspace.displayName } }))))
  },
  Mutation: {
    createOIDCIdentityProvider: (_: unknown, args: Args, ctx: Context) =>
      withSso(ctx, (sso, workspace) => Effect.map(sso.createOIDCIdentityProvider(workspace.id, args.input), ssoConnection)),
    editSSOIdentityProvider: (_: unknown, args: Args, ctx: Context) =>
      withSso(ctx, (sso, workspace) => Effect.map(sso.setStatus(workspace.id, args.input.id, args.input.status), ssoConnection)),
    deleteSSOIdentityProvider: (_: unknown, args: Args, ctx: Context) =>
      withSso(ctx, (sso, workspace) =>
        Effect.as(sso.remove(workspace.id, args.input.identityProviderId), { identityProviderId: args.input.identityProviderId })),
    getAuthorizationUrlForSSO: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Sso, (sso) => sso.authorizationUrl(args.input.identityProviderId)))
  }
}
