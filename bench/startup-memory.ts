/**
 * Base memory of the deployed processes: RSS of `bun scripts/run.ts main` (API) and `… worker` right after
 * start and after a few requests (the worker: after relaying and running their events), for an earlier
 * checkout and this one, alternating in rounds, on one PostgreSQL database and one Redis key prefix.
 *
 *   BENCH_BASE_DIR=/tmp/lazy-base bun bench/startup-memory.ts   (BENCH_ROUNDS=3)
 *
 * The base checkout: `git archive <commit> | tar -x -C /tmp/lazy-base`, then `bun install --frozen-lockfile`
 * there. Each checkout's dist/ is built first in a process of its own (a build inside the measured process
 * leaves memory behind). RSS and its anonymous part come from /proc/<pid>/status, 2 s after each step.
 *
 * 2026-12-06, 4 rounds, load ~3, median RSS MiB (anonymous part): API at start / after 25 requests, worker
 * at start / after their events: before (a547cea) 147 (93) / 162 (107), 149 (93) / 151 (95); with the heavy
 * libraries loaded on first use and the bundle split 108 (61) / 123 (75), 107 (58) / 110 (61). README "Memory".
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { SQL } from "bun"
import { collect, dropDatabase, freePort, healthy, withAdmin } from "./support.js"

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3)
const HERE = resolve(import.meta.dir, "..")
const BASE = process.env["BENCH_BASE_DIR"]
const CHECKOUTS: ReadonlyArray<{ label: string; dir: string }> = [
  ...(BASE ? [{ label: "base", dir: resolve(BASE) }] : []),
  { label: "this", dir: HERE }
]
const DATABASE = `score_bench_lazy_${process.pid}`
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE}`
const REDIS_URL = "redis://127.0.0.1:6379"
const REDIS_KEY_PREFIX = `lazy:bench:${process.pid}:`
const SECRET = "bench-secret-bench-secret-bench-secret-0123456789"
const dataDir = mkdtempSync(join(tmpdir(), "score-bench-lazy-"))

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/root",
  DATABASE_URL,
  REDIS_URL,
  REDIS_KEY_PREFIX,
  APP_SECRET: SECRET,
  DATABASE_POOL_SIZE: "3",
  DATA_DIR: dataDir,
  LOG_LEVEL: "Info",
  ...extra
})

const MiB = 1024 * 1024
const memory = async (pid: number) => {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const field = (name: string) => Number(/(\d+)/.exec(status.split("\n").find((line) => line.startsWith(name)) ?? "0")![1]) * 1024
  return { rss: Math.round(field("VmRSS:") / MiB), anon: Math.round(field("RssAnon:") / MiB) }
}
type Memory = Awaited<ReturnType<typeof memory>>

/** The database, the data directory and the Redis keys of this run. */
const cleanUp = async () => {
  await dropDatabase(DATABASE)
  rmSync(dataDir, { recursive: true, force: true })
  const redis = new Bun.RedisClient(REDIS_URL)
  const keys = await redis.send("KEYS", [`${REDIS_KEY_PREFIX}*`]) as Array<string>
  if (keys.length) await redis.send("DEL", keys)
  redis.close()
}

/** Processes started and not yet stopped: an interrupted run stops them and drops its database. */
const running = new Set<Bun.Subprocess>()
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const proc of running) proc.kill("SIGKILL")
    void cleanUp().finally(() => process.exit(130))
  })
}

/** `bun scripts/run.ts <entry>` in a checkout, its output kept; resolves once `ready(output)` holds. */
const start = async (dir: string, entry: "main" | "worker", extra: Record<string, string>, ready: (output: string) => Promise<boolean> | boolean) => {
  const proc = Bun.spawn(["bun", "scripts/run.ts", entry], { cwd: dir, env: env(extra), stdin: "ignore", stdout: "pipe", stderr: "pipe" })
  running.add(proc)
  const output = { text: "" }
  void collect(proc.stdout, output)
  void collect(proc.stderr, output)
  const deadline = Date.now() + 120_000
  while (!(await ready(output.text))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL")
      throw new Error(`${dir} ${entry} did not start: ${output.text.slice(-2000)}`)
    }
    await Bun.sleep(50)
  }
  return {
    pid: proc.pid,
    output,
    stop: async () => {
      proc.kill("SIGTERM")
      await proc.exited
      running.delete(proc)
    }
  }
}

const startApi = async (dir: string) => {
  const port = freePort()
  const api = await start(dir, "main", { PORT: String(port), HOST: "127.0.0.1" }, () => healthy(port))
  return { ...api, url: `http://127.0.0.1:${port}` }
}
const startWorker = (dir: string) => start(dir, "worker", {}, (output) => / started: /.test(output))

const post = async (url: string, body: unknown, token?: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body)
  })
  const json = await response.json() as { data?: any; errors?: Array<{ message: string }> }
  if (json.errors?.length || !json.data) throw new Error(`${url}: ${JSON.stringify(json.errors)}`)
  return json.data
}

/** Twenty's sign-up flow: an account and its workspace, made once (by the first API process) for every round. */
const signUp = async (url: string) => {
  const agnostic = (await post(`${url}/metadata`, {
    query: `mutation { signUp(email: "bench@lazy.dev", password: "bench-password") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`
  })).signUp.tokens.accessOrWorkspaceAgnosticToken.token
  const login = (await post(`${url}/metadata`, { query: `mutation { signUpInNewWorkspace(input: { displayName: "Lazy" }) { loginToken { token } } }` }, agnostic))
    .signUpInNewWorkspace.loginToken.token
  return (await post(`${url}/metadata`, {
    query: `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    variables: { t: login }
  })).getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token as string
}

/** A few requests of everyday kinds: metadata, GraphQL create (a phone number: libphonenumber) and lists, REST. */
const requests = async (url: string, token: string, round: number) => {
  for (let i = 0; i < 5; i++) {
    await post(`${url}/metadata`, { query: `{ currentUser { id email } }` }, token)
    await post(`${url}/graphql`, { query: `mutation { createCompany(data: { name: "Lazy ${round}.${i}", employees: ${i} }) { id } }` }, token)
    await post(`${url}/graphql`, {
      query: `mutation { createPerson(data: { name: { firstName: "Ada", lastName: "L${round}.${i}" }, phones: { primaryPhoneNumber: "612345678", primaryPhoneCountryCode: "FR" } }) { id } }`
    }, token)
    await post(`${url}/graphql`, { query: `{ companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id } } } } } } }` }, token)
    const rest = await fetch(`${url}/rest/people?limit=10&depth=1`, { headers: { authorization: `Bearer ${token}` } })
    if (rest.status !== 200) throw new Error(`REST ${rest.status}: ${await rest.text()}`)
    await rest.arrayBuffer()
  }
}

const outboxLeft = (sql: SQL) => sql`SELECT count(*)::int AS n FROM core."eventOutbox"`.then((rows: Array<{ n: number }>) => rows[0]!.n)

interface Reading {
  /** The API's own "Ready in N ms since process start" (loading the bundle, layers, first listen). */
  readonly apiReadyMs: number
  readonly apiStart: Memory
  readonly apiAfter: Memory
  readonly workerStart: Memory
  readonly workerAfter: Memory
}

const measure = async (dir: string, sql: SQL, token: () => Promise<string>, round: number): Promise<Reading> => {
  const api = await startApi(dir)
  try {
    const worker = await startWorker(dir)
    try {
      await Bun.sleep(2_000)
      const apiStart = await memory(api.pid)
      const workerStart = await memory(worker.pid)
      await requests(api.url, await token(), round)
      const deadline = Date.now() + 60_000
      while ((await outboxLeft(sql)) > 0 && Date.now() < deadline) await Bun.sleep(100)
      await Bun.sleep(2_000)
      const apiReadyMs = Number(/Ready in (\d+) ms/.exec(api.output.text)?.[1] ?? Number.NaN)
      return { apiReadyMs, apiStart, apiAfter: await memory(api.pid), workerStart, workerAfter: await memory(worker.pid) }
    } finally {
      await worker.stop()
    }
  } finally {
    await api.stop()
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const main = async () => {
  for (const { dir } of CHECKOUTS) {
    const build = Bun.spawnSync(["bun", "scripts/run.ts", "build"], { cwd: dir, env: env(), stdout: "inherit", stderr: "inherit" })
    if (build.exitCode !== 0) throw new Error(`build failed in ${dir}`)
  }
  await withAdmin((admin) => admin.unsafe(`CREATE DATABASE ${DATABASE}`))
  const sql = new SQL({ url: DATABASE_URL, max: 1 })
  let accessToken: string | null = null
  const readings = new Map<string, Array<Reading>>(CHECKOUTS.map(({ label }) => [label, []]))
  try {
    // A warm-up start migrates the database and makes the account, so no measured process does either.
    const warmUp = await startApi(CHECKOUTS[0]!.dir)
    try {
      accessToken = await signUp(warmUp.url)
    } finally {
      await warmUp.stop()
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CHECKOUTS : [...CHECKOUTS].reverse()
      for (const { label, dir } of order) {
        const builtAt = statSync(join(dir, "dist", "main.js")).mtimeMs
        const reading = await measure(dir, sql, async () => accessToken!, round)
        // A source changed meanwhile: scripts/run.ts rebuilt dist/ inside a measured process.
        if (statSync(join(dir, "dist", "main.js")).mtimeMs !== builtAt) throw new Error(`${dir}: dist/ was rebuilt during the run`)
        readings.get(label)!.push(reading)
        const show = (m: Memory) => `${m.rss} (anon ${m.anon})`
        console.log(
          `round ${round + 1} ${label.padEnd(4)}  API ready in ${reading.apiReadyMs} ms, start ${show(reading.apiStart)} → after ${show(reading.apiAfter)}   worker start ${show(reading.workerStart)} → after ${show(reading.workerAfter)} MiB`
        )
      }
    }
  } finally {
    await sql.close()
    await cleanUp()
  }
  console.log(`\nmedian RSS MiB over ${ROUNDS} rounds (anonymous part):`)
  console.log("checkout | API ready ms | API start | API after requests | worker start | worker after events")
  const summary: Record<string, Record<string, number>> = {}
  for (const [label, list] of readings) {
    const pick = (key: Exclude<keyof Reading, "apiReadyMs">) => ({ rss: median(list.map((r) => r[key].rss)), anon: median(list.map((r) => r[key].anon)) })
    const cells = (["apiStart", "apiAfter", "workerStart", "workerAfter"] as const).map(pick)
    const readyMs = median(list.map((r) => r.apiReadyMs))
    summary[label] = { apiReadyMs: readyMs, ...Object.fromEntries((["apiStart", "apiAfter", "workerStart", "workerAfter"] as const).map((key, i) => [key, cells[i]!.rss])) }
    console.log(`${label} | ${readyMs} | ${cells.map((c) => `${c.rss} (${c.anon})`).join(" | ")}`)
  }
  console.log(`RESULT ${JSON.stringify(summary)}`)
}

await main()
