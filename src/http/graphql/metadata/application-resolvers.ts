import { Effect } from "effect"
import { printSchema } from "graphql"
import type { Cache } from "../../../platform/cache/index.js"
import { Applications, type ApplicationsShape } from "../../../services/applications/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import { SchemaBuilder } from "../data/schema/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

export type ApplicationServices = Applications | Permissions | Workspaces | Cache | SchemaBuilder

type Context = GraphQLContext<ApplicationServices>
type Args = Record<string, any>

/** Apps change the data model and roles: Twenty's application resolvers need the APPLICATIONS flag; Score's DATA_MODEL. */
const withApps = async <A>(ctx: Context, run: (apps: ApplicationsShape, workspaceId: string) => Effect.Effect<A, any, any>) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "DATA_MODEL"))
    return yield* run(yield* Applications, auth.workspace.id)
  }))
}

export const applicationResolvers = {
  Query: {
    findApplicationRegistrationByUniversalIdentifier: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) => a.findRegistration(ws, args.universalIdentifier)),
    // The app's typed client is generated from the workspace's /graphql schema (the app's objects included).
    applicationCoreGraphqlSchema: (_: unknown, _args: Args, ctx: Context) =>
      withApps(ctx, (_a, ws) => Effect.map(Effect.flatMap(SchemaBuilder, (b) => b.schemaFor(ws)), printSchema))
  },
  Mutation: {
    createApplicationRegistration: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) =>
        Effect.map(a.register(ws, args.input), (applicationRegistration) => ({ applicationRegistration, clientSecret: crypto.randomUUID() }))),
    createDevelopmentApplication: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) => Effect.map(a.createDevelopment(ws, args.universalIdentifier, args.name), (row) => ({ id: row.id, universalIdentifier: row.universalIdentifier }))),
    createApplicationFileUploads: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) => a.createFileUploads(ws, args.applicationUniversalIdentifier, args.files)),
    completeApplicationFileUploads: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) => a.completeFileUploads(ws, args.applicationUniversalIdentifier, args.fileIds)),
    syncApplication: (_: unknown, args: Args, ctx: Context) => withApps(ctx, (a, ws) => a.sync(ws, args.manifest, args.dryRun === true, args.inferDeletionFromMissingEntities !== false)),
    uninstallApplication: (_: unknown, args: Args, ctx: Context) => withApps(ctx, (a, ws) => a.uninstall(ws, args.universalIdentifier)),
    completeAppTarballUpload: (_: unknown, args: Args, ctx: Context) => withApps(ctx, (a, ws) => a.completeTarball(ws, args.fileId)),
    installApplication: (_: unknown, args: Args, ctx: Context) =>
      withApps(ctx, (a, ws) =>
        Effect.map(a.install(ws, args.universalIdentifier), (row) => ({ id: row.id, name: row.name, universalIdentifier: row.universalIdentifier, canBeUninstalled: true })))
  }
}
