/** Embedded mode (PGlite, in-memory queue, jobs in the server's process): a record event starts a workflow run too. */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"
import { step, workflowClient } from "./support/workflows.js"

const dataDir = mkdtempSync(join(tmpdir(), "score-embedded-workflows-"))
let server: ServerProcess

beforeAll(async () => {
  // Private targets allowed: the HTTP_REQUEST step below calls a receiver on loopback.
  server = await startServer({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "3s", LOG_LEVEL: "Error", WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true", ...UNTHROTTLED }, 60_000)
}, 60_000)
afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The parts of TestApp the flows use, over the server's port. */
const remote = (url: string) => {
  const request = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init)
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
    const response = await request("/metadata", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return { status: response.status, body: (await response.json()) as any }
  }
  return { request, gql } as unknown as TestApp
}

test("a company created on the embedded server starts its workflow, run in-process; HTTP_REQUEST feeds the next step", async () => {
  const app = remote(server.url)
  const account = await signUpWithWorkspace(app)
  const client = workflowClient(app, account.accessToken)
  const [call, noteStep] = [crypto.randomUUID(), crypto.randomUUID()]
  const received: Array<unknown> = []
  const receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      received.push({ method: request.method, body: await request.json() })
      return Response.json({ greeting: "welcome" })
    }
  })
  afterAll(() => receiver.stop(true))
  const { workflowId, versionId } = await client.createWorkflow(
    "Embedded",
    { type: "DATABASE_EVENT", settings: { eventName: "company.created" }, nextStepIds: [call] },
    [
      step(call, "HTTP_REQUEST", { url: `http://127.0.0.1:${receiver.port}/hook`, method: "POST", headers: {}, body: { company: "{{trigger.properties.after.name}}" } }, [noteStep]),
      step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: `{{${call}.greeting}} {{trigger.properties.after.name}}` } })
    ]
  )
  await client.activate(versionId)
  await client.data(`mutation { createCompany(data: { name: "Pglite Ltd" }) { id } }`)
  let runs: any
  for (let i = 0; i < 200; i++) {
    runs = await client.data(`query($id: UUID!) { workflowRuns(filter: { workflowId: { eq: $id } }) { edges { node { id status } } } }`, { id: workflowId })
    if (runs.workflowRuns.edges[0]?.node.status === "COMPLETED") break
    await Bun.sleep(100)
  }
  expect(runs.workflowRuns.edges.map((e: any) => e.node.status)).toEqual(["COMPLETED"])
  const notes = await client.data(`{ notes(filter: { title: { like: "welcome%" } }) { edges { node { title } } } }`)
  expect(notes.notes.edges.map((e: any) => e.node.title)).toEqual(["welcome Pglite Ltd"])
  expect(received).toEqual([{ method: "POST", body: { company: "Pglite Ltd" } }])
}, 60_000)

test("a CODE step runs in the sandbox on the embedded server too, its result feeding the next step", async () => {
  const app = remote(server.url)
  const account = await signUpWithWorkspace(app)
  const client = workflowClient(app, account.accessToken)
  const { createOneLogicFunction: fn } = await client.metaData(`mutation { createOneLogicFunction(input: { name: "upper" }) { id } }`)
  await client.metaData(`mutation($id: UUID!, $code: String!) { updateOneLogicFunction(input: { id: $id, update: { sourceHandlerCode: $code } }) }`, {
    id: fn.id,
    code: "export const main = async (params: { name: string }) => ({ upper: params.name.toUpperCase() })"
  })
  const [code, noteStep] = [crypto.randomUUID(), crypto.randomUUID()]
  const { versionId } = await client.createWorkflow("Embedded code", { type: "MANUAL", settings: {}, nextStepIds: [code] }, [
    step(code, "CODE", { logicFunctionId: fn.id, logicFunctionInput: { name: "{{trigger.name}}" } }, [noteStep]),
    step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: `{{${code}.upper}}` } })
  ])
  const run = await client.settled(await client.run(versionId, { name: "ada" }), 40_000)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[code]).toMatchObject({ status: "SUCCESS", result: { upper: "ADA" } })
  expect(run.state.stepInfos[noteStep]).toMatchObject({ status: "SUCCESS", result: { title: "ADA" } })
}, 60_000)
