import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer, Option } from "effect"
import { parseArgs } from "node:util"
import { Admin, AdminLocal, type CreatedWorkspace } from "./admin/index.js"
import { adminSocketIsLive, AdminRemote } from "./admin/socket.js"
import { infrastructure, resolveAppSecret, services } from "./layers/index.js"
import { appConfig } from "./platform/config.js"
import { BadUserInput } from "./domain/errors.js"
import { exitOnStartupError } from "./startup.js"
import { exportRecords, importRecords, type RecordsIoOptions } from "./admin/records-io.js"

const USAGE = `Usage: bun run cli <command> [options]

Commands:
  migrate                              apply pending core migrations
  workspace:create --name NAME --email EMAIL --password PASSWORD [--api-key-name NAME] [--days N]
                                       create (or reuse) the account, a workspace, and an API key
  workspace:delete --id WORKSPACE_ID   drop a workspace, its schema and its data
  records:import --object PLURAL --file FILE [--format csv|jsonl] [--mapping JSON] [--no-events]
                                       upload a file to a running server's import, follow the job
  records:export --object PLURAL [--format csv|jsonl] [--filter F] [--order-by O] [--out FILE]
                                       stream a filtered, ordered export (REST filter grammar)

records:* talk to a running server (--url, else SERVER_URL, else http://localhost:PORT) with an API key
(--api-key, else API_KEY): the key's role applies.

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
    object: { type: "string" },
    file: { type: "string" },
    format: { type: "string" },
    mapping: { type: "string" },
    "no-events": { type: "boolean" },
    filter: { type: "string" },
    "order-by": { type: "string" },
    out: { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
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

/** The records:* commands need no database of their own: they call the server. */
const recordsIo = (run: (options: RecordsIoOptions) => Effect.Effect<void, BadUserInput>) =>
  Effect.gen(function*() {
    const plural = yield* required("object")
    const apiKey = values["api-key"] ?? process.env["API_KEY"]
    if (!apiKey) return yield* new BadUserInput({ message: `--api-key (or API_KEY) is required\n\n${USAGE}`, field: "api-key" })
    const url = values.url ?? process.env["SERVER_URL"] ?? `http://localhost:${process.env["PORT"] ?? 3000}`
    return yield* run({ url, apiKey, plural })
  })

const recordsCommands: Record<string, Effect.Effect<void, BadUserInput>> = {
  "records:import": Effect.flatMap(required("file"), (file) =>
    recordsIo((options) => importRecords(options, { file, format: values.format, mapping: values.mapping, events: !values["no-events"] }))),
  "records:export": recordsIo((options) =>
    exportRecords(options, { format: values.format, filter: values.filter, orderBy: values["order-by"], out: values.out }))
}

const command = positionals[0]
const recordsCommand = recordsCommands[command ?? ""]
if (recordsCommand && !values.help) BunRuntime.runMain(exitOnStartupError(recordsCommand), { disablePrettyLogger: true })
const parse = recordsCommand ? undefined : commands[command ?? ""]
if (!recordsCommand && (!parse || values.help)) {
  process.stdout.write(USAGE)
  process.exit(parse || values.help ? 0 : 2)
}

const main = Effect.gen(function*() {
  if (!parse) return
  const run = yield* parse
  const config = yield* appConfig
  // The embedded database is one session owned by its server: a running one does the work itself.
  if (Option.isNone(config.databaseUrl) && (yield* adminSocketIsLive(config.dataDir))) {
    return yield* run.pipe(Effect.provide(AdminRemote(config.dataDir)))
  }
  const appSecret = yield* resolveAppSecret(config)
  yield* run.pipe(Effect.provide(AdminLocal.pipe(Layer.provide(services(infrastructure(config, appSecret))))))
})

if (!recordsCommand) BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
