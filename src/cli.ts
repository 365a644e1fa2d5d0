import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect } from "effect"
import { parseArgs } from "node:util"
import { infrastructure, resolveAppSecret, type Services, services } from "./layers/index.js"
import { ApiKeys } from "./services/api-keys/index.js"
import { Auth } from "./services/auth/index.js"
import { AppConfig, appConfig } from "./services/config.js"
import { Workspaces } from "./services/workspace/index.js"
import { BadUserInput } from "./schema/errors.js"
import { exitOnStartupError } from "./startup.js"

const USAGE = `Usage: bun run cli <command> [options]

Commands:
  migrate                              apply pending core migrations
  workspace:create --name NAME --email EMAIL --password PASSWORD [--api-key-name NAME] [--days N]
                                       create (or reuse) the account, a workspace, and an API key
  workspace:delete --id WORKSPACE_ID   drop a workspace, its schema and its data
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

const createWorkspace = Effect.gen(function*() {
  const name = yield* required("name")
  const email = yield* required("email")
  const password = yield* required("password")
  const days = Number(values.days ?? 365)
  if (!Number.isInteger(days) || days <= 0) return yield* new BadUserInput({ message: "--days must be a positive integer" })
  const auth = yield* Auth
  const { user } = yield* auth.signUp({ email, password }).pipe(
    Effect.catchIf((e) => e._tag === "Forbidden" && e.subCode === "USER_ALREADY_EXISTS", () => auth.signIn(email, password))
  )
  const { workspace } = yield* auth.signUpInNewWorkspace(user, name)
  const apiKeys = yield* ApiKeys
  const expiresAt = new Date(Date.now() + days * 86_400_000).toISOString()
  const key = yield* apiKeys.create(workspace.id, { name: values["api-key-name"] ?? "CLI", expiresAt })
  const { token } = yield* apiKeys.generateToken(workspace.id, key.id, expiresAt)
  const { port } = yield* AppConfig
  process.stdout.write(
    `Workspace "${workspace.displayName}" created: ${workspace.id}
API key "${key.name}" (expires ${expiresAt.slice(0, 10)}):
${token}

Try it:
curl -s http://localhost:${port}/metadata -H "Authorization: Bearer ${token}" \\
  -H 'content-type: application/json' -d '{"query":"{ currentWorkspace { id displayName } }"}'
`
  )
})

const commands: Record<string, Effect.Effect<void, unknown, Services>> = {
  migrate: Effect.logInfo("Migrations are up to date"),
  "workspace:create": createWorkspace,
  "workspace:delete": Effect.gen(function*() {
    const id = yield* required("id")
    yield* Effect.flatMap(Workspaces, (w) => w.remove(id))
    process.stdout.write(`Workspace ${id} deleted\n`)
  })
}

const command = positionals[0]
const run = commands[command ?? ""]
if (!run || values.help) {
  process.stdout.write(USAGE)
  process.exit(run || values.help ? 0 : 2)
}

const main = Effect.gen(function*() {
  const config = yield* appConfig
  const appSecret = yield* resolveAppSecret(config)
  yield* run.pipe(Effect.provide(services(infrastructure(config, appSecret))))
})

BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
