/**
 * A worker SIGKILLed in the middle of a 10-step run: a second worker takes the run's job once its lease
 * expires and finishes the run from its last finished step; every CREATE_RECORD step's record exists once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { SQL } from "bun"
import { startTestApp, TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { runScore } from "./support/process.js"
import { step, workflowClient } from "./support/workflows.js"

let app: TestApp
let sql: SQL
const workers: Array<ReturnType<typeof runScore>> = []

beforeAll(async () => {
  app = await startTestApp()
  sql = new SQL({ url: app.databaseUrl, max: 1 })
})
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill("SIGKILL")
  await Promise.all(workers.map((w) => w.exited))
  await sql.close()
  await app.close()
})

const startWorker = () => {
  const worker = runScore("jobs/worker.ts", {
    DATABASE_URL: app.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: testRedisPrefix(new URL(app.databaseUrl).pathname.slice(1)), // the app's own
    APP_SECRET: TEST_APP_SECRET,
    DATABASE_POOL_SIZE: "2",
    LOG_LEVEL: "Error"
  })
  workers.push(worker)
  return worker
}

const STEPS = 10

test("SIGKILL mid-run: another worker completes the run, each step's record created exactly once", async () => {
  const account = await signUpWithWorkspace(app, { name: "Fault Co" })
  const client = workflowClient(app, account.accessToken)
  const ids = Array.from({ length: STEPS }, () => crypto.randomUUID())
  const { versionId } = await client.createWorkflow(
    "Ten steps",
    { type: "MANUAL", settings: {}, nextStepIds: [ids[0]] },
    ids.map((id, i) => step(id, "CREATE_RECORD", { objectName: "note", objectRecord: { title: `{{trigger.tag}} step ${i + 1}` } }, ids[i + 1] ? [ids[i + 1]!] : []))
  )
  const [{ schema }] = await sql`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${account.workspaceId}`
  const progress = async (runId: string) => {
    const [row] = await sql.unsafe(`SELECT status, state FROM "${schema}"."workflowRun" WHERE id = $1`, [runId])
    const infos = Object.values((row?.state?.stepInfos ?? {}) as Record<string, { status: string }>)
    return { status: row?.status as string | undefined, done: infos.filter((i) => i.status === "SUCCESS").length - 1 }
  }

  // A kill must land while the run is between its first and last step; a run that finished first is retried.
  let killedAt: { runId: string; tag: string; done: number } | null = null
  for (let attempt = 0; attempt < 8 && !killedAt; attempt++) {
    const first = startWorker()
    await Bun.sleep(attempt === 0 ? 3000 : 1500) // the worker starts (a bundle build the first time)
    const tag = `fault-${attempt}-${crypto.randomUUID().slice(0, 6)}`
    const runId = await client.run(versionId, { tag })
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      const { done } = await progress(runId)
      if (done >= 1) {
        first.kill("SIGKILL")
        await first.exited
        const after = await progress(runId)
        if (after.status !== "COMPLETED") killedAt = { runId, tag, done: after.done }
        break
      }
    }
    if (first.exitCode === null) {
      first.kill("SIGKILL")
      await first.exited
    }
    if (!killedAt) await client.settled(runId, 30_000).catch(() => undefined)
  }
  expect(killedAt).not.toBeNull()
  const { runId, tag, done } = killedAt!
  expect(done).toBeLessThan(STEPS)

  startWorker()
  const run = await client.settled(runId, 60_000)
  expect(run.status).toBe("COMPLETED")
  expect(Object.entries(run.state.stepInfos).filter(([id]) => id !== "trigger").map(([, info]: any) => info.status)).toEqual(
    Array(STEPS).fill("SUCCESS")
  )
  const rows = await sql.unsafe(`SELECT title FROM "${schema}".note WHERE title LIKE $1 ORDER BY "createdAt"`, [`${tag} step %`])
  const titles = rows.map((r: { title: string }) => r.title)
  expect([...titles].sort()).toEqual(ids.map((_, i) => `${tag} step ${i + 1}`).sort())
}, 180_000)
