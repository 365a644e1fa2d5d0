import { Effect } from "effect"
import type { Workspace } from "../../../domain/auth.js"
import { AppConfig } from "../../../platform/config.js"
import { type IdentityProvider, Sso, type SsoShape } from "../../../services/auth/sso.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** The services SSO resolvers run. */
export type SsoServices = Sso | Permissions | AppConfig

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
