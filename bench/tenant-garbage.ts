/**
 * What a cold workspace's first calls leave as garbage, phase by phase, against the same calls on a warm
 * workspace: where the touch phase's heap peak comes from.
 *
 *   BENCH_SNAPSHOT=1 BENCH_PROVISION_ONLY=1 bun bench/tenants.ts   (once: the kept tenants database)
 *   bun bench/tenant-garbage.ts [workspaces=100]     (BENCH_LOADS_ONLY=1: only the metadata loads, before and after)
 *   BENCH_SPLIT=1 bun bench/tenant-garbage.ts 100    (each first call kind alone, on its own workspaces, metadata
 *                                                     loaded in a phase before; first, second and third call, server CPU ms)
 *
 * 2026-12-05, 100 workspaces, loaded, KiB of garbage a workspace: metadata rows as `pg` decodes them (before,
 * without the interned copy) 2,700–3,300; the load as it is now (interned from pg's rows) 1,800–2,000.
 *
 * The child runs with JavaScriptCore's GC log (BUN_JSC_logGC=1); the parent sums what each collection freed
 * (its size before minus after) between the phase marks the child prints, so a phase's garbage is counted
 * whenever the collector gets to it (within a collection or so of the phase's end).
 */
import { Effect } from "effect"
import { heapStats } from "bun:jsc"
import { SqlClient } from "@effect/sql"
import { Metadata } from "../src/services/metadata/index.js"
import { loadWorkspaceMetadata } from "../src/services/metadata/read.js"
import { modelFingerprint } from "../src/services/metadata/fingerprint.js"
import type { WorkspaceMetadata } from "../src/domain/metadata.js"
import { jsonRows } from "../src/platform/lib/sql-rows.js"
import { startTestApp } from "../test/support/app.js"
import { ADMIN_DATABASE_URL } from "../test/support/database.js"

if (!process.env["BUN_JSC_logGC"]) {
  const child = Bun.spawn(["bun", import.meta.path, ...process.argv.slice(2)], {
    env: { ...process.env, BUN_JSC_logGC: "1" },
    stdout: "inherit",
    stderr: "pipe"
  })
  const phases = new Map<string, { freed: number; allocated: number; collections: number; largest: number }>()
  let lastEnd: number | null = null
  let phase = "start"
  const counts = new Map<string, number>()
  let rest = ""
  let before: number | null = null
  for await (const chunk of child.stderr as unknown as AsyncIterable<Uint8Array>) {
    rest += new TextDecoder().decode(chunk)
    const lines = rest.split("\n")
    rest = lines.pop()!
    for (const line of lines) {
      const mark = /^PHASE (\S+) (\d+)/.exec(line)
      if (mark) {
        phase = mark[1]!
        counts.set(phase, Number(mark[2]))
        continue
      }
      // [GC<..>: START M 9159kb => EdenCollection ... => 297kb, p=... (the end may come on a later line)
      const started = /START \S+ (\d+)kb => \w+Collection/.exec(line)
      if (started) before = Number(started[1])
      const ended = / => (\d+)kb, p=/.exec(line)
      if (ended && before !== null) {
        const entry = phases.get(phase) ?? { freed: 0, allocated: 0, collections: 0, largest: 0 }
        entry.freed += before - Number(ended[1])
        if (lastEnd !== null) entry.allocated += Math.max(0, before - lastEnd)
        lastEnd = Number(ended[1])
        entry.collections++
        entry.largest = Math.max(entry.largest, before)
        phases.set(phase, entry)
        before = null
      } else if (!line.startsWith("[GC") && !line.startsWith("GC END") && !line.startsWith("Requesting GC")) console.error(line)
    }
  }
  await child.exited
  console.log("phase | workspaces | garbage freed KiB a workspace | allocated KiB a workspace | collections | largest heap at a collection MiB")
  for (const [name, { freed, allocated, collections, largest }] of phases) {
    const n = counts.get(name) ?? 1
    console.log(`${name} | ${n} | ${Math.round(freed / n)} | ${Math.round(allocated / n)} | ${collections} | ${Math.round(largest / 1024)}`)
  }
  process.exit(0)
}

const COUNT = Number(process.argv[2] ?? 100)
const url = new URL(ADMIN_DATABASE_URL)
url.pathname = `/score_bench_tenants_${process.env["BENCH_SNAPSHOT_TAG"] ?? "tenants"}`
/** BENCH_SPLIT=1: one phase per first call kind (see splitPhases). */
const SPLIT = process.env["BENCH_SPLIT"] === "1"
// Split: metadata cache room for every workspace of a set (the standard model with Twenty's workflow and
// messaging objects is estimated at ~360 KiB, 32 MiB hold ~90), or the first calls would reload it.
const splitEnv = SPLIT ? { METADATA_CACHE_MAX_MB: String(Math.max(32, Math.ceil(COUNT * 0.5))) } : {}
const app = await startTestApp({
  databaseUrl: url.href,
  env: { DATABASE_POOL_SIZE: "3", ...splitEnv, ...JSON.parse(process.env["BENCH_ENV"] ?? "{}") }
})
const needed = SPLIT ? COUNT * 4 + 1 : COUNT * 3 + 1
const tenants = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ workspaceId: string; token: string }>`SELECT "workspaceId", token FROM public.bench_tenants ORDER BY n OFFSET ${Number(process.env["BENCH_OFFSET"] ?? 500)} LIMIT ${needed}`))
if (tenants.length < needed) throw new Error(`the snapshot has ${tenants.length} tenants, ${needed} needed`)

const graphql = (token: string, query: string) =>
  new Request("http://localhost/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query })
  })
const call = async (request: Request) => {
  const response = await app.handle(request)
  const body = await response.text()
  if (response.status >= 300 || body.includes("\"errors\"")) throw new Error(`${response.status} ${body.slice(0, 300)}`)
}
const calls = {
  typename: (token: string, _i: number) => call(graphql(token, `{ __typename }`)),
  create: (token: string, i: number) =>
    call(graphql(token, `mutation { createCompany(data: { name: "Garbage ${i}", employees: ${i} }) { id name } }`)),
  "graphql-list": (token: string, _i: number) =>
    call(graphql(token, `query { companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id name { firstName } } } } } } } }`)),
  "rest-list": (token: string, _i: number) =>
    call(new Request("http://localhost/rest/companies?limit=10&depth=1", { headers: { authorization: `Bearer ${token}` } }))
}
const touch = async (token: string, i: number) => {
  await calls.create(token, i)
  await calls["graphql-list"](token, i)
  await calls["rest-list"](token, i)
}
/** Starts a phase: collects what the last one left, then marks where this one's collections begin. */
const phase = (name: string, workspaces: number) => {
  Bun.gc(true)
  console.error(`PHASE ${name} ${workspaces}`)
}
const first = tenants.slice(0, COUNT)
const second = tenants.slice(COUNT, 2 * COUNT)

// The process's shared structures (the schema, documents, plans) made on one workspace first.
await touch(tenants[SPLIT ? 4 * COUNT : 2 * COUNT]!.token, -1)
phase("idle", 1)
await Bun.sleep(1_000)
/** BENCH_LOADS_ONLY=1: only the metadata loads' phases (before and after), repeated. */
const LOADS_ONLY = process.env["BENCH_LOADS_ONLY"] === "1"
/**
 * Each call kind on its own workspaces: their metadata loaded in a phase of its own (a phase's garbage is
 * collected at the next mark), then the kind's first call on each, then the same call again (warm).
 * Prints the server CPU (user + system) a call.
 */
const splitPhases = async () => {
  const cpu: Array<string> = []
  phase("empty", COUNT) // the floor: what a forced full collection frees with no work in the phase
  for (const [k, [kind, run]] of Object.entries(calls).entries()) {
    const set = tenants.slice(k * COUNT, (k + 1) * COUNT)
    phase(`load-for-${kind}`, COUNT)
    for (const { workspaceId } of set) await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
    for (const round of ["first", "second", "warm"]) {
      phase(`${round}-${kind}`, COUNT)
      const started = process.cpuUsage()
      for (const [i, { token }] of set.entries()) await run(token, i)
      const used = process.cpuUsage(started)
      cpu.push(`${round}-${kind}: ${((used.user + used.system) / 1000 / COUNT).toFixed(2)} ms CPU a call`)
    }
  }
  phase("end", 1)
  for (const line of cpu) console.log(line)
  await app.close()
  process.exit(0)
}
if (SPLIT) await splitPhases()
if (!LOADS_ONLY) {
  phase("cold-touch", COUNT)
  for (const [i, { token }] of first.entries()) await touch(token, i)
  phase("warm-touch", COUNT)
  for (const [i, { token }] of first.entries()) await touch(token, i)
  phase("metadata-load", COUNT)
  for (const { workspaceId } of second) await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
  phase("touch-after-load", COUNT)
  for (const [i, { token }] of second.entries()) await touch(token, i)
}
const third = tenants.slice(2 * COUNT + 1, 3 * COUNT + 1)
const loaded: Array<WorkspaceMetadata> = []
// Before: the rows as `pg` decodes them (the interned copy made of them then is left out).
phase("rows-load-pg", COUNT)
for (const { workspaceId } of third) {
  await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(Effect.all([
    sql`SELECT * FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", "nameSingular"`,
    sql`SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`
  ]), ([objects, fields]) => [jsonRows(objects), jsonRows(fields)])))
}
phase("rows-load", COUNT)
for (const { workspaceId } of third) loaded.push(await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => loadWorkspaceMetadata(sql, workspaceId, 0))))
phase("fingerprint", COUNT)
for (const metadata of loaded) modelFingerprint(metadata)
phase("fingerprint-again", COUNT)
for (const metadata of loaded) modelFingerprint(metadata)
// A full collection frees some 20 MiB with no work between marks: the floor under every phase's figure.
phase("empty", COUNT)
phase("end", 1)
console.log(`heap after a full collection: ${Math.round(heapStats().heapSize / 1048576)} MiB`)
await app.close()
