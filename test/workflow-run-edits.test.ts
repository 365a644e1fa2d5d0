/**
 * Twenty's updateWorkflowRunStep and testHttpRequest on real PostgreSQL and Redis, with the job runner's
 * worker in this process. `app` allows private addresses (to reach the local endpoint); `guarded`, a second
 * instance on the same database, keeps the SSRF guard's default.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { runRelay } from "../src/services/events/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { step, workflowClient } from "./support/workflows.js"

let app: TestApp
let guarded: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown> | null = null
let client: ReturnType<typeof workflowClient>
let guardedClient: ReturnType<typeof workflowClient>
let server: ReturnType<typeof Bun.serve>
let received: Array<{ method: string; path: string; body: string; header: string | null }> = []

beforeAll(async () => {
  app = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true" } })
  guarded = await startTestApp({ databaseUrl: app.databaseUrl })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
    yield* Effect.forkScoped(runRelay("20 millis"))
    yield* runWorker(registry, { pollInterval: "50 millis" })
    return yield* Effect.never
  }))))
  const account = await signUpWithWorkspace(app, { name: "Run Edits Co" })
  client = workflowClient(app, account.accessToken)
  guardedClient = workflowClient(guarded, account.accessToken)
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const path = new URL(request.url).pathname
      received.push({ method: request.method, path, body: await request.text(), header: request.headers.get("x-test") })
      if (path === "/slow") await Bun.sleep(1500)
      if (path === "/missing") return Response.json({ message: "no such thing" }, { status: 404 })
      return Response.json({ ok: true, path }, { headers: { "x-answer": "42" } })
    }
  })
}, 60_000)
afterAll(async () => {
  if (worker) await app.run(Fiber.interrupt(worker))
  server?.stop(true)
  await guarded?.close()
  await app?.close()
}, 30_000)

const uuid = () => crypto.randomUUID()
const manual = (next: Array<string>) => ({ type: "MANUAL", settings: {}, nextStepIds: next })

const untilStep = async (runId: string, stepId: string, status: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const record = await client.runRecord(runId)
    if (record?.state?.stepInfos?.[stepId]?.status === status) return record
    if (Date.now() > deadline) throw new Error(`step ${stepId} not ${status}: ${JSON.stringify(record?.state?.stepInfos)}`)
    await Bun.sleep(50)
  }
}

const UPDATE_RUN_STEP = `mutation($input: UpdateWorkflowRunStepInput!) {
  updateWorkflowRunStep(input: $input) { id name type settings valid nextStepIds }
}`
const TEST_HTTP = `mutation($input: TestHttpRequestInput!) {
  testHttpRequest(input: $input) { success message result error status statusText headers }
}`

test("updateWorkflowRunStep replaces the step in the run's own flow (a waiting form's fields), answers the step, refuses ended runs", async () => {
  const form = uuid()
  const { versionId } = await client.createWorkflow("Editable form", manual([form]), [
    step(form, "FORM", [{ id: uuid(), name: "company", label: "Company", type: "TEXT", placeholder: "Name" }])
  ])
  const runId = await client.run(versionId)
  const paused = await untilStep(runId, form, "PENDING")
  const original = paused.state.flow.steps[0]
  const edited = { ...original, settings: { ...original.settings, input: [{ ...original.settings.input[0], value: "Prefilled" }] } }

  const { body } = await client.meta(UPDATE_RUN_STEP, { input: { workflowRunId: runId, step: edited } })
  expect(body.errors).toBeUndefined()
  expect(body.data.updateWorkflowRunStep).toMatchObject({ id: form, type: "FORM", valid: true, nextStepIds: [] })
  expect(body.data.updateWorkflowRunStep.settings.input[0].value).toBe("Prefilled")
  const record = await client.runRecord(runId)
  expect(record.state.flow.steps[0].settings.input[0].value).toBe("Prefilled")
  expect(record.state.stepInfos[form].status).toBe("PENDING")
  // The version's own steps are untouched: only the run's copy changes.
  const version = await client.data(`query($id: UUID!) { workflowVersion(filter: { id: { eq: $id } }) { steps } }`, { id: versionId })
  expect(version.workflowVersion.steps[0].settings.input[0].value).toBeUndefined()

  await client.metaData(`mutation($input: SubmitFormStepInput!) { submitFormStep(input: $input) }`, {
    input: { stepId: form, workflowRunId: runId, response: { company: "Done" } }
  })
  expect((await client.settled(runId)).status).toBe("COMPLETED")
  const ended = await client.meta(UPDATE_RUN_STEP, { input: { workflowRunId: runId, step: edited } })
  expect(ended.body.errors?.[0]?.message).toBe("Cannot update steps of a completed or failed workflow run")
  expect(ended.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")

  const missing = await client.meta(UPDATE_RUN_STEP, { input: { workflowRunId: uuid(), step: edited } })
  expect(missing.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  const malformed = await client.meta(UPDATE_RUN_STEP, { input: { workflowRunId: runId, step: { name: "no id" } } })
  expect(malformed.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
})

test("an edit made while a step is in flight is kept: the worker's next state writes leave the run's flow alone", async () => {
  const [call, after] = [uuid(), uuid()]
  const { versionId } = await client.createWorkflow("Edited while running", manual([call]), [
    step(call, "HTTP_REQUEST", { url: `http://127.0.0.1:${server.port}/slow`, method: "GET" }, [after]),
    step(after, "FIND_RECORDS", { objectName: "company", limit: 1 })
  ])
  const runId = await client.run(versionId)
  const running = await untilStep(runId, call, "RUNNING")
  const original = running.state.flow.steps.find((s: { id: string }) => s.id === after)
  const { body } = await client.meta(UPDATE_RUN_STEP, { input: { workflowRunId: runId, step: { ...original, name: "Renamed mid-run" } } })
  expect(body.errors).toBeUndefined()
  const run = await client.settled(runId)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[call].status).toBe("SUCCESS")
  expect(run.state.flow.steps.find((s: { id: string }) => s.id === after).name).toBe("Renamed mid-run")
})

test("testHttpRequest sends the request once and answers Twenty's TestHttpRequest: result, status, statusText, headers", async () => {
  received = []
  const url = `http://127.0.0.1:${server.port}/hook`
  const { body } = await client.meta(TEST_HTTP, { input: { url, method: "POST", headers: { "x-test": "yes" }, body: { a: 1 } } })
  expect(body.errors).toBeUndefined()
  expect(body.data.testHttpRequest).toMatchObject({
    success: true,
    message: `HTTP POST request to ${url} completed successfully`,
    result: { ok: true, path: "/hook" },
    status: 200,
    statusText: "OK",
    error: null
  })
  expect(body.data.testHttpRequest.headers["x-answer"]).toBe("42")
  expect(received).toEqual([{ method: "POST", path: "/hook", body: JSON.stringify({ a: 1 }), header: "yes" }])

  const notFound = await client.meta(TEST_HTTP, { input: { url: `http://127.0.0.1:${server.port}/missing`, method: "GET" } })
  expect(notFound.body.data.testHttpRequest).toMatchObject({ success: false, error: { message: "no such thing" }, status: null })
  expect(notFound.body.data.testHttpRequest.message).toContain("failed")
})

test("testHttpRequest goes through the SSRF guard: a private target is refused and never reached", async () => {
  received = []
  const url = `http://127.0.0.1:${server.port}/hook`
  const { body } = await guardedClient.meta(TEST_HTTP, { input: { url, method: "GET" } })
  expect(body.errors).toBeUndefined()
  expect(body.data.testHttpRequest.success).toBe(false)
  expect(body.data.testHttpRequest.error).toContain("private address")
  expect(received).toEqual([])
  const bad = await guardedClient.meta(TEST_HTTP, { input: { url: "ftp://example.com/x", method: "GET" } })
  expect(bad.body.data.testHttpRequest).toMatchObject({ success: false, error: "url must use http or https" })
})
