/**
 * Logic functions (/metadata) and the workflow CODE step, on real PostgreSQL and Redis, each execution in
 * a real sandbox process (sandbox/pool.ts): results feed the next step; CPU, memory and wall-clock limits
 * stop a function with a clear step error and the worker goes on; no environment, no network.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { MetadataApiClient } from "twenty-client-sdk/metadata"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { join } from "node:path"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { step, workflowClient } from "./support/workflows.js"

let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown> | null = null
let client: ReturnType<typeof workflowClient>
let token: string
let listener: Server
let listenerHits = 0
let listenerPort = 0

beforeAll(async () => {
  listener = createServer((_req, res) => {
    listenerHits++
    res.end("reached")
  })
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve))
  listenerPort = (listener.address() as { port: number }).port
  app = await startTestApp({
    env: { LOGIC_FUNCTION_CPU_TIME_LIMIT: "1s", LOGIC_FUNCTION_MEMORY_LIMIT_MB: "512", LOGIC_FUNCTION_TIMEOUT: "30s" }
  })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.zipRight(runWorker(registry, { pollInterval: "50 millis" }), Effect.never))))
  const account = await signUpWithWorkspace(app, { name: "Code Co" })
  token = account.accessToken
  client = workflowClient(app, token)
})
afterAll(async () => {
  if (worker) await app.run(Fiber.interrupt(worker))
  await app.close()
  listener.close()
})

const uuid = () => crypto.randomUUID()
const manual = (next: Array<string>) => ({ type: "MANUAL", settings: {}, nextStepIds: next })

const FIELDS = "id name runtime timeoutSeconds handlerName sourceHandlerPath createdAt updatedAt"

/** A function whose handler (`main` in `src/index.ts`) is `code`. */
const createFunction = async (code: string, extra: Record<string, unknown> = {}) => {
  const { createOneLogicFunction: fn } = await client.metaData(
    `mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { ${FIELDS} } }`,
    { input: { name: "fn", source: { sourceHandlerCode: code, handlerName: "main", toolInputSchema: {} }, ...extra } }
  )
  return fn.id as string
}

/** A MANUAL workflow with one CODE step running `code`, then `after` steps. */
const runCode = async (code: string, functionInput: Record<string, unknown> = {}, options: Record<string, unknown> = {}, after: Array<unknown> = []) => {
  const functionId = await createFunction(code)
  const codeStep = uuid()
  const next = after.map((s) => (s as { id: string }).id)
  const { versionId } = await client.createWorkflow("Code", manual([codeStep]), [
    step(codeStep, "CODE", { logicFunctionId: functionId, logicFunctionInput: functionInput }, next, options),
    ...after
  ])
  const run = await client.settled(await client.run(versionId, { a: "Ada" }), 40_000)
  return { run, info: run.state.stepInfos[codeStep], codeStep }
}

test("the logic function API (twenty-client-sdk 2.43's): create from source, read the code, update it, list, execute, delete", async () => {
  const { createOneLogicFunction: fn } = await client.metaData(
    `mutation { createOneLogicFunction(input: { name: "Greeter", description: "says hi" }) { ${FIELDS} executionMode } }`
  )
  expect(fn).toMatchObject({ name: "Greeter", runtime: "nodejs22.x", timeoutSeconds: 300, handlerName: "main", sourceHandlerPath: "src/index.ts", executionMode: "LIVE" })
  const code = async (id: string) => (await client.metaData(`query($id: ID!) { getLogicFunctionSourceCode(input: { id: $id }) }`, { id })).getLogicFunctionSourceCode
  expect(await code(fn.id)).toContain("export const main = async")

  const greet = "export const main = async (params: { name: string }) => {\n  console.log('greeting', params.name)\n  return { greeting: `Hi ${params.name}` }\n}\n"
  const { updateOneLogicFunction } = await client.metaData(
    `mutation($input: UpdateLogicFunctionFromSourceInput!) { updateOneLogicFunction(input: $input) }`,
    { input: { id: fn.id, update: { name: "Greeter 2", timeoutSeconds: 10, sourceHandlerCode: greet } } }
  )
  expect(updateOneLogicFunction).toBe(true)
  expect(await code(fn.id)).toBe(greet)
  const { findOneLogicFunction } = await client.metaData(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { name timeoutSeconds } }`, { id: fn.id })
  expect(findOneLogicFunction).toEqual({ name: "Greeter 2", timeoutSeconds: 10 })
  const { findManyLogicFunctions } = await client.metaData(`{ findManyLogicFunctions { id name } }`)
  expect(findManyLogicFunctions).toContainEqual({ id: fn.id, name: "Greeter 2" })

  const { executeOneLogicFunction: result } = await client.metaData(
    `mutation($input: ExecuteOneLogicFunctionInput!) { executeOneLogicFunction(input: $input) { data logs duration status error } }`,
    { input: { id: fn.id, payload: { name: "Ada" } } }
  )
  expect(result).toMatchObject({ status: "SUCCESS", data: { greeting: "Hi Ada" }, error: null })
  expect(result.logs).toContain("greeting Ada")
  expect(result.duration).toBeGreaterThan(0)

  // Twenty's `source` on create names the handler; its code is replaced by updateOneLogicFunction.
  const { createOneLogicFunction: fromSource } = await client.metaData(
    `mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { id handlerName } }`,
    { input: { name: "Doubler", source: { sourceHandlerCode: "export const double = async (p: { n: number }) => p.n * 2", handlerName: "double", toolInputSchema: {} } } }
  )
  expect(fromSource.handlerName).toBe("double")
  const run = async (id: string, payload: unknown) =>
    (await client.metaData(`mutation($id: UUID!, $p: JSON!) { executeOneLogicFunction(input: { id: $id, payload: $p }) { data status } }`, { id, p: payload }))
      .executeOneLogicFunction
  expect(await run(fromSource.id, { n: 21 })).toEqual({ status: "SUCCESS", data: 42 })
  await client.metaData(`mutation($id: UUID!) { updateOneLogicFunction(input: { id: $id, update: { sourceHandlerCode: "export const double = async (p: { n: number }) => p.n * 3" } }) }`, {
    id: fromSource.id
  })
  expect(await run(fromSource.id, { n: 2 })).toEqual({ status: "SUCCESS", data: 6 })

  await client.metaData(`mutation($id: ID!) { deleteOneLogicFunction(input: { id: $id }) { id } }`, { id: fn.id })
  const gone = await client.meta(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { id } }`, { id: fn.id })
  expect(gone.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  const notAnId = await client.meta(`{ findOneLogicFunction(input: { id: "nope" }) { id } }`)
  expect(notAnId.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
})

test("a function's other files are importable from its handler (written beside it in the sandbox); a path leaving its directory is refused", async () => {
  const id = await createFunction("export const main = async () => 'replaced below'")
  const update = (fields: Record<string, unknown>) =>
    client.metaData(`mutation($input: UpdateLogicFunctionFromSourceInput!) { updateOneLogicFunction(input: $input) }`, { input: { id, update: fields } })
  const execute = async (payload: unknown) =>
    (await client.metaData(`mutation($id: UUID!, $p: JSON!) { executeOneLogicFunction(input: { id: $id, payload: $p }) { data status error } }`, { id, p: payload }))
      .executeOneLogicFunction
  // Twenty's API writes a file at `sourceHandlerPath`: each file in turn, the handler's path set last.
  await update({ sourceHandlerPath: "src/utils.ts", sourceHandlerCode: "export const greet = (name: string): string => `Hello ${name}`\n" })
  await update({ sourceHandlerPath: "lib/shout.js", sourceHandlerCode: "export const shout = (text) => text.toUpperCase()\n" })
  await update({
    sourceHandlerPath: "src/index.ts",
    sourceHandlerCode: "import { greet } from './utils'\nimport { shout } from '../lib/shout.js'\nexport const main = async (p: { name: string }) => ({ message: shout(greet(p.name)) })\n"
  })
  expect(await execute({ name: "Ada" })).toEqual({ status: "SUCCESS", data: { message: "HELLO ADA" }, error: null })

  // Through a workflow CODE step too.
  const codeStep = uuid()
  const { versionId } = await client.createWorkflow("Multi-file", manual([codeStep]), [
    step(codeStep, "CODE", { logicFunctionId: id, logicFunctionInput: { name: "{{trigger.a}}" } })
  ])
  const run = await client.settled(await client.run(versionId, { a: "Grace" }), 40_000)
  expect(run.state.stepInfos[codeStep]).toMatchObject({ status: "SUCCESS", result: { message: "HELLO GRACE" } })

  await update({ sourceHandlerPath: "../escape.ts", sourceHandlerCode: "export const x = 1\n" })
  await update({ sourceHandlerPath: "src/index.ts" })
  const refused = await execute({ name: "Ada" })
  expect(refused.status).toBe("ERROR")
  expect(refused.error).toMatchObject({ errorType: "InvalidSourcePath", errorMessage: "File path ../escape.ts is outside the function's directory" })
})

test("bad input is BAD_USER_INPUT; another workspace's function is NOT_FOUND", async () => {
  const zero = await client.meta(`mutation { createOneLogicFunction(input: { name: "x", timeoutSeconds: 0 }) { id } }`)
  expect(zero.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  const fnId = await createFunction("export const main = async () => 1")
  const badHandler = await client.meta(`mutation($id: UUID!) { updateOneLogicFunction(input: { id: $id, update: { handlerName: "1 main" } }) }`, { id: fnId })
  expect(badHandler.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  const taken = await client.meta(`mutation($id: UUID!) { createOneLogicFunction(input: { id: $id, name: "again" }) { id } }`, { id: fnId })
  expect(taken.body.errors?.[0]?.extensions?.code).toBe("CONFLICT")
  const other = await signUpWithWorkspace(app, { name: "Other Co" })
  const foreign = await app.gql(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: {} }) { status } }`, { id: fnId }, other.accessToken)
  expect(foreign.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
})

test("a CODE step's result is used by the next step ({{<stepId>.<field>}})", async () => {
  const create = uuid()
  const functionId = await createFunction("export const main = async (params: { who: string }): Promise<object> => ({ companyName: `${params.who} Industries` })")
  const codeStep = uuid()
  const after = [step(create, "CREATE_RECORD", { objectName: "company", objectRecord: { name: `{{${codeStep}.companyName}}` } })]
  const { versionId } = await client.createWorkflow("Chain", manual([codeStep]), [
    step(codeStep, "CODE", { logicFunctionId: functionId, logicFunctionInput: { who: "{{trigger.a}}" } }, [create]),
    ...after
  ])
  const run = await client.settled(await client.run(versionId, { a: "Ada" }), 40_000)
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[codeStep]).toMatchObject({ status: "SUCCESS", result: { companyName: "Ada Industries" } })
  expect(run.state.stepInfos[create]).toMatchObject({ status: "SUCCESS", result: { name: "Ada Industries" } })
})

test("a function looping forever is stopped by the CPU time limit; the worker runs the next one", async () => {
  const { run, info } = await runCode("export const main = async () => { while (true) {} }")
  expect(run.status).toBe("FAILED")
  expect(info).toMatchObject({ status: "FAILED", error: "Function exceeded its CPU time limit of 1 s" })
  const next = await runCode("export const main = async () => ({ ok: true })")
  expect(next.info).toMatchObject({ status: "SUCCESS", result: { ok: true } })
}, 60_000)

test("a function allocating too much is stopped by the memory limit", async () => {
  const { run, info } = await runCode("export const main = async () => { const kept: Array<string> = []; for (;;) kept.push('x'.repeat(10_000_000) + Math.random()) }")
  expect(run.status).toBe("FAILED")
  expect(info).toMatchObject({ status: "FAILED", error: "Function exceeded its memory limit of 512 MB" })
}, 60_000)

test("a function sees no environment and cannot read the server's", async () => {
  process.env["SCORE_TEST_SECRET_FOR_CODE"] = "must-not-leak"
  const { info } = await runCode(`
import { readFileSync } from "node:fs"
const attempt = (path: string) => { try { return readFileSync(path, "utf8") } catch (error) { return "refused: " + (error as Error).message } }
export const main = async () => ({
  env: { ...process.env },
  parent: attempt("/proc/" + process.ppid + "/environ"),
  init: attempt("/proc/1/environ"),
  uid: process.getuid?.()
})`)
  expect(info.status).toBe("SUCCESS")
  expect(info.result.env).toEqual({})
  expect(info.result.parent).toStartWith("refused: ")
  expect(info.result.init).toStartWith("refused: ")
  expect(info.result.uid).not.toBe(0)
  expect(JSON.stringify(info.result)).not.toContain("must-not-leak")
  expect(JSON.stringify(info.result)).not.toContain(app.databaseUrl)
})

test("a function cannot reach the network (a server on this machine's loopback is never hit)", async () => {
  const { run, info } = await runCode(`export const main = async () => (await fetch("http://127.0.0.1:${listenerPort}/")).text()`)
  expect(run.status).toBe("FAILED")
  expect(info.status).toBe("FAILED")
  expect(String(info.error)).not.toContain("reached")
  expect(listenerHits).toBe(0)
})

test("a syntax error fails the step with a clear error; continueOnFailure lets the run go on", async () => {
  const after = uuid()
  const { run, info } = await runCode(
    "export const main = async ( => {",
    {},
    { errorHandlingOptions: { retryOnFailure: { value: false }, continueOnFailure: { value: true } } },
    [step(after, "FIND_RECORDS", { objectName: "company", limit: 1 })]
  )
  expect(info).toMatchObject({ status: "FAILED" })
  expect(info.error).toStartWith("Syntax error: Unexpected =>")
  expect(run.status).toBe("COMPLETED")
  expect(run.state.stepInfos[after].status).toBe("SUCCESS")
})

test("a thrown error is the step's error; a wall-clock timeout stops a function that waits", async () => {
  const thrown = await runCode("export const main = async () => { throw new Error('no invoice for this customer') }")
  expect(thrown.info).toMatchObject({ status: "FAILED", error: "no invoice for this customer" })
  const fnId = await createFunction("export const main = async () => { await new Promise((r) => setTimeout(r, 60_000)) }", { timeoutSeconds: 1 })
  const { executeOneLogicFunction: result } = await client.metaData(
    `mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: {} }) { status error } }`,
    { id: fnId }
  )
  expect(result).toMatchObject({ status: "ERROR", error: { errorType: "TimeoutError", errorMessage: "Function timed out after 1s" } })
})

test("createWorkflowVersionStep of type CODE creates the step's logic function (Twenty's default source)", async () => {
  const { versionId } = await client.createWorkflow("Builder", manual([]), [])
  const { createWorkflowVersionStep: changes } = await client.metaData(
    `mutation($input: CreateWorkflowVersionStepInput!) { createWorkflowVersionStep(input: $input) { stepsDiff } }`,
    { input: { workflowVersionId: versionId, stepType: "CODE" } }
  )
  const created = changes.stepsDiff.find((d: any) => d.type === "CREATE").value
  expect(created.type).toBe("CODE")
  const functionId = created.settings.input.logicFunctionId
  expect(created.settings.input.logicFunctionInput).toEqual({})
  const { findOneLogicFunction } = await client.metaData(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { id handlerName } }`, { id: functionId })
  expect(findOneLogicFunction).toEqual({ id: functionId, handlerName: "main" })
  const { executeOneLogicFunction: result } = await client.metaData(
    `mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: { a: "x", b: 2 } }) { data status } }`,
    { id: functionId }
  )
  expect(result).toEqual({ status: "SUCCESS", data: { message: "Hello, input: x and 2" } })
})

test("each execution runs as a user of its own, and a process it leaves behind ends with its sandbox", async () => {
  const fnId = await createFunction(`
export const main = async () => {
  const sleeper = Bun.spawn(["/bin/sleep", "300"], { stdout: "ignore", stderr: "ignore" })
  sleeper.unref()
  return { uid: process.getuid?.(), sleeper: sleeper.pid }
}`)
  const execute = async () =>
    (await client.metaData(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: {} }) { data status error } }`, { id: fnId }))
      .executeOneLogicFunction
  const first = await execute()
  const second = await execute()
  expect(first.status).toBe("SUCCESS")
  expect(first.data.uid).not.toBe(0)
  expect(second.data.uid).not.toBe(first.data.uid)
  // Gone, or a zombie waiting for its reaper (PID 1 of a container may never reap it).
  const alive = (pid: number) => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))
    } catch {
      return false
    }
  }
  await Bun.sleep(200)
  expect(alive(first.data.sleeper)).toBe(false)
  expect(alive(second.data.sleeper)).toBe(false)
})

test("a draft made from a version gets its own copies of the CODE steps' functions; deleting a CODE step deletes its function", async () => {
  const fnId = await createFunction("export const main = async () => ({ version: 1 })")
  const codeStep = uuid()
  const { workflowId, versionId } = await client.createWorkflow("Drafts", manual([codeStep]), [
    step(codeStep, "CODE", { logicFunctionId: fnId, logicFunctionInput: {} })
  ])
  await client.activate(versionId)
  const { createDraftFromWorkflowVersion: draft } = await client.metaData(
    `mutation($input: CreateDraftFromWorkflowVersionInput!) { createDraftFromWorkflowVersion(input: $input) { id steps } }`,
    { input: { workflowId, workflowVersionIdToCopy: versionId } }
  )
  const copyId = draft.steps[0].settings.input.logicFunctionId
  expect(copyId).not.toBe(fnId)
  const source = async (id: string) =>
    (await client.metaData(`query($id: ID!) { getLogicFunctionSourceCode(input: { id: $id }) }`, { id })).getLogicFunctionSourceCode
  expect(await source(copyId)).toEqual(await source(fnId))
  await client.metaData(`mutation($id: UUID!) { updateOneLogicFunction(input: { id: $id, update: { sourceHandlerCode: "x" } }) }`, { id: copyId })
  expect(await source(copyId)).toBe("x")
  expect(await source(fnId)).toContain("version: 1")

  await client.metaData(`mutation($input: DeleteWorkflowVersionStepInput!) { deleteWorkflowVersionStep(input: $input) { stepsDiff } }`, {
    input: { workflowVersionId: draft.id, stepId: codeStep }
  })
  const gone = await client.meta(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { id } }`, { id: copyId })
  expect(gone.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  expect((await client.metaData(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { id } }`, { id: fnId })).findOneLogicFunction.id).toBe(fnId)
})

test("a duplicated CODE step, and a duplicated workflow's CODE steps, get functions of their own", async () => {
  const fnId = await createFunction("export const main = async () => ({ original: true })")
  const codeStep = uuid()
  const { workflowId, versionId } = await client.createWorkflow("Duplicates", manual([codeStep]), [
    step(codeStep, "CODE", { logicFunctionId: fnId, logicFunctionInput: {} })
  ])
  await client.metaData(`mutation($input: DuplicateWorkflowVersionStepInput!) { duplicateWorkflowVersionStep(input: $input) { stepsDiff } }`, {
    input: { workflowVersionId: versionId, stepId: codeStep }
  })
  const steps = (await client.data(`query($id: UUID!) { workflowVersion(filter: { id: { eq: $id } }) { steps } }`, { id: versionId })).workflowVersion.steps
  const duplicateFn = steps.find((s: any) => s.id !== codeStep).settings.input.logicFunctionId
  expect(duplicateFn).not.toBe(fnId)
  const { duplicateWorkflow } = await client.metaData(
    `mutation($input: DuplicateWorkflowInput!) { duplicateWorkflow(input: $input) { steps } }`,
    { input: { workflowIdToDuplicate: workflowId, workflowVersionIdToCopy: versionId } }
  )
  const copiedFns = duplicateWorkflow.steps.map((s: any) => s.settings.input.logicFunctionId)
  expect(copiedFns.filter((id: string) => id === fnId || id === duplicateFn)).toEqual([])
  // Deleting the original step deletes its function only.
  await client.metaData(`mutation($input: DeleteWorkflowVersionStepInput!) { deleteWorkflowVersionStep(input: $input) { stepsDiff } }`, {
    input: { workflowVersionId: versionId, stepId: codeStep }
  })
  for (const id of [duplicateFn, ...copiedFns]) {
    expect((await client.metaData(`query($id: ID!) { findOneLogicFunction(input: { id: $id }) { id } }`, { id })).findOneLogicFunction.id).toBe(id)
  }
})

test("retryOnFailure runs a failed CODE step again, in a fresh sandbox", async () => {
  // A directory every sandbox user may write (not under /tmp, which each sandbox has of its own, nor under the
  // checkout, which may itself be under /tmp): the first attempt leaves a mark there and fails, the retry sees it.
  const marks = mkdtempSync(process.getuid?.() === 0 && existsSync("/run") ? "/run/score-code-retry-" : join(import.meta.dir, ".code-retry-"))
  chmodSync(marks, 0o777)
  const { run, info } = await runCode(
    `import { existsSync, writeFileSync } from "node:fs"
export const main = async (params: { mark: string }) => {
  if (existsSync(params.mark)) return { attempt: "second", uid: process.getuid?.() }
  writeFileSync(params.mark, String(process.getuid?.()))
  throw new Error("first attempt fails")
}`,
    { mark: join(marks, "tried") },
    { errorHandlingOptions: { retryOnFailure: { value: true }, continueOnFailure: { value: false } } }
  )
  expect(run.status).toBe("COMPLETED")
  expect(info).toMatchObject({ status: "SUCCESS", result: { attempt: "second" } })
  expect(String(info.result.uid)).not.toBe(readFileSync(join(marks, "tried"), "utf8"))
  rmSync(marks, { recursive: true, force: true })
})

test("a function writing over the sandbox's protocol (its stdout) fails with a clear error, and the next one runs", async () => {
  const fnId = await createFunction(`import { writeSync } from "node:fs"
export const main = async () => { writeSync(1, "not the protocol\\n"); return { ok: true } }`)
  const execute = async (id: string) =>
    (await client.metaData(`mutation($id: UUID!) { executeOneLogicFunction(input: { id: $id, payload: {} }) { data status error } }`, { id }))
      .executeOneLogicFunction
  const broken = await execute(fnId)
  expect(broken).toMatchObject({ status: "ERROR", error: { errorType: "SandboxError" } })
  expect(broken.error.errorMessage).toContain("must not write to the process's stdout")
  expect(await execute(await createFunction("export const main = async () => 7"))).toMatchObject({ status: "SUCCESS", data: 7 })
})

test("each sandbox has a /tmp of its own: the server's files there are not visible, nor another sandbox's", async () => {
  const hostFile = join("/tmp", `score-host-${crypto.randomUUID()}`)
  writeFileSync(hostFile, "host", { mode: 0o644 })
  const fnId = await createFunction(`import { existsSync, readdirSync, writeFileSync } from "node:fs"
export const main = async (params: { hostFile: string }) => {
  const seen = { host: existsSync(params.hostFile), left: existsSync("/tmp/left-by-a-sandbox"), entries: readdirSync("/tmp") }
  writeFileSync("/tmp/left-by-a-sandbox", "x")
  return seen
}`)
  const execute = async () =>
    (await client.metaData(`mutation($id: UUID!, $p: JSON!) { executeOneLogicFunction(input: { id: $id, payload: $p }) { data status error } }`, { id: fnId, p: { hostFile } }))
      .executeOneLogicFunction
  const first = await execute()
  const second = await execute()
  rmSync(hostFile, { force: true })
  expect(first).toMatchObject({ status: "SUCCESS", data: { host: false, left: false } })
  expect(second).toMatchObject({ status: "SUCCESS", data: { host: false, left: false } })
  expect(existsSync("/tmp/left-by-a-sandbox")).toBe(false)
})

test("the MetadataApiClient twenty-client-sdk ships (Twenty's own metadata schema) manages and runs a logic function", async () => {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const url = new URL(req.url)
      return app.request(url.pathname + url.search, { method: req.method, headers: req.headers, body: await req.arrayBuffer() })
    }
  })
  try {
    const sdk = new MetadataApiClient({ url: `http://127.0.0.1:${server.port}/metadata`, headers: { Authorization: `Bearer ${token}` } })
    const { createOneLogicFunction: fn } = await sdk.mutation({
      createOneLogicFunction: {
        __args: { input: { name: "Sdk", source: { sourceHandlerCode: "export const main = async (p: { x: number }) => ({ y: p.x + 1 })", handlerName: "main", toolInputSchema: {} } } },
        id: true,
        name: true,
        handlerName: true,
        executionMode: true
      }
    })
    expect(fn).toMatchObject({ name: "Sdk", handlerName: "main", executionMode: "LIVE" })
    await sdk.mutation({
      updateOneLogicFunction: { __args: { input: { id: fn.id, update: { sourceHandlerCode: "export const main = async (p: { x: number }) => ({ y: p.x * 10 })" } } } }
    })
    const { getLogicFunctionSourceCode } = await sdk.query({ getLogicFunctionSourceCode: { __args: { input: { id: fn.id } } } })
    expect(getLogicFunctionSourceCode).toContain("p.x * 10")
    const { executeOneLogicFunction } = await sdk.mutation({
      executeOneLogicFunction: { __args: { input: { id: fn.id, payload: { x: 4 } } }, data: true, status: true, error: true }
    })
    expect(executeOneLogicFunction).toMatchObject({ status: "SUCCESS", data: { y: 40 } })
  } finally {
    server.stop(true)
  }
})
