/**
 * The result cache (totals, aggregates and group counts under the write epochs of the tables they read):
 * two instances on one PostgreSQL and one Redis, row filters of two roles, and the race between a total
 * being computed and a write committing, on both the Redis layer and its memory twin.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { ResultCache, ResultCacheMemory, ResultCacheRedis } from "../src/platform/cache/results.js"
import { RedisLive } from "../src/platform/redis/index.js"
import { Workspaces } from "../src/services/workspace/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let a: TestApp
let b: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let apiKey: string
let schema: string

const ok = (result: { body: { data?: any; errors?: Array<{ message: string }> } }) => {
  if (result.body.errors?.length) throw new Error(JSON.stringify(result.body.errors))
  return result.body.data
}

const rest = async (app: TestApp, path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
  const response = await app.request(path, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${init.token ?? apiKey}`, "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
  })
  const body = await response.json() as any
  if (response.status >= 300) throw new Error(`${response.status} ${JSON.stringify(body)}`)
  return body
}

const restTotal = async (app: TestApp, query = "", token?: string) =>
  (await rest(app, `/rest/companies?limit=1${query}`, token ? { token } : {})).totalCount as number

const graphql = async (app: TestApp, query: string) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ query })
  })
  return ok({ body: await response.json() as any })
}

/** A write Score does not see (no epoch moves): a total still served from the cache does not count it. */
const insertBehindScoresBack = (name: string, extra = "") =>
  a.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe(`INSERT INTO "${schema}"."company" (name${extra ? ", \"employees\"" : ""}) VALUES ($1${extra ? `, ${extra}` : ""})`, [name])))

beforeAll(async () => {
  a = await startTestApp()
  b = await startTestApp({ databaseUrl: a.databaseUrl })
  owner = await signUpWithWorkspace(a)
  apiKey = (await createApiKey(a, owner.accessToken)).token
  schema = (await a.run(Effect.flatMap(Workspaces, (w) => w.schemaOf(owner.workspaceId))))!
})

afterAll(async () => {
  await b?.close()
  await a?.close()
})

describe("result cache across instances", () => {
  test("a total is served from the cache, and a write on the other instance changes the next one", async () => {
    await rest(b, "/rest/batch/companies", { method: "POST", body: [{ name: "One" }, { name: "Two" }, { name: "Three" }] })
    const before = await restTotal(a)
    expect(await restTotal(a)).toBe(before)
    await insertBehindScoresBack("Unseen")
    // Served from the cache: the raw insert moved no epoch.
    expect(await restTotal(a)).toBe(before)
    const [created] = (await rest(b, "/rest/batch/companies", { method: "POST", body: [{ name: "Four" }] })).data.createCompanies
    expect(await restTotal(a)).toBe(before + 2)
    await rest(b, `/rest/companies/${created.id}?soft_delete=true`, { method: "DELETE" })
    expect(await restTotal(a)).toBe(before + 1)
    await rest(b, `/rest/companies/${created.id}/restore`, { method: "PATCH" })
    expect(await restTotal(a)).toBe(before + 2)
    await rest(b, `/rest/companies/${created.id}`, { method: "PATCH", body: { name: "Renamed" } })
    expect(await restTotal(a, `&filter=${encodeURIComponent('name[eq]:"Renamed"')}`)).toBe(1)
    await rest(b, `/rest/companies/${created.id}`, { method: "DELETE" })
    expect(await restTotal(a)).toBe(before + 1)
    expect(await restTotal(a, `&filter=${encodeURIComponent('name[eq]:"Renamed"')}`)).toBe(0)
  })

  test("GraphQL totalCount and aggregates follow writes made on the other instance", async () => {
    const read = async () =>
      (await graphql(a, `{ companies(filter: { employees: { gte: 10 } }) { totalCount sumEmployees maxEmployees } }`)).companies
    const first = await read()
    expect(await read()).toEqual(first)
    await rest(b, "/rest/companies", { method: "POST", body: { name: "Big", employees: 1000 } })
    const after = await read()
    expect(after.totalCount).toBe(first.totalCount + 1)
    expect(after.sumEmployees).toBe((first.sumEmployees ?? 0) + 1000)
    expect(after.maxEmployees).toBe(Math.max(first.maxEmployees ?? 0, 1000))
  })

  test("a hard delete changes the totals of the objects pointing at it (their links are cleared)", async () => {
    const company = (await rest(b, "/rest/companies", { method: "POST", body: { name: "Parent" } })).data.createCompany
    await rest(b, "/rest/batch/people", {
      method: "POST",
      body: [{ name: { firstName: "Ada" }, companyId: company.id }, { name: { firstName: "Bob" }, companyId: company.id }]
    })
    const linked = async () =>
      (await rest(a, `/rest/people?limit=1&filter=${encodeURIComponent(`companyId[eq]:"${company.id}"`)}`)).totalCount as number
    const withLink = async () => (await rest(a, `/rest/people?limit=1&filter=${encodeURIComponent("companyId[is]:NOT_NULL")}`)).totalCount as number
    expect(await linked()).toBe(2)
    const linkedBefore = await withLink()
    await rest(b, `/rest/companies/${company.id}`, { method: "DELETE" })
    expect(await linked()).toBe(0)
    expect(await withLink()).toBe(linkedBefore - 2)
  })

  test("group-by counts follow writes", async () => {
    const groups = async () => {
      const body = await rest(a, `/rest/companies/groupBy?group_by=${encodeURIComponent(JSON.stringify([{ name: true }]))}&aggregate=${encodeURIComponent('["totalCount"]')}`)
      return Object.fromEntries((body as Array<any>).map((g) => [g.groupByDimensionValues[0], g.totalCount]))
    }
    const before = await groups()
    expect(await groups()).toEqual(before)
    await rest(b, "/rest/companies", { method: "POST", body: { name: "One" } })
    expect((await groups())["One"]).toBe((before["One"] ?? 0) + 1)
  })
})

describe("result cache and row permissions", () => {
  test("two roles with different row filters never share a total", async () => {
    const company = ok(await a.gql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular } } } }`, {}, owner.accessToken))
      .objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === "company")
    const keyWithRowFilter = async (label: string, filter: Record<string, unknown>) => {
      const role = ok(await a.gql(
        `mutation($input: CreateRoleInput!) { createOneRole(createRoleInput: $input) { id } }`,
        { input: { label, canReadAllObjectRecords: true } },
        owner.accessToken
      )).createOneRole
      ok(await a.gql(
        `mutation($input: UpsertRowPermissionsInput!) { upsertRowPermissions(upsertRowPermissionsInput: $input) { objectMetadataId } }`,
        { input: { roleId: role.id, rowPermissions: [{ objectMetadataId: company.id, filter }] } },
        owner.accessToken
      ))
      const key = await createApiKey(a, owner.accessToken, label)
      ok(await a.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: key.id, r: role.id }, owner.accessToken))
      return key.token
    }
    await rest(b, "/rest/batch/companies", {
      method: "POST",
      body: [{ name: "East 1" }, { name: "East 2" }, { name: "East 3" }, { name: "West 1" }]
    })
    const east = await keyWithRowFilter("East", { name: { ilike: "east%" } })
    const west = await keyWithRowFilter("West", { name: { ilike: "west%" } })
    const all = await restTotal(a)
    // Each twice: the second answer comes from the cache, and must still be the role's own.
    for (let round = 0; round < 2; round++) {
      expect(await restTotal(a, "", east)).toBe(3)
      expect(await restTotal(a, "", west)).toBe(1)
      expect(await restTotal(b, "", east)).toBe(3)
      expect(await restTotal(b, "", west)).toBe(1)
      expect(await restTotal(a)).toBe(all)
    }
    await rest(b, "/rest/companies", { method: "POST", body: { name: "West 2" } })
    expect(await restTotal(a, "", west)).toBe(2)
    expect(await restTotal(a, "", east)).toBe(3)
  })
})

describe.each([
  ["memory", () => ResultCacheMemory],
  ["redis", () => ResultCacheRedis.pipe(Layer.provide(RedisLive(Redacted.make(TEST_REDIS_URL), testRedisPrefix())))]
] as const)("ResultCache (%s)", (_, layer) => {
  const runtime = ManagedRuntime.make(layer())
  afterAll(() => runtime.dispose())
  const cache = () => runtime.runPromise(ResultCache)

  test("a total computed while a write committed is not stored: the next read loads again", async () => {
    const results = await cache()
    const workspace = crypto.randomUUID()
    // The load reads its snapshot, then the write commits and moves the epoch before the total is stored.
    const raced = await results.through(workspace, "count", ["company"], async () => {
      await runtime.runPromise(results.bump(workspace, ["company"]))
      return { n: 1 }
    })
    expect(raced).toEqual({ n: 1 })
    expect(await results.through(workspace, "count", ["company"], async () => ({ n: 2 }))).toEqual({ n: 2 })
    // Stored at an unchanged epoch: served without loading.
    expect(await results.through(workspace, "count", ["company"], async () => ({ n: 3 }))).toEqual({ n: 2 })
  })

  test("a write to any table read, or the workspace's own epoch, ends a stored total; other tables do not", async () => {
    const results = await cache()
    const workspace = crypto.randomUUID()
    const read = (n: number) => results.through(workspace, "join", ["company", "person"], async () => n)
    expect(await read(1)).toBe(1)
    await runtime.runPromise(results.bump(workspace, ["opportunity"]))
    await runtime.runPromise(results.bump(crypto.randomUUID(), ["company"]))
    expect(await read(2)).toBe(1)
    await runtime.runPromise(results.bump(workspace, ["person"]))
    expect(await read(3)).toBe(3)
    await runtime.runPromise(results.bumpWorkspace(workspace))
    expect(await read(4)).toBe(4)
    expect(await read(5)).toBe(4)
  })
})
