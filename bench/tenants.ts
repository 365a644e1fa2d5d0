/**
 * Many tenants: what one API process holds per active workspace, with schema sharing on and off.
 * One file over 400 lines: its parent and child roles (--serve, --work, deployed) share the tenants, the snapshot and the report.
 *
 *   bun bench/tenants.ts     (BENCH_WORKSPACES=1000 to change the largest count; BENCH_MODES=on,on-64,off)
 *
 *   BENCH_WORK_ONLY=1 BENCH_MODES=on: provision, touch every workspace once, then only the worker's figures.
 *   BENCH_SNAPSHOT=1: provision once into a kept database and reuse it (BENCH_SNAPSHOT=drop removes it).
 *   BENCH_MODES=deployed+IDLE_COLLECT_AFTER=0s,deployed: the bundled server in its own process, before/after.
 *   BENCH_WORKER_MODES=deployed-worker+IDLE_COLLECT_AFTER=0s,deployed-worker: the bundled worker, the same.
 *   BENCH_FIRST=0, BENCH_CUSTOM=0, BENCH_WORKER=0: leave out the first-100, custom-object or in-process worker part.
 *   BENCH_MODES=base-on,on BENCH_BASE_DIR=/tmp/base: the same touches with an earlier checkout's code first (before/after).
 *
 * Provisions BENCH_WORKSPACES workspaces (Twenty's standard model) in a database of its own, then for each
 * scenario — the first 100, all of them, all of them after 10 % got one custom object — and each mode (see
 * MODES) starts a fresh API process (`bun bench/tenants.ts --serve`, the real application on PostgreSQL and
 * Redis) that touches every workspace with a GraphQL create, a GraphQL nested list and a REST list, then
 * reports its RSS, JS heap, schema cache entries and the p99 of each workspace's first call (cold: caller,
 * metadata and schema all to be made). Last, a worker process (`--work`) relays and runs every workspace's
 * events. Prints a table and `RESULT {json}`.
 *
 * Earlier figures (sharing added, 64 MB metadata): 1000 → 306 MiB (300 idle), heap 117; 846 s to provision.
 * 2026-12-04, load 12–15, RSS after touching (idle 5 s later), heap:
 *   off:   100 → 433 (425), heap 247;  1000 → 1064 (909), heap 504
 *   on-64: 100 → 225 (219), heap 69;   1000 → 327 (322), heap 124;  10 % custom → 457 (359), heap 126
 *   on:    100 → 224 (219), heap 70;   1000 → 423 (322), heap 89;   10 % custom → 338 (330), heap 92
 *   on, with the cache's local tier swept (second run): 1000 → 339 (323, 30 s: 323), heap 88 (capacity 182)
 * 1,000 workspaces took 555 s and 431 s to provision (API keys included).
 * 2026-12-05, deployed (bundle, own process), 1,000, load 11–23, RSS right after (peak, 5 s, 30 s idle):
 *   before the idle collector 296–457 (378–689, 291–413, 248–357); with it 301–315 (416–516, 271–275, 264–266);
 *   + BUN_JSC_forceRAMSize=512 MiB 247–294 (324–388, 237–268, 234–265), cold first calls up to 2× slower.
 *   Deployed worker, one touch's 1,000 events: 110–153 → 398–510 MiB drained, 209–266 30 s later, idle collector or not.
 * 2026-12-05, 1,000, one run each, RSS right after (peak, 5 s, 30 s idle): in-process base-on (before) 334 (425, 312, 307),
 *   on 432 (622, 392, 367), touches 252 s and 78 s (the load fell): at the peak the heap held 362 MiB, ~100 live.
 *   Deployed, touches 31–33 s: 687 (689, 457, 337); with HEAP_COLLECT_GROWTH_MB=64 407 (450, 369, 295).
 * 2026-12-06, quiet, deployed, RSS right after (peak, 5 s, 30 s idle): before 339 (358, 306, 280); memos within the metadata
 *   budget, object-literal rows and read plans shared by model: 100 → 180 (180, 165, 161), 1000 → 254 (282, 213, 207),
 *   10 % custom → 241 (267, 206, 202); deployed worker 1,000 events, collector 32 MiB peak 389, 16 MiB (now its default) 245.
 * Worker (BENCH_WORK_ONLY=1, 2026-12-04, load 8–10): 1,000 events drained in 14–18 s, RSS 191–208 → 547–599 MiB;
 * heap 30 s after draining at 300 / 1,000 workspaces 108 / 211 MiB, 67 / 68 with the memos swept (derivedMemo).
 */
import { Effect } from "effect"
import { heapStats } from "bun:jsc"
import { ApiKeys } from "../src/services/api-keys/index.js"
import { Auth } from "../src/services/auth/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { SchemaBuilder, type SchemaCacheStats } from "../src/http/graphql/data/schema/index.js"
import { SqlClient } from "@effect/sql"
import { Exit, Fiber } from "effect"
import { JobQueue } from "../src/platform/queue/job-queue.js"
import { runRelay } from "../src/services/events/index.js"
import { EVENTS_QUEUE } from "../src/services/events/index.js"
import { WEBHOOKS_QUEUE } from "../src/services/webhooks/jobs.js"
import { WORKFLOWS_QUEUE } from "../src/services/workflows/executor.js"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { startTestApp } from "../test/support/app.js"
import { ADMIN_DATABASE_URL, TEST_REDIS_URL, testRedisPrefix } from "../test/support/database.js"
import { TEST_APP_SECRET } from "../test/support/app.js"
import { runScore, startServer, UNTHROTTLED } from "../test/support/process.js"
import { SQL } from "bun"

const MiB = 1024 * 1024
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10

interface Tenant {
  readonly workspaceId: string
  readonly token: string
}

interface ServeReport {
  readonly rssMiB: number
  readonly peakRssMiB: number
  readonly heapMiB: number
  readonly idleRssMiB: number
  /** RSS after 30 s idle: the allocators hand back what the touches freed slowly. */
  readonly idle30RssMiB: number
  /** JavaScriptCore's heap capacity and memory outside it (strings, buffers) as process.memoryUsage() says. */
  readonly heapCapacityMiB: number
  readonly externalMiB: number
  readonly schemas: SchemaCacheStats
  readonly firstCallP50: number
  readonly firstCallP99: number
  readonly errors: number
  readonly touchSeconds: number
  /** What the process held when its RSS peaked while touching (sampled every 200 ms), in MiB. */
  readonly atPeak?: MemorySample
}

/** One reading of where the process's memory is: JavaScriptCore's heap (live and garbage) and memory outside it. */
interface MemorySample {
  readonly rss: number
  readonly heap: number
  readonly heapCapacity: number
  readonly external: number
}

// process.memoryUsage, not heapStats: heapStats counts every object's type, too slow to call every 200 ms.
const memorySample = (): MemorySample => {
  const usage = process.memoryUsage()
  return { rss: mib(usage.rss), heap: mib(usage.heapUsed), heapCapacity: mib(usage.heapTotal), external: mib(usage.external) }
}

/** What a child process needs to be the same deployment as the parent: its database and its Redis key prefix. */
interface ChildInput {
  readonly databaseUrl: string
  readonly redisKeyPrefix: string
}

const percentile = (xs: ReadonlyArray<number>, p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

const rssNow = () => process.memoryUsage().rss

/** The API process: touches every tenant once (three calls), then reports what it holds. */
const serve = async ({ databaseUrl, redisKeyPrefix }: ChildInput, tenants: ReadonlyArray<Tenant>) => {
  const app = await startTestApp({
    databaseUrl,
    env: {
      REDIS_KEY_PREFIX: redisKeyPrefix,
      DATABASE_POOL_SIZE: "3",
      SCHEMA_SHARING: process.env["SCHEMA_SHARING"] ?? "on",
      SCHEMA_CACHE_MAX_MB: process.env["SCHEMA_CACHE_MAX_MB"] ?? "64",
      ...(process.env["METADATA_CACHE_MAX_MB"] ? { METADATA_CACHE_MAX_MB: process.env["METADATA_CACHE_MAX_MB"] } : {})
    }
  })
  let peak = rssNow()
  let atPeak = memorySample()
  const sampler = setInterval(() => {
    const sample = memorySample()
    if (sample.rss > atPeak.rss) atPeak = sample
  }, 200)
  const firstCalls: Array<number> = []
  let errors = 0
  const call = async (request: Request) => {
    const response = await app.handle(request)
    const body = await response.text()
    if (response.status >= 300 || body.includes("\"errors\"")) errors++
  }
  const graphql = (token: string, query: string) =>
    new Request("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query })
    })
  const started = performance.now()
  for (const [i, { token }] of tenants.entries()) {
    const t0 = performance.now()
    await call(graphql(token, `mutation { createCompany(data: { name: "Tenant ${i}", employees: ${i} }) { id name } }`))
    firstCalls.push(performance.now() - t0)
    await call(graphql(token, `query { companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id name { firstName } } } } } } } }`))
    await call(new Request("http://localhost/rest/companies?limit=10&depth=1", { headers: { authorization: `Bearer ${token}` } }))
    if (i % 20 === 0) peak = Math.max(peak, rssNow())
  }
  const touchSeconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  Bun.gc(true)
  peak = Math.max(peak, rssNow())
  const rss = rssNow()
  const heap = heapStats().heapSize
  const schemas = await app.run(Effect.map(SchemaBuilder, (s) => s.stats()))
  // BENCH_HEAP_SNAPSHOT=file: what the touches left held, in V8's format (Chrome DevTools, or bench/heap-summary.ts).
  const snapshotFile = process.env["BENCH_HEAP_SNAPSHOT"]
  if (snapshotFile) await Bun.write(snapshotFile, Bun.generateHeapSnapshot("v8"))
  await Bun.sleep(5_000)
  Bun.gc(true)
  const idleRss = rssNow()
  await Bun.sleep(25_000)
  Bun.gc(true)
  const report: ServeReport = {
    idle30RssMiB: mib(rssNow()),
    heapCapacityMiB: mib(heapStats().heapCapacity),
    externalMiB: mib(process.memoryUsage().external),
    rssMiB: mib(rss),
    peakRssMiB: mib(peak),
    heapMiB: mib(heap),
    idleRssMiB: mib(idleRss),
    schemas,
    firstCallP50: Math.round(percentile(firstCalls, 0.5) * 10) / 10,
    firstCallP99: Math.round(percentile(firstCalls, 0.99) * 10) / 10,
    errors,
    touchSeconds: Math.round(touchSeconds),
    atPeak
  }
  await app.close()
  return report
}

/** A process's resident and peak resident memory (bytes) from /proc: the deployed server is another process. */
const procMemory = async (pid: number) => {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const kib = (field: string) => Number(/\d+/.exec(status.split("\n").find((l) => l.startsWith(field)) ?? "0")![0]) * 1024
  return { rss: kib("VmRSS:"), peak: kib("VmHWM:") }
}

/**
 * The deployed server (`bun scripts/run.ts main`, the minified bundle, as production runs it) touched over
 * HTTP from this process: its RSS only, since its heap and caches are not reachable from here. Settings and
 * allocator knobs come from the environment (BENCH_SERVER_ENV='{"MIMALLOC_PURGE_DELAY":"0"}').
 */
const serveDeployed = async ({ databaseUrl, redisKeyPrefix }: ChildInput, tenants: ReadonlyArray<Tenant>, extraEnv: Record<string, string>): Promise<ServeReport> => {
  // scripts/run.ts rebuilds dist/ in the server's own process when a source is newer: a start just before
  // builds it if needed, so the measured server only loads the bundle (a build left ~100 MiB more resident).
  {
    const builder = await startServer({ DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisKeyPrefix, APP_SECRET: TEST_APP_SECRET, LOG_LEVEL: "Error" }, 120_000)
    await builder.stop()
  }
  const server = await startServer({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    APP_SECRET: TEST_APP_SECRET,
    DATABASE_POOL_SIZE: "3",
    LOG_LEVEL: "Error",
    ...UNTHROTTLED,
    SCHEMA_SHARING: process.env["SCHEMA_SHARING"] ?? "on",
    SCHEMA_CACHE_MAX_MB: process.env["SCHEMA_CACHE_MAX_MB"] ?? "64",
    ...(process.env["METADATA_CACHE_MAX_MB"] ? { METADATA_CACHE_MAX_MB: process.env["METADATA_CACHE_MAX_MB"] } : {}),
    ...extraEnv
  }, 120_000)
  try {
    const pid = server.proc.pid
    const firstCalls: Array<number> = []
    const series: Array<number> = []
    let errors = 0
    const call = async (path: string, token: string, body?: string) => {
      const response = await fetch(`${server.url}${path}`, {
        method: body ? "POST" : "GET",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        ...(body ? { body } : {})
      })
      const text = await response.text()
      if (response.status >= 300 || text.includes("\"errors\"")) errors++
    }
    const started = performance.now()
    for (const [i, { token }] of tenants.entries()) {
      const t0 = performance.now()
      await call("/graphql", token, JSON.stringify({ query: `mutation { createCompany(data: { name: "Tenant ${i}", employees: ${i} }) { id name } }` }))
      firstCalls.push(performance.now() - t0)
      await call("/graphql", token, JSON.stringify({ query: `query { companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id name { firstName } } } } } } } }` }))
      await call("/rest/companies?limit=10&depth=1", token)
      if (i % 100 === 99) series.push(mib((await procMemory(pid)).rss))
    }
    const touchSeconds = (performance.now() - started) / 1000
    // RSS after each 100 workspaces: whether it climbs with the workspaces touched or levels off.
    console.error(`deployed: RSS MiB every 100 workspaces ${series.join(" ")}`)
    const after = await procMemory(pid)
    await Bun.sleep(5_000)
    const idle = await procMemory(pid)
    await Bun.sleep(25_000)
    const idle30 = await procMemory(pid)
    return {
      rssMiB: mib(after.rss),
      peakRssMiB: mib(idle30.peak),
      heapMiB: 0,
      idleRssMiB: mib(idle.rss),
      idle30RssMiB: mib(idle30.rss),
      heapCapacityMiB: 0,
      externalMiB: 0,
      schemas: { schemas: 0, builds: 0, bytes: 0 },
      firstCallP50: Math.round(percentile(firstCalls, 0.5) * 10) / 10,
      firstCallP99: Math.round(percentile(firstCalls, 0.99) * 10) / 10,
      errors,
      touchSeconds: Math.round(touchSeconds)
    }
  } finally {
    await server.stop()
  }
}

interface WorkReport {
  readonly events: number
  /** The same process before relaying or running anything: the floor the figures below compare with. */
  readonly startRssMiB: number
  readonly startHeapMiB: number
  /** 30 s after draining: the per-workspace memos (10 s) have let go of the last workspaces' metadata. */
  readonly idle30RssMiB: number
  readonly idle30HeapMiB: number
  readonly seconds: number
  readonly rssMiB: number
  readonly peakRssMiB: number
  readonly heapMiB: number
  readonly left: number
  readonly queues: unknown
}

/** The worker process: relays the outbox and runs the jobs the touches made (every workspace's events), until drained. */
const work = async ({ databaseUrl, redisKeyPrefix }: ChildInput): Promise<WorkReport> => {
  // Warnings shown: the relay retries a failed batch with a warning only.
  const app = await startTestApp({ databaseUrl, env: { DATABASE_POOL_SIZE: "3", LOG_LEVEL: "WARN", REDIS_KEY_PREFIX: redisKeyPrefix } })
  const backlog = () =>
    app.run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const queue = yield* JobQueue
      const [outbox] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM core."eventOutbox"`
      // Waiting and running jobs: delayed ones are retries' backoffs and the schedules' next ticks.
      let pending = outbox!.n
      const counts: Record<string, unknown> = {}
      for (const name of [EVENTS_QUEUE, WEBHOOKS_QUEUE, WORKFLOWS_QUEUE]) {
        const c = yield* queue.counts(name)
        counts[name] = c
        pending += c.waiting + c.active
      }
      return { pending, outbox: outbox!.n, counts }
    }))
  const initial = (await backlog()).outbox
  Bun.gc(true)
  const startRssMiB = mib(rssNow())
  const startHeapMiB = mib(heapStats().heapSize)
  const startTypes = heapStats().objectTypeCounts
  let peak = rssNow()
  const started = performance.now()
  const relay = await app.run(Effect.forkDaemon(runRelay()))
  // runWorker forks its fibers into the scope and returns: the scope must stay open (Effect.never) until interrupted,
  // or closing it at once runs the worker's shutdown and no job is ever taken.
  const worker = await app.run(
    Effect.forkDaemon(Effect.scoped(Effect.zipRight(runWorker(registry, { shutdownTimeout: "5 seconds" }), Effect.never)))
  )
  let left = initial
  let queues: unknown = null
  for (let idle = 0; idle < 2 && performance.now() - started < 300_000;) {
    await Bun.sleep(1_000)
    peak = Math.max(peak, rssNow())
    const now = await backlog()
    left = now.pending
    queues = now.counts
    idle = left === 0 ? idle + 1 : 0
  }
  const seconds = (performance.now() - started) / 1000
  Bun.gc(true)
  const drained = { rssMiB: mib(rssNow()), heapMiB: mib(heapStats().heapSize) }
  await Bun.sleep(30_000)
  Bun.gc(true)
  // The object types that grew most while the worker ran (still held 30 s later): where its memory goes.
  const types = heapStats().objectTypeCounts
  const grown = Object.entries(types).map(([type, n]) => [type, n - (startTypes[type] ?? 0)] as const)
    .sort((a, b) => b[1] - a[1]).slice(0, 12)
  console.error(`worker: object types grown ${JSON.stringify(Object.fromEntries(grown))}`)
  const report: WorkReport = { events: initial, startRssMiB, startHeapMiB, idle30RssMiB: mib(rssNow()), idle30HeapMiB: mib(heapStats().heapSize), ...drained, seconds: Math.round(seconds), peakRssMiB: mib(peak), left, queues }
  const stopped = await app.run(Effect.all([Fiber.interrupt(worker), Fiber.interrupt(relay)]))
  for (const exit of stopped) if (exit._tag === "Failure" && !Exit.isInterrupted(exit)) console.error("worker fiber failed", exit.cause)
  await app.close()
  return report
}

if (process.argv[2] === "--work") {
  const input = JSON.parse(await Bun.stdin.text()) as ChildInput
  console.log(`REPORT ${JSON.stringify(await work(input))}`)
  process.exit(0)
}

if (process.argv[2] === "--serve") {
  const input = JSON.parse(await Bun.stdin.text()) as ChildInput & { tenants: Array<Tenant> }
  console.log(`REPORT ${JSON.stringify(await serve(input, input.tenants))}`)
  process.exit(0)
}

const COUNT = Number(process.env["BENCH_WORKSPACES"] ?? 1_000)
/**
 * on: today's defaults; on-smol: the same under `bun --smol`; on-64: sharing with the earlier 64 MB metadata
 * budget; off: a schema per workspace (the old behaviour).
 */
const MODES = (process.env["BENCH_MODES"] ?? "on,on-64,off").split(",").filter((m) => m !== "")
/** BENCH_WORK_ONLY=1: every workspace touched once per mode (BENCH_MODES=on: once), then the worker: its figures, sooner. */
const WORK_ONLY = process.env["BENCH_WORK_ONLY"] === "1"
/** BENCH_CUSTOM=0: no scenario with custom objects; BENCH_WORKER=0: no worker; BENCH_FIRST=0: no first-100 scenario. */
const CUSTOM = process.env["BENCH_CUSTOM"] !== "0"
const WORKER = process.env["BENCH_WORKER"] !== "0"
const FIRST = process.env["BENCH_FIRST"] !== "0"
/**
 * BENCH_SNAPSHOT=1: provision once into a database that is kept (score_bench_tenants_<BENCH_SNAPSHOT_TAG>) with the
 * tenants' tokens in a table of its own, and reuse it on later runs, so an iteration takes seconds instead of minutes.
 * BENCH_SNAPSHOT=drop drops it and exits. The custom objects of the last scenario are deleted again at the end.
 */
const SNAPSHOT = process.env["BENCH_SNAPSHOT"]
const snapshotName = `score_bench_tenants_${process.env["BENCH_SNAPSHOT_TAG"] ?? "tenants"}`
const snapshotUrl = async () => {
  const admin = new SQL(ADMIN_DATABASE_URL)
  try {
    if (SNAPSHOT === "drop") {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${snapshotName} WITH (FORCE)`)
      console.log(`dropped ${snapshotName}`)
      process.exit(0)
    }
    const [found] = await admin`SELECT 1 AS one FROM pg_database WHERE datname = ${snapshotName}`
    if (!found) await admin.unsafe(`CREATE DATABASE ${snapshotName}`)
  } finally {
    await admin.close()
  }
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${snapshotName}`
  return url.href
}
const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "3" }, ...(SNAPSHOT ? { databaseUrl: await snapshotUrl() } : {}) })
/** The snapshot's tenants (as many as BENCH_WORKSPACES), or none yet. */
const savedTenants = () =>
  app.run(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS public.bench_tenants (n int PRIMARY KEY, "workspaceId" uuid NOT NULL, token text NOT NULL)`
    return yield* sql<Tenant>`SELECT "workspaceId", token FROM public.bench_tenants WHERE n < ${COUNT} ORDER BY n`
  }))
const saveTenant = (n: number, tenant: Tenant) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO public.bench_tenants (n, "workspaceId", token) VALUES (${n}, ${tenant.workspaceId}, ${tenant.token})`
  })
// What startTestApp gave this process: the children (other pids) would each get a prefix of their own.
const redisKeyPrefix = testRedisPrefix(new URL(app.databaseUrl).pathname.slice(1))

const runChild = async <A = ServeReport>(mode: string, tenants: ReadonlyArray<Tenant>, role = "--serve"): Promise<A> => {
  // deployed: the bundled server in a process of its own (deployed-smol: under --smol, through BUN_OPTIONS).
  if (mode.startsWith("deployed")) {
    // deployed+NAME=value+...: the server with these variables too (allocator and JavaScriptCore knobs).
    const [base, ...settings] = mode.split("+")
    const extra: Record<string, string> = {
      ...JSON.parse(process.env["BENCH_SERVER_ENV"] ?? "{}"),
      ...(base!.endsWith("-smol") ? { BUN_OPTIONS: "--smol" } : {}),
      ...Object.fromEntries(settings.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]))
    }
    return await serveDeployed({ databaseUrl: app.databaseUrl, redisKeyPrefix }, tenants, extra) as A
  }
  // base-MODE: MODE with the code of another checkout (BENCH_BASE_DIR, e.g. `git archive` of the commit before), for a before/after in one run.
  const base = mode.startsWith("base-")
  if (base && !process.env["BENCH_BASE_DIR"]) throw new Error(`${mode}: set BENCH_BASE_DIR to the checkout to compare with`)
  const script = base ? `${process.env["BENCH_BASE_DIR"]}/bench/tenants.ts` : import.meta.path
  if (base) mode = mode.slice("base-".length)
  // on-smol: the same as on, with Bun's --smol (a smaller JavaScriptCore heap, collected more often).
  const child = Bun.spawn(["bun", ...(mode.endsWith("-smol") ? ["--smol"] : []), script, role], {
    stdin: new Blob([JSON.stringify({ databaseUrl: app.databaseUrl, redisKeyPrefix, tenants })]),
    stdout: "pipe",
    stderr: "inherit",
    // Off is the behaviour before sharing: a schema per workspace, room for about 200 standard ones (the old count bound).
    env: {
      ...process.env,
      SCHEMA_SHARING: mode.startsWith("on") ? "on" : "off",
      ...(mode === "off" ? { SCHEMA_CACHE_MAX_MB: "300" } : {}),
      ...(mode.startsWith("on") && !mode.startsWith("on-64") ? {} : { METADATA_CACHE_MAX_MB: "64" })
    }
  })
  const out = await new Response(child.stdout).text()
  await child.exited
  const line = out.split("\n").find((l) => l.startsWith("REPORT "))
  if (!line) throw new Error(`${role} (${mode}) printed no report: ${out.slice(-500)}`)
  return JSON.parse(line.slice("REPORT ".length))
}

/** Jobs and outbox events not yet done, as this process's app (same database and Redis prefix) sees them. */
const pendingWork = () =>
  app.run(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const queue = yield* JobQueue
    const [outbox] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM core."eventOutbox"`
    let pending = outbox!.n
    for (const name of [EVENTS_QUEUE, WEBHOOKS_QUEUE, WORKFLOWS_QUEUE]) {
      const c = yield* queue.counts(name)
      pending += c.waiting + c.active
    }
    return pending
  }))

interface DeployedWorkReport {
  readonly events: number
  readonly seconds: number
  readonly left: number
  readonly startRssMiB: number
  readonly drainedRssMiB: number
  readonly peakRssMiB: number
  readonly idle5RssMiB: number
  readonly idle30RssMiB: number
}

/**
 * The deployed worker (`bun scripts/run.ts worker`, the bundle) draining what the touches left: RSS when
 * drained and 5 s and 30 s later, with the settings of `mode` (deployed-worker+NAME=value+...).
 */
const workDeployed = async (mode: string): Promise<DeployedWorkReport> => {
  const settings = Object.fromEntries(mode.split("+").slice(1).map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]))
  const events = await pendingWork()
  const proc = runScore("worker", {
    DATABASE_URL: app.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    APP_SECRET: TEST_APP_SECRET,
    DATABASE_POOL_SIZE: "3",
    LOG_LEVEL: "Error",
    ...settings
  })
  try {
    await Bun.sleep(2_000)
    const startRss = (await procMemory(proc.pid)).rss
    const started = performance.now()
    let left = events
    for (let idle = 0; idle < 2 && performance.now() - started < 300_000;) {
      await Bun.sleep(1_000)
      left = await pendingWork()
      idle = left === 0 ? idle + 1 : 0
    }
    const seconds = Math.round((performance.now() - started) / 1000)
    const drained = await procMemory(proc.pid)
    await Bun.sleep(5_000)
    const idle5 = await procMemory(proc.pid)
    await Bun.sleep(25_000)
    const idle30 = await procMemory(proc.pid)
    return {
      events,
      seconds,
      left,
      startRssMiB: mib(startRss),
      drainedRssMiB: mib(drained.rss),
      peakRssMiB: mib(idle30.peak),
      idle5RssMiB: mib(idle5.rss),
      idle30RssMiB: mib(idle30.rss)
    }
  } finally {
    proc.kill()
    await proc.exited
  }
}

/**
 * BENCH_WORKER_MODES=deployed-worker+IDLE_COLLECT_AFTER=0s,deployed-worker: after the scenarios, for each mode
 * the deployed API touches every workspace once more (their events), then a deployed worker drains them.
 */
const WORKER_MODES = (process.env["BENCH_WORKER_MODES"] ?? "").split(",").filter((m) => m !== "")

try {
  const provisionStarted = performance.now()
  const saved = SNAPSHOT ? [...await savedTenants()] : []
  const tenants: Array<Tenant> = saved.length >= COUNT ? saved : await app.run(Effect.gen(function*() {
    const auth = yield* Auth
    const apiKeys = yield* ApiKeys
    const { user } = yield* auth.signUp({ email: `tenants.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", isEmailVerified: true })
    // A snapshot's tokens live a year; it is dropped long before.
    const expiresAt = new Date(Date.now() + (SNAPSHOT ? 365 : 1) * 86_400_000).toISOString()
    const made: Array<Tenant> = [...saved]
    for (let i = saved.length; i < COUNT; i++) {
      const { workspace } = yield* auth.signUpInNewWorkspace(user, `Tenant ${i}`)
      const key = yield* apiKeys.create(workspace.id, { name: "bench", expiresAt })
      const { token } = yield* apiKeys.generateToken(workspace.id, key.id, expiresAt)
      made.push({ workspaceId: workspace.id, token })
      if (SNAPSHOT) yield* saveTenant(i, made[i]!)
      if (i % 100 === 99) console.error(`provisioned ${i + 1} in ${Math.round((performance.now() - provisionStarted) / 1000)} s`)
    }
    return made
  }))
  const provisionSeconds = Math.round((performance.now() - provisionStarted) / 1000)
  if (process.env["BENCH_PROVISION_ONLY"] === "1") {
    console.log(`provisioned ${COUNT} workspaces in ${provisionSeconds} s`)
    process.exit(0)
  }

  const results: Record<string, Record<string, ServeReport>> = {}
  const scenario = async (name: string, touched: ReadonlyArray<Tenant>) => {
    results[name] = {}
    for (const mode of MODES) {
      results[name]![mode] = await runChild(mode, touched)
      console.error(`${name} ${mode}: ${JSON.stringify(results[name]![mode])}`)
    }
  }
  if (WORK_ONLY) await scenario(`${COUNT} standard`, tenants)
  else if (FIRST || COUNT <= 100) await scenario(`${Math.min(100, COUNT)} standard`, tenants.slice(0, 100))
  if (COUNT > 100 && !WORK_ONLY) await scenario(`${COUNT} standard`, tenants)
  const customized = WORK_ONLY || !CUSTOM ? [] : tenants.filter((_, i) => i % 10 === 0)
  const invoices = await app.run(Effect.gen(function*() {
    const metadata = yield* Metadata
    const made: Array<readonly [string, string]> = []
    for (const { workspaceId } of customized) {
      const object = yield* metadata.createObject(workspaceId, { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" })
      made.push([workspaceId, object.id])
    }
    return made
  }))
  if (!WORK_ONLY && CUSTOM) await scenario(`${COUNT}, 10 % with a custom object`, tenants)
  // The snapshot goes back to the standard model for the next run.
  if (SNAPSHOT) {
    await app.run(Effect.gen(function*() {
      const metadata = yield* Metadata
      for (const [workspaceId, id] of invoices) yield* metadata.deleteObject(workspaceId, id)
    }))
  }

  console.log(`\nprovisioned ${COUNT} workspaces in ${provisionSeconds} s (${Math.round((provisionSeconds * 1000) / COUNT)} ms each, API key included); machine shared with other helpers (noisy)`)
  console.log("scenario | mode | RSS MiB (peak, idle after 5 s, 30 s) | heap MiB (capacity, external) | at the RSS peak: heap (capacity, external) | schemas kept (built, MiB est.) | first call p50/p99 ms | touches s | errors")
  for (const [name, modes] of Object.entries(results)) {
    for (const [mode, r] of Object.entries(modes)) {
      const s = `${r.schemas.schemas} (${r.schemas.builds}, ${mib(r.schemas.bytes)})`
      const heap = `${r.heapMiB} (${r.heapCapacityMiB}, ${r.externalMiB})`
      const atPeak = r.atPeak ? `${r.atPeak.heap} (${r.atPeak.heapCapacity}, ${r.atPeak.external}) at RSS ${r.atPeak.rss}` : "-"
      console.log(`${name} | ${mode} | ${r.rssMiB} (${r.peakRssMiB}, ${r.idleRssMiB}, ${r.idle30RssMiB}) | ${heap} | ${atPeak} | ${s} | ${r.firstCallP50}/${r.firstCallP99} | ${r.touchSeconds} | ${r.errors}`)
    }
  }
  // The worker after all touches: every workspace's record events through the event, webhook and workflow jobs.
  const worker = WORKER ? await runChild<WorkReport>("on", [], "--work") : null
  if (worker) console.log(`worker: ${worker.events} events of ${COUNT} workspaces in ${worker.seconds} s (${worker.left} left): RSS ${worker.rssMiB} MiB (peak ${worker.peakRssMiB}, before ${worker.startRssMiB}, idle 30 s ${worker.idle30RssMiB}), heap ${worker.heapMiB} MiB (before ${worker.startHeapMiB}, idle 30 s ${worker.idle30HeapMiB}); queues ${JSON.stringify(worker.queues)}`)
  const deployedWorkers: Record<string, DeployedWorkReport> = {}
  for (const mode of WORKER_MODES) {
    // Each worker gets the same burst: this touch's events only (earlier runs' and scenarios' are dropped).
    await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM core."eventOutbox"`))
    await runChild("deployed", tenants)
    const report = deployedWorkers[mode] = await workDeployed(mode)
    console.log(`${mode}: ${report.events} events in ${report.seconds} s (${report.left} left): RSS ${report.startRssMiB} → ${report.drainedRssMiB} MiB drained (peak ${report.peakRssMiB}, idle 5 s ${report.idle5RssMiB}, 30 s ${report.idle30RssMiB})`)
  }
  console.log(`RESULT ${JSON.stringify({ provisionSeconds, results, worker, deployedWorkers })}`)
} finally {
  await app.close()
}
