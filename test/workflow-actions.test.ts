/**
 * SEND_EMAIL, DELAY, ITERATOR and FORM on real PostgreSQL and Redis, with a real SMTP server (smtp-server,
 * started here) and the job runner's worker in this process.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import { enqueueRun } from "../src/services/workflows/executor.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { decodedText, startTestSmtp } from "./support/smtp.js"
import { step, workflowClient } from "./support/workflows.js"
import { inProcessWorker } from "./support/worker.js"

let app: TestApp
let smtp: Awaited<ReturnType<typeof startTestSmtp>>
let client: ReturnType<typeof workflowClient>
let workspaceId: string

/** The relay and the worker, which run the workflows' steps. */
const { start: startWorker, stop: stopWorker } = inProcessWorker(() => app)

beforeAll(async () => {
  smtp = await startTestSmtp()
  app = await startTestApp({
    env: { EMAIL_SMTP_HOST: "127.0.0.1", EMAIL_SMTP_PORT: String(smtp.port), EMAIL_SMTP_NO_TLS: "true", EMAIL_FROM_ADDRESS: "score@example.com" }
  })
  await startWorker()
  const account = await signUpWithWorkspace(app, { name: "Actions Co" })
  workspaceId = account.workspaceId
  client = workflowClient(app, account.accessToken)
}, 60_000)
afterAll(async () => {
  await stopWorker()
  await app.close()
  await smtp.close()
}, 30_000)

const uuid = () => crypto.randomUUID()
const manual = (next: Array<string>) => ({ type: "MANUAL", settings: {}, nextStepIds: next })

const waitFor = async <A>(probe: () => A | undefined, timeoutMs = 15_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("timed out")
    await Bun.sleep(50)
  }
}

test("SEND_EMAIL sends the mail, variables resolved, to each recipient; the step's result is { success: true }", async () => {
  const send = uuid()
  const { versionId } = await client.createWorkflow("Mail", manual([send]), [
    step(send, "SEND_EMAIL", { recipients: { to: "{{trigger.to}}", cc: "", bcc: "audit@example.com" }, subject: "Hello {{trigger.name}}", body: "Dear {{trigger.name}},\nwelcome." })
  ])
  const runId = await client.run(versionId, { to: "ada@example.com", name: "Ada" })
  const run = await client.settled(runId)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[send]).toMatchObject({ status: "SUCCESS", result: { success: true } })
  const ada = await waitFor(() => smtp.received.find((m) => m.to.includes("ada@example.com")))
  expect(ada.raw).toContain("Subject: Hello Ada")
  expect(decodedText(ada.raw)).toContain("Dear Ada,")
  await waitFor(() => smtp.received.find((m) => m.to.includes("audit@example.com")))
})

test("SEND_EMAIL run again after its mail was sent (its worker died before the step's SUCCESS was written) sends nothing twice", async () => {
  const send = uuid()
  const { versionId } = await client.createWorkflow("Mail once", manual([send]), [
    step(send, "SEND_EMAIL", { email: "once@example.com", subject: "Only once", body: "Hello" })
  ])
  const runId = await client.run(versionId)
  expect((await client.settled(runId)).status).toBe("COMPLETED")
  await waitFor(() => smtp.received.find((m) => m.to.includes("once@example.com")))
  // The state a worker killed between the send and the step's write leaves: the step RUNNING, the run too.
  await app.run(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [dataSource] = yield* sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${workspaceId}`
    const schema = dataSource!.schema
    yield* sql`UPDATE ${sql(schema)}."workflowRun"
                  SET status = 'RUNNING', "endedAt" = NULL,
                      state = jsonb_set(state, ${`{stepInfos,${send}}`}::text[], '{"status":"RUNNING","attempts":1}'::jsonb)
                WHERE id = ${runId}`
    yield* enqueueRun(workspaceId, runId, { suffix: "-after-crash" })
  }))
  const again = await client.settled(runId)
  expect(again.status).toBe("COMPLETED")
  expect(again.state.stepInfos[send]).toMatchObject({ status: "SUCCESS", attempts: 2 })
  await Bun.sleep(1500)
  expect(smtp.received.filter((m) => m.to.includes("once@example.com"))).toHaveLength(1)
})

test("SEND_EMAIL without a recipient, or with an invalid one, fails the step with a clear error", async () => {
  const send = uuid()
  const { versionId } = await client.createWorkflow("Bad mail", manual([send]), [step(send, "SEND_EMAIL", { email: "not an address", subject: "x", body: "y" })])
  const run = await client.settled(await client.run(versionId))
  expect(run.status).toBe("FAILED")
  expect(run.state.stepInfos[send]).toMatchObject({ status: "FAILED", error: "Email not an address is invalid" })
  const empty = uuid()
  const other = await client.createWorkflow("No recipient", manual([empty]), [step(empty, "SEND_EMAIL", { email: "", subject: "x", body: "y" })])
  const second = await client.settled(await client.run(other.versionId))
  expect(second.state.stepInfos[empty]).toMatchObject({ status: "FAILED", error: "Email is required" })
})

const untilStep = async (runId: string, stepId: string, status: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const record = await client.runRecord(runId)
    if (record?.state?.stepInfos?.[stepId]?.status === status) return record
    if (Date.now() > deadline) throw new Error(`step ${stepId} not ${status}: ${JSON.stringify(record?.state?.stepInfos)}`)
    await Bun.sleep(50)
  }
}

test("DELAY pauses the run PENDING; a job queued for its time resumes it, even on a worker started after the pause", async () => {
  const wait = uuid()
  const after = uuid()
  const { versionId } = await client.createWorkflow("Delayed", manual([wait]), [
    step(wait, "DELAY", { delayType: "DURATION", duration: { days: 0, hours: 0, minutes: 0, seconds: 3 } }, [after]),
    step(after, "CREATE_RECORD", { objectName: "company", objectRecord: { name: "After the delay" } })
  ])
  const startedAt = Date.now()
  const runId = await client.run(versionId)
  const paused = await untilStep(runId, wait, "PENDING")
  expect(paused.status).toBe("RUNNING")
  expect(paused.state.stepInfos[after].status).toBe("NOT_STARTED")
  const resumeAt = Date.parse(paused.state.stepInfos[wait].resumeAt)
  expect(resumeAt - startedAt).toBeGreaterThanOrEqual(2_500)

  await stopWorker()
  await Bun.sleep(Math.max(0, resumeAt - Date.now()) + 500)
  expect((await client.runRecord(runId)).state.stepInfos[wait].status).toBe("PENDING")
  await startWorker()
  const run = await client.settled(runId)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[wait]).toMatchObject({ status: "SUCCESS", result: { success: true } })
  expect(run.state.stepInfos[after].status).toBe("SUCCESS")
  const companies = await client.data(`{ companies(filter: { name: { eq: "After the delay" } }) { totalCount } }`)
  expect(companies.companies.totalCount).toBe(1)
})

test("DELAY to a date already past resumes at once; a bad delay fails the step", async () => {
  const wait = uuid()
  const { versionId } = await client.createWorkflow("Past date", manual([wait]), [
    step(wait, "DELAY", { delayType: "SCHEDULED_DATE", scheduledDateTime: "2020-01-01T00:00:00.000Z" })
  ])
  const run = await client.settled(await client.run(versionId))
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[wait]).toMatchObject({ status: "SUCCESS", result: { success: true } })
  const bad = uuid()
  const other = await client.createWorkflow("Bad delay", manual([bad]), [step(bad, "DELAY", { delayType: "DURATION", duration: { minutes: -1 } })])
  const failed = await client.settled(await client.run(other.versionId))
  expect(failed.state.stepInfos[bad].status).toBe("FAILED")
  expect(failed.state.stepInfos[bad].error).toContain("none negative")
})

test("ITERATOR over FIND_RECORDS' records runs its loop once per item, then the steps after it", async () => {
  const tag = `Iter ${uuid().slice(0, 8)}`
  for (const n of [1, 2, 3]) {
    await client.data(`mutation($name: String) { createCompany(data: { name: $name }) { id } }`, { name: `${tag} ${n}` })
  }
  const find = uuid()
  const iterate = uuid()
  const body = uuid()
  const done = uuid()
  const { versionId } = await client.createWorkflow("Loop", manual([find]), [
    step(find, "FIND_RECORDS", { objectName: "company", limit: 10, filter: { gqlOperationFilter: [{ name: { like: `${tag}%` } }] } }, [iterate]),
    step(iterate, "ITERATOR", { items: `{{${find}.all}}`, initialLoopStepIds: [body] }, [done]),
    step(body, "CREATE_RECORD", {
      objectName: "person",
      objectRecord: { name: { firstName: "Item {{" + iterate + ".currentItemIndex}}", lastName: `{{${iterate}.currentItem.name}}` } }
    }, [iterate]),
    step(done, "CREATE_RECORD", { objectName: "company", objectRecord: { name: `${tag} done` } })
  ])
  const run = await client.settled(await client.run(versionId))
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[iterate]).toMatchObject({ status: "SUCCESS", result: { hasProcessedAllItems: true } })
  const people = await client.data(`query($like: String) { people(filter: { name: { lastName: { like: $like } } }) { edges { node { name { firstName lastName } } } } }`, { like: `${tag}%` })
  const names = people.people.edges.map((e: any) => `${e.node.name.firstName}/${e.node.name.lastName}`).sort()
  expect(names).toHaveLength(3)
  expect(names.map((n: string) => n.split("/")[1]).sort()).toEqual([`${tag} 1`, `${tag} 2`, `${tag} 3`])
  expect(names.map((n: string) => n.split("/")[0]).sort()).toEqual(["Item 0", "Item 1", "Item 2"])
  const after = await client.data(`query($name: String) { companies(filter: { name: { eq: $name } }) { totalCount } }`, { name: `${tag} done` })
  expect(after.companies.totalCount).toBe(1)
})

test("ITERATOR over an empty array goes straight to its next steps; items that are not an array fail it", async () => {
  const iterate = uuid()
  const body = uuid()
  const { versionId } = await client.createWorkflow("Empty loop", manual([iterate]), [
    step(iterate, "ITERATOR", { items: "{{trigger.items}}", initialLoopStepIds: [body] }),
    step(body, "CREATE_RECORD", { objectName: "company", objectRecord: { name: "never" } }, [iterate])
  ])
  const run = await client.settled(await client.run(versionId, { items: [] }))
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[iterate].result).toEqual({ hasProcessedAllItems: true })
  expect(run.state.stepInfos[body].status).toBe("NOT_STARTED")
  const bad = await client.settled(await client.run(versionId, { items: "not a list" }))
  expect(bad.state.stepInfos[iterate]).toMatchObject({ status: "FAILED", error: "Iterator items must be an array" })
})

const submit = async (stepId: string, workflowRunId: string, response: unknown): Promise<{ body: any }> =>
  await client.meta(`mutation($input: SubmitFormStepInput!) { submitFormStep(input: $input) }`, { input: { stepId, workflowRunId, response } })

test("FORM pauses the run PENDING until submitFormStep; its response is the step's result for the next steps", async () => {
  const form = uuid()
  const create = uuid()
  const { versionId } = await client.createWorkflow("Form", manual([form]), [
    step(form, "FORM", [{ id: uuid(), name: "company", label: "Company", type: "TEXT", placeholder: "Name" }], [create]),
    step(create, "CREATE_RECORD", { objectName: "company", objectRecord: { name: `{{${form}.company}}` } })
  ])
  const runId = await client.run(versionId)
  const paused = await untilStep(runId, form, "PENDING")
  expect(paused.status).toBe("RUNNING")
  await Bun.sleep(300)
  expect((await client.runRecord(runId)).state.stepInfos[create].status).toBe("NOT_STARTED")

  const wrongStep = await submit(create, runId, { company: "x" })
  expect(wrongStep.body.errors[0].message).toBe("Step is not a form")
  expect(wrongStep.body.errors[0].extensions.code).toBe("BAD_USER_INPUT")
  const notObject = await submit(form, runId, "just text")
  expect(notObject.body.errors[0].message).toBe("Form response must be an object")

  const name = `Formed ${uuid().slice(0, 8)}`
  const submitted = await submit(form, runId, { company: name })
  expect(submitted.body).toEqual({ data: { submitFormStep: true } })
  const run = await client.settled(runId)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[form]).toMatchObject({ status: "SUCCESS", result: { company: name } })
  const found = await client.data(`query($name: String) { companies(filter: { name: { eq: $name } }) { totalCount } }`, { name })
  expect(found.companies.totalCount).toBe(1)

  const again = await submit(form, runId, { company: "twice" })
  expect(again.body.errors[0].message).toBe("Form step is not waiting for a response")
  const missing = await submit(form, uuid(), { company: "x" })
  expect(missing.body.errors[0].extensions.code).toBe("NOT_FOUND")
})
