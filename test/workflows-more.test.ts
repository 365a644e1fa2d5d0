import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { Cache, type CacheOptions } from "../src/platform/cache/index.js"
import { runRelay } from "../src/services/events/index.js"
import { eventTriggersKey } from "../src/services/workflows/triggers.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { step, workflowClient } from "./support/workflows.js"

let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
let client: ReturnType<typeof workflowClient>
/** A local endpoint for HTTP_REQUEST steps: answers 500 while `failuresLeft` lasts, then 200. */
let server: ReturnType<typeof Bun.serve>
let failuresLeft = 0
let hits = 0

beforeAll(async () => {
  app = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true" } })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(
    Effect.gen(function*() {
      yield* Effect.forkScoped(runRelay("20 millis"))
      yield* runWorker(registry, { pollInterval: "100 millis" })
      return yield* Effect.never
    })
  )))
  account = await signUpWithWorkspace(app, { name: "More Flows Co" })
  client = workflowClient(app, account.accessToken)
  server = Bun.serve({
    port: 0,
    fetch: () => {
      hits += 1
      if (failuresLeft > 0) {
        failuresLeft -= 1
        return new Response("try later", { status: 500 })
      }
      return Response.json({ ok: true })
    }
  })
}, 60_000)
afterAll(async () => {
  server?.stop(true)
  await app.run(Fiber.interrupt(worker))
  await app.close()
}, 30_000)

const uuid = () => crypto.randomUUID()
const note = (id: string, title: string, next: Array<string> = []) =>
  step(id, "CREATE_RECORD", { objectName: "note", objectRecord: { title } }, next)
const notesTitled = async (prefix: string) =>
  (await client.data(`query($like: String) { notes(filter: { title: { like: $like } }) { edges { node { title } } } }`, { like: `${prefix}%` }))
    .notes.edges.map((e: any) => e.node.title).sort()

test("a step with two parents runs once, after both branches; the branch an IF_ELSE did not take is skipped to its end", async () => {
  const [left, right, right2, join] = [uuid(), uuid(), uuid(), uuid()]
  const parallel = await client.createWorkflow("Diamond", { type: "MANUAL", settings: {}, nextStepIds: [left, right] }, [
    note(left, "diamond left", [join]),
    note(right, "diamond right", [right2]),
    note(right2, "diamond right 2", [join]),
    step(join, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "diamond join after {{" + right2 + ".title}}" } })
  ])
  const run = await client.settled(await client.run(parallel.versionId))
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[join]).toMatchObject({ status: "SUCCESS", attempts: 1 })
  expect(await notesTitled("diamond join")).toEqual(["diamond join after diamond right 2"])

  const [ifElse, group, a1, a2, b1, merge] = [uuid(), uuid(), uuid(), uuid(), uuid(), uuid()]
  const branching = await client.createWorkflow("Merge", { type: "MANUAL", settings: {}, nextStepIds: [ifElse] }, [
    step(ifElse, "IF_ELSE", {
      stepFilterGroups: [{ id: group, logicalOperator: "AND" }],
      stepFilters: [{ id: uuid(), stepFilterGroupId: group, stepOutputKey: "{{trigger.amount}}", operand: "GREATER_THAN_OR_EQUAL", value: "100" }],
      branches: [{ id: "if", filterGroupId: group, nextStepIds: [a1] }, { id: "else", nextStepIds: [b1] }]
    }),
    note(a1, "merge big", [a2]),
    note(a2, "merge big again", [merge]),
    note(b1, "merge small", [merge]),
    note(merge, "merge joined")
  ])
  const small = await client.settled(await client.run(branching.versionId, { amount: 5 }))
  expect(small.status).toBe("COMPLETED")
  const statuses = (infos: any) => [a1, a2, b1, merge].map((id) => infos[id].status)
  expect(statuses(small.state.stepInfos)).toEqual(["SKIPPED", "SKIPPED", "SUCCESS", "SUCCESS"])
  expect(await notesTitled("merge")).toEqual(["merge joined", "merge small"])
})

test("retryOnFailure tries a failing step again (3 attempts, as Twenty); continueOnFailure goes on after it fails", async () => {
  const url = `http://127.0.0.1:${server.port}/hook`
  const [call, after] = [uuid(), uuid()]
  const retrying = await client.createWorkflow("Retrying", { type: "MANUAL", settings: {}, nextStepIds: [call] }, [
    step(call, "HTTP_REQUEST", { url, method: "GET" }, [after], {
      errorHandlingOptions: { retryOnFailure: { value: true }, continueOnFailure: { value: false } }
    }),
    note(after, "after retried call")
  ])
  ;[failuresLeft, hits] = [2, 0]
  const recovered = await client.settled(await client.run(retrying.versionId))
  expect(recovered.status).toBe("COMPLETED")
  expect(recovered.state.stepInfos[call]).toMatchObject({ status: "SUCCESS", result: { ok: true } })
  expect(hits).toBe(3)
  ;[failuresLeft, hits] = [5, 0]
  const exhausted = await client.settled(await client.run(retrying.versionId))
  expect(exhausted.status).toBe("FAILED")
  expect(exhausted.state.stepInfos[call].error).toContain("HTTP 500")
  expect(hits).toBe(3)

  const plain = await client.createWorkflow("Not retrying", { type: "MANUAL", settings: {}, nextStepIds: [call] }, [
    step(call, "HTTP_REQUEST", { url, method: "GET" }, [after], {
      errorHandlingOptions: { retryOnFailure: { value: false }, continueOnFailure: { value: true } }
    }),
    note(after, "after failed call")
  ])
  ;[failuresLeft, hits] = [1, 0]
  const continued = await client.settled(await client.run(plain.versionId))
  expect(hits).toBe(1)
  expect(continued.status).toBe("COMPLETED")
  expect(continued.state.stepInfos[call].status).toBe("FAILED")
  expect(continued.state.stepInfos[after].status).toBe("SUCCESS")
})

test("an AI_AGENT step fails the run with a clear step error", async () => {
  const agent = uuid()
  const { versionId } = await client.createWorkflow("Agent", { type: "MANUAL", settings: {}, nextStepIds: [agent] }, [
    step(agent, "AI_AGENT", { agentId: uuid(), prompt: "Summarise" })
  ])
  const run = await client.settled(await client.run(versionId))
  expect(run.status).toBe("FAILED")
  expect(run.state.stepInfos[agent].error).toContain("AI_AGENT steps cannot run on this server")
})

test("a webhook trigger with API_KEY authentication needs an API key of the workspace (401 otherwise)", async () => {
  const noteStep = uuid()
  const { workflowId, versionId } = await client.createWorkflow(
    "Guarded hook",
    { type: "WEBHOOK", settings: { httpMethod: "POST", expectedBody: {}, authentication: "API_KEY", outputSchema: {} }, nextStepIds: [noteStep] },
    [note(noteStep, "guarded {{trigger.n}}")]
  )
  await client.activate(versionId)
  const path = `/webhooks/workflows/${account.workspaceId}/${workflowId}`
  const post = (headers: Record<string, string>) =>
    app.request(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ n: 1 }) })
  const anonymous = await post({})
  expect(anonymous.status).toBe(401)
  expect(await anonymous.json()).toMatchObject({ statusCode: 401, error: "UnauthorizedException", messages: [expect.stringContaining("[Webhook trigger]")] })
  expect((await post({ authorization: "Bearer not-a-key" })).status).toBe(401)
  // A member's session is not an API key; another workspace's key is not this one's.
  expect((await post({ authorization: `Bearer ${account.accessToken}` })).status).toBe(401)
  const other = await signUpWithWorkspace(app, { name: "Other Hooks Co" })
  expect((await post({ authorization: `Bearer ${(await createApiKey(app, other.accessToken)).token}` })).status).toBe(401)
  const key = (await createApiKey(app, account.accessToken)).token
  const accepted = await post({ authorization: `Bearer ${key}` })
  expect(accepted.status).toBe(200)
  const run = await client.settled(((await accepted.json()) as any).workflowRunId)
  expect(run.state.stepInfos[noteStep].result.title).toBe("guarded 1")
})

test("the builder's mutations answer Twenty's WorkflowVersionStepChanges: steps, edges, a duplicate, positions", async () => {
  const { versionId } = await client.createWorkflow("Built", { type: "MANUAL", settings: {}, nextStepIds: [] }, [])
  const changes = `{ triggerDiff stepsDiff }`
  const create = async (input: Record<string, unknown>) =>
    (await client.metaData(`mutation($input: CreateWorkflowVersionStepInput!) { createWorkflowVersionStep(input: $input) ${changes} }`, {
      input: { workflowVersionId: versionId, ...input }
    })).createWorkflowVersionStep
  const first = uuid()
  const made = await create({ stepType: "CREATE_RECORD", parentStepId: "trigger", id: first, position: { x: 10, y: 20 } })
  expect(made.triggerDiff).toEqual([{ type: "CREATE", path: ["trigger", "nextStepIds", 0], value: first }])
  expect(made.stepsDiff).toEqual([{ type: "CREATE", path: ["steps", 0], value: expect.objectContaining({ id: first, type: "CREATE_RECORD", position: { x: 10, y: 20 } }) }])
  const loop = (await create({ stepType: "ITERATOR", parentStepId: first })).stepsDiff
  const newStepIn = (diff: Array<any>) => diff.find((d) => d.type === "CREATE" && d.path.length === 2).value.id
  const iterator = newStepIn(loop)
  expect(loop).toContainEqual({ type: "CREATE", path: ["steps", 0, "nextStepIds", 0], value: iterator })
  // Hung inside the ITERATOR's loop, not after it.
  const inside = (await create({ stepType: "FIND_RECORDS", parentStepId: iterator, parentStepConnectionOptions: { connectedStepType: "ITERATOR", settings: { shouldInsertToLoop: true } } })).stepsDiff
  const insideId = newStepIn(inside)
  expect(inside).toContainEqual({ type: "CREATE", path: ["steps", 1, "settings", "input", "initialLoopStepIds", 0], value: insideId })

  const edge = (name: string, input: Record<string, unknown>) =>
    client.metaData(`mutation($input: CreateWorkflowVersionEdgeInput!) { ${name}(input: $input) ${changes} }`, { input: { workflowVersionId: versionId, ...input } })
  const linked = (await edge("createWorkflowVersionEdge", { source: "trigger", target: iterator })).createWorkflowVersionEdge
  expect(linked).toEqual({ triggerDiff: [{ type: "CREATE", path: ["trigger", "nextStepIds", 1], value: iterator }], stepsDiff: [] })
  const again = (await edge("createWorkflowVersionEdge", { source: "trigger", target: iterator })).createWorkflowVersionEdge
  expect(again).toEqual({ triggerDiff: [], stepsDiff: [] })
  const unlinked = (await edge("deleteWorkflowVersionEdge", { source: first, target: iterator })).deleteWorkflowVersionEdge
  expect(unlinked.stepsDiff).toEqual([{ type: "REMOVE", path: ["steps", 0, "nextStepIds", 0], oldValue: iterator }])
  const missing = await client.meta(`mutation($input: CreateWorkflowVersionEdgeInput!) { createWorkflowVersionEdge(input: $input) { stepsDiff } }`, {
    input: { workflowVersionId: versionId, source: first, target: uuid() }
  })
  expect(missing.body.errors?.[0]).toMatchObject({ message: expect.stringContaining("Target step"), extensions: { code: "NOT_FOUND" } })

  const duplicated = (await client.metaData(`mutation($input: DuplicateWorkflowVersionStepInput!) { duplicateWorkflowVersionStep(input: $input) ${changes} }`, {
    input: { workflowVersionId: versionId, stepId: first }
  })).duplicateWorkflowVersionStep
  expect(duplicated.triggerDiff).toEqual([])
  expect(duplicated.stepsDiff).toEqual([{
    type: "CREATE",
    path: ["steps", 3],
    value: expect.objectContaining({ name: "Create record (Duplicate)", type: "CREATE_RECORD", nextStepIds: [], position: { x: 60, y: 70 } })
  }])

  const moved = await client.metaData(`mutation($input: UpdateWorkflowVersionPositionsInput!) { updateWorkflowVersionPositions(input: $input) }`, {
    input: { workflowVersionId: versionId, positions: [{ id: "trigger", position: { x: 0, y: -100 } }, { id: iterator, position: { x: 5, y: 150 } }] }
  })
  expect(moved.updateWorkflowVersionPositions).toBe(true)
  const version = (await client.data(`query($id: UUID!) { workflowVersion(filter: { id: { eq: $id } }) { trigger steps } }`, { id: versionId })).workflowVersion
  expect(version.trigger).toMatchObject({ position: { x: 0, y: -100 }, nextStepIds: [first, iterator] })
  expect(version.steps.find((s: any) => s.id === iterator).position).toEqual({ x: 5, y: 150 })

  const removed = (await client.metaData(`mutation($input: DeleteWorkflowVersionStepInput!) { deleteWorkflowVersionStep(input: $input) ${changes} }`, {
    input: { workflowVersionId: versionId, stepId: iterator }
  })).deleteWorkflowVersionStep
  expect(removed.triggerDiff).toEqual([{ type: "REMOVE", path: ["trigger", "nextStepIds", 1], oldValue: iterator }])
})

test("event triggers are cached per workspace; (de)activating a version drops the entry on every instance", async () => {
  const key = eventTriggersKey(account.workspaceId)
  const ttl: CacheOptions = { ttl: "1 minute" }
  /** What the instance's cache holds: its entry, or ["reloaded"] when it had to load again. */
  const cached = (instance: TestApp) => instance.run(Effect.flatMap(Cache, (cache) => cache.getOrLoad(key, Effect.succeed(["reloaded"]), ttl)))
  const other = await startTestApp({ databaseUrl: app.databaseUrl })
  try {
    const noteStep = uuid()
    const { workflowId, versionId } = await client.createWorkflow(
      "Cached trigger",
      { type: "DATABASE_EVENT", settings: { eventName: "opportunity.created", outputSchema: {} }, nextStepIds: [noteStep] },
      [note(noteStep, "opportunity {{trigger.properties.after.name}}")]
    )
    // An event loads the workspace's triggers (none yet) into the shared cache; the other instance reads them too.
    // (After the workflow's own events: each of those drops the entry.)
    await Bun.sleep(400)
    await client.data(`mutation { createOpportunity(data: { name: "Before" }) { id } }`)
    const peek = () => app.run(Effect.flatMap(Cache, (cache) => cache.getOrLoad(key, Effect.succeed(null), ttl)))
    for (const until = Date.now() + 20_000; (await peek()) === null && Date.now() < until;) await Bun.sleep(50)
    expect(await cached(app)).toEqual([])
    expect(await cached(other)).toEqual([])
    // Activated on the other instance: this one's entry is gone, and the next event finds the trigger.
    expect((await workflowClient(other, account.accessToken).activate(versionId)).activateWorkflowVersion).toBe(true)
    // The drop reaches the other instance's memory through Redis pub/sub, a moment after the mutation answered.
    const droppedOn = async (instance: TestApp) => {
      for (const until = Date.now() + 2000; JSON.stringify(await cached(instance)) !== `["reloaded"]` && Date.now() < until;) await Bun.sleep(10)
      return cached(instance)
    }
    expect(await droppedOn(app)).toEqual(["reloaded"])
    await app.run(Effect.flatMap(Cache, (cache) => cache.invalidate(key)))
    await client.data(`mutation { createOpportunity(data: { name: "After" }) { id } }`)
    const started = async () =>
      (await client.data(`query($id: UUID!) { workflowRuns(filter: { workflowId: { eq: $id } }) { edges { node { id } } } }`, { id: workflowId })).workflowRuns.edges.length
    const deadline = Date.now() + 10_000
    while ((await started()) < 1 && Date.now() < deadline) await Bun.sleep(50)
    expect(await started()).toBe(1)
    expect((await cached(other) ?? []).map((t: any) => t.workflowId)).toEqual([workflowId])
    // Deactivated here: the other instance's entry goes too.
    await client.metaData(`mutation($id: UUID!) { deactivateWorkflowVersion(workflowVersionId: $id) }`, { id: versionId })
    expect(await droppedOn(other)).toEqual(["reloaded"])
  } finally {
    await other.close()
  }
}, 60_000)

test("duplicateWorkflow copies a version into a new workflow's draft, every step under a new id and every reference remapped", async () => {
  const [first, second] = [uuid(), uuid()]
  const source = await client.createWorkflow("Original", { type: "MANUAL", settings: {}, nextStepIds: [first] }, [
    note(first, "copied", [second]),
    step(second, "CREATE_RECORD", { objectName: "note", objectRecord: { title: `after {{${first}.title}}` } })
  ])
  const copy = (await client.metaData(
    `mutation($input: DuplicateWorkflowInput!) { duplicateWorkflow(input: $input) { id name status workflowId trigger steps } }`,
    { input: { workflowIdToDuplicate: source.workflowId, workflowVersionIdToCopy: source.versionId } }
  )).duplicateWorkflow
  expect(copy).toMatchObject({ name: "v1", status: "DRAFT" })
  expect(copy.workflowId).not.toBe(source.workflowId)
  const [a, b] = copy.steps
  expect([a.id, b.id]).not.toContain(first)
  expect(copy.trigger.nextStepIds).toEqual([a.id])
  expect(a.nextStepIds).toEqual([b.id])
  expect(b.settings.input.objectRecord.title).toBe(`after {{${a.id}.title}}`)
  const workflow = (await client.data(`query($id: UUID!) { workflow(filter: { id: { eq: $id } }) { name statuses } }`, { id: copy.workflowId })).workflow
  expect(workflow).toEqual({ name: "Original (Duplicate)", statuses: ["DRAFT"] })
  const run = await client.settled(await client.run(copy.id))
  expect(run.state.stepInfos[b.id].result.title).toBe("after copied")
  const missing = await client.meta(`mutation($input: DuplicateWorkflowInput!) { duplicateWorkflow(input: $input) { id } }`, {
    input: { workflowIdToDuplicate: uuid(), workflowVersionIdToCopy: source.versionId }
  })
  expect(missing.body.errors?.[0]).toMatchObject({ message: "Source workflow not found", extensions: { code: "NOT_FOUND" } })
})

test("counts of runs follow the run's own writes (its bookkeeping moves the result cache's epochs)", async () => {
  const noteStep = uuid()
  const { workflowId, versionId } = await client.createWorkflow("Counted", { type: "MANUAL", settings: {}, nextStepIds: [noteStep] }, [
    note(noteStep, "counted")
  ])
  const count = async (status: string) =>
    (await client.data(`query($id: UUID!, $status: WorkflowRunStatusEnum) { workflowRuns(filter: { workflowId: { eq: $id }, status: { eq: $status } }) { totalCount } }`, {
      id: workflowId,
      status
    })).workflowRuns.totalCount as number
  // Both totals are now cached at 0.
  expect(await count("COMPLETED")).toBe(0)
  expect(await count("ENQUEUED")).toBe(0)
  const runId = await client.run(versionId)
  // One query: three in a row could see the run in two of them as it moves on.
  const started = await client.data(`query($id: UUID!) { workflowRuns(filter: { workflowId: { eq: $id }, status: { in: [ENQUEUED, RUNNING, COMPLETED] } }) { totalCount } }`, { id: workflowId })
  expect(started.workflowRuns.totalCount).toBe(1)
  await client.settled(runId)
  expect(await count("COMPLETED")).toBe(1)
  expect(await count("ENQUEUED")).toBe(0)
})
