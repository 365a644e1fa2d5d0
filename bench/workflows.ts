/**
 * Workflow benchmark, on PostgreSQL and Redis with one worker (the registry's runner, in this process, beside
 * the app and the outbox relay, as `bun run worker` runs them):
 *
 *  1. latency from a record's commit to its workflow run: BENCH_EVENTS (200) `createCompany` mutations on
 *     /graphql one after the other, each starting a DATABASE_EVENT workflow whose one step creates a note.
 *     From the mutation's answer (after the commit) to the run's `startedAt` (the worker took it, the first
 *     step starts) and to the note's `createdAt` (the first step's write), p50 / p99;
 *  2. throughput: BENCH_RUNS (300) runs of a 3-step MANUAL workflow (CREATE_RECORD, UPDATE_RECORD of that
 *     record through `{{<stepId>.id}}`, FIND_RECORDS) queued at once, runs completed per second;
 *     And BENCH_CODE_RUNS (40) runs of a 1-step MANUAL workflow whose step is CODE (a trivial logic function,
 *     each execution in a fresh sandbox process), runs completed per second;
 *  3. the trigger lookup every record event pays (most match no workflow): BENCH_LOOKUPS (2000) events that
 *     match none through startRunsForEvent (the cached triggers) against the query each event ran before
 *     the cache, per event, in µs;
 *  4. the queue bench (bench/queue.ts, BENCH_QUEUE_JOBS jobs, one round) in the same run, as the floor a
 *     workflow run's jobs stand on: a loaded machine moves both together.
 *
 *   bun bench/workflows.ts
 *
 * Uses the test harness (test/support) for a fresh database and its own Redis key prefix, dropped and left
 * behind respectively when done. Prints a table and a final `RESULT {json}` line.
 */
import { SQL } from "bun"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { runRelay } from "../src/services/events/index.js"
import type { RecordEvent } from "../src/domain/events.js"
import { Workflows } from "../src/services/workflows/index.js"
import { automatedTriggers } from "../src/services/workflows/store.js"
import { startTestApp } from "../test/support/app.js"
import { signUpWithWorkspace } from "../test/support/flows.js"
import { step, workflowClient } from "../test/support/workflows.js"

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200)
const RUNS = Number(process.env.BENCH_RUNS ?? 300)
const CODE_RUNS = Number(process.env.BENCH_CODE_RUNS ?? 40)
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 2000)
const QUEUE_JOBS = process.env.BENCH_QUEUE_JOBS ?? "5000"

const percentile = (values: Array<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!)
}

const app = await startTestApp({ env: { LOG_LEVEL: "Error", WORKFLOW_MAX_RUNNING_PER_WORKSPACE: "50" } })
const worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
  yield* Effect.forkScoped(runRelay("20 millis"))
  yield* runWorker(registry)
  return yield* Effect.never
}))))
const sql = new SQL({ url: app.databaseUrl, max: 1 })
try {
  const account = await signUpWithWorkspace(app, { name: "Bench Flows" })
  const client = workflowClient(app, account.accessToken)
  const [{ schema }] = await sql`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${account.workspaceId}`

  // 1. commit → run
  const noteStep = crypto.randomUUID()
  const onCompany = await client.createWorkflow("On company", { type: "DATABASE_EVENT", settings: { eventName: "company.created" }, nextStepIds: [noteStep] }, [
    step(noteStep, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "{{trigger.recordId}}" } })
  ])
  await client.activate(onCompany.versionId)
  const answered = new Map<string, number>()
  for (let i = 0; i < EVENTS; i++) {
    const { createCompany } = await client.data(`mutation($name: String) { createCompany(data: { name: $name }) { id } }`, { name: `bench ${i}` })
    answered.set(createCompany.id, Date.now())
  }
  const deadline = Date.now() + 120_000
  let rows: Array<{ title: string; startedAt: Date; noteAt: Date }> = []
  while (Date.now() < deadline) {
    rows = await sql.unsafe(`
      SELECT n.title, r."startedAt", n."createdAt" AS "noteAt" FROM "${schema}".note n
        JOIN "${schema}"."workflowRun" r ON r.state->'stepInfos'->'trigger'->'result'->>'recordId' = n.title
       WHERE r."workflowId" = $1 AND r.status = 'COMPLETED'`, [onCompany.workflowId])
    if (rows.length >= EVENTS) break
    await Bun.sleep(200)
  }
  const toStart = rows.map((r) => new Date(r.startedAt).getTime() - answered.get(r.title)!)
  const toStep = rows.map((r) => new Date(r.noteAt).getTime() - answered.get(r.title)!)

  // 2. runs per second
  const [create, update, find] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
  const threeSteps = await client.createWorkflow("Three steps", { type: "MANUAL", settings: {}, nextStepIds: [create] }, [
    step(create, "CREATE_RECORD", { objectName: "note", objectRecord: { title: "three {{trigger.i}}" } }, [update]),
    step(update, "UPDATE_RECORD", { objectName: "note", objectRecordId: `{{${create}.id}}`, objectRecord: { title: "three {{trigger.i}} done" }, fieldsToUpdate: ["title"] }, [find]),
    step(find, "FIND_RECORDS", { objectName: "note", limit: 1, filter: { gqlOperationFilter: { id: { eq: `{{${create}.id}}` } } } })
  ])
  const actor = { source: "MANUAL", workspaceMemberId: null, name: "Bench" } as const
  /** Queues `count` runs of the version at once; runs completed per second until all are. */
  const throughput = async (workflow: { workflowId: string; versionId: string }, count: number) => {
    const started = Date.now()
    await app.run(Effect.flatMap(Workflows, (w) =>
      Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
        w.runVersion(account.workspaceId, { workflowVersionId: workflow.versionId, payload: { i } }, actor), { concurrency: 10 })))
    let completed = 0
    while (Date.now() - started < 180_000) {
      const [row] = await sql.unsafe(`SELECT count(*) FILTER (WHERE status = 'COMPLETED')::int AS done, count(*) FILTER (WHERE status = 'FAILED')::int AS failed
        FROM "${schema}"."workflowRun" WHERE "workflowId" = $1`, [workflow.workflowId])
      completed = row.done
      if (row.failed > 0) throw new Error(`${row.failed} runs failed`)
      if (completed >= count) break
      await Bun.sleep(100)
    }
    return { completed, perSecond: Math.round((completed / ((Date.now() - started) / 1000)) * 10) / 10 }
  }
  const three = await throughput(threeSteps, RUNS)

  // 2b. runs per second of a CODE step workflow: one sandbox process per execution
  const { createOneLogicFunction: fn } = await client.metaData(
    `mutation($input: CreateLogicFunctionFromSourceInput!) { createOneLogicFunction(input: $input) { id } }`,
    { input: { name: "bench", source: { sourceHandlerCode: "export const main = async (p: { i: number }) => ({ double: p.i * 2 })", handlerName: "main", toolInputSchema: {} } } }
  )
  const codeStep = crypto.randomUUID()
  const codeWorkflow = await client.createWorkflow("Code step", { type: "MANUAL", settings: {}, nextStepIds: [codeStep] }, [
    step(codeStep, "CODE", { logicFunctionId: fn.id, logicFunctionInput: { i: "{{trigger.i}}" } })
  ])
  const code = await throughput(codeWorkflow, CODE_RUNS)

  // 3. trigger lookup per event: cached, against the query every event ran before the cache
  const event: RecordEvent = {
    name: "person.created",
    action: "created",
    workspaceId: account.workspaceId,
    objectMetadataId: crypto.randomUUID(),
    objectNameSingular: "person",
    recordId: crypto.randomUUID(),
    record: {},
    actor: { source: "API", workspaceMemberId: null, name: "Bench" },
    occurredAt: new Date().toISOString()
  }
  const timePerCall = async (effect: Effect.Effect<unknown, unknown, any>) => {
    await app.run(effect)
    const begun = performance.now()
    await app.run(Effect.repeatN(effect, LOOKUPS - 1))
    return Math.round(((performance.now() - begun) * 1000) / LOOKUPS)
  }
  const cachedLookupUs = await timePerCall(Effect.flatMap(Workflows, (w) => w.startRunsForEvent(event)))
  const queriedLookupUs = await timePerCall(automatedTriggers(schema, "DATABASE_EVENT", ["person.created", "person.upserted"]))

  // 4. the queue bench, same machine, same minute
  const queueBench = Bun.spawnSync(["bun", "bench/queue.ts"], { env: { ...process.env, BENCH_JOBS: QUEUE_JOBS, BENCH_ROUNDS: "1" }, stdout: "pipe", stderr: "pipe" })
  const queueLine = queueBench.stdout.toString().split("\n").find((line) => line.startsWith("RESULT "))
  const queue = queueLine ? JSON.parse(queueLine.slice("RESULT ".length)) : { error: queueBench.stderr.toString().slice(-300) }

  const figures = {
    events: rows.length,
    commitToRunStartP50Ms: percentile(toStart, 50),
    commitToRunStartP99Ms: percentile(toStart, 99),
    commitToFirstStepWriteP50Ms: percentile(toStep, 50),
    commitToFirstStepWriteP99Ms: percentile(toStep, 99),
    threeStepRuns: three.completed,
    threeStepRunsPerSecond: three.perSecond,
    codeStepRuns: code.completed,
    codeStepRunsPerSecond: code.perSecond,
    triggerLookupCachedUsPerEvent: cachedLookupUs,
    triggerLookupQueriedUsPerEvent: queriedLookupUs
  }
  // Side by side with the floor they stand on: the queue's own no-op jobs per second, and BullMQ's.
  console.table({ ...figures, queueNoOpJobsPerSecond: queue.best?.score?.process ?? null, bullmqNoOpJobsPerSecond: queue.best?.bullmq?.process ?? null })
  console.log("queue bench (same run):", JSON.stringify(queue))
  console.log(`RESULT ${JSON.stringify({ ...figures, queue })}`)
} finally {
  await app.run(Fiber.interrupt(worker))
  await sql.close()
  await app.close()
}
