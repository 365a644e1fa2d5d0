/**
 * The topology (scripts/topology) under a constant mixed load through nginx, broken one part at a time:
 *   1. an API server SIGKILLed, then restarted       4. the PostgreSQL replica stopped, then restarted
 *   2. a rolling restart of every API server         5. a Redis Cluster master SIGKILLed (its replica promoted)
 *   3. a worker SIGKILLed mid-job, then restarted
 * Prints per phase: requests, failed requests, read-your-writes misses, recovery time; at the end, acknowledged
 * writes lost (checked on the primary) and jobs lost (acknowledged creates whose webhook never arrived).
 *   bun bench/chaos.ts [--phases=1,2,3,4,5] [--seconds=12] [--concurrency=8]
 */
import { SQL } from "bun"
import { parseArgs } from "node:util"
import {
  killApi, killRedisMaster, killWorker, primaryUrl, publicUrl, restartApi, restartRedisNode, restartWorker,
  rollingRestart, start, startReplica, stop, stopReplica, type TopologyState
} from "../scripts/topology/index.js"
import { freePort } from "./support.js"

const { values } = parseArgs({
  options: { phases: { type: "string", default: "1,2,3,4,5" }, seconds: { type: "string", default: "12" }, concurrency: { type: "string", default: "8" } }
})
const PHASE_SECONDS = Number(values.seconds)
const CONCURRENCY = Number(values.concurrency)

interface PhaseStats { requests: number; failed: number; rywMisses: number; errors: Map<string, number> }
const newStats = (): PhaseStats => ({ requests: 0, failed: 0, rywMisses: 0, errors: new Map() })
let stats = newStats()
const acknowledged: Array<string> = []
const delivered = new Set<string>()
const phaseStarts: Array<[string, number]> = []

// Webhook receiver: every company.created delivery names the record.
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: freePort(),
  fetch: async (request) => {
    const body = (await request.json()) as { record?: { id?: string } }
    if (body.record?.id) delivered.add(body.record.id)
    return new Response("ok")
  }
})

const state: TopologyState = await start({
  env: {
    API_RATE_LIMITING_SHORT_LIMIT: "1000000", API_RATE_LIMITING_LONG_LIMIT: "1000000",
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true", LOG_LEVEL: "Warn"
  }
})
const base = publicUrl(state)
process.stdout.write(`topology up: ${base}; net.ipv4.tcp_migrate_req ${state.requestMigration ? "on" : "off"}\n`)

const exit = async (code: number) => {
  await stop(state).catch((e) => process.stderr.write(`stop: ${e}\n`))
  receiver.stop(true)
  process.exit(code)
}
process.once("SIGINT", () => void exit(130))

try {
  const created = Bun.spawnSync(["bun", "scripts/run.ts", "cli", "workspace:create", "--name", "Chaos", "--email", "chaos@example.com", "--password", "chaos chaos chaos"], {
    env: { ...process.env, ...state.env, DATABASE_URL: primaryUrl(state) }, stdout: "pipe", stderr: "pipe"
  })
  const apiKey = /(eyJ[\w-]+\.[\w-]+\.[\w-]+)/.exec(created.stdout.toString())?.[1]
  if (!apiKey) throw new Error(`workspace:create: ${created.stdout}${created.stderr}`)
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }
  const hook = await fetch(`${base}/metadata`, {
    method: "POST", headers,
    body: JSON.stringify({ query: `mutation($u: String!) { createWebhook(input: { targetUrl: $u, operations: ["company.created"] }) { id } }`, variables: { u: `http://127.0.0.1:${receiver.port}/` } })
  }).then((r) => r.json()) as any
  if (!hook.data?.createWebhook?.id) throw new Error(`createWebhook: ${JSON.stringify(hook)}`)

  const note = (what: string) => stats.errors.set(what, (stats.errors.get(what) ?? 0) + 1)
  const call = async (path: string, init: RequestInit) => {
    stats.requests++
    try {
      const response = await fetch(`${base}${path}`, { ...init, headers, signal: AbortSignal.timeout(20_000) })
      const body = await response.json().catch(() => null) as any
      if (response.status >= 500 || response.status === 0) {
        stats.failed++
        note(`${response.status}`)
        return null
      }
      return body
    } catch (error) {
      stats.failed++
      note((error as Error).name)
      return null
    }
  }

  let running = true
  let n = 0
  const loop = async () => {
    while (running) {
      if (n++ % 3 === 0) {
        const body = await call("/rest/companies", { method: "POST", body: JSON.stringify({ name: `chaos ${crypto.randomUUID()}` }) })
        const id = body?.data?.createCompany?.id
        if (!id) continue
        acknowledged.push(id)
        // Read-your-writes: the next list, through the balancer (any API server, maybe the replica), sees it.
        const list = await call("/graphql", { method: "POST", body: JSON.stringify({ query: `query($id: UUID) { companies(filter: { id: { eq: $id } }) { edges { node { id } } } }`, variables: { id } }) })
        if (list && list.data?.companies?.edges?.length !== 1) stats.rywMisses++
      } else {
        await call("/graphql", { method: "POST", body: JSON.stringify({ query: `{ companies(first: 20) { edges { node { id name } } } }` }) })
      }
    }
  }
  const loops = Array.from({ length: CONCURRENCY }, loop)

  const sleep = (s: number) => Bun.sleep(s * 1000)
  const until = async (check: () => Promise<boolean>, timeoutS = 60) => {
    const t0 = performance.now()
    while (!(await check()) && performance.now() - t0 < timeoutS * 1000) await Bun.sleep(100)
    return (performance.now() - t0) / 1000
  }
  const apiHealthy = (i: number) => fetch(`http://127.0.0.1:${state.apis[i]!.port}/healthz`).then((r) => r.ok, () => false)

  const phases: Record<string, { name: string; run: () => Promise<string> }> = {
    "0": { name: "steady", run: async () => { await sleep(PHASE_SECONDS); return "" } },
    "1": { name: "API server SIGKILLed + restarted", run: async () => {
      await sleep(2); killApi(state, 0); const t0 = performance.now()
      await sleep(3); await restartApi(state, 0)
      const back = (performance.now() - t0) / 1000
      await sleep(Math.max(0, PHASE_SECONDS - 5)); return `back in ${back.toFixed(1)} s (3 s down by design)`
    } },
    "2": { name: "rolling restart of every API server", run: async () => {
      const t0 = performance.now(); await rollingRestart(state)
      return `took ${((performance.now() - t0) / 1000).toFixed(1)} s`
    } },
    "3": { name: "worker SIGKILLed mid-job + restarted", run: async () => {
      await sleep(2); killWorker(state, 0); await sleep(3); await restartWorker(state, 0)
      await sleep(Math.max(0, PHASE_SECONDS - 5)); return ""
    } },
    "4": { name: "replica stopped + restarted", run: async () => {
      await sleep(2); stopReplica(state); await sleep(4); startReplica(state)
      await sleep(Math.max(0, PHASE_SECONDS - 6)); return ""
    } },
    "5": { name: "Redis Cluster master SIGKILLed", run: async () => {
      await sleep(2); const port = killRedisMaster(state); const t0 = performance.now()
      const recovered = await until(async () => (await apiHealthy(0)) && (await apiHealthy(1)), 30)
      await sleep(Math.max(0, PHASE_SECONDS - 2 - recovered)); restartRedisNode(state, port)
      return `killed :${port}; API servers healthy ${((performance.now() - t0) / 1000).toFixed(1)} s later`
    } }
  }

  const rows: Array<string> = []
  for (const id of ["0", ...values.phases!.split(",")]) {
    const phase = phases[id.trim()]
    if (!phase) continue
    stats = newStats()
    phaseStarts.push([id.trim(), acknowledged.length])
    const t0 = performance.now()
    const detail = await phase.run()
    const seconds = (performance.now() - t0) / 1000
    const errors = [...stats.errors].map(([k, v]) => `${k}×${v}`).join(" ")
    rows.push(`| ${id} ${phase.name} | ${seconds.toFixed(0)} s | ${stats.requests} | ${(stats.requests / seconds).toFixed(0)} | ${stats.failed}${errors ? ` (${errors})` : ""} | ${stats.rywMisses} | ${detail} |`)
    process.stdout.write(rows.at(-1)! + "\n")
  }
  running = false
  await Promise.all(loops)

  // Acknowledged writes on the primary; webhooks for each (jobs), waiting for the queue to drain.
  const sql = new SQL(primaryUrl(state), { max: 1 })
  const [{ schema }] = await sql`SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'workspace_%' LIMIT 1`
  const stored = new Set((await sql.unsafe(`SELECT id::text FROM "${schema}".company WHERE id = ANY($1::uuid[])`, [acknowledged])).map((r: any) => r.id))
  await sql.close()
  // Waits for the webhooks until every one arrived, or none arrived for 30 s (what is missing then is lost).
  const drained = await (async () => {
    const t0 = performance.now()
    let lastCount = -1
    let lastChange = t0
    while (acknowledged.some((id) => !delivered.has(id)) && performance.now() - lastChange < 30_000) {
      if (delivered.size !== lastCount) {
        lastCount = delivered.size
        lastChange = performance.now()
        process.stdout.write(`  webhooks: ${delivered.size} of ${acknowledged.length} after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
      }
      await Bun.sleep(500)
    }
    return (performance.now() - t0) / 1000
  })()
  const lost = acknowledged.filter((id) => !stored.has(id)).length
  const missing = acknowledged.filter((id) => !delivered.has(id))
  const jobsLost = missing.length
  // Which phase wrote the records whose webhook never came.
  const position = new Map(acknowledged.map((id, i) => [id, i]))
  const phaseOf = (id: string) => {
    let phase = "?"
    for (const [name, start] of phaseStarts) if (position.get(id)! >= start) phase = name
    return phase
  }
  const lostByPhase = new Map<string, number>()
  for (const id of missing) lostByPhase.set(phaseOf(id), (lostByPhase.get(phaseOf(id)) ?? 0) + 1)
  process.stdout.write([
    "",
    "| phase | length | requests | req/s | failed | read-your-writes misses | notes |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `acknowledged creates: ${acknowledged.length}; lost: ${lost}; webhooks missing after ${drained.toFixed(1)} s: ${jobsLost}` +
      (jobsLost ? ` (by phase of the write: ${[...lostByPhase].map(([p, n]) => `${p}: ${n}`).join(", ")})` : ""),
    ""
  ].join("\n"))
  await exit(0)
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? error}\n`)
  await exit(1)
}
