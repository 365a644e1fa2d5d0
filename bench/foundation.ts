/**
 * Foundation benchmark: startup time (embedded and live), memory, sign-in throughput and the cost of the
 * per-request auth pipeline. Everything it starts it stops; run with `bun run bench`.
 *
 * Prints a table and a final `RESULT {json}` line.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ADMIN_URL, collect, dropDatabase, freePort, healthy, withAdmin } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const REDIS_URL = "redis://127.0.0.1:6379"
const REDIS_KEY_PREFIX = `score-bench:${process.pid}:` // its own keys and channels: never a running server's or test's
const APP_SECRET = "bench-secret-0123456789-0123456789-abcdef" // 40 characters
const LIVE_STARTS = 5
const READY_TIMEOUT_MS = 30_000
const LOAD_MS = 5_000

// ---------------------------------------------------------------------------------------------------------
// Server processes

interface Server {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  readonly port: number
  readonly readyMs: number // spawn → first 200 from /healthz
  readonly selfReadyMs: number | null // the server's own "Ready in N ms"
  readonly log: () => string
}

/** Child processes still to stop, and what to remove at the end, so every exit path can clean up. */
const running = new Set<Bun.Subprocess>()
const leftovers = { dataDir: null as string | null, database: null as string | null }

/** Asks the kernel for a free loopback port. */
/** Collects a child's output into one string as it arrives. */
const selfReported = (log: string) => {
  const match = /Ready in (\d+) ms/.exec(log)
  return match ? Number(match[1]) : null
}

/** Spawns the server as `bun run start` does (the bundle, rebuilt when sources changed) and waits until /healthz answers 200. */
const startServer = async (env: Record<string, string>): Promise<Server> => {
  const port = freePort()
  const output = { text: "" }
  const baseEnv = { ...process.env }
  for (const name of ["DATABASE_URL", "REDIS_URL", "APP_SECRET", "DATA_DIR"]) delete baseEnv[name]
  const started = performance.now()
  const proc = Bun.spawn(["bun", "scripts/run.ts", "main"], {
    cwd: ROOT,
    env: {
      API_RATE_LIMITING_SHORT_LIMIT: "1000000",
      API_RATE_LIMITING_LONG_LIMIT: "1000000",
      ...baseEnv,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "Info",
      ...env
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  collect(proc.stdout, output)
  collect(proc.stderr, output)
  running.add(proc)
  let exited = false
  proc.exited.then(() => (exited = true))
  while (!(await healthy(port))) {
    if (exited || performance.now() - started > READY_TIMEOUT_MS) {
      await stopProcess(proc)
      throw new Error(`server did not become ready (exit ${proc.exitCode}):\n${output.text}`)
    }
    await Bun.sleep(10)
  }
  const readyMs = performance.now() - started
  // The log line is written just after the listener opens; give it a moment to arrive.
  for (let i = 0; i < 100 && selfReported(output.text) === null; i++) await Bun.sleep(10)
  return { proc, port, readyMs, selfReadyMs: selfReported(output.text), log: () => output.text }
}

/** SIGTERM, then SIGKILL if the process has not exited within 15 s; resolves to the time it took. */
const stopProcess = async (proc: Bun.Subprocess) => {
  running.delete(proc)
  if (proc.exitCode !== null || proc.signalCode !== null) return 0
  const started = performance.now()
  proc.kill("SIGTERM")
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000)
  await proc.exited
  clearTimeout(timer)
  return performance.now() - started
}

const stopServer = (server: Server) => stopProcess(server.proc)

/** Resident set size in MiB, from /proc. */
const rssMiB = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

// ---------------------------------------------------------------------------------------------------------
// Database

const createDatabase = async () => {
  const name = `score_bench_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  leftovers.database = name
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return { name, url: url.href }
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL client

interface GqlResult {
  readonly status: number
  readonly data?: any
  readonly errors?: Array<{ message: string }>
}

const gql = async (port: number, query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const response = await fetch(`http://127.0.0.1:${port}/metadata`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables })
  })
  const body = await response.json() as { data?: any; errors?: Array<{ message: string }> }
  return { status: response.status, ...body } as GqlResult
}

const must = (result: GqlResult) => {
  if (result.status !== 200 || result.errors?.length || !result.data) {
    throw new Error(`GraphQL call failed (${result.status}): ${JSON.stringify(result.errors)}`)
  }
  return result.data
}

/** signUp → signUpInNewWorkspace → getAuthTokensFromLoginToken → createApiKey → generateApiKeyToken. */
const setupAccount = async (port: number) => {
  const email = `bench.${crypto.randomUUID().slice(0, 8)}@example.com`
  const password = "correct horse battery"
  const signUp = must(await gql(port, `mutation($email: String!, $password: String!) {
    signUp(email: $email, password: $password) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { email, password })).signUp
  const created = must(await gql(port, `mutation { signUpInNewWorkspace(input: { displayName: "Bench" }) {
    loginToken { token } workspace { id } } }`, {}, signUp.tokens.accessOrWorkspaceAgnosticToken.token))
    .signUpInNewWorkspace
  const tokens = must(await gql(port, `mutation($t: String!) {
    getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: created.loginToken.token }))
    .getAuthTokensFromLoginToken.tokens
  const accessToken: string = tokens.accessOrWorkspaceAgnosticToken.token
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  const key = must(await gql(port, `mutation($exp: String!) {
    createApiKey(input: { name: "bench", expiresAt: $exp }) { id } }`, { exp: expiresAt }, accessToken)).createApiKey
  const apiKey: string = must(await gql(port, `mutation($id: UUID!, $exp: String!) {
    generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`, { id: key.id, exp: expiresAt }, accessToken))
    .generateApiKeyToken.token
  return { email, password, workspaceId: created.workspace.id as string, apiKey }
}

// ---------------------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  readonly requests: number
  readonly errors: number
  readonly firstError: string | null
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

/** Runs `call` from `concurrency` workers for `durationMs` or until `cap` requests have started. */
const load = async (
  options: { concurrency: number; durationMs: number; cap: number },
  call: () => Promise<GqlResult>
): Promise<LoadResult> => {
  const latencies: Array<number> = []
  let started = 0
  let errors = 0
  let firstError: string | null = null
  const begin = performance.now()
  const deadline = begin + options.durationMs
  const worker = async () => {
    while (performance.now() < deadline && started < options.cap) {
      started++
      const t0 = performance.now()
      try {
        const result = await call()
        if (result.status !== 200 || result.errors?.length || !result.data) {
          errors++
          firstError ??= `${result.status} ${JSON.stringify(result.errors)}`
        }
      } catch (error) {
        errors++
        firstError ??= String(error)
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const elapsed = (performance.now() - begin) / 1000
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    firstError,
    rps: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const startOnce = async (env: Record<string, string>) => {
  const server = await startServer(env)
  const stopMs = await stopServer(server)
  return { readyMs: server.readyMs, selfReadyMs: server.selfReadyMs, stopMs }
}

/** Embedded mode: first start on an empty DATA_DIR, then a warm start on the same directory. */
const embeddedStarts = async (dataDir: string) => {
  const first = await startOnce({ DATA_DIR: dataDir })
  const warm = await startOnce({ DATA_DIR: dataDir })
  return { first, warm }
}

/** A few requests so lazily built parts (GraphQL schema, pools) are in place before measuring. */
const warmUp = async (port: number, apiKey: string) => {
  for (let i = 0; i < 5; i++) must(await gql(port, "{ currentWorkspace { id } }", {}, apiKey))
}

const liveScenario = async (databaseUrl: string) => {
  const env = { DATABASE_URL: databaseUrl, REDIS_URL, REDIS_KEY_PREFIX, APP_SECRET }
  const starts: Array<{ readyMs: number; selfReadyMs: number | null; stopMs?: number }> = []
  for (let i = 1; i < LIVE_STARTS; i++) starts.push(await startOnce(env))
  const server = await startServer(env) // the last start stays up for the load tests
  starts.push({ readyMs: server.readyMs, selfReadyMs: server.selfReadyMs })
  try {
    const account = await setupAccount(server.port)
    await warmUp(server.port, account.apiKey)
    await Bun.sleep(1000)
    const rssIdle = rssMiB(server.proc.pid)
    const signIn = await load({ concurrency: 16, durationMs: LOAD_MS, cap: 5_000 }, () =>
      gql(server.port, `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) {
        tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { email: account.email, password: account.password }))
    const rssAfterSignIn = rssMiB(server.proc.pid)
    const currentWorkspace = () => gql(server.port, "{ currentWorkspace { id } }", {}, account.apiKey)
    await load({ concurrency: 32, durationMs: 1_000, cap: 200_000 }, currentWorkspace) // JIT warm-up, not counted
    const authedQuery = await load({ concurrency: 32, durationMs: LOAD_MS, cap: 200_000 }, currentWorkspace)
    const rssAfterQuery = rssMiB(server.proc.pid)
    const stopAfterLoadMs = await stopServer(server)
    const serverProblems = server.log().split("\n").filter((line) => /level=(WARN|ERROR|FATAL)/.test(line))
    return { starts, rssIdle, rssAfterSignIn, rssAfterQuery, signIn, authedQuery, serverProblems, stopAfterLoadMs }
  } finally {
    await stopServer(server)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const ms = (n: number | null) => (n === null || Number.isNaN(n) ? "n/a" : `${n.toFixed(0)} ms`)
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

const printTable = (rows: ReadonlyArray<readonly [string, string]>) => {
  const width = Math.max(...rows.map(([label]) => label.length))
  for (const [label, value] of rows) console.log(label === "" ? "" : `${label.padEnd(width)}  ${value}`)
}

const loadRow = (r: LoadResult) =>
  `${r.rps.toFixed(1)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ` +
  `${r.requests} requests, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError.slice(0, 200)})` : ""}`

const loadJson = (r: LoadResult) => ({
  rps: round(r.rps),
  p50Ms: round(r.p50Ms, 2),
  p99Ms: round(r.p99Ms, 2),
  requests: r.requests,
  errors: r.errors
})

type Embedded = Awaited<ReturnType<typeof embeddedStarts>>
type Live = Awaited<ReturnType<typeof liveScenario>>

const report = (embedded: Embedded, live: Live) => {
  const liveMedian = median(live.starts.map((s) => s.readyMs))
  const liveSelfMedian = median(live.starts.flatMap((s) => (s.selfReadyMs === null ? [] : [s.selfReadyMs])))
  const liveStopMedian = median(live.starts.flatMap((s) => (s.stopMs === undefined ? [] : [s.stopMs])))
  console.log(`\nScore foundation benchmark (bun ${Bun.version}, ${os.cpus().length} CPUs)\n`)
  printTable([
    ["embedded first start (spawn→healthz / self)", `${ms(embedded.first.readyMs)} / ${ms(embedded.first.selfReadyMs)}`],
    ["embedded warm start  (spawn→healthz / self)", `${ms(embedded.warm.readyMs)} / ${ms(embedded.warm.selfReadyMs)}`],
    ["live first start, fresh db (spawn→healthz / self)", `${ms(live.starts[0]!.readyMs)} / ${ms(live.starts[0]!.selfReadyMs)}`],
    [`live start median of ${LIVE_STARTS} (spawn→healthz / self)`, `${ms(liveMedian)} / ${ms(liveSelfMedian)}`],
    ["live start, all runs (spawn→healthz)", live.starts.map((s) => s.readyMs.toFixed(0)).join(", ") + " ms"],
    [
      "SIGTERM→exit: embedded / live idle median / live after load",
      `${ms(embedded.warm.stopMs)} / ${ms(liveStopMedian)} / ${ms(live.stopAfterLoadMs)}`
    ],
    ["", ""],
    ["live RSS idle", `${live.rssIdle.toFixed(1)} MiB`],
    ["live RSS after sign-in load", `${live.rssAfterSignIn.toFixed(1)} MiB`],
    ["live RSS after query load", `${live.rssAfterQuery.toFixed(1)} MiB`],
    ["", ""],
    ["signIn (c=16, 5 s)", loadRow(live.signIn)],
    ["currentWorkspace via API key (c=32, 5 s)", loadRow(live.authedQuery)],
    ["server WARN/ERROR log lines", String(live.serverProblems.length)]
  ])
  for (const line of live.serverProblems.slice(0, 5)) console.log(`  ${line.slice(0, 300)}`)
  const result = {
    bun: Bun.version,
    cpus: os.cpus().length,
    embedded: {
      firstStartMs: round(embedded.first.readyMs),
      firstStartSelfMs: embedded.first.selfReadyMs,
      warmStartMs: round(embedded.warm.readyMs),
      warmStartSelfMs: embedded.warm.selfReadyMs,
      stopMs: round(embedded.warm.stopMs)
    },
    live: {
      firstStartMs: round(live.starts[0]!.readyMs),
      startMedianMs: round(liveMedian),
      startSelfMedianMs: liveSelfMedian,
      startsMs: live.starts.map((s) => round(s.readyMs)),
      stopIdleMedianMs: round(liveStopMedian),
      stopAfterLoadMs: round(live.stopAfterLoadMs),
      rssIdleMiB: round(live.rssIdle),
      rssAfterSignInMiB: round(live.rssAfterSignIn),
      rssAfterQueryMiB: round(live.rssAfterQuery),
      signIn: loadJson(live.signIn),
      currentWorkspaceApiKey: loadJson(live.authedQuery),
      serverWarnOrErrorLines: live.serverProblems.length
    }
  }
  console.log(`\nRESULT ${JSON.stringify(result)}`)
}

const main = async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "score-bench-"))
  leftovers.dataDir = dataDir
  const database = await createDatabase()
  const embedded = await embeddedStarts(dataDir)
  const live = await liveScenario(database.url)
  report(embedded, live)
}

/** Stops every child, removes the temp directory and drops the database; safe to call twice. */
const cleanUp = async () => {
  await Promise.all([...running].map(stopProcess))
  if (leftovers.dataDir) fs.rmSync(leftovers.dataDir, { recursive: true, force: true })
  leftovers.dataDir = null
  const database = leftovers.database
  leftovers.database = null
  if (database) await dropDatabase(database)
}

const abort = (reason: string, code: number) => {
  console.error(reason)
  void cleanUp().finally(() => process.exit(code))
}

process.on("SIGINT", () => abort("interrupted, cleaning up", 130))
const watchdog = setTimeout(() => abort("benchmark exceeded 110 s, aborting", 1), 110_000)

try {
  await main()
} finally {
  clearTimeout(watchdog)
  await cleanUp()
}
