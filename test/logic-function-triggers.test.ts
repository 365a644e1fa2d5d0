/**
 * Logic functions' database-event and cron triggers, and the `logicFunctionLogs` subscription, on real
 * PostgreSQL and Redis: two instances of one deployment (one database, one Redis prefix), the outbox relay
 * and the job runner's worker in instance A; a subscriber on instance B gets the logs of executions on A.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { runRelay } from "../src/services/events/index.js"
import { LogicFunctions } from "../src/services/logic-functions/index.js"
import { FunctionLogs, FunctionLogsLive } from "../src/services/logic-functions/logs.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { workflowClient } from "./support/workflows.js"

let a: TestApp
let b: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown> | null = null
let client: ReturnType<typeof workflowClient>
let token: string
let otherToken: string

beforeAll(async () => {
  a = await startTestApp({ env: { DATABASE_POOL_SIZE: "3", LOGIC_FUNCTION_TIMEOUT: "20s" } })
  b = await startTestApp({ databaseUrl: a.databaseUrl, env: { DATABASE_POOL_SIZE: "2" } })
  worker = await a.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
    yield* Effect.forkScoped(runRelay("20 millis"))
    yield* runWorker(registry, { pollInterval: "50 millis" })
    return yield* Effect.never
  }))))
  const account = await signUpWithWorkspace(a, { name: "Triggers Co" })
  token = account.accessToken
  client = workflowClient(a, token)
  otherToken = (await signUpWithWorkspace(a, { name: "Elsewhere Co" })).accessToken
}, 60_000)
afterAll(async () => {
  if (worker) await a.run(Fiber.interrupt(worker))
  await b?.close()
  await a?.close()
}, 30_000)

const createFunction = async (name: string, code: string, extra: Record<string, unknown> = {}) => {
  const { createOneLogicFunction: fn } = await client.metaData(
    `mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { id } }`,
    { input: { name, source: { sourceHandlerCode: code, handlerName: "main" }, ...extra } }
  )
  return fn.id as string
}

interface RunRow {
  id: string
  trigger: string
  status: string
  data: any
  logs: string | null
  createdAt: Date
}

const runsOf = (logicFunctionId: string) =>
  a.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<RunRow>`SELECT id, trigger, status, data, logs, "createdAt" FROM core."logicFunctionRun"
                 WHERE "logicFunctionId" = ${logicFunctionId} ORDER BY "createdAt"`))

const waitFor = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("timed out")
    await Bun.sleep(50)
  }
}

const finishedRuns = (id: string, count: number) =>
  waitFor(async () => {
    const rows = await runsOf(id)
    return rows.length >= count && rows.every((r) => r.status !== "RUNNING") ? rows : undefined
  })

test("a database-event trigger runs the function with Twenty's event payload when a record is created", async () => {
  const id = await createFunction("on-company-created", `export const main = async (event) => {
    console.log("created " + event.properties.after.name)
    return { name: event.name, recordId: event.recordId, object: event.objectMetadata.nameSingular, after: event.properties.after.name }
  }`, { databaseEventTriggerSettings: { eventName: "company.created" } })
  const updated = await createFunction("on-any-updated", `export const main = async (event) => ({ name: event.name, fields: event.properties.updatedFields, diff: event.properties.diff })`, {
    databaseEventTriggerSettings: { eventName: "*.updated", updatedFields: ["name"] }
  })

  const { createCompany } = await client.data(`mutation { createCompany(data: { name: "Acme" }) { id } }`)
  const [run] = await finishedRuns(id, 1)
  expect(run).toMatchObject({
    trigger: "DATABASE_EVENT",
    status: "SUCCESS",
    data: { name: "company.created", recordId: createCompany.id, object: "company", after: "Acme" }
  })
  expect(run!.logs).toContain("created Acme")

  // `updatedFields` narrows `*.updated`: a change of another field starts nothing.
  await client.data(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 12 }) { id } }`, { id: createCompany.id })
  await client.data(`mutation($id: UUID!) { updateCompany(id: $id, data: { name: "Acme Inc" }) { id } }`, { id: createCompany.id })
  const [change] = await finishedRuns(updated, 1)
  expect(change!.data).toMatchObject({ name: "company.updated", fields: ["name"], diff: { name: { before: "Acme", after: "Acme Inc" } } })
  await Bun.sleep(500)
  expect(await runsOf(updated)).toHaveLength(1)
  expect(await runsOf(id)).toHaveLength(1)
}, 60_000)

test("a removed database-event trigger stops", async () => {
  const id = await createFunction("on-person-created", `export const main = async () => "ran"`, { databaseEventTriggerSettings: { eventName: "person.created" } })
  await client.data(`mutation { createPerson(data: { name: { firstName: "Ada" } }) { id } }`)
  await finishedRuns(id, 1)
  await client.metaData(`mutation($input: UpdateLogicFunctionFromSourceInput!) { updateOneLogicFunction(input: $input) }`, {
    input: { id, update: { databaseEventTriggerSettings: null } }
  })
  await client.data(`mutation { createPerson(data: { name: { firstName: "Bo" } }) { id } }`)
  // A later trigger of another function sees the second event: by then this one's would have run too.
  const witness = await createFunction("witness", `export const main = async () => "seen"`, { databaseEventTriggerSettings: { eventName: "person.created" } })
  await client.data(`mutation { createPerson(data: { name: { firstName: "Cy" } }) { id } }`)
  await finishedRuns(witness, 1)
  expect(await runsOf(id)).toHaveLength(1)
}, 60_000)

test("a cron trigger fires once per matching minute, however many ticks see it, and stops once removed", async () => {
  const id = await createFunction("every-five", `export const main = async () => { console.log("tick"); return 5 }`, { cronTriggerSettings: { pattern: "*/5 * * * *" } })
  const tick = (iso: string) => a.run(Effect.flatMap(LogicFunctions, (f) => f.cronTick(new Date(iso))))
  // Two workers handling the same minute (a tick seen twice), then a minute the pattern does not match.
  await Promise.all([tick("2026-12-05T10:05:10Z"), b.run(Effect.flatMap(LogicFunctions, (f) => f.cronTick(new Date("2026-12-05T10:05:40Z"))))])
  await tick("2026-12-05T10:06:00Z")
  const [run] = await finishedRuns(id, 1)
  expect(run).toMatchObject({ trigger: "CRON", status: "SUCCESS", data: 5 })
  expect(run!.logs).toContain("tick")
  await tick("2026-12-05T10:10:00Z")
  expect(await finishedRuns(id, 2)).toHaveLength(2)

  await client.metaData(`mutation($input: UpdateLogicFunctionFromSourceInput!) { updateOneLogicFunction(input: $input) }`, {
    input: { id, update: { cronTriggerSettings: null } }
  })
  await tick("2026-12-05T10:15:00Z")
  await Bun.sleep(1000)
  expect(await runsOf(id)).toHaveLength(2)
}, 60_000)

test("the minute tick is a schedule of the job runner (one enqueue per tick across workers)", () => {
  expect(registry.schedules?.some((s) => s.queue === "logic-functions" && s.name === "cron-tick" && "cron" in s.when && s.when.cron === "* * * * *")).toBe(true)
})

test("bad trigger settings are refused with BAD_USER_INPUT", async () => {
  const bad = async (extra: Record<string, unknown>) =>
    (await client.meta(`mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { id } }`, {
      input: { name: "bad", ...extra }
    })).body.errors?.[0]
  expect((await bad({ cronTriggerSettings: { pattern: "every minute" } }))?.extensions?.code).toBe("BAD_USER_INPUT")
  expect((await bad({ cronTriggerSettings: { schedule: "* * * * *" } }))?.extensions?.code).toBe("BAD_USER_INPUT")
  expect((await bad({ databaseEventTriggerSettings: { eventName: "company" } }))?.extensions?.code).toBe("BAD_USER_INPUT")
})

/** A graphql-sse "distinct connections" subscription on `app`: POST with Accept: text/event-stream. */
const subscribe = async (app: TestApp, bearer: string, input: Record<string, unknown>) => {
  const controller = new AbortController()
  const response = await app.handle(new Request("http://localhost/metadata", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      query: `subscription SubscribeToLogs($input: LogicFunctionLogsInput!) { logicFunctionLogs(input: $input) { logs } }`,
      variables: { input }
    }),
    signal: controller.signal
  }))
  const events: Array<{ event: string; data: any }> = []
  let text = ""
  const reader = response.body!.getReader()
  const reading = (async () => {
    const decoder = new TextDecoder()
    while (true) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
      if (done) return
      text += decoder.decode(value, { stream: true })
      let end: number
      while ((end = text.indexOf("\n\n")) !== -1) {
        const block = text.slice(0, end)
        text = text.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event) events.push({ event, data: data ? JSON.parse(data) : null })
      }
    }
  })()
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    events,
    close: async () => {
      await reader.cancel().catch(() => {})
      controller.abort()
      await reading
    }
  }
}

test("logicFunctionLogs streams each execution's logs to the workspace's subscribers on any instance, filtered as asked", async () => {
  const id = await createFunction("chatty", `export const main = async (p) => { console.log("hello " + p.who); console.error("warned"); return 1 }`)
  await createFunction("quiet", `export const main = async () => { console.log("quiet one"); return 2 }`)
  const byName = await subscribe(b, token, { name: "chatty" })
  const everything = await subscribe(b, token, {})
  const byOtherId = await subscribe(b, token, { id: crypto.randomUUID() })
  const otherWorkspace = await subscribe(b, otherToken, {})
  try {
    expect(byName.status).toBe(200)
    expect(byName.contentType).toStartWith("text/event-stream")
    await Bun.sleep(300)
    await client.metaData(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: { who: "Ada" } }) { status } }`, { id })
    const quiet = (await client.metaData(`{ findManyLogicFunctions { id name } }`)).findManyLogicFunctions.find((f: any) => f.name === "quiet")
    await client.metaData(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: {} }) { status } }`, { id: quiet.id })
    await waitFor(async () => (everything.events.length >= 2 ? true : undefined), 10_000)
    const [first] = byName.events
    expect(first?.event).toBe("next")
    expect(first?.data.data.logicFunctionLogs.logs).toContain("hello Ada")
    expect(first?.data.data.logicFunctionLogs.logs).toContain("warned")
    expect(everything.events.map((e) => e.data.data.logicFunctionLogs.logs).join("\n")).toContain("quiet one")
    await Bun.sleep(300)
    expect(byName.events).toHaveLength(1)
    expect(byOtherId.events).toHaveLength(0)
    expect(otherWorkspace.events).toHaveLength(0)
  } finally {
    await Promise.all([byName.close(), everything.close(), byOtherId.close(), otherWorkspace.close()])
  }
}, 60_000)

test("logicFunctionLogs refuses a caller without a token", async () => {
  const anonymous = await a.handle(new Request("http://localhost/metadata", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query: `subscription { logicFunctionLogs(input: {}) { logs } }` })
  }))
  const text = await anonymous.text()
  expect(text).toContain("UNAUTHENTICATED")
  expect(text).toContain("event: complete")
})

test("without Redis the logs go to this process's listeners of the workspace, until removed", async () => {
  const entry = (workspaceId: string, logs: string) =>
    ({ workspaceId, id: crypto.randomUUID(), name: "f", universalIdentifier: null, applicationId: null, applicationUniversalIdentifier: null, logs })
  const got = await Effect.runPromise(Effect.gen(function*() {
    const channel = yield* FunctionLogs
    const seen: Array<string> = []
    const remove = yield* channel.listen("ws-1", (e) => seen.push(e.logs))
    yield* channel.publish(entry("ws-1", "one"))
    yield* channel.publish(entry("ws-2", "elsewhere"))
    remove()
    yield* channel.publish(entry("ws-1", "after removal"))
    return seen
  }).pipe(Effect.provide(FunctionLogsLive)))
  expect(got).toEqual(["one"])
})
