import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { getIntrospectionQuery, type GraphQLSchema } from "graphql"
import { SchemaBuilder } from "../src/http/graphql/data/schema/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { planCounts } from "../src/services/records/plan.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/** Workspaces with equal data models share one /graphql schema; what differs comes from the request. */

let app: TestApp
let plain: TestApp
type Tenant = Awaited<ReturnType<typeof signUpWithWorkspace>> & { readonly key: string }
let a: Tenant
let b: Tenant
let c: Tenant

const tenant = async (on: TestApp, name: string): Promise<Tenant> => {
  const account = await signUpWithWorkspace(on, { name })
  return { ...account, key: (await createApiKey(on, account.accessToken)).token }
}

beforeAll(async () => {
  app = await startTestApp()
  // The same database and Redis prefix, sharing off: today's behaviour, one schema per workspace.
  plain = await startTestApp({ databaseUrl: app.databaseUrl, env: { SCHEMA_SHARING: "off" } })
  a = await tenant(app, "Alpha")
  b = await tenant(app, "Beta")
  c = await tenant(app, "Gamma")
}, 60_000)
afterAll(async () => {
  await plain.close()
  await app.close()
}, 30_000)

const schemaOf = (on: TestApp, workspaceId: string) => on.run(Effect.flatMap(SchemaBuilder, (s) => s.schemaFor(workspaceId)))
const statsOf = (on: TestApp) => on.run(Effect.map(SchemaBuilder, (s) => s.stats()))
const idsOf = async (workspaceId: string) => {
  const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
  return metadata.objects.flatMap((o) => [o.id, ...o.fields.map((f) => f.id)])
}

const graphqlOn = async (on: TestApp, token: string, query: string, variables: Record<string, unknown> = {}) => {
  const response = await on.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> }
}
const graphql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlOn(app, token, query, variables)
const rest = async (token: string, path: string) =>
  await (await app.request(path, { headers: { authorization: `Bearer ${token}` } })).json() as any
// Schemas are compared with ===: a failing toBe would print two whole GraphQLSchema objects, for minutes.
const companyNames = async (token: string) =>
  (await graphql(token, `{ companies(first: 50) { edges { node { name } } } }`)).data.companies.edges.map((e: any) => e.node.name).sort()

describe("schema sharing", () => {
  test("two workspaces with the same model share one schema object; with sharing off they do not", async () => {
    const before = (await statsOf(app)).builds
    const [sa, sb] = [await schemaOf(app, a.workspaceId), await schemaOf(app, b.workspaceId)]
    expect(sa === sb).toBe(true)
    expect((await statsOf(app)).builds - before).toBeLessThanOrEqual(1)
    expect(await schemaOf(plain, a.workspaceId) === await schemaOf(plain, b.workspaceId)).toBe(false)
  })

  test("through the shared schema each workspace reads and writes only its own records", async () => {
    await graphql(a.key, `mutation { createCompany(data: { name: "Only in Alpha" }) { id } }`)
    await graphql(b.key, `mutation { createCompany(data: { name: "Only in Beta" }) { id } }`)
    expect(await companyNames(a.key)).toContain("Only in Alpha")
    expect(await companyNames(a.key)).not.toContain("Only in Beta")
    expect(await companyNames(b.key)).toContain("Only in Beta")
    expect(await companyNames(b.key)).not.toContain("Only in Alpha")
    const restNames = (await rest(b.key, "/rest/companies?limit=50")).data.companies.map((c: any) => c.name)
    expect(restNames).toContain("Only in Beta")
    expect(restNames).not.toContain("Only in Alpha")
  })

  test("no workspace's metadata ids are in the shared schema", async () => {
    const shared: GraphQLSchema = await schemaOf(app, c.workspaceId)
    expect(shared === await schemaOf(app, a.workspaceId)).toBe(true)
    const introspection = JSON.stringify(await graphql(c.key, getIntrospectionQuery()))
    expect(introspection).toContain("\"Company\"")
    for (const id of [...await idsOf(a.workspaceId), ...await idsOf(b.workspaceId), ...await idsOf(c.workspaceId)]) {
      expect(introspection.includes(id)).toBe(false)
    }
    expect(introspection.includes(a.workspaceId) || introspection.includes(b.workspaceId)).toBe(false)
  })

  test("a field added to one workspace gives it its own schema, and both still answer", async () => {
    const company = (await app.run(Effect.flatMap(Metadata, (m) => m.get(a.workspaceId)))).objects.find((o) => o.nameSingular === "company")!
    await app.run(Effect.flatMap(Metadata, (m) =>
      m.createField(a.workspaceId, { objectMetadataId: company.id, name: "tier", label: "Tier", type: "TEXT" })))
    const [sa, sb, sc] = [await schemaOf(app, a.workspaceId), await schemaOf(app, b.workspaceId), await schemaOf(app, c.workspaceId)]
    expect(sa === sb).toBe(false)
    expect(sb === sc).toBe(true)

    const created = await graphql(a.key, `mutation { createCompany(data: { name: "Tiered", tier: "gold" }) { name tier } }`)
    expect(created.data.createCompany).toEqual({ name: "Tiered", tier: "gold" })
    expect((await rest(a.key, "/rest/companies?limit=50")).data.companies.find((c: any) => c.name === "Tiered").tier).toBe("gold")

    const refused = await graphql(b.key, `mutation { createCompany(data: { name: "Tiered", tier: "gold" }) { name tier } }`)
    expect(refused.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED")
    expect(await companyNames(b.key)).toEqual(["Only in Beta"])
    expect(await companyNames(c.key)).toEqual([])
  })

  test("two workspaces reaching a new model together build it once, leaving the event loop free while it is built", async () => {
    const companyOf = async (workspaceId: string) =>
      (await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))).objects.find((o) => o.nameSingular === "company")!
    for (const tenant of [b, c]) {
      const company = await companyOf(tenant.workspaceId)
      await app.run(Effect.flatMap(Metadata, (m) =>
        m.createField(tenant.workspaceId, { objectMetadataId: company.id, name: "region", label: "Region", type: "TEXT" })))
    }
    await app.run(Effect.flatMap(Metadata, (m) => Effect.all([m.get(b.workspaceId), m.get(c.workspaceId)])))
    const before = (await statsOf(app)).builds
    // Turns of the event loop that ran while the schema was being built: none if the build held the loop.
    let turns = 0
    let ticking = true
    const tick = () => {
      turns++
      if (ticking) setImmediate(tick)
    }
    setImmediate(tick)
    const [sb, sc] = await Promise.all([schemaOf(app, b.workspaceId), schemaOf(app, c.workspaceId)])
    ticking = false
    expect(sb === sc).toBe(true)
    expect((await statsOf(app)).builds - before).toBe(1)
    expect(turns).toBeGreaterThan(10)
    expect((await graphql(c.key, `{ companies(first: 1) { edges { node { region } } } }`)).errors).toBeUndefined()
  })

  test("workspaces of one model share their read plans, and each runs them on its own schema", async () => {
    // b and c have the same model (both got `region` above); a has another (`tier`).
    const restNames = async (key: string) => (await rest(key, "/rest/companies?limit=50&depth=1")).data.companies.map((c: any) => c.name)
    expect(await restNames(b.key)).toEqual(["Only in Beta"])
    expect(await companyNames(b.key)).toEqual(["Only in Beta"])
    const before = planCounts.findMany
    expect(await restNames(c.key)).toEqual([])
    expect(await companyNames(c.key)).toEqual([])
    expect(planCounts.findMany - before).toBe(0)
    // A workspace of another model plans its own, and still reads its own records.
    expect(await restNames(a.key)).toContain("Tiered")
    expect(planCounts.findMany - before).toBeGreaterThan(0)
    // Counts are the workspace's own too (the totals cache is keyed by each workspace's own statement).
    const total = async (key: string) => (await graphql(key, `{ companies { totalCount } }`)).data.companies.totalCount
    expect([await total(b.key), await total(c.key)]).toEqual([1, 0])
    await graphql(c.key, `mutation { createCompany(data: { name: "Only in Gamma" }) { id } }`)
    expect([await total(b.key), await total(c.key)]).toEqual([1, 1])
    expect(await restNames(c.key)).toEqual(["Only in Gamma"])
  })
})

describe("per-workspace metadata within METADATA_CACHE_MAX_MB", () => {
  test("a workspace pushed out of the metadata cache is not kept alive by what answered it last", async () => {
    // 1 MB holds about six workspaces of the standard model (estimatedMetadataBytes): eight push the first out.
    const tight = await startTestApp({ databaseUrl: app.databaseUrl, env: { METADATA_CACHE_MAX_MB: "1" } })
    try {
      const tenants = [a, b, c]
      for (let i = 0; i < 5; i++) tenants.push(await tenant(app, `Spare ${i}`))
      // Made in a function of its own, so no strong reference to the metadata stays in this test's frame.
      const weakly = async (workspaceId: string) => new WeakRef(await tight.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId))))
      const first = await weakly(tenants[0]!.workspaceId)
      // The direct read's model of it, too: a model must not outlive its metadata.
      await graphqlOn(tight, tenants[0]!.key, `{ companies(first: 1) { edges { node { id } } } }`)
      for (const tenant of tenants.slice(1)) await graphqlOn(tight, tenant.key, `{ companies(first: 1) { edges { node { id } } } }`)
      const current = (workspaceId: string) => tight.run(Effect.map(Metadata, (m) => m.current(workspaceId)))
      expect(await current(tenants[0]!.workspaceId) === undefined).toBe(true)
      expect(await current(tenants.at(-1)!.workspaceId) !== undefined).toBe(true)
      for (let i = 0; i < 5 && first.deref() !== undefined; i++) {
        Bun.gc(true)
        await Bun.sleep(10)
      }
      expect(first.deref() === undefined).toBe(true)
      // And it answers again, loaded afresh.
      expect((await graphqlOn(tight, tenants[0]!.key, `{ companies(first: 1) { edges { node { id } } } }`)).errors).toBeUndefined()
    } finally {
      await tight.close()
    }
  }, 60_000)
})
