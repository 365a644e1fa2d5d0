/**
 * What one workspace kept in the caches costs: the live heap after touching N and then 2N workspaces of the
 * kept tenants snapshot (BENCH_SNAPSHOT=1 bun bench/tenants.ts), with room in the metadata cache for all of
 * them, divided by N. First their metadata alone (Metadata.get), then the touches' calls (create, nested
 * list, REST list), so the metadata and what the calls derive from it are told apart.
 *
 *   bun bench/workspace-cost.ts [N=100]     (BENCH_KIND=create|list|rest: only that call in the "derive" phase)
 *
 * 2026-12-06, standard model (28 objects, 467 fields), KiB a workspace: before, metadata 197, derived 150 (REST
 * list 118), touched 306; after object-literal rows and plans shared by model, 150, 87 (REST list 57), 212.
 */
import { Effect } from "effect"
import { heapStats } from "bun:jsc"
import { SqlClient } from "@effect/sql"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp } from "../test/support/app.js"
import { ADMIN_DATABASE_URL } from "../test/support/database.js"

const N = Number(process.argv[2] ?? 100)
const url = new URL(ADMIN_DATABASE_URL)
url.pathname = `/score_bench_tenants_${process.env["BENCH_SNAPSHOT_TAG"] ?? "tenants"}`
const app = await startTestApp({ databaseUrl: url.href, env: { DATABASE_POOL_SIZE: "3", METADATA_CACHE_MAX_MB: "4096", ...JSON.parse(process.env["BENCH_ENV"] ?? "{}") } })
const tenants = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ workspaceId: string; token: string }>`SELECT "workspaceId", token FROM public.bench_tenants ORDER BY n LIMIT ${4 * N + 1}`))

const call = async (request: Request) => {
  const response = await app.handle(request)
  const body = await response.text()
  if (response.status >= 300 || body.includes("\"errors\"")) throw new Error(`${response.status} ${body.slice(0, 300)}`)
}
const graphql = (token: string, query: string) =>
  new Request("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) })
const touch = async (token: string, i: number) => {
  await call(graphql(token, `mutation { createCompany(data: { name: "Cost ${i}", employees: ${i} }) { id name } }`))
  await call(graphql(token, `query { companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id name { firstName } } } } } } } }`))
  await call(new Request("http://localhost/rest/companies?limit=10&depth=1", { headers: { authorization: `Bearer ${token}` } }))
}
const heap = () => {
  Bun.gc(true)
  Bun.gc(true)
  return heapStats().heapSize
}
const KiB = (bytes: number) => Math.round(bytes / 1024)
// Shared structures (schema, documents, plans) first, on a workspace of its own.
await touch(tenants[4 * N]!.token, -1)
const loads = async (from: number, to: number) => {
  for (let i = from; i < to; i++) await app.run(Effect.flatMap(Metadata, (m) => m.get(tenants[i]!.workspaceId)))
}
const touches = async (from: number, to: number) => {
  for (let i = from; i < to; i++) await touch(tenants[i]!.token, i)
}
// Within the memos' 10 s, then after them: what the caches keep, not what the last calls left.
const settled = async () => {
  await Bun.sleep(11_000)
  return heap()
}
const h0 = await settled()
await loads(0, N)
const h1 = await settled()
await loads(N, 2 * N)
const h2 = await settled()
// The calls on workspaces whose metadata is kept: what they derive from it alone.
const snapshots = process.env["BENCH_HEAP_SNAPSHOT"]
if (snapshots) await Bun.write(`${snapshots}-loaded.heapsnapshot`, Bun.generateHeapSnapshot("v8"))
// BENCH_KIND=create|list|rest: only that call on them.
const kind = process.env["BENCH_KIND"]
const only = async (from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const token = tenants[i]!.token
    if (kind === "create") await call(graphql(token, `mutation { createCompany(data: { name: "Cost ${i}", employees: ${i} }) { id name } }`))
    if (kind === "list") await call(graphql(token, `query { companies(first: 10) { edges { node { id name people(first: 5) { edges { node { id name { firstName } } } } } } } }`))
    if (kind === "rest") await call(new Request("http://localhost/rest/companies?limit=10&depth=1", { headers: { authorization: `Bearer ${token}` } }))
  }
}
await (kind ? only(N, 2 * N) : touches(N, 2 * N))
const h2t = await settled()
if (snapshots) await Bun.write(`${snapshots}-derived.heapsnapshot`, Bun.generateHeapSnapshot("v8"))
await touches(2 * N, 3 * N)
const h3 = await settled()
// BENCH_HEAP_SNAPSHOT=prefix: snapshots before and after the last N touched (bench/heap-summary.ts each, and compare).
if (snapshots) await Bun.write(`${snapshots}-before.heapsnapshot`, Bun.generateHeapSnapshot("v8"))
await touches(3 * N, 4 * N)
const h4 = await settled()
if (snapshots) await Bun.write(`${snapshots}-after.heapsnapshot`, Bun.generateHeapSnapshot("v8"))
console.log(`heap MiB: start ${(h0 / 1048576).toFixed(1)}, +${N} loads ${(h1 / 1048576).toFixed(1)}, +${2 * N} ${(h2 / 1048576).toFixed(1)}, +${N} touched ${(h3 / 1048576).toFixed(1)}, +${2 * N} touched ${(h4 / 1048576).toFixed(1)}`)
console.log(`KiB a workspace: metadata kept ${KiB((h2 - h1) / N)} (first ${N}: ${KiB((h1 - h0) / N)}), what the calls derive from it ${KiB((h2t - h2) / N)}, touched (metadata and what the calls keep) ${KiB((h4 - h3) / N)}`)
await app.close()
process.exit(0)
