/**
 * Twenty apps: the real `twenty` CLI (twenty-sdk 2.43.0) against a Score this test serves on a loopback
 * port, on the fixture app in test/fixtures/twenty-app (one object with its field, a default role, one logic
 * function). The CLI keeps its config in a temporary HOME; the app is copied to a temporary directory with
 * node_modules linking twenty-sdk and typescript (the CLI typechecks and builds the app) and a copy of
 * twenty-client-sdk (the CLI regenerates its client there). The sandbox may use the network here, so the
 * app's function can call this Score back with its token.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { acceptsEventStream, EVENT_STREAM_IDLE_SECONDS } from "../src/http/server.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { freePort } from "./support/process.js"
import { inProcessWorker } from "./support/worker.js"

const ROOT = join(import.meta.dir, "..")
const CLI = join(ROOT, "node_modules/twenty-sdk/dist/cli.cjs")
const APP_UID = "5c0e6f2a-7a41-4a51-9d1b-2f7c3e6a9b10"
const FUNCTION_UID = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"
const TRIGGERED_UID = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c03"

let app: TestApp
let server: ReturnType<typeof Bun.serve>
let url: string
let home: string
let appDir: string
let accessToken: string
let apiKey: string

/** Runs `twenty <args>` in the app's directory; the server answers from this process, so never spawnSync. */
const twenty = async (...args: Array<string>) => {
  const proc = Bun.spawn(["node", CLI, ...args], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", CI: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, output: stdout + stderr }
}

beforeAll(async () => {
  const port = freePort()
  url = `http://127.0.0.1:${port}`
  app = await startTestApp({ env: { SERVER_URL: url, DATABASE_POOL_SIZE: "3", LOGIC_FUNCTION_TIMEOUT: "20s", LOGIC_FUNCTION_ALLOW_NETWORK: "true" } })
  server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch: (request, bun) => {
      if (acceptsEventStream(request)) bun.timeout(request, EVENT_STREAM_IDLE_SECONDS)
      return app.handle(request)
    }
  })

  const account = await signUpWithWorkspace(app, { name: "Apps Co" })
  accessToken = account.accessToken
  apiKey = (await createApiKey(app, accessToken, "twenty cli")).token
  home = mkdtempSync(join(tmpdir(), "score-twenty-home-"))
  appDir = mkdtempSync(join(tmpdir(), "score-twenty-app-"))
  cpSync(join(ROOT, "test/fixtures/twenty-app"), appDir, { recursive: true })
  mkdirSync(join(appDir, "node_modules"))
  symlinkSync(join(ROOT, "node_modules/twenty-sdk"), join(appDir, "node_modules/twenty-sdk"))
  symlinkSync(join(ROOT, "node_modules/typescript"), join(appDir, "node_modules/typescript"))
  cpSync(join(ROOT, "node_modules/twenty-client-sdk"), join(appDir, "node_modules/twenty-client-sdk"), { recursive: true, dereference: true })
})

/** The relay and the worker, which run the app's database-event triggers (only while a test needs them). */
const { start: startWorker, stop: stopWorker } = inProcessWorker(() => app)

afterAll(async () => {
  await stopWorker()
  server?.stop(true)
  await app?.close()
  if (home) rmSync(home, { recursive: true, force: true })
  if (appDir) rmSync(appDir, { recursive: true, force: true })
})

const records = (query: string, variables?: Record<string, unknown>) =>
  app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query, variables })
  }).then((r) => r.json() as Promise<any>)

test("remote:add checks the key with currentWorkspace", async () => {
  const bad = await twenty("remote:add", "--url", url, "--api-key", "not-a-key", "--as", "wrong")
  expect(bad.output.toLowerCase()).toMatch(/auth|invalid|fail/)
  const added = await twenty("remote:add", "--url", url, "--api-key", apiKey, "--as", "score")
  expect(added.code, added.output).toBe(0)
  const used = await twenty("remote:use", "score")
  expect(used.code, used.output).toBe(0)
}, 60_000)

test("syncApplication of an app the workspace does not have fails with APPLICATION_NOT_FOUND", async () => {
  const answer = await app.gql(`mutation($m: JSON!) { syncApplication(manifest: $m, dryRun: true) { actions } }`, {
    m: { application: { universalIdentifier: crypto.randomUUID(), displayName: "Nobody" } }
  }, accessToken)
  expect(answer.body.errors?.[0]?.extensions?.subCode).toBe("APPLICATION_NOT_FOUND")
})

test("a manifest the engine refuses partway is applied not at all", async () => {
  const uid = crypto.randomUUID()
  const created = await app.gql(`mutation($u: String!) { createDevelopmentApplication(universalIdentifier: $u, name: "Half") { id } }`, { u: uid }, accessToken)
  expect(created.body.errors).toBeUndefined()
  const object = (nameSingular: string, namePlural: string) => ({
    universalIdentifier: crypto.randomUUID(), nameSingular, namePlural, labelSingular: nameSingular, labelPlural: namePlural,
    fields: [{ universalIdentifier: crypto.randomUUID(), type: "TEXT", name: "name", label: "Name" }]
  })
  // The second object's name is taken by a standard object: refused after the first was created.
  const manifest = { application: { universalIdentifier: uid, displayName: "Half" }, objects: [object("ticket", "tickets"), object("company", "companies")] }
  const synced = await app.gql(`mutation($m: JSON!) { syncApplication(manifest: $m) { actions } }`, { m: manifest }, accessToken)
  expect(synced.body.errors?.[0]?.extensions?.code).toBe("CONFLICT")
  const tickets = await records(`{ tickets { totalCount } }`)
  expect(tickets.errors?.[0]?.message ?? "").toMatch(/tickets|Cannot query/)
  const plan = await app.gql<any>(`mutation($m: JSON!) { syncApplication(manifest: $m, dryRun: true) { actions } }`, { m: manifest }, accessToken)
  expect(plan.body.data.syncApplication.actions.filter((a: any) => a.type === "create")).toHaveLength(4)
}, 60_000)

test("apply creates the object, its field, the role and the function; plan then shows no changes", async () => {
  const applied = await twenty("apply")
  if (process.env.SHOW_CLI) console.log(applied.output)
  expect(applied.code, applied.output).toBe(0)
  expect(applied.output).toContain("postcard")

  const created = await records(`mutation { createPostcard(data: { title: "Greetings from Score" }) { id title } }`)
  expect(created.errors).toBeUndefined()
  expect(created.data.createPostcard.title).toBe("Greetings from Score")

  const roles = await app.gql<any>(`{ getRoles { label } }`, {}, accessToken)
  expect(roles.body.data.getRoles.map((r: any) => r.label)).toContain("Score fixture app role")

  const views = await app.gql<any>(`{ getViews { id name } }`, {}, accessToken)
  const view = views.body.data.getViews.find((v: any) => v.name === "Postcards by title")
  expect(view).toBeDefined()
  const sorts = await app.gql<any>(`query($v: String) { getViewSorts(viewId: $v) { direction } }`, { v: view.id }, accessToken)
  expect(sorts.body.data.getViewSorts).toEqual([{ direction: "ASC" }])

  const planned = await twenty("plan")
  expect(planned.code, planned.output).toBe(0)
  expect(planned.output).toContain("No changes")
}, 120_000)

test("dev:function:exec runs the uploaded bundle with the app's environment", async () => {
  const functions = await app.gql<any>(`{ findManyLogicFunctions { id name universalIdentifier applicationId } }`, {}, accessToken)
  const greet = functions.body.data.findManyLogicFunctions.find((f: any) => f.universalIdentifier === FUNCTION_UID)
  expect(greet?.applicationId).toBeTruthy()

  const exec = await twenty("dev:function:exec", "-n", "greet", "-p", JSON.stringify({ name: "Ada" }))
  if (process.env.SHOW_CLI) console.log(exec.output)
  expect(exec.code, exec.output).toBe(0)
  expect(exec.output).toContain("Hello, Ada!")
  expect(exec.output).toContain("greeting Ada")

  const answer = await app.gql<any>(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: { name: "Bo" } }) { data logs status error } }`, { id: greet.id }, accessToken)
  expect(answer.body.data.executeOneLogicFunction).toMatchObject({ status: "SUCCESS", data: { greeting: "Hello, Bo!", hasApiUrl: true, hasToken: true } })
}, 120_000)

/** executeOneLogicFunction of the app's function named `name`. */
const execute = async (name: string, payload: unknown = {}) => {
  const functions = await app.gql<any>(`{ findManyLogicFunctions { id name } }`, {}, accessToken)
  const fn = functions.body.data.findManyLogicFunctions.find((f: any) => f.name === name)
  const answer = await app.gql<any>(`mutation($id: UUID!, $p: JSON!) { executeOneLogicFunction(input: { id: $id, payload: $p }) { data logs duration status error } }`, { id: fn.id, p: payload }, accessToken)
  expect(answer.body.errors).toBeUndefined()
  return answer.body.data.executeOneLogicFunction
}

test("dev:function:logs streams the logs of the app's function as it runs", async () => {
  const proc = Bun.spawn(["node", CLI, "dev:function:logs", "-n", "greet"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1", CI: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  let output = ""
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    while (true) {
      const { done, value } = await reader.read()
      if (done) return
      output += decoder.decode(value, { stream: true })
    }
  }
  const collecting = Promise.all([collect(proc.stdout), collect(proc.stderr)])
  try {
    // The CLI says it watches before its subscription reaches the server: run until a line comes through.
    const deadline = Date.now() + 60_000
    for (let i = 0; !output.includes("greeting Logs") && Date.now() < deadline; i++) {
      if (output.includes("Watching")) await execute("greet", { name: "Logs" })
      await Bun.sleep(500)
    }
    if (process.env.SHOW_CLI) console.log(output)
    expect(output).toContain("greeting Logs")
    // Filtered by name: another function's run prints nothing.
    const before = output.length
    await execute("throws")
    await Bun.sleep(1000)
    expect(output.slice(before)).not.toContain("about to fail")
  } finally {
    proc.kill()
    await proc.exited
    await collecting
  }
}, 120_000)

test("the function's token calls /graphql with the app's role", async () => {
  const result = await execute("count-postcards")
  expect(result).toMatchObject({ status: "SUCCESS", data: { status: 200, totalCount: 1 } })
}, 60_000)

test("an HTTP route trigger answers on /s/<path>", async () => {
  const response = await fetch(`${url}/s/greet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Route" }) })
  expect(response.status).toBe(200)
  expect(await response.json()).toMatchObject({ greeting: "Hello, Route!" })
  expect((await fetch(`${url}/s/greet`)).status).toBe(404)
  expect((await fetch(`${url}/s/nowhere`, { method: "POST" })).status).toBe(404)
}, 60_000)

test("a function that never returns, one that throws and one that reads the server's environment end with clear errors", async () => {
  const stuck = await execute("never-returns")
  expect(stuck.status).toBe("ERROR")
  expect(stuck.error.errorMessage).toMatch(/timed out/i)

  const thrown = await execute("throws")
  expect(thrown).toMatchObject({ status: "ERROR", error: { errorType: "RangeError", errorMessage: "postcard stamp missing" } })
  expect(thrown.logs).toContain("about to fail")

  const snooping = await execute("reads-server-env", { serverPid: process.pid })
  expect(snooping.status).toBe("ERROR")
  expect(snooping.error.errorMessage).toMatch(/EACCES|permission denied/i)
  expect(snooping.logs).toContain("DATABASE_URL=unset APP_SECRET=unset")
}, 60_000)

/** The trigger runs of the app's function `uid`, oldest first. */
const runsOf = (uid: string) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ status: string; data: any; logs: string }>`SELECT r.status, r.data, r.logs FROM core."logicFunctionRun" r
                                                     JOIN core."logicFunction" f ON f.id = r."logicFunctionId"
                                                     WHERE f."universalIdentifier" = ${uid} ORDER BY r."createdAt"`))

/** The runs once one has `title` in its result and none is still running. */
const settledRuns = async (uid: string, title: string) => {
  const deadline = Date.now() + 30_000
  while (true) {
    const rows = await runsOf(uid)
    if (rows.some((r) => r.data?.title === title) && rows.every((r) => r.status !== "RUNNING")) return rows
    if (Date.now() > deadline) throw new Error(`runs of ${uid}: ${JSON.stringify(rows)}`)
    await Bun.sleep(100)
  }
}

test("the app's database-event trigger runs its function for each postcard created; a re-sync moves it", async () => {
  await startWorker()
  try {
    await triggerThenResync()
  } finally {
    await stopWorker()
  }
}, 90_000)

const triggerThenResync = async () => {
  const created = await records(`mutation { createPostcard(data: { title: "Triggered" }) { id } }`)
  expect(created.errors).toBeUndefined()
  const rows = await settledRuns(TRIGGERED_UID, "Triggered")
  const run = rows.find((r) => r.data?.title === "Triggered")
  expect(run).toMatchObject({ status: "SUCCESS", data: { event: "postcard.created", recordId: created.data.createPostcard.id } })
  expect(run!.logs).toContain("stamped Triggered")

  // The same manifest with the trigger on updates instead: a created postcard no longer runs it, an update does.
  const [stored] = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ manifest: any }>`SELECT manifest FROM core.application WHERE "universalIdentifier" = ${APP_UID}`))
  const manifest = structuredClone(stored!.manifest)
  const fn = manifest.logicFunctions.find((f: any) => f.universalIdentifier === TRIGGERED_UID)
  fn.databaseEventTriggerSettings = { eventName: "postcard.updated" }
  const synced = await app.gql(`mutation($m: JSON!) { syncApplication(manifest: $m) { actions } }`, { m: manifest }, accessToken)
  expect(synced.body.errors).toBeUndefined()
  const second = await records(`mutation { createPostcard(data: { title: "Untriggered" }) { id } }`)
  await records(`mutation($id: UUID!) { updatePostcard(id: $id, data: { title: "Retitled" }) { id } }`, { id: second.data.createPostcard.id })
  const after = await settledRuns(TRIGGERED_UID, "Retitled")
  expect(after.filter((r) => r.data?.title === "Untriggered")).toHaveLength(0)
  expect(after.find((r) => r.data?.title === "Retitled")!.data).toMatchObject({ event: "postcard.updated" })
}

test("uninstallApplication removes what the app owns", async () => {
  const answer = await app.gql<any>(`mutation($u: String!) { uninstallApplication(universalIdentifier: $u) }`, { u: APP_UID }, accessToken)
  expect(answer.body.errors).toBeUndefined()
  const after = await records(`{ postcards { edges { node { id } } } }`)
  expect(after.errors?.[0]?.message ?? "").toMatch(/postcards|Cannot query/)
  const functions = await app.gql<any>(`{ findManyLogicFunctions { universalIdentifier } }`, {}, accessToken)
  expect(functions.body.data.findManyLogicFunctions.map((f: any) => f.universalIdentifier)).not.toContain(FUNCTION_UID)
  // Its trigger went with its function (and the runs it recorded).
  expect(await runsOf(TRIGGERED_UID)).toHaveLength(0)
}, 60_000)

test("app:publish --private, app:install and app:uninstall: the installed app's object comes and goes", async () => {
  const published = await twenty("app:publish", "--private")
  if (process.env.SHOW_CLI) console.log(published.output)
  expect(published.code, published.output).toBe(0)
  const installed = await twenty("app:install")
  if (process.env.SHOW_CLI) console.log(installed.output)
  expect(installed.code, installed.output).toBe(0)

  const created = await records(`mutation { createPostcard(data: { title: "From the tarball" }) { title } }`)
  expect(created.errors).toBeUndefined()
  expect((await execute("greet", { name: "Tar" })).data.greeting).toBe("Hello, Tar!")

  const uninstalled = await twenty("app:uninstall", "--yes")
  expect(uninstalled.code, uninstalled.output).toBe(0)
  const after = await records(`{ postcards { edges { node { id } } } }`)
  expect(after.errors?.[0]?.message ?? "").toMatch(/postcards|Cannot query/)
}, 180_000)
