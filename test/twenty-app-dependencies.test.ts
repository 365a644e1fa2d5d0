/**
 * Twenty apps' npm dependencies: the package.json and yarn.lock an app uploads (folder Dependencies, as
 * `twenty apply` does) are installed at sync time under DATA_DIR, keyed by their checksum, and the app's
 * function imports from them in the sandbox. The fixture (test/fixtures/twenty-app-dependencies) is a built
 * function importing is-number 7.0.0, as a bundler keeping npm packages external leaves it. Needs the npm
 * registry once (the first install); DATA_DIR is this file's own.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

const FIXTURE = join(import.meta.dir, "fixtures/twenty-app-dependencies")
const fixture = (name: string) => readFileSync(join(FIXTURE, name), "utf8")

let app: TestApp
let dataDir: string
let accessToken: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "score-app-deps-"))
  app = await startTestApp({ env: { DATA_DIR: dataDir, DATABASE_POOL_SIZE: "3", LOGIC_FUNCTION_TIMEOUT: "20s" } })
  accessToken = (await signUpWithWorkspace(app, { name: "Deps Co" })).accessToken
})

afterAll(async () => {
  await app?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const gql = async (query: string, variables: Record<string, unknown>) => (await app.gql<any>(query, variables, accessToken)).body

const localPath = (url: string) => `${new URL(url).pathname}${new URL(url).search}`

interface AppFile {
  readonly folder: "Dependencies" | "BuiltLogicFunction"
  readonly path: string
  readonly content: string
}

/** A development app with `files` uploaded as the CLI uploads them; answers its manifest with a function per built file. */
const uploadApp = async (files: ReadonlyArray<AppFile>) => {
  const uid = crypto.randomUUID()
  expect((await gql(`mutation($u: String!) { createDevelopmentApplication(universalIdentifier: $u, name: "Deps") { id } }`, { u: uid })).errors).toBeUndefined()
  const requests = files.map((f) => ({ fileFolder: f.folder, filePath: f.path, size: new TextEncoder().encode(f.content).byteLength }))
  const created = await gql(
    `mutation($u: String!, $f: [ApplicationFileUploadRequestInput!]!) { createApplicationFileUploads(applicationUniversalIdentifier: $u, files: $f) { targets { fileId filePath uploadUrl } errors { message } } }`,
    { u: uid, f: requests }
  )
  expect(created.errors).toBeUndefined()
  const targets = created.data.createApplicationFileUploads.targets
  for (const target of targets) {
    const bytes = new TextEncoder().encode(files.find((f) => f.path === target.filePath)!.content)
    const put = await app.request(localPath(target.uploadUrl), { method: "PUT", body: bytes, headers: { "content-length": String(bytes.byteLength) } })
    expect(put.status).toBe(200)
  }
  const completed = await gql(`mutation($u: String!, $ids: [UUID!]!) { completeApplicationFileUploads(applicationUniversalIdentifier: $u, fileIds: $ids) { errors { message } } }`, {
    u: uid, ids: targets.map((t: any) => t.fileId)
  })
  expect(completed.data.completeApplicationFileUploads.errors).toEqual([])
  const built = files.filter((f) => f.folder === "BuiltLogicFunction").map((f) => ({ path: f.path, uid: crypto.randomUUID() }))
  const manifest = {
    application: { universalIdentifier: uid, displayName: "Deps" },
    logicFunctions: built.map((f) => ({
      universalIdentifier: f.uid, name: f.path.replace(".mjs", ""), timeoutSeconds: 10, handlerName: "default.config.handler",
      sourceHandlerPath: `src/${f.path.replace(".mjs", ".ts")}`, builtHandlerPath: f.path
    }))
  }
  return { uid, functionUid: built[0]!.uid, functionUids: built.map((f) => f.uid), manifest }
}

const sync = (manifest: unknown, dryRun = false) => gql(`mutation($m: JSON!, $d: Boolean) { syncApplication(manifest: $m, dryRun: $d) { actions } }`, { m: manifest, d: dryRun })

const execute = async (functionUid: string, payload: unknown) => {
  const functions = await gql(`{ findManyLogicFunctions { id universalIdentifier } }`, {})
  const fn = functions.data.findManyLogicFunctions.find((f: any) => f.universalIdentifier === functionUid)
  expect(fn).toBeDefined()
  const answer = await gql(`mutation($id: UUID!, $p: JSON!) { executeOneLogicFunction(input: { id: $id, payload: $p }) { data logs status error } }`, { id: fn.id, p: payload })
  expect(answer.errors).toBeUndefined()
  return answer.data.executeOneLogicFunction
}

const appFiles = (packageJson = fixture("package.json"), yarnLock: string | null = fixture("yarn.lock")): Array<AppFile> => [
  { folder: "Dependencies", path: "package.json", content: packageJson },
  ...(yarnLock === null ? [] : [{ folder: "Dependencies" as const, path: "yarn.lock", content: yarnLock }]),
  { folder: "BuiltLogicFunction", path: "count-numbers.mjs", content: fixture("count-numbers.mjs") }
]

const installations = () => readdirSync(join(dataDir, "app-dependencies")).filter((name) => !name.startsWith("."))

test("without its dependencies installed the function cannot import is-number", async () => {
  const bare = await uploadApp([{ folder: "BuiltLogicFunction", path: "count-numbers.mjs", content: fixture("count-numbers.mjs") }])
  expect((await sync(bare.manifest)).errors).toBeUndefined()
  const result = await execute(bare.functionUid, { values: [1] })
  expect(result.status).toBe("ERROR")
  expect(result.error.errorMessage).toContain("is-number")
}, 60_000)

let installedDir: string

test("a dry run installs nothing; the sync installs the app's dependencies and its function imports them", async () => {
  const first = await uploadApp(appFiles())
  const planned = await sync(first.manifest, true)
  expect(planned.errors).toBeUndefined()
  expect(existsSync(join(dataDir, "app-dependencies"))).toBe(false)

  const synced = await sync(first.manifest)
  expect(synced.errors).toBeUndefined()
  expect(installations()).toHaveLength(1)
  installedDir = join(dataDir, "app-dependencies", installations()[0]!)
  expect(existsSync(join(installedDir, "node_modules/is-number/package.json"))).toBe(true)

  const result = await execute(first.functionUid, { values: [1, "2", "x", NaN, "0x1F"] })
  expect(result).toMatchObject({ status: "SUCCESS", data: { numbers: 3, of: 5 } })
}, 120_000)

test("the installed packages are read-only to a function", async () => {
  const app = await uploadApp([...appFiles(), { folder: "BuiltLogicFunction", path: "overwrite-dependency.mjs", content: fixture("overwrite-dependency.mjs") }])
  expect((await sync(app.manifest)).errors).toBeUndefined()
  const result = await execute(app.functionUids[1]!, {})
  expect(result.status).toBe("SUCCESS")
  expect(result.data.overwritten).toBe(false)
  expect(["EROFS", "EACCES"]).toContain(result.data.code)
  expect((await execute(app.functionUid, { values: [1] })).data).toEqual({ numbers: 1, of: 1 })
}, 120_000)

test("a second app with the same lockfile reuses the installation", async () => {
  const marker = readFileSync(join(installedDir, ".installed"), "utf8")
  const modified = statSync(join(installedDir, "node_modules/is-number/package.json")).mtimeMs
  // A file the installer would not leave in place had it installed again.
  writeFileSync(join(installedDir, "reused-by-test"), "")
  const second = await uploadApp(appFiles())
  expect((await sync(second.manifest)).errors).toBeUndefined()
  expect(installations()).toHaveLength(1)
  expect(readFileSync(join(installedDir, ".installed"), "utf8")).toBe(marker)
  expect(statSync(join(installedDir, "node_modules/is-number/package.json")).mtimeMs).toBe(modified)
  expect(existsSync(join(installedDir, "reused-by-test"))).toBe(true)
  expect((await execute(second.functionUid, { values: ["7"] })).data).toEqual({ numbers: 1, of: 1 })
}, 120_000)

test("a failed install fails the sync with a clear error and applies nothing", async () => {
  // package.json names a package its frozen lockfile lacks.
  const packageJson = JSON.stringify({ name: "broken", version: "0.1.0", dependencies: { "is-number": "7.0.0", "is-odd": "3.0.1" } })
  const broken = await uploadApp(appFiles(packageJson))
  const synced = await sync(broken.manifest)
  expect(synced.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  expect(synced.errors?.[0]?.message).toMatch(/Installing the app's npm dependencies failed: .+/)
  const functions = await gql(`{ findManyLogicFunctions { universalIdentifier } }`, {})
  expect(functions.data.findManyLogicFunctions.map((f: any) => f.universalIdentifier)).not.toContain(broken.functionUid)
  expect(installations()).toHaveLength(1)
}, 120_000)
