import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { runRelay } from "../src/services/events/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { step, workflowClient } from "./support/workflows.js"

let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
let client: ReturnType<typeof workflowClient>

beforeAll(async () => {
  // The app's own REDIS_KEY_PREFIX (startTestApp): no other file's worker takes these jobs.
  app = await startTestApp()
  worker = await app.run(Effect.forkDaemon(Effect.scoped(
    Effect.gen(function*() {
      yield* Effect.forkScoped(runRelay("20 millis"))
      yield* runWorker(registry, { pollInterval: "100 millis" })
      return yield* Effect.never
    })
  )))
  account = await signUpWithWorkspace(app, { name: "Flows Co" })
  client = workflowClient(app, account.accessToken)
}, 60_000)
afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  await app.close()
}, 30_000)

const uuid = () => crypto.randomUUID()

test("the workflow objects are readable and filterable through /graphql and /rest", async () => {
  const { workflowId } = await client.createWorkflow("Readable", { type: "MANUAL", settings: {}, nextStepIds: [] }, [])
  const found = await client.data(`{ workflows(filter: { name: { eq: "Readable" } }) { edges { node { id name statuses versions { edges { node { status trigger } } } } } } }`)
  expect(found.workflows.edges).toHaveLength(1)
  expect(found.workflows.edges[0].node.versions.edges[0].node).toEqual({ status: "DRAFT", trigger: { type: "MANUAL", settings: {}, nextStepIds: [] } })
  const key = (await createApiKey(app, account.accessToken)).token
  const rest = await app.request(`/rest/workflowVersions?filter=workflowId[eq]:${workflowId}`, { headers: { authorization: `Bearer ${key}` } })
  expect(rest.status).toBe(200)
  const body = (await rest.json()) as any
  expect(body.data.workflowVersions.map((v: any) => v.status)).toEqual(["DRAFT"])
})

test("a company created through REST starts the workflow; the run's steps read the trigger's record", async () => {
  const createPerson = uuid()
  const { workflowId, versionId } = await client.createWorkflow(
    "On company",
    { type: "DATABASE_EVENT", settings: { eventName: "company.created", outputSchema: {} }, nextStepIds: [createPerson] },
    [step(createPerson, "CREATE_RECORD", {
      objectName: "person",
      objectRecord: { name: { firstName: "Contact of", lastName: "{{trigger.properties.after.name}}" }, companyId: "{{trigger.recordId}}" }
    })]
  )
  expect((await client.activate(versionId)).activateWorkflowVersion).toBe(true)
  const workflow = await client.data(`query($id: UUID!) { workflow(filter: { id: { eq: $id } }) { statuses lastPublishedVersionId } }`, { id: workflowId })
  expect(workflow.workflow).toEqual({ statuses: ["ACTIVE"], lastPublishedVersionId: versionId })

  const key = (await createApiKey(app, account.accessToken)).token
  const created = await app.request("/rest/companies", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ name: "Acme Rockets" })
  })
  expect(created.status).toBe(201)
  const companyId = ((await created.json()) as any).data.createCompany.id

  let runs: any
  for (let i = 0; i < 200; i++) {
    runs = await client.data(`query($id: UUID!) { workflowRuns(filter: { workflowId: { eq: $id } }) { edges { node { id status } } } }`, { id: workflowId })
    if (runs.workflowRuns.edges.some((e: any) => e.node.status === "COMPLETED")) break
    await Bun.sleep(50)
  }
  expect(runs.workflowRuns.edges).toHaveLength(1)
  const run = await client.settled(runs.workflowRuns.edges[0].node.id)
  expect(run.status).toBe("COMPLETED")
  expect(run.createdBy.source).toBe("WORKFLOW")
  expect(run.state.stepInfos.trigger.result.properties.after.name).toBe("Acme Rockets")
  expect(run.state.stepInfos[createPerson].status).toBe("SUCCESS")
  const people = await client.data(`query($id: UUID!) { people(filter: { companyId: { eq: $id } }) { edges { node { name { firstName lastName } createdBy { source } } } } }`, { id: companyId })
  expect(people.people.edges.map((e: any) => e.node)).toEqual([
    { name: { firstName: "Contact of", lastName: "Acme Rockets" }, createdBy: { source: "WORKFLOW" } }
  ])
})

test("an updated trigger with `fields` starts only when one of them changed", async () => {
  const mark = uuid()
  const { workflowId, versionId } = await client.createWorkflow(
    "On employees",
    { type: "DATABASE_EVENT", settings: { eventName: "company.updated", fields: ["employees"] }, nextStepIds: [mark] },
    [step(mark, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "employees of {{trigger.properties.after.name}}: {{trigger.properties.after.employees}}" } })]
  )
  await client.activate(versionId)
  const { createCompany } = await client.data(`mutation { createCompany(data: { name: "Fielded" }) { id } }`)
  await client.data(`mutation($id: UUID!) { updateCompany(id: $id, data: { name: "Fielded Inc" }) { id } }`, { id: createCompany.id })
  await client.data(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 42 }) { id } }`, { id: createCompany.id })
  let notes: any
  for (let i = 0; i < 200; i++) {
    notes = await client.data(`{ notes(filter: { title: { like: "employees of%" } }) { edges { node { title } } } }`)
    if (notes.notes.edges.length > 0) break
    await Bun.sleep(50)
  }
  await Bun.sleep(300)
  notes = await client.data(`{ notes(filter: { title: { like: "employees of%" } }) { edges { node { title } } } }`)
  expect(notes.notes.edges.map((e: any) => e.node.title)).toEqual(["employees of Fielded Inc: 42"])
  const runs = await client.data(`query($id: UUID!) { workflowRuns(filter: { workflowId: { eq: $id } }) { totalCount } }`, { id: workflowId })
  expect(runs.workflowRuns.totalCount).toBe(1)
})

test("IF_ELSE runs the matching branch and skips the other", async () => {
  const [ifElse, big, small, group] = [uuid(), uuid(), uuid(), uuid()]
  const { versionId } = await client.createWorkflow(
    "Branching",
    { type: "MANUAL", settings: {}, nextStepIds: [ifElse] },
    [
      step(ifElse, "IF_ELSE", {
        stepFilterGroups: [{ id: group, logicalOperator: "AND" }],
        stepFilters: [{ id: uuid(), stepFilterGroupId: group, stepOutputKey: "{{trigger.amount}}", operand: "GREATER_THAN_OR_EQUAL", value: "100" }],
        branches: [{ id: "if", filterGroupId: group, nextStepIds: [big] }, { id: "else", nextStepIds: [small] }]
      }),
      step(big, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "big {{trigger.amount}}" } }),
      step(small, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "small {{trigger.amount}}" } })
    ]
  )
  const first = await client.settled(await client.run(versionId, { amount: 150 }))
  expect(first.status).toBe("COMPLETED")
  expect(first.state.stepInfos[ifElse]).toMatchObject({ status: "SUCCESS", result: { matchingBranchId: "if" } })
  expect(first.state.stepInfos[big].status).toBe("SUCCESS")
  expect(first.state.stepInfos[small].status).toBe("SKIPPED")
  const second = await client.settled(await client.run(versionId, { amount: 20 }))
  expect(second.state.stepInfos[big].status).toBe("SKIPPED")
  expect(second.state.stepInfos[small].result.title).toBe("small 20")
  const notes = await client.data(`{ notes(filter: { or: [{ title: { like: "big%" } }, { title: { like: "small%" } }] }, orderBy: [{ title: AscNullsLast }]) { edges { node { title } } } }`)
  expect(notes.notes.edges.map((e: any) => e.node.title)).toEqual(["big 150", "small 20"])
})

test("a failing step fails the run with its error, unless it continues on failure; FILTER ends a branch", async () => {
  const [broken, after, filter, never] = [uuid(), uuid(), uuid(), uuid()]
  const failing = await client.createWorkflow("Failing", { type: "MANUAL", settings: {}, nextStepIds: [broken] }, [
    step(broken, "UPDATE_RECORD", { objectName: "company", objectRecordId: uuid(), objectRecord: { name: "x" }, fieldsToUpdate: ["name"] }, [after]),
    step(after, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "after failure" } })
  ])
  const failed = await client.settled(await client.run(failing.versionId))
  expect(failed.status).toBe("FAILED")
  expect(failed.state.stepInfos[broken].status).toBe("FAILED")
  expect(typeof failed.state.workflowRunError).toBe("string")
  expect(failed.state.stepInfos[after].status).toBe("NOT_STARTED")

  const continuing = await client.createWorkflow("Continuing", { type: "MANUAL", settings: {}, nextStepIds: [broken] }, [
    step(broken, "DELETE_RECORD", { objectName: "company", objectRecordId: uuid() }, [filter], {
      errorHandlingOptions: { retryOnFailure: { value: false }, continueOnFailure: { value: true } }
    }),
    step(filter, "FILTER", { stepFilterGroups: [], stepFilters: [{ stepOutputKey: "{{trigger.go}}", operand: "IS", value: "yes" }] }, [never]),
    step(never, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "filtered through" } })
  ])
  const continued = await client.settled(await client.run(continuing.versionId, { go: "no" }))
  expect(continued.status).toBe("COMPLETED")
  expect(continued.state.stepInfos[broken].status).toBe("FAILED")
  expect(continued.state.stepInfos[filter]).toMatchObject({ status: "SUCCESS", result: { shouldEndWorkflowRun: true } })
  expect(continued.state.stepInfos[never].status).toBe("NOT_STARTED")
})

test("only DRAFT versions are editable; activating a draft archives the active version", async () => {
  const { workflowId, versionId } = await client.createWorkflow("Editable", { type: "MANUAL", settings: {}, nextStepIds: [] }, [])
  const created = await client.metaData(
    `mutation($input: CreateWorkflowVersionStepInput!) { createWorkflowVersionStep(input: $input) { triggerDiff stepsDiff } }`,
    { input: { workflowVersionId: versionId, stepType: "CREATE_RECORD" } }
  )
  // Twenty's WorkflowVersionStepChanges: the new step is a CREATE in the steps' differences.
  const newStep = created.createWorkflowVersionStep.stepsDiff.find((d: any) => d.type === "CREATE").value
  expect(newStep).toMatchObject({ type: "CREATE_RECORD", valid: false, nextStepIds: [] })
  expect(created.createWorkflowVersionStep.triggerDiff).toEqual([{ type: "CREATE", path: ["trigger", "nextStepIds", 0], value: newStep.id }])
  const updated = await client.metaData(
    `mutation($input: UpdateWorkflowVersionStepInput!) { updateWorkflowVersionStep(input: $input) { id settings } }`,
    { input: { workflowVersionId: versionId, step: { ...newStep, settings: { ...newStep.settings, input: { objectName: "note", objectRecord: { title: "edited" } } } } } }
  )
  expect(updated.updateWorkflowVersionStep.settings.input.objectRecord.title).toBe("edited")
  const version = await client.data(`query($id: UUID!) { workflowVersion(filter: { id: { eq: $id } }) { trigger steps } }`, { id: versionId })
  expect(version.workflowVersion.trigger.nextStepIds).toEqual([newStep.id])
  expect(version.workflowVersion.steps.map((s: any) => s.id)).toEqual([newStep.id])

  await client.activate(versionId)
  const refused = await client.meta(
    `mutation($input: DeleteWorkflowVersionStepInput!) { deleteWorkflowVersionStep(input: $input) { stepsDiff } }`,
    { input: { workflowVersionId: versionId, stepId: newStep.id } }
  )
  expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", subCode: "INVALID_WORKFLOW_VERSION" })
  const again = await client.meta(`mutation($id: UUID!) { activateWorkflowVersion(workflowVersionId: $id) }`, { id: versionId })
  expect(again.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")

  const draft = (await client.metaData(
    `mutation($input: CreateDraftFromWorkflowVersionInput!) { createDraftFromWorkflowVersion(input: $input) { id name status steps } }`,
    { input: { workflowId, workflowVersionIdToCopy: versionId } }
  )).createDraftFromWorkflowVersion
  expect(draft).toMatchObject({ name: "v2", status: "DRAFT" })
  expect(draft.steps.map((s: any) => s.id)).toEqual([newStep.id])
  const deleted = await client.metaData(
    `mutation($input: DeleteWorkflowVersionStepInput!) { deleteWorkflowVersionStep(input: $input) { stepsDiff } }`,
    { input: { workflowVersionId: draft.id, stepId: newStep.id } }
  )
  expect(deleted.deleteWorkflowVersionStep.stepsDiff).toEqual([{ type: "REMOVE", path: ["steps", 0], oldValue: expect.objectContaining({ id: newStep.id }) }])
  const empty = await client.meta(`mutation($id: UUID!) { activateWorkflowVersion(workflowVersionId: $id) }`, { id: draft.id })
  expect(empty.body.errors?.[0]?.message).toBe("No steps provided in workflow version")
  await client.metaData(
    `mutation($input: CreateWorkflowVersionStepInput!) { createWorkflowVersionStep(input: $input) { stepsDiff } }`,
    { input: { workflowVersionId: draft.id, stepType: "FIND_RECORDS" } }
  )
  await client.activate(draft.id)
  const statuses = await client.data(`query($id: UUID!) { workflowVersions(filter: { workflowId: { eq: $id } }, orderBy: [{ name: AscNullsLast }]) { edges { node { name status } } } }`, { id: workflowId })
  expect(statuses.workflowVersions.edges.map((e: any) => e.node)).toEqual([{ name: "v1", status: "ARCHIVED" }, { name: "v2", status: "ACTIVE" }])
  const deactivated = await client.metaData(`mutation($id: UUID!) { deactivateWorkflowVersion(workflowVersionId: $id) }`, { id: draft.id })
  expect(deactivated.deactivateWorkflowVersion).toBe(true)
  const missing = await client.meta(`mutation($id: UUID!) { activateWorkflowVersion(workflowVersionId: $id) }`, { id: uuid() })
  expect(missing.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
})

test("the webhook route starts an active WEBHOOK workflow and refuses others as Twenty does", async () => {
  const noteStep = uuid()
  const { workflowId, versionId } = await client.createWorkflow(
    "Hooked",
    { type: "WEBHOOK", settings: { httpMethod: "POST", authentication: null }, nextStepIds: [noteStep] },
    [step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "hook {{trigger.ticket}}" } })]
  )
  const path = `/webhooks/workflows/${account.workspaceId}/${workflowId}`
  const post = (body: unknown, to = path) => app.request(to, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  const inactive = await post({ ticket: 1 })
  expect(inactive.status).toBe(400)
  expect(((await inactive.json()) as any).messages[0]).toContain("has not been activated")
  const unknown = await post({}, `/webhooks/workflows/${account.workspaceId}/${uuid()}`)
  expect(unknown.status).toBe(404)
  expect(((await unknown.json()) as any).error).toBe("NotFoundException")
  const manual = await client.createWorkflow("Not hooked", { type: "MANUAL", settings: {}, nextStepIds: [noteStep] }, [
    step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "manual" } })
  ])
  await client.activate(manual.versionId)
  const notWebhook = await post({}, `/webhooks/workflows/${account.workspaceId}/${manual.workflowId}`)
  expect(notWebhook.status).toBe(400)
  expect(((await notWebhook.json()) as any).messages[0]).toContain("does not have a Webhook trigger")
  await client.activate(versionId)
  const answer = await post({ ticket: "T-7" })
  expect(answer.status).toBe(200)
  const body = (await answer.json()) as any
  expect(body).toMatchObject({ workflowName: "Hooked", success: true })
  const run = await client.settled(body.workflowRunId)
  expect(run.state.stepInfos[noteStep].result.title).toBe("hook T-7")
  expect(run.createdBy.source).toBe("WEBHOOK")
})

test("stopWorkflowRun stops a waiting run; a finished run cannot be stopped", async () => {
  const noteStep = uuid()
  const { versionId } = await client.createWorkflow("Stoppable", { type: "MANUAL", settings: {}, nextStepIds: [noteStep] }, [
    step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "stoppable" } })
  ])
  const done = await client.settled(await client.run(versionId))
  const refused = await client.meta(`mutation($id: UUID!) { stopWorkflowRun(workflowRunId: $id) { id status } }`, { id: done.id })
  expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  const unknown = await client.meta(`mutation($id: UUID!) { stopWorkflowRun(workflowRunId: $id) { id status } }`, { id: uuid() })
  expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
})

test("HTTP_REQUEST to a private address is refused with a clear step error (the webhooks' SSRF guard)", async () => {
  const call = uuid()
  const receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ reached: true }) })
  try {
    const { versionId } = await client.createWorkflow("Private call", { type: "MANUAL", settings: {}, nextStepIds: [call] }, [
      step(call, "HTTP_REQUEST", { url: `http://127.0.0.1:${receiver.port}/hook`, method: "POST", headers: {}, body: { a: 1 } })
    ])
    const run = await client.settled(await client.run(versionId))
    expect(run.status).toBe("FAILED")
    expect(run.state.stepInfos[call].status).toBe("FAILED")
    expect(run.state.stepInfos[call].error).toContain("private address")
  } finally {
    receiver.stop(true)
  }
})
