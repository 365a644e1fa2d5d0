/**
 * What observability costs the list workload, in one run: the same server and database started alternately
 *   off: no /metrics (no METRICS_TOKEN / METRICS_PORT), no OTLP exporter, the audit log in PostgreSQL;
 *   on:  METRICS_TOKEN (scraped every 15 s, a common Prometheus interval: one scrape costs some 5–15 ms of CPU,
 *        mostly prom-client's process figures), OTEL_EXPORTER_OTLP_ENDPOINT (a local sink
 *        that accepts and drops the spans), the audit log in a local ClickHouse (CLICKHOUSE_URL) when installed;
 * three rounds of each, alternating (off-on, on-off, off-on, so drift in the machine's load falls on both),
 * each a closed loop of 8 clients reading company lists (REST and /graphql, 20 records a page) for 5 s after a
 * 2 s warm-up; the medians are compared: requests per second, and the server's CPU time per request (from
 * /proc, user + system), which a machine loaded by others disturbs far less than throughput. Reads write no audit events: the audit log's part of the
 * cost is its drain, which runs in the server (no REDIS_URL: jobs run in `start`) in both configurations.
 * The target is an overhead of at most 5 % of requests per second.
 *
 * Then, as before, the request-counting wrapper alone, in this process (µs per request).
 *
 *   bun bench/metrics-overhead.ts
 *   bun bench/metrics-overhead.ts --on=tracing    turns on only some parts (metrics, tracing, audit) in "on"
 *   bun bench/metrics-overhead.ts --seconds=15 --rounds=5    longer rounds, more of them
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { measured, noteOperation } from "../src/http/metrics.js"
import { type ClickHouseServer, hasClickHouse, startClickHouse } from "../test/support/clickhouse.js"
import { collect, dropDatabase, freePort, healthy, withAdmin } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const APP_SECRET = "bench-secret-0123456789-0123456789-abcdef"
const METRICS_TOKEN = "bench-metrics-token-0123456789"
const CLIENTS = 8
const WARM_MS = 2_000
const argument = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
/** Longer and more rounds narrow the noise a shared 2-core machine adds (±10 % between 5 s rounds). */
const MEASURE_MS = Number(argument("seconds") ?? 5) * 1000
const ROUNDS = Number(argument("rounds") ?? 3)
const database = `score_bench_obs_${process.pid}`
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`

/** CPU time (user + system, all threads) of a process in ms; clock ticks are 1/100 s on Linux. */
const cpuMs = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

const startServer = async (env: Record<string, string>) => {
  const port = freePort()
  const output = { text: "" }
  const proc = Bun.spawn([process.execPath, "scripts/run.ts", "main"], {
    cwd: ROOT,
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "/root",
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: "3",
      APP_SECRET,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "Warn",
      DATA_DIR: `/tmp/score-bench-obs-${process.pid}`,
      API_RATE_LIMITING_SHORT_LIMIT: "100000000",
      API_RATE_LIMITING_LONG_LIMIT: "100000000",
      ...env
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  collect(proc.stdout, output)
  collect(proc.stderr, output)
  const started = performance.now()
  while (!(await healthy(port))) {
    if (proc.exitCode !== null || performance.now() - started > 120_000) {
      proc.kill("SIGKILL")
      throw new Error(`server did not become ready:\n${output.text.slice(-2000)}`)
    }
    await Bun.sleep(50)
  }
  return {
    port,
    pid: proc.pid,
    stop: async () => {
      proc.kill("SIGTERM")
      await proc.exited
    }
  }
}

const gql = async (port: number, query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const response = await fetch(`http://127.0.0.1:${port}/metadata`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables })
  })
  const body = await response.json() as { data?: any; errors?: unknown }
  if (!body.data) throw new Error(`/metadata failed: ${JSON.stringify(body.errors)}`)
  return body.data
}

/** An account, a workspace, an API key and 100 companies. */
const seed = async (port: number) => {
  const email = `bench.obs.${crypto.randomUUID().slice(0, 8)}@example.com`
  const signUp = (await gql(port, `mutation($e: String!) { signUp(email: $e, password: "correct horse battery") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email })).signUp
  const created = (await gql(port, `mutation { signUpInNewWorkspace(input: { displayName: "Bench" }) { loginToken { token } } }`, {}, signUp.tokens.accessOrWorkspaceAgnosticToken.token)).signUpInNewWorkspace
  const access = (await gql(port, `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: created.loginToken.token }))
    .getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token
  const exp = new Date(Date.now() + 86_400_000).toISOString()
  const key = (await gql(port, `mutation($exp: String!) { createApiKey(input: { name: "bench", expiresAt: $exp }) { id } }`, { exp }, access)).createApiKey
  const apiKey: string = (await gql(port, `mutation($id: UUID!, $exp: String!) { generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`, { id: key.id, exp }, access)).generateApiKeyToken.token
  for (let i = 0; i < 100; i += 20) {
    const response = await fetch(`http://127.0.0.1:${port}/rest/batch/companies`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(Array.from({ length: 20 }, (_, j) => ({ name: `Company ${i + j}` })))
    })
    if (response.status !== 201) throw new Error(`seeding failed: ${response.status} ${await response.text()}`)
  }
  return apiKey
}

const LIST_QUERY = JSON.stringify({ query: "query CompaniesPage { companies(first: 20) { edges { node { id name createdAt } } } }" })

/** A closed loop of CLIENTS readers: requests answered per second after the warm-up. */
const listLoad = async (port: number, pid: number, apiKey: string, scrape: boolean) => {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }
  let counting = false
  let answered = 0
  let failed = 0
  let stop = false
  const client = async (n: number) => {
    for (let i = n; !stop; i++) {
      const response = i % 2 === 0
        ? await fetch(`http://127.0.0.1:${port}/rest/companies?limit=20`, { headers })
        : await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers, body: LIST_QUERY })
      await response.arrayBuffer()
      if (!counting) continue
      if (response.status === 200) answered++
      else failed++
    }
  }
  const scraper = async () => {
    while (!stop) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      await response.arrayBuffer()
      for (let waited = 0; waited < 15_000 && !stop; waited += 100) await Bun.sleep(100)
    }
  }
  const loops = [...Array.from({ length: CLIENTS }, (_, n) => client(n)), ...(scrape ? [scraper()] : [])]
  await Bun.sleep(WARM_MS)
  counting = true
  const started = performance.now()
  const cpuStarted = cpuMs(pid)
  await Bun.sleep(MEASURE_MS)
  counting = false
  const cpu = cpuMs(pid) - cpuStarted
  const seconds = (performance.now() - started) / 1000
  stop = true
  await Promise.all(loops)
  if (failed > 0) throw new Error(`${failed} requests failed`)
  return { rate: answered / seconds, cpuUs: (cpu * 1000) / answered }
}

let clickhouse: ClickHouseServer | null = null
let spans = 0
const sink = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    await request.arrayBuffer()
    spans++
    return new Response("{}", { headers: { "content-type": "application/json" } })
  }
})
try {
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${database}`))
  clickhouse = hasClickHouse ? await startClickHouse() : null
  const off = {}
  const parts = (process.argv.find((arg) => arg.startsWith("--on="))?.slice(5) ?? "metrics,tracing,audit").split(",")
  const on = {
    ...(parts.includes("metrics") ? { METRICS_TOKEN } : {}),
    ...(parts.includes("tracing") ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` } : {}),
    ...(clickhouse && parts.includes("audit") ? { CLICKHOUSE_URL: clickhouse.url } : {})
  }
  let apiKey: string | null = null
  const figures: Record<"off" | "on", Array<number>> = { off: [], on: [] }
  const cpuFigures: Record<"off" | "on", Array<number>> = { off: [], on: [] }
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? [["off", off], ["on", on]] as const : [["on", on], ["off", off]] as const
    for (const [name, env] of order) {
      const server = await startServer(env)
      try {
        apiKey ??= await seed(server.port)
        const { rate, cpuUs } = await listLoad(server.port, server.pid, apiKey, name === "on" && parts.includes("metrics"))
        figures[name].push(rate)
        cpuFigures[name].push(cpuUs)
        console.log(`round ${round} ${name.padEnd(3)}: ${rate.toFixed(0)} lists/s, ${cpuUs.toFixed(0)} µs of server CPU a list`)
      } finally {
        await server.stop()
      }
    }
  }
  const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const overhead = (1 - median(figures.on) / median(figures.off)) * 100
  const cpuOverhead = (median(cpuFigures.on) / median(cpuFigures.off) - 1) * 100
  console.log(`medians: off ${median(figures.off).toFixed(0)} lists/s, on ${median(figures.on).toFixed(0)} lists/s: overhead ${overhead.toFixed(1)} % (target ≤ 5 %); server CPU a list: off ${median(cpuFigures.off).toFixed(0)} µs, on ${median(cpuFigures.on).toFixed(0)} µs (${cpuOverhead >= 0 ? "+" : ""}${cpuOverhead.toFixed(1)} %); OTLP posts received: ${spans}; audit log: ${clickhouse ? "ClickHouse" : "PostgreSQL (no ClickHouse installed)"}`)
} finally {
  sink.stop(true)
  await clickhouse?.stop()
  await dropDatabase(database)
}

// The request-counting wrapper alone, in this process.
const N = 200_000
const answer = new Response("{}")
const bare = (_request: Request, _path: string) => Promise.resolve(answer)
const counted = measured(bare)
const requests = ["/rest/companies", "/rest/companies/5f0c7c9e-1111-4222-8333-444455556666", "/graphql", "/metadata"].map((path) => ({
  path,
  request: new Request(`http://localhost${path}`, { method: path.startsWith("/rest") ? "GET" : "POST" })
}))
const run = async (handler: (request: Request, path: string) => Promise<Response>) => {
  const started = performance.now()
  for (let i = 0; i < N; i++) {
    const { request, path } = requests[i & 3]!
    if (path === "/graphql") noteOperation(request, "CompaniesList")
    await handler(request, path)
  }
  return ((performance.now() - started) * 1000) / N
}
const wrapperOff = await run(bare)
const wrapperOn = await run(counted)
console.log(`request counting alone: bare ${wrapperOff.toFixed(2)} µs/request, counted ${wrapperOn.toFixed(2)} µs/request`)
