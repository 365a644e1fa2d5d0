/**
 * Bulk import and export benchmark, through the real server (`bun scripts/run.ts main` on PostgreSQL, jobs
 * in-process on the memory queue):
 *
 *   bun bench/import.ts                 # 1,000,000 people
 *   BENCH_ROWS=100000 bun bench/import.ts
 *   BENCH_PROFILE=/tmp/prof bun bench/import.ts   # and the server's CPU profile (markdown) written there
 *   BENCH_EXPORTS=0 bun bench/import.ts           # without step 4
 *
 * 1. 1,000 companies imported (JSON lines), so people can link to them by their unique domain;
 * 2. BENCH_ROWS people uploaded as one streamed CSV (name, email, job title, city, company by domain), bulk
 *    mode (no per-record events): upload (parse + COPY to staging) and job (checks, COPY, INSERT … SELECT)
 *    timed apart, the job's own split of its time read from the server's log;
 * 3. 20,000 people imported with their `created` events, for what the events cost;
 * 4. every person exported as CSV then as JSON lines, streamed, with the server's peak RSS sampled;
 * 5. the floors, in the same run: the same CSV streamed by COPY into a plain six-column table, then those
 *    rows put by one INSERT … SELECT into a copy of the workspace's person table with all its indexes, and
 *    the same rows COPYed straight into another such copy.
 * CPU used by the server, by its PostgreSQL backends and by the rest of the machine is read from /proc for
 * steps 2 and 4, and for step 2 split at the upload's answer (upload, then job): on a shared machine, CPU
 * per row says more than rows per second.
 * Everything it starts it stops: the server (SIGTERM, SIGKILL after 15 s) and the database (dropped).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SQL } from "bun"
import * as Pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { ADMIN_URL, collect, dropDatabase, freePort, healthy, withAdmin } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const ROWS = Number(process.env["BENCH_ROWS"] ?? 1_000_000)
const COMPANIES = 1_000
const APP_SECRET = "bench-import-secret-bench-import-secret-0123"
const began = performance.now()
const progress = (message: string) => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${message}`)

const database = `score_bench_import_${crypto.randomUUID().slice(0, 8)}`
const url = `postgres://postgres@127.0.0.1:5432/${database}`
const port = freePort()
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !["REDIS_URL", "DATA_DIR", "PORT"].includes(k))),
  DATABASE_URL: url,
  APP_SECRET,
  HOST: "127.0.0.1",
  PORT: String(port),
  LOG_LEVEL: "Info",
  DATABASE_POOL_SIZE: "3",
  DATABASE_STATEMENT_TIMEOUT: "300s",
  API_RATE_LIMITING_SHORT_LIMIT: "1000000",
  API_RATE_LIMITING_LONG_LIMIT: "1000000"
}

const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100
const processCpuMs = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}
const machineBusyMs = () => {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  return ((line.slice(0, 8).reduce((a, b) => a + b, 0) - line[3]! - line[4]!) * 1000) / CLOCK_TICKS
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024

let server: Bun.Subprocess<"ignore", "pipe", "pipe"> | null = null
const log = { text: "" }

const cleanUp = async () => {
  await admin?.close().catch(() => undefined)
  if (server && server.exitCode === null) {
    server.kill("SIGTERM")
    const timer = setTimeout(() => server?.kill("SIGKILL"), 15_000)
    await server.exited
    clearTimeout(timer)
  }
  await dropDatabase(database).catch(() => undefined)
}

/** CPU of this database's PostgreSQL backends (the server's connections), by pid, sampled while a step runs. */
const backendCpu = new Map<number, { first: number; last: number }>()
let admin: SQL | null = null
const sampleBackends = async () => {
  admin ??= new SQL({ url: ADMIN_URL, max: 1 })
  const pids = await admin`SELECT pid FROM pg_stat_activity WHERE datname = ${database}`.catch(() => []) as Array<{ pid: number }>
  for (const { pid } of pids) {
    try {
      const now = processCpuMs(pid)
      const seen = backendCpu.get(pid)
      backendCpu.set(pid, { first: seen?.first ?? now, last: now })
    } catch {
      // the backend ended between the query and the read
    }
  }
}
const backendTotal = () => [...backendCpu.values()].reduce((sum, { first, last }) => sum + last - first, 0)

const measured = async <A>(pid: number, body: () => Promise<A>) => {
  const cpu = processCpuMs(pid)
  const busy = machineBusyMs()
  backendCpu.clear()
  await sampleBackends()
  const sampler = setInterval(() => void sampleBackends().catch(() => undefined), 500)
  const started = performance.now()
  const result = await body()
  const wall = performance.now() - started
  clearInterval(sampler)
  await sampleBackends()
  const serverCpu = processCpuMs(pid) - cpu
  return { result, wall, serverCpu, postgresCpu: backendTotal(), otherCpu: machineBusyMs() - busy - serverCpu - backendTotal() }
}

const upload = async (token: string, plural: string, query: string, body: ReadableStream<Uint8Array>) => {
  const response = await fetch(`http://127.0.0.1:${port}/rest/${plural}/import?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body
  })
  const answer = await response.json() as any
  if (response.status !== 202) throw new Error(`import refused: ${response.status} ${JSON.stringify(answer)}`)
  return answer.data.import.id as string
}

const finished = async (token: string, id: string) => {
  while (true) {
    const response = await fetch(`http://127.0.0.1:${port}/rest/imports/${id}?errors_limit=3`, { headers: { authorization: `Bearer ${token}` } })
    // A loaded machine can keep the pool's last connection from a poll past DATABASE_CONNECT_TIMEOUT (503): poll again.
    if (response.status === 503) {
      await response.arrayBuffer()
      await Bun.sleep(500)
      continue
    }
    const run = ((await response.json()) as any).data.import
    if (run.status === "COMPLETED" || run.status === "FAILED") return run
    await Bun.sleep(100)
  }
}

const lines = (count: number, line: (i: number) => string, header?: string) => {
  const encoder = new TextEncoder()
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= count) return controller.close()
      let chunk = i === 0 && header ? `${header}\n` : ""
      for (const end = Math.min(count, i + 2_000); i < end; i++) chunk += `${line(i)}\n`
      controller.enqueue(encoder.encode(chunk))
    }
  })
}

const person = (i: number) =>
  `First${i},Last${i},person${i}@example.com,Engineer,City ${i % 500},https://company${i % COMPANIES}.example`

/** The floors: raw COPY of the same CSV into a plain table, then an INSERT … SELECT into a copy of person (its indexes). */
const floors = async (rows: number, header: string) => {
  const client = new Pg.Client({ connectionString: url })
  await client.connect()
  try {
    const [{ pid }] = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }]
    const { rows: [{ schema }] } = await client.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'person' AND table_schema LIKE 'workspace_%' LIMIT 1`) as any
    await client.query(`CREATE TABLE floor_people (first text, last text, email text, job text, city text, site text)`)
    const cpu = processCpuMs(pid)
    let started = performance.now()
    const body = Readable.from((async function*() {
      for await (const chunk of lines(rows, person, header) as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk)
    })())
    await pipeline(body, client.query(copyFrom(`COPY floor_people FROM STDIN WITH (FORMAT csv, HEADER true)`)))
    const copy = { wall: performance.now() - started, postgresCpu: processCpuMs(pid) - cpu }
    await client.query(`CREATE TABLE floor_person (LIKE "${schema}".person INCLUDING ALL)`)
    const insertCpu = processCpuMs(pid)
    started = performance.now()
    await client.query(`INSERT INTO floor_person ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", city)
      SELECT first, last, email, job, city FROM floor_people`)
    const insert = { wall: performance.now() - started, postgresCpu: processCpuMs(pid) - insertCpu }
    // The same rows (less the company link) COPYed straight into another copy of person: COPY's own floor.
    await client.query(`CREATE TABLE floor_person_copy (LIKE "${schema}".person INCLUDING ALL)`)
    const copyIndexedCpu = processCpuMs(pid)
    started = performance.now()
    const withoutSite = Readable.from((async function*() {
      const line = (i: number) => person(i).slice(0, person(i).lastIndexOf(","))
      for await (const chunk of lines(rows, line) as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk)
    })())
    await pipeline(withoutSite, client.query(copyFrom(
      `COPY floor_person_copy ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", city) FROM STDIN WITH (FORMAT csv)`)))
    const copyIndexed = { wall: performance.now() - started, postgresCpu: processCpuMs(pid) - copyIndexedCpu }
    await client.query(`DROP TABLE floor_people, floor_person, floor_person_copy`)
    return { copy, insert, copyIndexed }
  } finally {
    await client.end()
  }
}

const main = async () => {
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${database}`))
  progress(`database ${database}; server on port ${port}`)
  server = Bun.spawn(["bun", ...(process.env["BENCH_PROFILE"] ? ["--cpu-prof-md", `--cpu-prof-dir=${process.env["BENCH_PROFILE"]}`] : []), "scripts/run.ts", "main"], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" })
  collect(server.stdout, log)
  collect(server.stderr, log)
  const ready = performance.now()
  while (!(await healthy(port))) {
    if (server.exitCode !== null || performance.now() - ready > 60_000) throw new Error(`server not ready:\n${log.text}`)
    await Bun.sleep(50)
  }
  const cli = Bun.spawnSync(["bun", "scripts/run.ts", "cli", "workspace:create", "--name", "Bench", "--email", "bench@example.com", "--password", "a long bench password"], { cwd: ROOT, env })
  const token = /\n(eyJ[^\s]+)\n/.exec(cli.stdout.toString())?.[1]
  if (!token) throw new Error(`workspace:create failed:\n${cli.stdout}${cli.stderr}`)
  const pid = server.pid

  const companies = await finished(token, await upload(token, "companies", "format=jsonl&emit_events=false",
    lines(COMPANIES, (i) => JSON.stringify({ name: `Company ${i}`, domainName: { primaryLinkUrl: `https://company${i}.example` } }))))
  progress(`${companies.createdRows} companies imported`)

  const header = "name.firstName,name.lastName,emails.primaryEmail,jobTitle,city,company.domainName.primaryLinkUrl"
  let uploadMs = 0
  let uploadCpu = { server: 0, postgres: 0 }
  let importPeakRss = rssMb(pid)
  const importSampler = setInterval(() => (importPeakRss = Math.max(importPeakRss, rssMb(pid))), 100)
  const bulk = await measured(pid, async () => {
    const started = performance.now()
    const serverBefore = processCpuMs(pid)
    const id = await upload(token, "people", "format=csv&emit_events=false", lines(ROWS, person, header))
    uploadMs = performance.now() - started
    await sampleBackends()
    uploadCpu = { server: processCpuMs(pid) - serverBefore, postgres: backendTotal() }
    progress(`${ROWS} people uploaded and staged in ${(uploadMs / 1000).toFixed(1)} s; job running`)
    return finished(token, id)
  })
  clearInterval(importSampler)
  const jobLine = log.text.split("\n").reverse().find((l) => l.includes(`Import ${bulk.result.id}`)) ?? ""
  progress(`bulk import: ${JSON.stringify({ ...bulk.result, errors: bulk.result.errors.length })}`)

  const EVENT_ROWS = 20_000
  const withEvents = await measured(pid, () =>
    upload(token, "people", "format=csv", lines(EVENT_ROWS, (i) => person(ROWS + i), header)).then((id) => finished(token, id)))

  const exportAll = async (format: string) => {
    if (process.env["BENCH_EXPORTS"] === "0") return { result: { bytes: 0, newlines: 1 }, wall: 1, serverCpu: 0, postgresCpu: 0, otherCpu: 0, peakRssMb: 0 }
    let peak = rssMb(pid)
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100)
    const run = await measured(pid, async () => {
      const response = await fetch(`http://127.0.0.1:${port}/rest/people/export?format=${format}`, { headers: { authorization: `Bearer ${token}` } })
      let bytes = 0
      let newlines = 0
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength
        for (const byte of chunk) if (byte === 10) newlines++
      }
      return { bytes, newlines }
    })
    clearInterval(sampler)
    return { ...run, peakRssMb: peak }
  }
  const rssBefore = rssMb(pid)
  const csv = await exportAll("csv")
  const jsonl = await exportAll("jsonl")
  progress("exports done; floors")
  const floor = await floors(ROWS, header)

  const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString("en")} rows/s`
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const table: Array<[string, string]> = [
    [`bulk import of ${ROWS.toLocaleString("en")} people (upload → COMPLETED)`, `${s(bulk.wall)}, ${rate(ROWS, bulk.wall)}`],
    ["  upload: parse + COPY to staging (until 202)", s(uploadMs)],
    ["  job (server log)", jobLine.replace(/^.*Import [0-9a-f-]+: /, "").replace(/".*$/, "")],
    ["  CPU: server / its PostgreSQL backends / rest of machine (other work)", `${s(bulk.serverCpu)} / ${s(bulk.postgresCpu)} / ${s(bulk.otherCpu)}`],
    ["  CPU per row: server + PostgreSQL", `${((bulk.serverCpu + bulk.postgresCpu) * 1000 / ROWS).toFixed(1)} µs`],
    ["    upload: server + PostgreSQL", `${(uploadCpu.server * 1000 / ROWS).toFixed(1)} + ${(uploadCpu.postgres * 1000 / ROWS).toFixed(1)} µs`],
    ["    job: server + PostgreSQL", `${((bulk.serverCpu - uploadCpu.server) * 1000 / ROWS).toFixed(1)} + ${((bulk.postgresCpu - uploadCpu.postgres) * 1000 / ROWS).toFixed(1)} µs`],
    ["  server peak RSS during the import", `${importPeakRss.toFixed(0)} MB`],
    ["floor: COPY of the same CSV into a plain table", `${s(floor.copy.wall)}, ${rate(ROWS, floor.copy.wall)}, PostgreSQL CPU ${(floor.copy.postgresCpu * 1000 / ROWS).toFixed(1)} µs/row`],
    ["floor: INSERT … SELECT of those rows into a copy of person (its indexes)", `${s(floor.insert.wall)}, ${rate(ROWS, floor.insert.wall)}, PostgreSQL CPU ${(floor.insert.postgresCpu * 1000 / ROWS).toFixed(1)} µs/row`],
    ["floor: COPY of the same rows straight into a copy of person (its indexes)", `${s(floor.copyIndexed.wall)}, ${rate(ROWS, floor.copyIndexed.wall)}, PostgreSQL CPU ${(floor.copyIndexed.postgresCpu * 1000 / ROWS).toFixed(1)} µs/row`],
    [`import of ${EVENT_ROWS.toLocaleString("en")} people with created events`, `${s(withEvents.wall)}, ${rate(EVENT_ROWS, withEvents.wall)}`],
    [`CSV export (${(csv.result.newlines - 1).toLocaleString("en")} rows, ${(csv.result.bytes / 1e6).toFixed(0)} MB)`, `${s(csv.wall)}, ${rate(csv.result.newlines - 1, csv.wall)}`],
    [`JSON-lines export (${jsonl.result.newlines.toLocaleString("en")} rows)`, `${s(jsonl.wall)}, ${rate(jsonl.result.newlines, jsonl.wall)}`],
    ["  CPU (CSV): server / its PostgreSQL backends", `${s(csv.serverCpu)} / ${s(csv.postgresCpu)}`],
    ["server RSS before exports / peak during CSV / JSON lines", `${rssBefore.toFixed(0)} / ${csv.peakRssMb.toFixed(0)} / ${jsonl.peakRssMb.toFixed(0)} MB`]
  ]
  table.push(["machine load average (1 min) at the end; other work shares the 2 cores", os.loadavg()[0]!.toFixed(1)])
  const width = Math.max(...table.map(([k]) => k.length))
  for (const [k, v] of table) console.log(`${k.padEnd(width)}  ${v}`)
  console.log(`RESULT ${JSON.stringify({
    rows: ROWS,
    importRowsPerSecond: Math.round(ROWS / (bulk.wall / 1000)),
    uploadMs: Math.round(uploadMs),
    cpuMicrosPerRow: Number(((bulk.serverCpu + bulk.postgresCpu) * 1000 / ROWS).toFixed(1)),
    uploadCpuMicrosPerRow: Number(((uploadCpu.server + uploadCpu.postgres) * 1000 / ROWS).toFixed(1)),
    importMs: Math.round(bulk.wall),
    importPeakRssMb: Math.round(importPeakRss),
    floorCopyRowsPerSecond: Math.round(ROWS / (floor.copy.wall / 1000)),
    floorInsertRowsPerSecond: Math.round(ROWS / (floor.insert.wall / 1000)),
    floorCopyIndexedRowsPerSecond: Math.round(ROWS / (floor.copyIndexed.wall / 1000)),
    eventsRowsPerSecond: Math.round(EVENT_ROWS / (withEvents.wall / 1000)),
    csvExportRowsPerSecond: Math.round((csv.result.newlines - 1) / (csv.wall / 1000)),
    jsonlExportRowsPerSecond: Math.round(jsonl.result.newlines / (jsonl.wall / 1000)),
    peakRssMb: Math.round(Math.max(csv.peakRssMb, jsonl.peakRssMb))
  })}`)
}

const watchdog = setTimeout(() => {
  progress("watchdog: aborting after 20 minutes")
  void cleanUp().then(() => process.exit(1))
}, 20 * 60_000)
main().then(
  async () => {
    clearTimeout(watchdog)
    await cleanUp()
  },
  async (error) => {
    console.error(error)
    console.error(`server exit: ${server?.exitCode ?? "running"} ${server?.signalCode ?? ""}; log (last 3,000 characters):\n${log.text.slice(-3_000)}`)
    clearTimeout(watchdog)
    await cleanUp()
    process.exit(1)
  }
)
