/**
 * Permissions benchmark: the list and nested-list workloads of bench/data.ts (GraphQL and REST), run as an
 * Admin API key and as a custom role's API key (one field restriction, one row predicate) side by side, and
 * as the Admin key asking for the role's predicate as its own filter ("admin+filter"): custom against
 * admin+filter is what the permission machinery costs, admin+filter against admin what the predicate's
 * SQL costs PostgreSQL (the same for any client asking for that filter).
 *
 *   bun bench/permissions.ts            (BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_CONCURRENCY to change the defaults)
 *
 * In process, on the real application (test/support/app.ts: its own PostgreSQL database and Redis key
 * prefix, dropped at the end), requests handed straight to the server's web handler: what is measured is
 * the server's work per request, where a permission check would cost. The machine is shared and noisy, so
 * the two roles alternate in short rounds (order flipped each round) and each figure is the median over
 * rounds; p99 is over every request of a role. Prints a table and a final `RESULT {json}` line.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { laneCounts } from "../src/http/graphql/data/engine.js"
import { restLaneCounts } from "../src/http/rest/lane.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp } from "../test/support/app.js"
import { signUpWithWorkspace } from "../test/support/flows.js"

const COMPANIES = 10_000
const PEOPLE_PER_COMPANY = 5
/** The custom role's row predicate: one every seeded company meets (BENCH_PREDICATE to try another). */
const PREDICATE = JSON.parse(process.env["BENCH_PREDICATE"] ?? `{ "employees": { "gte": 0 } }`)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 8)
const ROUND_MS = Number(process.env["BENCH_ROUND_MS"] ?? 1_500)
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 16)

const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "10" } })
const run = <A>(text: string, params: ReadonlyArray<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(text, params as Array<unknown>))).catch((e) => {
    throw new Error(`${text.slice(0, 60)}: ${String(e?.cause?.message ?? e)}`)
  }) as Promise<ReadonlyArray<A>>

try {
  const owner = await signUpWithWorkspace(app)
  const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))
  const schema = `"${metadata.schema}"`
  const object = (name: string) => metadata.objects.find((o) => o.nameSingular === name)!
  await run(`INSERT INTO ${schema}.company (name, employees, "annualRecurringRevenueAmountMicros", position)
    SELECT 'Company ' || i, 1 + (i::bigint * 7919) % 5000, i::bigint * 1000000, i FROM generate_series(0, ${COMPANIES - 1}) i`)
  await run(`INSERT INTO ${schema}.person ("nameFirstName", "nameLastName", "companyId", position)
    SELECT 'First' || k, 'Last' || c.position, c.id, c.position * ${PEOPLE_PER_COMPANY} + k
    FROM ${schema}.company c CROSS JOIN generate_series(0, ${PEOPLE_PER_COMPANY - 1}) k`)
  await run(`ANALYZE ${schema}.company`)
  await run(`ANALYZE ${schema}.person`)

  // The custom role: annualRecurringRevenue unreadable, companies filtered by a predicate every seeded row
  // meets (so both roles read the same pages and the difference is the checks and the extra condition).
  const [role] = await run<{ id: string }>(
    `INSERT INTO core.role ("workspaceId", label, "canReadAllObjectRecords", "canUpdateAllObjectRecords", "canSoftDeleteAllObjectRecords",
       "canDestroyAllObjectRecords") VALUES ($1, 'Bench', true, true, true, true) RETURNING id`,
    [owner.workspaceId]
  )
  const arr = object("company").fields.find((f) => f.name === "annualRecurringRevenue")!
  await run(`INSERT INTO core."fieldPermission" ("workspaceId", "roleId", "objectMetadataId", "fieldMetadataId", "canReadFieldValue", "canUpdateFieldValue")
    VALUES ($1, $2, $3, $4, false, false)`, [owner.workspaceId, role!.id, object("company").id, arr.id])
  await run(`INSERT INTO core."rowPermission" ("workspaceId", "roleId", "objectMetadataId", filter) VALUES ($1, $2, $3, $4)`, [
    owner.workspaceId,
    role!.id,
    object("company").id,
    JSON.stringify(PREDICATE)
  ])
  const [admin] = await run<{ id: string }>(`SELECT id FROM core.role WHERE "workspaceId" = $1 AND label = 'Admin'`, [owner.workspaceId])

  const apiKey = async (roleId: string) => {
    const exp = new Date(Date.now() + 86_400_000).toISOString()
    const key = await app.gql<any>(
      `mutation($roleId: UUID, $exp: String!) { createApiKey(input: { name: "bench", expiresAt: $exp, roleId: $roleId }) { id } }`,
      { roleId, exp },
      owner.accessToken
    )
    const token = await app.gql<any>(
      `mutation($id: UUID!, $exp: String!) { generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`,
      { id: key.body.data.createApiKey.id, exp },
      owner.accessToken
    )
    return token.body.data.generateApiKeyToken.token as string
  }
  const keys = { admin: await apiKey(admin!.id), custom: await apiKey(role!.id) }

  /** The predicate as the caller's own filter: GraphQL takes it as is, REST as `field[op]:value` (single-field predicates). */
  const gqlFilter = JSON.stringify(PREDICATE).replace(/"([A-Za-z_]\w*)":/g, "$1:")
  const restFilter = Object.entries(PREDICATE as Record<string, Record<string, unknown>>)
    .map(([field, ops]) => Object.entries(ops).map(([op, value]) => `${field}[${op}]:${value}`).join(","))
    .join(",")
  type Contender = "admin" | "adminFiltered" | "custom"
  const graphql = (query: (filter: string) => string) => (token: string, filtered: boolean) =>
    new Request("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: query(filtered ? `, filter: ${gqlFilter}` : "") })
    })
  const get = (path: string) => (token: string, filtered: boolean) =>
    new Request(`http://localhost${path}${filtered ? `&filter=${encodeURIComponent(restFilter)}` : ""}`, {
      headers: { authorization: `Bearer ${token}` }
    })
  // bench/data.ts's list and nested-list workloads (a, b, e, f).
  const COMPANY_FIELDS = "id name employees domainName { primaryLinkUrl } createdAt"
  const PERSON_FIELDS = "id name { firstName lastName } emails { primaryEmail }"
  const workloads = {
    gqlList: graphql((f) => `query { companies(first: 20${f}) { edges { node { ${COMPANY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`),
    gqlNested: graphql((f) => `query { companies(first: 20${f}) { edges { node { ${COMPANY_FIELDS}
      people(first: 5) { edges { node { ${PERSON_FIELDS} } } } } } pageInfo { hasNextPage endCursor } } }`),
    restList: get("/rest/companies?limit=20&depth=0"),
    restNested: get("/rest/companies?limit=20&depth=1")
  }
  const tokenOf = (who: Contender) => (who === "custom" ? keys.custom : keys.admin)

  /** Requests `make(token)` for `ms` with CONCURRENCY in flight; latencies in ms. */
  const loop = async (make: (token: string, filtered: boolean) => Request, who: Contender, ms: number) => {
    const token = tokenOf(who)
    const filtered = who === "adminFiltered"
    const latencies: Array<number> = []
    const end = performance.now() + ms
    let errors = 0
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const started = performance.now()
        const response = await app.handle(make(token, filtered))
        const body = await response.text()
        if (response.status !== 200 || body.includes("\"errors\"")) errors++
        latencies.push(performance.now() - started)
      }
    }))
    return { latencies, rps: latencies.length / (ms / 1000), errors }
  }

  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const p99 = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!
  const results: Record<string, Record<Contender, { rps: number; p99: number; errors: number; fastPath: number }>> = {}
  const CONTENDERS: ReadonlyArray<Contender> = ["admin", "adminFiltered", "custom"]

  for (const [name, make] of Object.entries(workloads)) {
    for (const who of CONTENDERS) await loop(make, who, 500) // warm-up: plans, JIT
    const rounds = { admin: [] as Array<number>, adminFiltered: [] as Array<number>, custom: [] as Array<number> }
    const latencies = { admin: [] as Array<number>, adminFiltered: [] as Array<number>, custom: [] as Array<number> }
    const lanes = { admin: 0, adminFiltered: 0, custom: 0 }
    const errors = { admin: 0, adminFiltered: 0, custom: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()
      for (const who of order) {
        const answered = laneCounts.plan + restLaneCounts.lane
        const result = await loop(make, who, ROUND_MS)
        lanes[who] += laneCounts.plan + restLaneCounts.lane - answered
        rounds[who].push(result.rps)
        latencies[who].push(...result.latencies)
        errors[who] += result.errors
      }
    }
    const summary = (who: Contender) => ({
      rps: median(rounds[who]),
      p99: p99(latencies[who]),
      errors: errors[who],
      fastPath: lanes[who] / latencies[who].length
    })
    results[name] = { admin: summary("admin"), adminFiltered: summary("adminFiltered"), custom: summary("custom") }
  }

  console.log(`permissions bench: ${COMPANIES} companies, ${COMPANIES * PEOPLE_PER_COMPANY} people; ${ROUNDS} paired rounds of ${ROUND_MS} ms, concurrency ${CONCURRENCY}; predicate ${JSON.stringify(PREDICATE)}`)
  const header = ["workload", "admin r/s", "p99 ms", "admin+filter", "p99 ms", "custom r/s", "p99 ms", "checks cost", "predicate cost"]
  console.log(header.map((h) => h.padEnd(14)).join(""))
  for (const [name, r] of Object.entries(results)) {
    const pct = (a: number, b: number) => `${((1 - a / b) * 100).toFixed(1)} %`
    const errorCount = r.admin.errors + r.adminFiltered.errors + r.custom.errors
    console.log([
      name,
      r.admin.rps.toFixed(0),
      r.admin.p99.toFixed(2),
      r.adminFiltered.rps.toFixed(0),
      r.adminFiltered.p99.toFixed(2),
      r.custom.rps.toFixed(0),
      r.custom.p99.toFixed(2),
      pct(r.custom.rps, r.adminFiltered.rps),
      `${pct(r.adminFiltered.rps, r.admin.rps)}${errorCount ? ` (${errorCount} errors)` : ""}`
    ].map((c) => c.padEnd(14)).join(""))
  }
  console.log(`RESULT ${JSON.stringify(results)}`)
} finally {
  await app.close()
}
