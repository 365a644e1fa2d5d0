/**
 * Webhook benchmark: commit-to-webhook latency under a write load, through the whole live path — a GraphQL
 * write puts its event in core."eventOutbox" in the same transaction, the relay in `bun run worker` moves it to
 * the Redis `events` queue, the record-event job enqueues a `webhooks` delivery job, which POSTs the signed
 * payload to a receiver running in this process.
 *
 *   bun bench/webhooks.ts
 *
 * Starts `bun scripts/run.ts main` and one `bun scripts/run.ts worker` in live mode (PostgreSQL, Redis) on a
 * fresh database, after deleting the `events` and `webhooks` queue keys left in Redis (by tests, say). Signs up,
 * creates a workspace, an API key and a `company.created` webhook pointing at the receiver, checks the pipeline
 * with a few warm-up writes, then:
 *
 *  1. load: BENCH_WRITES (2,000) `createCompany` mutations on POST /graphql at concurrency 16, stopped after 60 s
 *     whatever happens, then up to 30 s for the stragglers;
 *  2. low load: 100 writes at concurrency 1, for the idle path.
 *
 * Latency of an event = its arrival at the receiver − the arrival of the HTTP response of the mutation that
 * created the record (the commit happened before the response), matched by `record.id`. Also from the payload's
 * `eventDate` (taken inside the server's write, before the commit) to the arrival, and split in three by the
 * `X-Twenty-Webhook-Timestamp` header (taken by the worker just before its POST): response → worker's POST is the
 * relay and the two queues, worker's POST → arrival is the HTTP delivery. During the load, the outbox backlog
 * and the queues' wait/active sizes are sampled every 250 ms, and the CPU used by the server, the worker, this
 * process and the rest of the machine (PostgreSQL, Redis) is read from /proc.
 *
 * Everything it starts it stops: SIGTERM to the server and the worker (SIGKILL after 15 s), the database dropped
 * WITH (FORCE), the queue keys deleted again. Loopback only; a watchdog aborts (and cleans up) after 175 s.
 *
 * Prints a table and a final `RESULT {json}` line.
 */
import { SQL } from "bun"
import IORedis from "ioredis"
import { createHmac } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ADMIN_URL, collect, dropDatabase, freePort, healthy, withAdmin } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const REDIS_URL = "redis://127.0.0.1:6379"
const APP_SECRET = "bench-secret-0123456789-0123456789-abcdef" // 40 characters
const WEBHOOK_SECRET = "bench-webhook-secret"
const REDIS_KEY_PREFIX = `score-bench:${process.pid}:` // its own queues: never a running server's or test's
const QUEUE_KEY_PATTERNS = [`${REDIS_KEY_PREFIX}jobs:{events}:*`, `${REDIS_KEY_PREFIX}jobs:{webhooks}:*`]

const READY_TIMEOUT_MS = 45_000 // includes a bundle rebuild by scripts/run.ts when src/ changed
const WARMUP_WRITES = 10
const WARMUP_WAIT_MS = 15_000
const LOAD_WRITES = Number(process.env.BENCH_WRITES ?? 2_000)
const LOAD_CONCURRENCY = 16
const LOAD_MAX_MS = 60_000
const STRAGGLER_WAIT_MS = 30_000
const IDLE_WRITES = 100
const IDLE_MAX_MS = 20_000
const IDLE_WAIT_MS = 15_000
const SAMPLE_EVERY_MS = 250
const WATCHDOG_MS = 175_000

const began = performance.now()
const progress = (message: string) => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${message}`)

// ---------------------------------------------------------------------------------------------------------
// Clean-up bookkeeping: everything started is recorded so every exit path can undo it

const running = new Set<Bun.Subprocess>()
const leftovers = {
  database: null as string | null,
  sql: null as SQL | null,
  receiver: null as ReturnType<typeof Bun.serve> | null,
  redisTouched: false
}

// ---------------------------------------------------------------------------------------------------------
// Processes

interface Child {
  readonly name: string
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  readonly log: () => string
}

/** Asks the kernel for a free loopback port. */
/** Collects a child's output into one string as it arrives. */
const spawn = (name: string, entry: "main" | "worker", env: Record<string, string>): Child => {
  const output = { text: "" }
  const baseEnv = { ...process.env }
  for (const key of ["DATABASE_URL", "REDIS_URL", "APP_SECRET", "DATA_DIR", "PORT", "LOG_LEVEL"]) delete baseEnv[key]
  const proc = Bun.spawn(["bun", "scripts/run.ts", entry], {
    cwd: ROOT,
    env: { API_RATE_LIMITING_SHORT_LIMIT: "1000000", API_RATE_LIMITING_LONG_LIMIT: "1000000", ...baseEnv, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  collect(proc.stdout, output)
  collect(proc.stderr, output)
  running.add(proc)
  return { name, proc, log: () => output.text }
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

const problems = (child: Child) =>
  child.log().split("\n").filter((line) => /level=(WARN|ERROR|FATAL)/i.test(line) || /^error/i.test(line))

// ---------------------------------------------------------------------------------------------------------
// Database and Redis

const createDatabase = async () => {
  const name = `score_bench_hooks_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  leftovers.database = name
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return { name, url: url.href }
}

/** SCAN + DEL of the `events` and `webhooks` queue keys; returns how many were deleted. */
const clearQueueKeys = async () => {
  const redis = new IORedis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on("error", () => {})
  let deleted = 0
  try {
    await redis.connect()
    for (const pattern of QUEUE_KEY_PATTERNS) {
      let cursor = "0"
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000)
        cursor = next
        if (keys.length) deleted += await redis.del(...keys)
      } while (cursor !== "0")
    }
  } finally {
    redis.disconnect()
  }
  return deleted
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL

interface GqlResult {
  readonly status: number
  readonly data?: any
  readonly errors?: Array<{ message: string }>
}

const gql = async (port: number, endpoint: "/metadata" | "/graphql", query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${endpoint}`, {
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
  const meta = (query: string, variables: Record<string, unknown> = {}, token?: string) => gql(port, "/metadata", query, variables, token)
  const email = `bench.${crypto.randomUUID().slice(0, 8)}@example.com`
  const signUp = must(await meta(`mutation($email: String!, $password: String!) {
    signUp(email: $email, password: $password) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { email, password: "correct horse battery" })).signUp
  const created = must(await meta(`mutation { signUpInNewWorkspace(input: { displayName: "Bench" }) {
    loginToken { token } workspace { id } } }`, {}, signUp.tokens.accessOrWorkspaceAgnosticToken.token))
    .signUpInNewWorkspace
  const tokens = must(await meta(`mutation($t: String!) {
    getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: created.loginToken.token }))
    .getAuthTokensFromLoginToken.tokens
  const accessToken: string = tokens.accessOrWorkspaceAgnosticToken.token
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  const key = must(await meta(`mutation($exp: String!) {
    createApiKey(input: { name: "bench", expiresAt: $exp }) { id } }`, { exp: expiresAt }, accessToken)).createApiKey
  const apiKey: string = must(await meta(`mutation($id: UUID!, $exp: String!) {
    generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`, { id: key.id, exp: expiresAt }, accessToken))
    .generateApiKeyToken.token
  return { workspaceId: created.workspace.id as string, accessToken, apiKey }
}

// ---------------------------------------------------------------------------------------------------------
// Receiver

interface Arrival {
  readonly at: number // performance.now() when the request reached the handler
  readonly wallAt: number // the same instant in epoch milliseconds
  readonly eventDate: number // epoch ms of the payload's eventDate (server, inside the write)
  readonly signedAt: number // epoch ms of X-Twenty-Webhook-Timestamp (worker, just before its POST)
}

const receiverState = {
  posts: 0,
  badSignatures: 0,
  malformed: 0,
  otherEvents: 0,
  first: new Map<string, Arrival>(), // record id → first arrival
  duplicates: new Map<string, number>() // record id → extra arrivals
}

const startReceiver = () => {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const at = performance.now()
      if (request.method !== "POST") return new Response("POST only", { status: 405 })
      const body = await request.text()
      receiverState.posts++
      const timestamp = request.headers.get("x-twenty-webhook-timestamp")
      const signature = request.headers.get("x-twenty-webhook-signature")
      const expected = timestamp === null
        ? null
        : createHmac("sha256", WEBHOOK_SECRET).update(`${timestamp}:${body}`).digest("hex")
      if (expected === null || signature !== expected) receiverState.badSignatures++
      let payload: any
      try {
        payload = JSON.parse(body)
      } catch {
        receiverState.malformed++
        return new Response("ok")
      }
      const id = payload?.record?.id
      if (payload?.eventName !== "company.created" || typeof id !== "string") {
        receiverState.otherEvents++
        return new Response("ok")
      }
      if (receiverState.first.has(id)) {
        receiverState.duplicates.set(id, (receiverState.duplicates.get(id) ?? 0) + 1)
      } else {
        receiverState.first.set(id, {
          at,
          wallAt: performance.timeOrigin + at,
          eventDate: Date.parse(payload.eventDate),
          signedAt: Number(timestamp)
        })
      }
      return new Response("ok")
    }
  })
  leftovers.receiver = server
  return server
}

// ---------------------------------------------------------------------------------------------------------
// Writes

interface WritePhase {
  readonly label: string
  readonly concurrency: number
  readonly attempted: number
  readonly errors: number
  readonly firstError: string | null
  readonly elapsedMs: number
  readonly writes: Map<string, number> // company id → performance.now() when the response arrived
  readonly responseMs: Array<number> // per successful write, request → response
}

/** `count` createCompany mutations from `concurrency` callers, stopped at `maxMs` whatever happens. */
const writePhase = async (
  label: string,
  port: number,
  apiKey: string,
  options: { count: number; concurrency: number; maxMs: number }
): Promise<WritePhase> => {
  const writes = new Map<string, number>()
  const responseMs: Array<number> = []
  let started = 0
  let errors = 0
  let firstError: string | null = null
  let lastResponse = 0
  const begin = performance.now()
  const deadline = begin + options.maxMs
  const caller = async () => {
    while (started < options.count && performance.now() < deadline) {
      const i = started++
      const t0 = performance.now()
      try {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ query: `mutation { createCompany(data: { name: "Hook bench ${label} ${i}" }) { id } }` }),
          signal: AbortSignal.timeout(Math.max(1_000, deadline - t0))
        })
        const at = performance.now()
        const body = await response.json() as { data?: any; errors?: Array<{ message: string }> }
        const id = body.data?.createCompany?.id
        lastResponse = Math.max(lastResponse, at)
        if (response.status !== 200 || body.errors?.length || typeof id !== "string") {
          errors++
          firstError ??= `${response.status} ${JSON.stringify(body.errors)}`
        } else {
          writes.set(id, at)
          responseMs.push(at - t0)
        }
      } catch (error) {
        errors++
        firstError ??= String(error)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, caller))
  return {
    label,
    concurrency: options.concurrency,
    attempted: started,
    errors,
    firstError,
    elapsedMs: (lastResponse || performance.now()) - begin,
    writes,
    responseMs
  }
}

/** Waits until every write of the phase has been delivered or `maxMs` has passed; returns the wait. */
const awaitDeliveries = async (phase: WritePhase, maxMs: number) => {
  const started = performance.now()
  const missing = () => {
    let n = 0
    for (const id of phase.writes.keys()) if (!receiverState.first.has(id)) n++
    return n
  }
  while (missing() > 0 && performance.now() - started < maxMs) await Bun.sleep(20)
  return performance.now() - started
}

// ---------------------------------------------------------------------------------------------------------
// Backlog sampler

interface Backlog {
  outbox: number
  eventsWait: number
  eventsActive: number
  webhooksWait: number
  webhooksActive: number
  webhooksDelayed: number
}

const startSampler = (sql: SQL) => {
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1 })
  redis.on("error", () => {})
  const max: Backlog = { outbox: 0, eventsWait: 0, eventsActive: 0, webhooksWait: 0, webhooksActive: 0, webhooksDelayed: 0 }
  const samples: Array<{ t: number } & Backlog> = []
  const t0 = performance.now()
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      try {
        const [[row], replies] = await Promise.all([
          sql`SELECT count(*)::int AS n FROM core."eventOutbox"`,
          redis.pipeline()
            .zcard(`${REDIS_KEY_PREFIX}jobs:{events}:wait`)
            .zcard(`${REDIS_KEY_PREFIX}jobs:{events}:active`)
            .zcard(`${REDIS_KEY_PREFIX}jobs:{webhooks}:wait`)
            .zcard(`${REDIS_KEY_PREFIX}jobs:{webhooks}:active`)
            .zcard(`${REDIS_KEY_PREFIX}jobs:{webhooks}:delayed`)
            .exec()
        ])
        const n = (i: number) => Number(replies?.[i]?.[1] ?? 0)
        const sample = {
          outbox: Number(row.n),
          eventsWait: n(0),
          eventsActive: n(1),
          webhooksWait: n(2),
          webhooksActive: n(3),
          webhooksDelayed: n(4)
        }
        samples.push({ t: Math.round(performance.now() - t0), ...sample })
        for (const key of Object.keys(max) as Array<keyof Backlog>) max[key] = Math.max(max[key], sample[key])
      } catch {
        // a missed sample is not worth failing the run
      }
      await Bun.sleep(SAMPLE_EVERY_MS)
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      redis.disconnect()
      return { max, samples }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): who used the machine's CPUs during the load

const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100

/** CPU time (user + system) of a process, in ms. */
const processCpuMs = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ") // fields[0] is field 3 (state)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/** The whole machine: busy and total CPU time, in ms. */
const machineCpuMs = () => {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0) // user..steal (guest time is already in user)
  const idle = line[3]! + line[4]! // idle + iowait
  return { busy: ((total - idle) * 1000) / CLOCK_TICKS, total: (total * 1000) / CLOCK_TICKS }
}

const cpuSnapshot = (server: number, worker: number) => {
  const self = process.cpuUsage()
  return {
    at: performance.now(),
    server: processCpuMs(server),
    worker: processCpuMs(worker),
    bench: (self.user + self.system) / 1000,
    machine: machineCpuMs()
  }
}

/** CPU used between two snapshots, in cores (CPU seconds per wall second). */
const cpuBetween = (a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>) => {
  const wall = b.at - a.at
  const server = (b.server - a.server) / wall
  const worker = (b.worker - a.worker) / wall
  const bench = (b.bench - a.bench) / wall
  const machine = (b.machine.busy - a.machine.busy) / wall
  return {
    wallMs: wall,
    server,
    worker,
    bench,
    other: machine - server - worker - bench, // PostgreSQL, Redis, anything else on the machine
    machineBusy: machine,
    machineBusyPercent: (100 * (b.machine.busy - a.machine.busy)) / (b.machine.total - a.machine.total)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!

const summarize = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    n: sorted.length,
    min: sorted.length ? sorted[0]! : NaN,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN
  }
}
type Summary = ReturnType<typeof summarize>

const phaseStats = (phase: WritePhase) => {
  const commitToArrival: Array<number> = []
  const eventDateToArrival: Array<number> = []
  const eventDateToResponse: Array<number> = []
  const responseToPost: Array<number> = []
  const postToArrival: Array<number> = []
  let delivered = 0
  let duplicates = 0
  for (const [id, responseAt] of phase.writes) {
    duplicates += receiverState.duplicates.get(id) ?? 0
    const arrival = receiverState.first.get(id)
    if (!arrival) continue
    delivered++
    const responseWall = performance.timeOrigin + responseAt
    commitToArrival.push(arrival.at - responseAt)
    eventDateToArrival.push(arrival.wallAt - arrival.eventDate)
    eventDateToResponse.push(responseWall - arrival.eventDate)
    responseToPost.push(arrival.signedAt - responseWall)
    postToArrival.push(arrival.wallAt - arrival.signedAt)
  }
  const expected = phase.writes.size
  return {
    writesPerSecond: phase.writes.size / (phase.elapsedMs / 1000),
    expected,
    delivered,
    missing: expected - delivered,
    duplicates,
    response: summarize(phase.responseMs),
    commitToArrival: summarize(commitToArrival),
    eventDateToArrival: summarize(eventDateToArrival),
    eventDateToResponse: summarize(eventDateToResponse),
    responseToPost: summarize(responseToPost),
    postToArrival: summarize(postToArrival)
  }
}
type PhaseStats = ReturnType<typeof phaseStats>

// ---------------------------------------------------------------------------------------------------------
// Run

const main = async () => {
  const loadAverageAtStart = os.loadavg()[0]!
  const cleared = await clearQueueKeys()
  leftovers.redisTouched = true
  progress(`deleted ${cleared} leftover events/webhooks queue keys`)
  const database = await createDatabase()
  const sql = new SQL(database.url)
  leftovers.sql = sql
  const port = freePort()
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX,
    APP_SECRET,
    HOST: "127.0.0.1",
    PORT: String(port),
    // Effect's label: the README's `Warning` is refused at start ("Expected a log level").
    LOG_LEVEL: "Warn",
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true"
  }

  // The server first (it migrates the fresh database and rebuilds dist/ if needed), then the worker.
  progress(`database ${database.name}; starting the server on port ${port}`)
  const serverStarted = performance.now()
  const server = spawn("server", "main", env)
  while (!(await healthy(port))) {
    if (server.proc.exitCode !== null || performance.now() - serverStarted > READY_TIMEOUT_MS) {
      throw new Error(`server did not become ready (exit ${server.proc.exitCode}):\n${server.log()}`)
    }
    await Bun.sleep(20)
  }
  const serverReadyMs = performance.now() - serverStarted
  progress(`server ready in ${serverReadyMs.toFixed(0)} ms; starting the worker`)
  const worker = spawn("worker", "worker", { ...env, PORT: String(freePort()) })

  const receiver = startReceiver()
  const account = await setupAccount(port)
  const targetUrl = `http://127.0.0.1:${receiver.port}/hook`
  const hook = must(await gql(port, "/metadata", `mutation($url: String!, $secret: String!) {
    createWebhook(input: { targetUrl: $url, operations: ["company.created"], secret: $secret }) { id } }`,
    { url: targetUrl, secret: WEBHOOK_SECRET }, account.accessToken)).createWebhook
  progress(`workspace ${account.workspaceId}, webhook ${hook.id} → ${targetUrl}`)

  // Warm-up: proves the worker is consuming and warms both processes; not counted.
  const warmupStarted = performance.now()
  const warmup = await writePhase("warmup", port, account.apiKey, { count: WARMUP_WRITES, concurrency: 2, maxMs: 10_000 })
  await awaitDeliveries(warmup, WARMUP_WAIT_MS)
  const warmupDelivered = phaseStats(warmup).delivered
  if (warmupDelivered < warmup.writes.size) {
    throw new Error(`warm-up: ${warmupDelivered}/${warmup.writes.size} webhooks delivered in ${WARMUP_WAIT_MS} ms` +
      `${warmup.firstError ? ` (first write error: ${warmup.firstError})` : ""}\nworker log:\n${worker.log().slice(-3000)}`)
  }
  const warmupMs = performance.now() - warmupStarted
  progress(`warm-up: ${warmupDelivered} webhooks delivered, pipeline up ${warmupMs.toFixed(0)} ms after the worker spawn`)

  // Phase 1: the load.
  const sampler = startSampler(sql)
  const cpuBefore = cpuSnapshot(server.proc.pid, worker.proc.pid)
  progress(`load: ${LOAD_WRITES} writes at concurrency ${LOAD_CONCURRENCY} (max ${LOAD_MAX_MS / 1000} s)`)
  const load = await writePhase("load", port, account.apiKey, { count: LOAD_WRITES, concurrency: LOAD_CONCURRENCY, maxMs: LOAD_MAX_MS })
  progress(`load: ${load.writes.size} writes in ${load.elapsedMs.toFixed(0)} ms, ${load.errors} errors; waiting for stragglers`)
  const loadDrainMs = await awaitDeliveries(load, STRAGGLER_WAIT_MS)
  const loadCpu = cpuBetween(cpuBefore, cpuSnapshot(server.proc.pid, worker.proc.pid))
  const backlog = await sampler.stop()
  const loadStats = phaseStats(load)
  progress(`load: ${loadStats.delivered}/${loadStats.expected} delivered, drained ${loadDrainMs.toFixed(0)} ms after the last response`)

  // Phase 2: low load.
  await Bun.sleep(500)
  const idle = await writePhase("idle", port, account.apiKey, { count: IDLE_WRITES, concurrency: 1, maxMs: IDLE_MAX_MS })
  await awaitDeliveries(idle, IDLE_WAIT_MS)
  const idleStats = phaseStats(idle)
  progress(`low load: ${idleStats.delivered}/${idleStats.expected} delivered`)
  await Bun.sleep(300) // a last look for duplicates

  const [deliveryRows] = await sql`SELECT count(*)::int AS attempts, count(*) FILTER (WHERE NOT success)::int AS failed
    FROM core."webhookDelivery"`
  const [outboxLeft] = await sql`SELECT count(*)::int AS n FROM core."eventOutbox"`

  const workerStopMs = await stopProcess(worker.proc)
  const serverStopMs = await stopProcess(server.proc)
  progress(`stopped: worker in ${workerStopMs.toFixed(0)} ms, server in ${serverStopMs.toFixed(0)} ms`)

  return {
    loadAverageAtStart,
    serverReadyMs,
    warmupMs,
    load,
    loadStats,
    loadDrainMs,
    loadCpu,
    backlog,
    idle,
    idleStats,
    deliveryAttempts: Number(deliveryRows.attempts),
    deliveryFailures: Number(deliveryRows.failed),
    outboxLeft: Number(outboxLeft.n),
    workerStopMs,
    serverStopMs,
    serverProblems: problems(server),
    workerProblems: problems(worker)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const round = (n: number, digits = 1) => (Number.isNaN(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits)
const f = (n: number) => (Number.isNaN(n) ? "n/a" : n.toFixed(n < 10 ? 1 : 0))
const latencyRow = (s: Summary) =>
  `p50 ${f(s.p50)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  max ${f(s.max)}  (min ${f(s.min)}, mean ${f(s.mean)}) ms`
const summaryJson = (s: Summary) => ({
  n: s.n,
  p50: round(s.p50),
  p90: round(s.p90),
  p99: round(s.p99),
  max: round(s.max),
  min: round(s.min),
  mean: round(s.mean)
})

const printTable = (rows: ReadonlyArray<readonly [string, string]>) => {
  const width = Math.max(...rows.map(([label]) => label.length))
  for (const [label, value] of rows) console.log(label === "" ? "" : `${label.padEnd(width)}  ${value}`)
}

const phaseJson = (phase: WritePhase, s: PhaseStats) => ({
  concurrency: phase.concurrency,
  attempted: phase.attempted,
  writes: phase.writes.size,
  writeErrors: phase.errors,
  elapsedMs: round(phase.elapsedMs, 0),
  writesPerSecond: round(s.writesPerSecond),
  expected: s.expected,
  delivered: s.delivered,
  missing: s.missing,
  duplicates: s.duplicates,
  writeResponseMs: summaryJson(s.response),
  commitToArrivalMs: summaryJson(s.commitToArrival),
  eventDateToArrivalMs: summaryJson(s.eventDateToArrival),
  breakdownMs: {
    eventDateToResponse: summaryJson(s.eventDateToResponse),
    responseToWorkerPost: summaryJson(s.responseToPost),
    workerPostToArrival: summaryJson(s.postToArrival)
  }
})

type Run = Awaited<ReturnType<typeof main>>

const report = (run: Run) => {
  const { load, loadStats: l, idle, idleStats: i } = run
  const m = run.backlog.max
  console.log(`\nScore webhook benchmark (bun ${Bun.version}, ${os.cpus().length} CPUs): GraphQL createCompany → outbox → relay → ` +
    `events queue → webhooks queue → POST, one server + one worker; 1-min load average at start ` +
    `${run.loadAverageAtStart.toFixed(2)}\n`)
  printTable([
    ["server ready (spawn→healthz) / pipeline up (worker spawn→warm-up delivered)", `${f(run.serverReadyMs)} ms / ${f(run.warmupMs)} ms`],
    ["", ""],
    [`LOAD: ${LOAD_WRITES} writes, concurrency ${LOAD_CONCURRENCY}`, ""],
    ["  writes ok / errors", `${load.writes.size} / ${load.errors}${load.firstError ? ` (first: ${load.firstError.slice(0, 160)})` : ""}`],
    ["  writes/s", `${f(l.writesPerSecond)} (${f(load.elapsedMs / 1000)} s)`],
    ["  write response time", latencyRow(l.response)],
    ["  events delivered / expected", `${l.delivered} / ${l.expected} (last one ${f(run.loadDrainMs)} ms after the last write)`],
    ["  duplicates / bad signatures (whole run)", `${l.duplicates} / ${receiverState.badSignatures}`],
    ["  latency response → arrival", latencyRow(l.commitToArrival)],
    ["  latency eventDate → arrival", latencyRow(l.eventDateToArrival)],
    ["    eventDate → response (commit)", latencyRow(l.eventDateToResponse)],
    ["    response → worker's POST (relay+queues)", latencyRow(l.responseToPost)],
    ["    worker's POST → arrival (HTTP)", latencyRow(l.postToArrival)],
    [
      "  CPU cores used: server / worker / bench / rest (PG, Redis, ...)",
      `${run.loadCpu.server.toFixed(2)} / ${run.loadCpu.worker.toFixed(2)} / ${run.loadCpu.bench.toFixed(2)} / ` +
      `${run.loadCpu.other.toFixed(2)} — machine ${run.loadCpu.machineBusyPercent.toFixed(0)}% busy of ${os.cpus().length}`
    ],
    ["  max backlog: outbox / events wait+active", `${m.outbox} / ${m.eventsWait}+${m.eventsActive}`],
    ["  max backlog: webhooks wait+active / delayed", `${m.webhooksWait}+${m.webhooksActive} / ${m.webhooksDelayed}`],
    ["", ""],
    [`LOW LOAD: ${IDLE_WRITES} writes, concurrency 1`, ""],
    ["  writes ok / errors, writes/s", `${idle.writes.size} / ${idle.errors}, ${f(i.writesPerSecond)}`],
    ["  events delivered / expected, duplicates", `${i.delivered} / ${i.expected}, ${i.duplicates}`],
    ["  latency response → arrival", latencyRow(i.commitToArrival)],
    ["  latency eventDate → arrival", latencyRow(i.eventDateToArrival)],
    ["    response → worker's POST (relay+queues)", latencyRow(i.responseToPost)],
    ["    worker's POST → arrival (HTTP)", latencyRow(i.postToArrival)],
    ["", ""],
    ["receiver POSTs / other events / malformed", `${receiverState.posts} / ${receiverState.otherEvents} / ${receiverState.malformed}`],
    ["delivery attempts recorded / failed", `${run.deliveryAttempts} / ${run.deliveryFailures}`],
    ["outbox rows left at the end", String(run.outboxLeft)],
    ["SIGTERM→exit: worker / server", `${f(run.workerStopMs)} ms / ${f(run.serverStopMs)} ms`],
    ["WARN/ERROR log lines: server / worker", `${run.serverProblems.length} / ${run.workerProblems.length}`]
  ])
  for (const line of [...run.serverProblems, ...run.workerProblems].slice(0, 5)) console.log(`  ${line.slice(0, 300)}`)
  const result = {
    bun: Bun.version,
    cpus: os.cpus().length,
    loadAverageAtStart: round(run.loadAverageAtStart, 2),
    serverReadyMs: round(run.serverReadyMs, 0),
    pipelineUpMs: round(run.warmupMs, 0),
    load: {
      ...phaseJson(load, l),
      drainMs: round(run.loadDrainMs, 0),
      maxBacklog: m,
      cpuCores: {
        server: round(run.loadCpu.server, 2),
        worker: round(run.loadCpu.worker, 2),
        bench: round(run.loadCpu.bench, 2),
        other: round(run.loadCpu.other, 2),
        machineBusyPercent: round(run.loadCpu.machineBusyPercent, 0)
      }
    },
    lowLoad: phaseJson(idle, i),
    badSignatures: receiverState.badSignatures,
    receiverPosts: receiverState.posts,
    otherEvents: receiverState.otherEvents,
    deliveryAttempts: run.deliveryAttempts,
    deliveryFailures: run.deliveryFailures,
    outboxLeft: run.outboxLeft,
    stopMs: { worker: round(run.workerStopMs, 0), server: round(run.serverStopMs, 0) },
    warnOrErrorLines: { server: run.serverProblems.length, worker: run.workerProblems.length }
  }
  console.log(`\nRESULT ${JSON.stringify(result)}`)
}

/** Stops every child and the receiver, drops the database, deletes the queue keys; safe to call twice. */
const cleanUp = async () => {
  await Promise.all([...running].map(stopProcess))
  leftovers.receiver?.stop(true)
  leftovers.receiver = null
  const sql = leftovers.sql
  leftovers.sql = null
  if (sql) await sql.close().catch(() => {})
  const database = leftovers.database
  leftovers.database = null
  if (database) await dropDatabase(database).catch((error) => console.error(`could not drop ${database}: ${error}`))
  if (leftovers.redisTouched) {
    leftovers.redisTouched = false
    await clearQueueKeys().catch((error) => console.error(`could not clear the queue keys: ${error}`))
  }
}

const abort = (reason: string, code: number) => {
  console.error(reason)
  void cleanUp().finally(() => process.exit(code))
}

process.on("SIGINT", () => abort("interrupted, cleaning up", 130))
const watchdog = setTimeout(() => abort(`benchmark exceeded ${WATCHDOG_MS / 1000} s, aborting`, 1), WATCHDOG_MS)

let exitCode = 0
try {
  report(await main())
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  clearTimeout(watchdog)
  await cleanUp()
}
process.exit(exitCode)
