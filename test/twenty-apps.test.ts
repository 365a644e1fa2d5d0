/**
 * Twenty apps: the real `twenty` CLI (twenty-sdk 2.43.0) against a Score this test serves on a loopback
 * port, on the fixture app in test/fixtures/twenty-app (one object with its field, a default role, one logic
 * function). The CLI keeps its config in a temporary HOME; the app is copied to a temporary directory with
 * node_modules linking twenty-sdk and typescript (the CLI typechecks and builds the app) and a copy of
 * twenty-client-sdk (the CLI regenerates its client there). The sandbox may use the network here, so the
 * app's function can call this Score back with its token.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { freePort } from "./support/process.js"

const ROOT = join(import.meta.dir, "..")
const CLI = join(ROOT, "node_modules/twenty-sdk/dist/cli.cjs")
const APP_UID = "5c0e6f2a-7a41-4a51-9d1b-2f7c3e6a9b10"
const FUNCTION_UID = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"

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
  server = Bun.serve({ port, hostname: "127.0.0.1", fetch: (request) => app.handle(request) })
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

afterAll(async () => {
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

test("uninstallApplication removes what the app owns", async () => {
  const answer = await app.gql<any>(`mutation($u: String!) { uninstallApplication(universalIdentifier: $u) }`, { u: APP_UID }, accessToken)
  expect(answer.body.errors).toBeUndefined()
  const after = await records(`{ postcards { edges { node { id } } } }`)
  expect(after.errors?.[0]?.message ?? "").toMatch(/postcards|Cannot query/)
  const functions = await app.gql<any>(`{ findManyLogicFunctions { universalIdentifier } }`, {}, accessToken)
  expect(functions.body.data.findManyLogicFunctions.map((f: any) => f.universalIdentifier)).not.toContain(FUNCTION_UID)
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
