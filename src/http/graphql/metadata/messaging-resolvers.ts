import { Effect, Schema } from "effect"
import { BadUserInput, Forbidden } from "../../../domain/errors.js"
import type { AppConfig } from "../../../platform/config.js"
import type { JobQueue } from "../../../platform/queue/index.js"
import type { SecretBox } from "../../../services/auth/secret-box.js"
import type { Metadata } from "../../../services/metadata/index.js"
import { accountOwnerOf, getAccount, saveAccount, startChannelSync } from "../../../services/messaging/accounts.js"
import { AccountParameters } from "../../../services/messaging/connection.js"
import { Permissions } from "../../../services/permissions/index.js"
import { actorOf } from "../../../services/records/actor.js"
import type { Records } from "../../../services/records/index.js"
import type { Cache } from "../../../platform/cache/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { SqlClient } from "@effect/sql"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** What these resolvers run: the messaging accounts (records, sealed credentials, the queue) and the WORKSPACE check. */
export type MessagingServices = Records | Permissions | Workspaces | SecretBox | SqlClient.SqlClient | AppConfig | JobQueue | Metadata | Cache

type Context = GraphQLContext<MessagingServices>
type Args = Record<string, any>

/**
 * A member manages the accounts they own; anyone else's needs the WORKSPACE settings permission (Twenty's
 * older guard). `ownerOf` null: a new account, the caller's own.
 */
const withAccountAccess = async <A>(
  ctx: Context,
  ownerOf: (workspaceId: string) => Effect.Effect<string | null, any, MessagingServices>,
  run: (workspaceId: string, self: string | null) => Effect.Effect<A, any, MessagingServices>
) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    const owner = yield* ownerOf(auth.workspace.id)
    const self = auth.kind === "user" ? (yield* actorOf(auth)).workspaceMemberId : null
    if (owner !== null && (self === null || self !== owner)) yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "WORKSPACE"))
    return yield* run(auth.workspace.id, self)
  }))
}

const decodeParameters = (value: unknown) =>
  Schema.decodeUnknown(AccountParameters)(value).pipe(
    Effect.mapError(() => new BadUserInput({ message: "Invalid connection parameters" }))
  )

export const messagingResolvers = {
  Query: {
    getConnectedImapSmtpCaldavAccount: (_: unknown, args: Args, ctx: Context) =>
      withAccountAccess(ctx, (ws) => Effect.map(accountOwnerOf(ws, args.id), (owner) => owner ?? ""), (ws) => getAccount(ws, args.id))
  },
  Mutation: {
    saveImapSmtpCaldavAccount: (_: unknown, args: Args, ctx: Context) =>
      withAccountAccess(ctx, (ws) => (args.id ? Effect.map(accountOwnerOf(ws, args.id), (owner) => owner ?? "") : Effect.succeed(null)), (ws, self) =>
        Effect.gen(function*() {
          if (!args.id && self === null) return yield* new Forbidden({ message: "A mail account is connected by a workspace member, not an API key" })
          const connectionParameters = yield* decodeParameters(args.connectionParameters)
          const connectedAccountId = yield* saveAccount(ws, { accountOwnerId: self ?? "", handle: args.handle, connectionParameters, id: args.id ?? null })
          return { success: true, connectedAccountId }
        })),
    startChannelSync: (_: unknown, args: Args, ctx: Context) =>
      withAccountAccess(ctx, (ws) => Effect.map(accountOwnerOf(ws, args.connectedAccountId), (owner) => owner ?? ""), (ws) =>
        Effect.map(startChannelSync(ws, args.connectedAccountId), (success) => ({ success })))
  }
}
