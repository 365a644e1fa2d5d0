/**
 * Lists through one Score instance without and with a read replica (a primary and a streaming replica of
 * their own, test/support/pg-replica.ts): req/s and p50/p99 of `GET /rest/companies?limit=20` from
 * BENCH_CONCURRENCY (default 8) loops for BENCH_SECONDS (default 8) per round, rounds alternating, in process
 * (no HTTP). On one 2-core machine primary and replica share the cores: this measures the routing's cost (a
 * Redis GET per read), not a replica's added capacity.
 *
 *   bun bench/replica-reads.ts
 */
import { SQL } from "bun"
import { startTestApp, type TestApp } from "../test/support/app.js"
import { signUpWithWorkspace } from "../test/support/flows.js"
import { startPgPrimary, startPgReplica, waitForReplay } from "../test/support/pg-replica.js"

const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 8)
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 8)
const DATABASE = "score_replica_bench"

const primary = await startPgPrimary()
const admin = new SQL({ url: primary.urlFor("postgres"), max: 1 })
await admin.unsafe(`CREATE DATABASE ${DATABASE}`)
await admin.close()
const replica = await startPgReplica(primary)
const apps: Array<TestApp> = []
try {
  const plain = await startTestApp({ databaseUrl: primary.urlFor(DATABASE), env: { DATABASE_POOL_SIZE: "6" } })
  apps.push(plain)
  const routed = await startTestApp({
    databaseUrl: primary.urlFor(DATABASE),
    env: { DATABASE_POOL_SIZE: "6", DATABASE_READ_URL: replica.urlFor(DATABASE), DATABASE_READ_POOL_SIZE: "6" }
  })
  apps.push(routed)
  const { accessToken } = await signUpWithWorkspace(plain)
  const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" }
  await plain.request("/rest/batch/companies", {
    method: "POST",
    headers,
    body: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ name: `Company ${i}`, employees: i })))
  })
  await waitForReplay(primary, replica)
  await Bun.sleep(7_000) // the sign-up's write marks expire

  const round = async (app: TestApp) => {
    const latencies: Array<number> = []
    const end = performance.now() + SECONDS * 1000
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const start = performance.now()
        const response = await app.request("/rest/companies?limit=20", { headers })
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(`status ${response.status}`)
        latencies.push(performance.now() - start)
      }
    }))
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2)
    return { rps: Math.round(latencies.length / SECONDS), p50: at(0.5), p99: at(0.99) }
  }
  const results: Record<string, Array<unknown>> = { primary: [], replica: [] }
  for (let i = 0; i < 2; i++) {
    results.primary!.push(await round(plain))
    results.replica!.push(await round(routed))
  }
  const onReplica = new SQL({ url: replica.urlFor(DATABASE), max: 1 })
  const [{ n }] = await onReplica`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'score' AND query LIKE 'SELECT t0.%'`
  await onReplica.close()
  console.log(JSON.stringify(results, null, 1))
  console.log(`RESULT ${JSON.stringify({ ...results, replicaConnectionsThatRead: n })}`)
} finally {
  for (const app of apps) await app.close()
  await replica.destroy()
  await primary.destroy()
}
