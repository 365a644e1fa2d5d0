import { Effect } from "effect"
import { Permissions } from "../../../services/permissions/index.js"
import { Webhooks, type WebhooksShape } from "../../../services/webhooks/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** What these resolvers run: webhooks, and the role check of requireSettingsPermission. */
export type WebhookServices = Webhooks | Workspaces | Permissions

type Context = GraphQLContext<WebhookServices>
type Args = Record<string, any>

/** Runs a webhook operation for the caller, who needs Twenty's API_KEYS_AND_WEBHOOKS permission. */
const withWebhooks = async <A>(ctx: Context, run: (webhooks: WebhooksShape, workspaceId: string) => Effect.Effect<A, any>) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "API_KEYS_AND_WEBHOOKS"))
    return yield* run(yield* Webhooks, auth.workspace.id)
  }))
}

export const webhookResolvers = {
  Query: {
    webhooks: (_: unknown, _args: Args, ctx: Context) => withWebhooks(ctx, (w, ws) => w.list(ws)),
    webhook: (_: unknown, args: Args, ctx: Context) => withWebhooks(ctx, (w, ws) => w.get(ws, args.id)),
    webhookDeliveries: (_: unknown, args: Args, ctx: Context) =>
      withWebhooks(ctx, (w, ws) => w.deliveries(ws, args.webhookId, args.limit ?? 50))
  },
  Mutation: {
    createWebhook: (_: unknown, args: Args, ctx: Context) => withWebhooks(ctx, (w, ws) => w.create(ws, args.input)),
    updateWebhook: (_: unknown, args: Args, ctx: Context) =>
      withWebhooks(ctx, (w, ws) => w.update(ws, args.input.id, args.input.update)),
    deleteWebhook: (_: unknown, args: Args, ctx: Context) => withWebhooks(ctx, (w, ws) => w.remove(ws, args.id))
  }
}
