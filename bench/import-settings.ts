/**
 * What PostgreSQL settings and batch sizes do to the import's insert, PostgreSQL alone, side by side in one run:
 * BENCH_ROWS (default 100,000) people put by INSERT … SELECT into a fresh copy of the workspace's person table
 * (all its indexes: primary key, unique email, the three pg_trgm GIN, the rest) in batches, one transaction
 * each, as the import job does; per variant the wall time and the backend's CPU per row (from /proc), rounds
 * rotating through the variants so machine load falls on all of them.
 *
 *   bun bench/import-settings.ts            # BENCH_ROUNDS=2
 *
 * The GIN pending-list variant also times the VACUUM that empties the pending list (its deferred cost).
 * It creates its own database and drops it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { SQL } from "bun"
import { ADMIN_URL, dropDatabase, withAdmin } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const ROWS = Number(process.env["BENCH_ROWS"] ?? 100_000)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 2)
const database = `score_bench_impset_${crypto.randomUUID().slice(0, 8)}`
const url = new URL(ADMIN_URL)
url.pathname = `/${database}`
const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100
const cpuMs = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}

const VARIANTS: Record<string, { batch: number; set: ReadonlyArray<string>; vacuum?: boolean }> = {
  "20,000 a batch (the job's)": { batch: 20_000, set: [] },
  "synchronous_commit off": { batch: 20_000, set: ["SET LOCAL synchronous_commit = off"] },
  "gin_pending_list_limit 64MB (+ VACUUM)": { batch: 20_000, set: ["SET LOCAL gin_pending_list_limit = '64MB'"], vacuum: true },
  "50,000 a batch": { batch: 50_000, set: [] },
  "5,000 a batch (with events)": { batch: 5_000, set: [] }
}

const main = async () => {
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${database}`))
  const env = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/root", DATABASE_URL: url.href, APP_SECRET: "bench-import-secret-bench-import-secret-0123", LOG_LEVEL: "Error" }
  const cli = Bun.spawnSync(["bun", "scripts/run.ts", "cli", "workspace:create", "--name", "B", "--email", "b@example.com", "--password", "a long bench password"], { cwd: ROOT, env })
  if (cli.exitCode !== 0) throw new Error(`workspace:create failed: ${cli.stderr}`)
  const sql = new SQL({ url: url.href, max: 1 })
  try {
    const [{ schema }] = await sql`SELECT table_schema AS schema FROM information_schema.tables
      WHERE table_name = 'person' AND table_schema LIKE 'workspace_%' LIMIT 1`
    const [{ pid }] = await sql`SELECT pg_backend_pid() AS pid`
    await sql.unsafe(`CREATE UNLOGGED TABLE source AS SELECT i, 'First' || i AS first, 'Last' || i AS last,
      'person' || i || '@example.com' AS email, 'Engineer' AS job, 'City ' || (i % 500) AS city FROM generate_series(1, ${ROWS}) i`)
    const seen: Record<string, Array<{ wall: number; cpu: number; vacuum: number }>> = {}
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, variant] of Object.entries(VARIANTS)) {
        await sql.unsafe(`DROP TABLE IF EXISTS target; CREATE TABLE target (LIKE "${schema}".person INCLUDING ALL)`)
        const cpu = cpuMs(pid)
        const started = performance.now()
        for (let from = 1; from <= ROWS; from += variant.batch) {
          await sql.begin(async (tx) => {
            for (const statement of variant.set) await tx.unsafe(statement)
            await tx.unsafe(`INSERT INTO target ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", city)
              SELECT first, last, email, job, city FROM source WHERE i BETWEEN ${from} AND ${from + variant.batch - 1}`)
          })
        }
        const wall = performance.now() - started
        const used = cpuMs(pid) - cpu
        let vacuum = 0
        if (variant.vacuum) {
          const before = cpuMs(pid)
          await sql.unsafe("VACUUM target")
          vacuum = cpuMs(pid) - before
        }
        ;(seen[name] ??= []).push({ wall, cpu: used, vacuum })
        console.error(`[round ${round + 1}] ${name}: ${(wall / 1000).toFixed(1)} s, ${(used * 1000 / ROWS).toFixed(1)} µs/row`)
      }
    }
    const width = Math.max(...Object.keys(seen).map((k) => k.length))
    console.log(`${ROWS.toLocaleString("en")} people into a copy of person, ${ROUNDS} round(s); PostgreSQL CPU per row (each round), wall`)
    for (const [name, runs] of Object.entries(seen)) {
      const cpu = runs.map((r) => (r.cpu * 1000 / ROWS).toFixed(1) + (r.vacuum > 0 ? ` + ${(r.vacuum * 1000 / ROWS).toFixed(1)}` : "")).join(" / ")
      console.log(`${name.padEnd(width)}  ${cpu} µs; ${runs.map((r) => (r.wall / 1000).toFixed(1)).join(" / ")} s`)
    }
  } finally {
    await sql.close()
  }
}

main().finally(() => dropDatabase(database)).catch((error) => {
  console.error(error)
  process.exit(1)
})
