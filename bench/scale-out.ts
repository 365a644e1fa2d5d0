/**
 * The list workload (GraphQL, 20 companies with a nested field) through nginx over 1, 2 and 3 API servers of the
 * topology (scripts/topology), and straight at one API server (what nginx costs), with wrk. On a 2-core machine
 * the servers, nginx, PgBouncer, PostgreSQL and wrk share the same cores, so the gain is bounded: the figures say how
 * much a second and third server add here, not on a machine with cores for each.
 *   bun bench/scale-out.ts [--seconds=10] [--connections=32]
 */
import { parseArgs } from "node:util"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { balanceOver, primaryUrl, publicUrl, start, stop } from "../scripts/topology/index.js"

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "32" } } })
const QUERY = `{ companies(first: 20) { edges { node { id name domainName { primaryLinkUrl } employees } } } }`

const wrk = (url: string, token: string) => {
  const script = path.join(os.tmpdir(), `score-scale-${process.pid}.lua`)
  fs.writeFileSync(script, [
    `wrk.method = "POST"`,
    `wrk.headers["authorization"] = ${JSON.stringify(`Bearer ${token}`)}`,
    `wrk.headers["content-type"] = "application/json"`,
    `wrk.body = ${JSON.stringify(JSON.stringify({ query: QUERY }))}`,
    `done = function(summary, latency, requests)`,
    `  io.write(string.format("RESULT %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(99),`,
    `    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))`,
    `end`
  ].join("\n"))
  const out = Bun.spawnSync(["wrk", "-t1", `-c${values.connections}`, `-d${values.seconds}s`, "-s", script, `${url}/graphql`], { stdout: "pipe" }).stdout.toString()
  fs.rmSync(script, { force: true })
  const [requests, durationUs, p99Us, errors] = /RESULT (\d+) (\d+) (\d+) (\d+)/.exec(out)!.slice(1).map(Number) as [number, number, number, number]
  return { rps: requests / (durationUs / 1e6), p99: p99Us / 1000, errors }
}

const state = await start({ workers: 1, env: { API_RATE_LIMITING_SHORT_LIMIT: "100000000", API_RATE_LIMITING_LONG_LIMIT: "100000000", LOG_LEVEL: "Warn" } })
try {
  const created = Bun.spawnSync(["bun", "scripts/run.ts", "cli", "workspace:create", "--name", "Scale", "--email", "scale@example.com", "--password", "scale scale scale"], {
    env: { ...process.env, ...state.env, DATABASE_URL: primaryUrl(state) }, stdout: "pipe", stderr: "pipe"
  })
  const token = /(eyJ[\w-]+\.[\w-]+\.[\w-]+)/.exec(created.stdout.toString())![1]!
  for (let i = 0; i < 40; i++) {
    await fetch(`${publicUrl(state)}/rest/companies`, {
      method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `Company ${i}`, employees: i })
    })
  }
  wrk(publicUrl(state), token) // warm every server
  const rows: Array<string> = []
  const direct = wrk(`http://127.0.0.1:${state.apis[0]!.port}`, token)
  rows.push(`| one API server, no nginx | ${direct.rps.toFixed(0)} | ${direct.p99.toFixed(1)} | ${direct.errors} |`)
  for (const count of [1, 2, 3]) {
    await balanceOver(state, count)
    const result = wrk(publicUrl(state), token)
    rows.push(`| nginx → ${count} API server${count > 1 ? "s" : ""} | ${result.rps.toFixed(0)} | ${result.p99.toFixed(1)} | ${result.errors} |`)
  }
  process.stdout.write([`load average at the end: ${os.loadavg()[0]!.toFixed(1)} (${os.cpus().length} cores)`, "", "| path | req/s | p99 ms | errors |", "|---|---|---|---|", ...rows, ""].join("\n"))
} finally {
  await stop(state)
}
