/** Bulk import and export on the embedded database (PGlite, in-memory queue): the job runs inside the server. */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"

const dataDir = mkdtempSync(join(tmpdir(), "score-embedded-bulk-"))
let server: ServerProcess
let apiKey: string

const client = (url: string) =>
  ({
    gql: async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
      const response = await fetch(`${url}/metadata`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables })
      })
      return { status: response.status, body: await response.json() as any }
    }
  }) as unknown as TestApp

beforeAll(async () => {
  server = await startServer({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "3s", ...UNTHROTTLED }, 60_000)
  const account = await signUpWithWorkspace(client(server.url))
  apiKey = (await createApiKey(client(server.url), account.accessToken)).token
}, 60_000)

afterAll(() => {
  server?.proc.kill("SIGKILL")
  rmSync(dataDir, { recursive: true, force: true })
})

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } })

test("a CSV import runs as a job inside the embedded server (INSERT staging), then exports page by page", async () => {
  const rows = Array.from({ length: 450 }, (_, i) => `Embedded ${String(i).padStart(3, "0")},${i % 7 === 0 ? "many" : i}`)
  const started = await call("/rest/companies/import?format=csv", { method: "POST", body: ["name,employees", ...rows].join("\n") })
  expect(started.status).toBe(202)
  const id = ((await started.json()) as any).data.import.id
  let run: any
  for (let i = 0; i < 200; i++) {
    run = ((await (await call(`/rest/imports/${id}`)).json()) as any).data.import
    if (run.status === "COMPLETED") break
    await Bun.sleep(50)
  }
  const refused = rows.filter((_, i) => i % 7 === 0).length
  expect(run).toMatchObject({ status: "COMPLETED", totalRows: 450, createdRows: 450 - refused, failedRows: refused })
  expect(run.errors[0]).toEqual({ row: 1, message: `Invalid number value 'many' for field "employees"` })

  const exported = await call(`/rest/companies/export?format=jsonl&filter=${encodeURIComponent(`name[like]:"Embedded %"`)}&order_by=name`)
  expect(exported.status).toBe(200)
  const records = (await exported.text()).trim().split("\n").map((line) => JSON.parse(line))
  expect(records).toHaveLength(450 - refused)
  expect(records.map((r) => r.name)).toEqual(rows.filter((_, i) => i % 7 !== 0).map((r) => r.split(",")[0]))
}, 60_000)
