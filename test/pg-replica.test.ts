import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { type PgCluster, startPgPrimary, startPgReplica, waitForReplay } from "./support/pg-replica.js"

// A primary and a real streaming replica (PostgreSQL 15 clusters of their own) and two Score instances on the same primary, replica
// and Redis prefix (one deployment behind a balancer): reads on the replica, read-your-writes across the
// instances, a lagging or stopped replica skipped with no failed request, a restarted one used again.

const MAX_LAG_MS = 1_500
const POLL_MS = 200

const database = { name: "score_replicas" }
let primary: PgCluster
let replica: PgCluster
let replicaSql: SQL
let a: TestApp
let b: TestApp
let token: string

const env = () => ({
  DATABASE_READ_URL: replica.urlFor(database.name),
  DATABASE_POOL_SIZE: "3",
  DATABASE_READ_POOL_SIZE: "3",
  DATABASE_READ_MAX_LAG_MS: String(MAX_LAG_MS),
  DATABASE_READ_POLL_INTERVAL_MS: String(POLL_MS)
})

const rest = async (app: TestApp, method: string, path: string, body?: unknown) => {
  const response = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}

const companyNames = async (app: TestApp) => {
  const listed = await rest(app, "GET", "/rest/companies?limit=200")
  expect(listed.status).toBe(200)
  return (listed.body.data.companies as Array<{ name: string }>).map((c) => c.name)
}

const replicaState = async (app: TestApp) => {
  const health = await (await app.request("/healthz")).json() as any
  return health.details.database.replicas[0] as { status: string; lagMs: number | null }
}

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}

/** Score's connections on the replica whose last statement was a records read (aliased t0; its text is cut at 1 kB). */
const companyReadsOnReplica = async () => {
  const rows = await replicaSql`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = ${database.name} AND application_name = 'score' AND query LIKE 'SELECT t0.%'`
  return rows[0].n as number
}

/** The "Ryw" companies the replica itself holds (read straight from its tables). */
const rywOnReplica = async () => {
  const onReplica = new SQL({ url: replica.urlFor(database.name), max: 1 })
  try {
    const [{ schema }] = await onReplica`SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'company' AND table_schema <> 'public' LIMIT 1`
    const [{ n }] = await onReplica.unsafe(`SELECT count(*)::int AS n FROM "${schema}"."company" WHERE "name" LIKE 'Ryw %'`)
    return n as number
  } finally {
    await onReplica.close()
  }
}

beforeAll(async () => {
  primary = await startPgPrimary()
  const admin = new SQL({ url: primary.urlFor("postgres"), max: 1 })
  await admin.unsafe(`CREATE DATABASE ${database.name}`)
  await admin.close()
  replica = await startPgReplica(primary)
  replicaSql = new SQL({ url: replica.urlFor("postgres"), max: 1 })
  a = await startTestApp({ databaseUrl: primary.urlFor(database.name), env: env() })
  b = await startTestApp({ databaseUrl: primary.urlFor(database.name), env: env() })
  token = (await signUpWithWorkspace(a)).accessToken
  await waitForReplay(primary, replica)
}, 120_000)

afterAll(async () => {
  await a?.close()
  await b?.close()
  await replicaSql?.close()
  await replica?.destroy()
  await primary?.destroy()
})

describe("read replica", () => {
  test("lists read from the replica (its pg_stat_activity shows them); /healthz reports it up", async () => {
    await until("replica up", async () => (await replicaState(b)).status === "up")
    // The sign-up's writes keep the workspace on the primary until the replica replayed them (or the marks expire).
    await until("a list read on the replica", async () => {
      await companyNames(b)
      return (await companyReadsOnReplica()) > 0
    }, 10_000)
  })

  test("read-your-writes: a create on one instance is listed at once by the other while the replica has not replayed it", async () => {
    await replicaSql`SELECT pg_wal_replay_pause()`
    try {
      for (let i = 0; i < 5; i++) {
        const name = `Ryw ${i} ${crypto.randomUUID().slice(0, 6)}`
        const created = await rest(a, "POST", "/rest/companies", { name })
        expect(created.status).toBe(201)
        expect(await companyNames(b)).toContain(name)
        expect(await companyNames(a)).toContain(name)
      }
      // The replica is still in use (paused for less than the max lag) and truly lacks the records.
      expect((await replicaState(b)).status).toBe("up")
      expect(await rywOnReplica()).toBe(0)

      // Past the max lag the replica is skipped: once the write marks expired, reads still see every record.
      await until("replica lagging", async () => (await replicaState(b)).status === "lagging")
      await Bun.sleep(MAX_LAG_MS + 2 * POLL_MS + 1_200)
      const names = await companyNames(b)
      expect(names.filter((n) => n.startsWith("Ryw "))).toHaveLength(5)
    } finally {
      await replicaSql`SELECT pg_wal_replay_resume()`
    }
    await until("replica up again", async () => (await replicaState(b)).status === "up")
  }, 60_000)

  test("a stopped replica: reads fall back to the primary with no failed request; restarted, it takes reads again", async () => {
    await replicaSql.close()
    let failed = 0
    let served = 0
    let running = true
    const load = (async () => {
      while (running) {
        for (const app of [a, b]) {
          const response = await app.request("/rest/companies?limit=5", { headers: { authorization: `Bearer ${token}` } })
          if (response.status === 200) served++
          else failed++
          await response.arrayBuffer()
        }
      }
    })()
    await Bun.sleep(300)
    await replica.stop()
    await until("replica down", async () => (await replicaState(b)).status === "down")
    await Bun.sleep(500)
    await replica.start()
    await until("replica up after restart", async () => (await replicaState(a)).status === "up" && (await replicaState(b)).status === "up")
    await Bun.sleep(500)
    running = false
    await load
    expect(failed).toBe(0)
    expect(served).toBeGreaterThan(10)
    replicaSql = new SQL({ url: replica.urlFor("postgres"), max: 1 })
    await companyNames(a)
    await companyNames(b)
    expect(await companyReadsOnReplica()).toBeGreaterThan(0)
  }, 90_000)
})
