import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer, Option } from "effect"
import { parseArgs } from "node:util"
import { Admin, AdminLocal, type CreatedWorkspace } from "./admin/index.js"
import { adminSocketIsLive, AdminRemote } from "./admin/socket.js"
import { infrastructure, resolveAppSecret, services } from "./layers/index.js"
import { appConfig } from "./platform/config.js"
import { BadUserInput } from "./domain/errors.js"
import { exitOnStartupError } from "./startup.js"

const USAGE = `Usage: bun run cli <command> [options]

Commands:
  migrate                              apply pending core migrations
  workspace:create --name NAME --email EMAIL --password PASSWORD [--api-key-name NAME] [--days N]
                                       create (or reuse) the account, a workspace, and an API key
  workspace:delete --id WORKSPACE_ID   drop a workspace, its schema and its data

With the embedded database (no DATABASE_URL) and a server running on DATA_DIR, the command is run by
that server, through its admin socket.
`

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    name: { type: "string" },
    email: { type: "string" },
    password: { type: "string" },
    "api-key-name": { type: "string" },
    days: { type: "string" },
    id: { type: "string" },
    help: { type: "boolean" }
  }
})

const required = (name: keyof typeof values) => {
  const value = values[name]
  return typeof value === "string" && value.length > 0
    ? Effect.succeed(value)
    : Effect.fail(new BadUserInput({ message: `--${name} is required\n\n${USAGE}`, field: name }))
}

const printCreated = (created: CreatedWorkspace) =>
  process.stdout.write(
    `Workspace "${created.displayName}" created: ${created.workspaceId}
API key "${created.apiKeyName}" (expires ${created.expiresAt.slice(0, 10)}):
${created.token}

Try it:
curl -s http://localhost:${created.port}/metadata -H "Authorization: Bearer ${created.token}" \\
  -H 'content-type: application/json' -d '{"query":"{ currentWorkspace { id displayName } }"}'
`
  )

/** Each command: its options checked first, then its run on whichever `Admin` is given. */
const commands: Record<string, Effect.Effect<Effect.Effect<void, unknown, Admin>, BadUserInput>> = {
  migrate: Effect.succeed(Effect.flatMap(Admin, (admin) => admin.migrate).pipe(
    Effect.tap((applied) => applied.length > 0 ? Effect.logInfo(`Migrations applied: ${applied.join(", ")}`) : Effect.void),
    Effect.zipRight(Effect.logInfo("Migrations are up to date"))
  )),
  "workspace:create": Effect.gen(function*() {
    const input = {
      name: yield* required("name"),
      email: yield* required("email"),
      password: yield* required("password"),
      apiKeyName: values["api-key-name"] || "CLI",
      days: Number(values.days ?? 365)
    }
    if (!Number.isInteger(input.days) || input.days <= 0) return yield* new BadUserInput({ message: "--days must be a positive integer" })
    return Effect.flatMap(Admin, (admin) => admin.createWorkspace(input)).pipe(Effect.map(printCreated))
  }),
  "workspace:delete": Effect.map(required("id"), (id) =>
    Effect.flatMap(Admin, (admin) => admin.deleteWorkspace(id)).pipe(
      Effect.map(() => process.stdout.write(`Workspace ${id} deleted\n`))
    ))
}

const command = positionals[0]
const parse = commands[command ?? ""]
if (!parse || values.help) {
  process.stdout.write(USAGE)
  process.exit(parse || values.help ? 0 : 2)
}

const main = Effect.gen(function*() {
  const run = yield* parse
  const config = yield* appConfig
  // The embedded database is one session owned by its server: a running one does the work itself.
  if (Option.isNone(config.databaseUrl) && (yield* adminSocketIsLive(config.dataDir))) {
    return yield* run.pipe(Effect.provide(AdminRemote(config.dataDir)))
  }
  const appSecret = yield* resolveAppSecret(config)
  yield* run.pipe(Effect.provide(AdminLocal.pipe(Layer.provide(services(infrastructure(config, appSecret))))))
})

BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
