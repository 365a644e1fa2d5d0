import { afterAll, beforeAll, expect, test } from "bun:test"
import { SQL } from "bun"
import { createTestDatabase } from "./support/database.js"
import { runScore, type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js"

/*
 * An export whose next page is slow to come from PostgreSQL (the first page of a million people sorts them all
 * first) keeps its client: the server (a real process, the bundle) reaches PostgreSQL through a relay that holds
 * PostgreSQL's answers for 12 s mid-export, past Bun's default 10 s idle timeout but within the statement's
 * reply timeout (DATABASE_STATEMENT_TIMEOUT 20 s here).
 */

const ROWS = 20_000
const HOLD_MS = 12_000
const APP_SECRET = "export-stall-secret-export-stall-secret-0123"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: ServerProcess
let proxy: TcpProxy
let token = ""

beforeAll(async () => {
  database = await createTestDatabase()
  const env = { DATABASE_URL: database.url, APP_SECRET, DATABASE_POOL_SIZE: "3", DATABASE_STATEMENT_TIMEOUT: "20s", LOG_LEVEL: "Warn", ...UNTHROTTLED }
  const cli = runScore("cli", env, ["workspace:create", "--name", "Stall", "--email", "stall@example.com", "--password", "a long stall password"])
  const out = await new Response(cli.stdout).text()
  await cli.exited
  token = /\n(eyJ[^\s]+)\n/.exec(out)?.[1] ?? ""
  if (!token) throw new Error(`workspace:create failed: ${out}`)
  const admin = new SQL({ url: database.url, max: 1 })
  const [{ schema }] = await admin`SELECT table_schema AS schema FROM information_schema.tables
    WHERE table_name = 'person' AND table_schema LIKE 'workspace_%' LIMIT 1`
  await admin.unsafe(`INSERT INTO "${schema}".person ("nameFirstName", "emailsPrimaryEmail")
    SELECT 'First' || i, 'person' || i || '@example.com' FROM generate_series(1, ${ROWS}) AS i`)
  await admin.close()
  const direct = new URL(database.url)
  proxy = startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const proxied = new URL(database.url)
  proxied.port = String(proxy.port)
  server = await startServer({ ...env, DATABASE_URL: proxied.href }, 60_000)
}, 120_000)

afterAll(async () => {
  await server?.stop()
  proxy?.close()
  await database?.drop()
})

test("PostgreSQL's answers held 12 s mid-export: the client still gets every line", async () => {
  const response = await fetch(`${server.url}/rest/people/export?format=csv`, { headers: { authorization: `Bearer ${token}` } })
  expect(response.status).toBe(200)
  let text = ""
  let held = false
  const decoder = new TextDecoder()
  const read = (async () => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true })
      // After the first page: the next one waits on the relay.
      if (!held && text.length > 0) {
        held = true
        proxy.hold(true)
        setTimeout(() => proxy.hold(false), HOLD_MS)
      }
    }
  })()
  const outcome = await read.then(() => "complete", (error: unknown) => String(error))
  expect({ outcome, lines: text.trim().split("\n").length }).toEqual({ outcome: "complete", lines: ROWS + 1 })
}, 60_000)
