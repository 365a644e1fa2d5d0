import { Rpc, RpcGroup } from "@effect/rpc"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Schema } from "effect"
import { BadUserInput, Conflict, Forbidden, isUserError, NotFound, PayloadTooLarge, TooManyRequests, Unauthenticated, type UserError } from "../domain/errors.js"
import { ApiKeys } from "../services/api-keys/index.js"
import { Auth } from "../services/auth/index.js"
import { AppConfig } from "../platform/config.js"
import { runMigrations } from "../platform/migrations/index.js"
import { Workspaces } from "../services/workspace/index.js"

/** What `bun run cli workspace:create` asks for. */
export const CreateWorkspaceInput = Schema.Struct({
  name: Schema.NonEmptyString,
  email: Schema.NonEmptyString,
  password: Schema.NonEmptyString,
  apiKeyName: Schema.NonEmptyString,
  days: Schema.Int.pipe(Schema.positive())
})
export type CreateWorkspaceInput = typeof CreateWorkspaceInput.Type

export const CreatedWorkspace = Schema.Struct({
  workspaceId: Schema.String,
  displayName: Schema.NullOr(Schema.String),
  apiKeyName: Schema.String,
  expiresAt: Schema.String,
  token: Schema.String,
  /** The HTTP port of the server that did it, for the printed example call. */
  port: Schema.Int
})
export type CreatedWorkspace = typeof CreatedWorkspace.Type

const AdminError = Schema.Union(Unauthenticated, Forbidden, NotFound, BadUserInput, Conflict, TooManyRequests, PayloadTooLarge)

/** The commands of `bun run cli`, as a running server answers them on its admin socket. */
export class AdminRpcs extends RpcGroup.make(
  Rpc.make("WorkspaceCreate", { payload: CreateWorkspaceInput, success: CreatedWorkspace, error: AdminError }),
  Rpc.make("WorkspaceDelete", { payload: { id: Schema.String }, error: AdminError }),
  Rpc.make("Migrate", { success: Schema.Array(Schema.String) })
) {}

export interface AdminShape {
  readonly createWorkspace: (input: CreateWorkspaceInput) => Effect.Effect<CreatedWorkspace, UserError>
  readonly deleteWorkspace: (id: string) => Effect.Effect<void, UserError>
  /** Applies pending core migrations; the names applied. */
  readonly migrate: Effect.Effect<ReadonlyArray<string>>
}

/** The CLI's commands: run here on the database (`AdminLocal`), or by the running server (`AdminRemote`). */
export class Admin extends Context.Tag("score/Admin")<Admin, AdminShape>() {}

/** Expected failures reach the caller; anything else (the database gone) is a defect. */
const userErrorsOnly = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, UserError, R> =>
  Effect.catchAll(effect, (e) => isUserError(e) ? Effect.fail(e) : Effect.die(e))

export const AdminLocal = Layer.effect(
  Admin,
  Effect.gen(function*() {
    const auth = yield* Auth
    const apiKeys = yield* ApiKeys
    const workspaces = yield* Workspaces
    const config = yield* AppConfig
    const sql = yield* SqlClient.SqlClient
    return {
      createWorkspace: ({ name, email, password, apiKeyName, days }) =>
        userErrorsOnly(Effect.gen(function*() {
          const { user } = yield* auth.signUp({ email, password, isEmailVerified: true }).pipe(
            Effect.catchIf((e) => e._tag === "Forbidden" && e.subCode === "USER_ALREADY_EXISTS", () => auth.signIn(email, password))
          )
          const { workspace } = yield* auth.signUpInNewWorkspace(user, name)
          const expiresAt = new Date(Date.now() + days * 86_400_000).toISOString()
          const key = yield* apiKeys.create(workspace.id, { name: apiKeyName, expiresAt })
          const { token } = yield* apiKeys.generateToken(workspace.id, key.id, expiresAt)
          return { workspaceId: workspace.id, displayName: workspace.displayName, apiKeyName: key.name, expiresAt, token, port: config.port }
        })),
      deleteWorkspace: (id) => userErrorsOnly(workspaces.remove(id)),
      migrate: runMigrations().pipe(Effect.orDie, Effect.provideService(SqlClient.SqlClient, sql))
    }
  })
)

/** The server side of the admin socket: each command runs on this server's own services. */
export const AdminHandlers = AdminRpcs.toLayer(
  Effect.gen(function*() {
    const admin = yield* Admin
    return AdminRpcs.of({
      WorkspaceCreate: (input) => admin.createWorkspace(input),
      WorkspaceDelete: ({ id }) => admin.deleteWorkspace(id),
      Migrate: () => admin.migrate
    })
  })
)
