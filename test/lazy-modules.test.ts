/**
 * Heavy libraries stay out of the deployed processes' start: the bundle's entries (main, worker) load none
 * of them until a path needs one (`lazyModule`, chunks of scripts/bundle.ts); and such a chunk does load
 * from the deployed bundle (a mail written with nodemailer by `bun scripts/run.ts main`), and the sandbox
 * child (dist/child.js, importing shared chunks) still runs a logic function.
 */
import { afterAll, expect, test } from "bun:test"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bundleOptions } from "../scripts/bundle.js"
import { TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { startServer } from "./support/process.js"

const LAZY = [
  "nodemailer",
  "imapflow",
  "mailparser",
  "libmime",
  "html-to-text",
  "tsdav",
  "ical.js",
  "@aws-sdk/client-s3",
  "@clickhouse/client",
  "openid-client",
  "@sentry/bun"
]

const cleanup: Array<() => unknown> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? null

test("main and worker load none of the heavy libraries at start; each is a chunk imported on demand", async () => {
  const outdir = mkdtempSync(join(tmpdir(), "score-lazy-bundle-"))
  cleanup.push(() => rmSync(outdir, { recursive: true, force: true }))
  const result = await Bun.build({ ...bundleOptions(join(import.meta.dir, ".."), outdir), metafile: true })
  expect(result.success).toBe(true)
  expect(readdirSync(outdir)).toContain("child.js")
  const outputs = result.metafile!.outputs
  const packagesIn = (file: string) => new Set(Object.keys(outputs[file]!.inputs).map(packageOf).filter((p) => p !== null))
  const staticClosure = (entry: string) => {
    const seen = new Set<string>()
    const stack = [entry]
    while (stack.length > 0) {
      const file = stack.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      for (const { path, kind } of outputs[file]!.imports) if (kind !== "dynamic-import") stack.push(path)
    }
    return [...seen]
  }
  const everywhere = new Set(Object.keys(outputs).flatMap((file) => [...packagesIn(file)]))
  for (const entry of ["./main.js", "./worker.js"]) {
    const files = staticClosure(entry)
    const atStart = new Set(files.flatMap((file) => [...packagesIn(file)]))
    expect(LAZY.filter((name) => atStart.has(name))).toEqual([])
    // sharp is external (a native binding): imported by name, only dynamically.
    expect(files.some((file) => /from\s*"sharp"/.test(readFileSync(join(outdir, file), "utf8")))).toBe(false)
  }
  expect(LAZY.filter((name) => !everywhere.has(name))).toEqual([])
}, 120_000)

test("the deployed server loads a lazy chunk when a path needs it (a password reset mail), and its sandbox child runs", async () => {
  const database = await createTestDatabase()
  cleanup.push(() => database.drop())
  const dataDir = mkdtempSync(join(tmpdir(), "score-lazy-outbox-"))
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
  // No Redis: the mail job runs in the server's process.
  const server = await startServer({ DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2", DATA_DIR: dataDir }, 120_000)
  cleanup.push(() => server.stop())
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
    const response = await fetch(`${server.url}/metadata`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return { status: response.status, body: (await response.json()) as any }
  }
  const account = await signUpWithWorkspace({ gql } as unknown as TestApp, { email: "lazy@example.com" })
  expect((await gql(`mutation { emailPasswordResetLink(email: "lazy@example.com") { success } }`)).body.data).toEqual({ emailPasswordResetLink: { success: true } })
  const outbox = join(dataDir, "outbox")
  const deadline = Date.now() + 20_000
  let mails: Array<string> = []
  while (mails.length === 0 && Date.now() < deadline) {
    await Bun.sleep(100)
    mails = (() => {
      try {
        return readdirSync(outbox).filter((file) => file.endsWith(".eml"))
      } catch {
        return []
      }
    })()
  }
  expect(mails).toHaveLength(1)
  expect(readFileSync(join(outbox, mails[0]!), "utf8")).toContain("To: lazy@example.com")

  const created = await gql(
    `mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { id } }`,
    { input: { name: "Doubler", source: { sourceHandlerCode: "export const double = async (p: { n: number }) => p.n * 2", handlerName: "double", toolInputSchema: {} } } },
    account.accessToken
  )
  const executed = await gql(
    `mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: { n: 21 } }) { data status error } }`,
    { id: created.body.data.createOneLogicFunction.id },
    account.accessToken
  )
  expect(executed.body.data.executeOneLogicFunction).toEqual({ status: "SUCCESS", data: 42, error: null })
}, 180_000)
