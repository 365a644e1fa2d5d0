import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { type PgBouncer, startPgBouncer } from "./support/pgbouncer.js"

// Score behind PgBouncer 1.18 (Debian 12's) in transaction mode: each transaction may run on another server
// connection, so no named prepared statement and no session state may outlive one (DATABASE_PGBOUNCER=true).

let database: Awaited<ReturnType<typeof createTestDatabase>>
let bouncer: PgBouncer
let app: TestApp
let token: string

const call = async (method: string, path: string, body?: unknown) => {
  const response = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}

/** Creates (prepared writes) and lists of several shapes, 20 at a time for 5 rounds: the answers' statuses. */
const mixedLoad = async (target: TestApp, accessToken: string) => {
  const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" }
  const list = (path: string) => target.request(path, { headers }).then((r) => r.status, () => 0)
  const create = (i: number) =>
    target.request("/rest/companies", { method: "POST", headers, body: JSON.stringify({ name: `Mixed ${i}` }) }).then((r) => r.status, () => 0)
  const statuses: Array<number> = []
  for (let round = 0; round < 5; round++) {
    statuses.push(...await Promise.all(Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? create(round * 20 + i) : list(`/rest/companies?limit=${1 + (i % 4)}&filter=name[neq]:%22x${i % 3}%22`))))
  }
  return statuses
}

beforeAll(async () => {
  database = await createTestDatabase()
  // Two server connections for many client ones: a statement prepared on one is soon run on the other.
  bouncer = await startPgBouncer({ poolSize: 2 })
}, 60_000)

afterAll(async () => {
  await app?.close()
  await bouncer?.stop()
  await database?.drop()
})

describe("behind PgBouncer (transaction mode)", () => {
  test("without DATABASE_PGBOUNCER Score cannot start: PgBouncer refuses the statement_timeout startup parameter", async () => {
    const started = startTestApp({ databaseUrl: bouncer.urlFor(database.name), env: { DATABASE_POOL_SIZE: "6", DATABASE_CONNECT_TIMEOUT: "3s" } })
    await expect(started).rejects.toThrow()
    expect(bouncer.log()).toContain("unsupported startup parameter: statement_timeout")
  }, 60_000)

  test("without DATABASE_PGBOUNCER, the timeouts ignored by PgBouncer, named prepared statements fail across server connections", async () => {
    const lenient = await startPgBouncer({ poolSize: 2, ignoreStartupParameters: ["statement_timeout", "idle_in_transaction_session_timeout"] })
    const named = await startTestApp({ databaseUrl: lenient.urlFor(database.name), env: { DATABASE_POOL_SIZE: "6" } })
    try {
      const { accessToken } = await signUpWithWorkspace(named)
      const statuses = await mixedLoad(named, accessToken)
      expect(statuses.some((status) => status >= 500)).toBe(true)
    } finally {
      await named.close()
      await lenient.stop()
    }
  }, 60_000)

  test("with DATABASE_PGBOUNCER=true: migrations, sign-up, writes in transactions, lists and search all work", async () => {
    app = await startTestApp({
      databaseUrl: bouncer.urlFor(database.name),
      env: { DATABASE_POOL_SIZE: "6", DATABASE_PGBOUNCER: "true" }
    })
    token = (await signUpWithWorkspace(app)).accessToken
    expect((await mixedLoad(app, token)).filter((status) => status !== 200 && status !== 201)).toEqual([])
    const batch = await call("POST", "/rest/batch/companies", Array.from({ length: 30 }, (_, i) => ({ name: `Bounced ${i}`, employees: i })))
    expect(batch.status).toBe(201)
    // Many shapes, concurrently and repeatedly: each would be prepared once per connection without the setting.
    const shapes = [
      "/rest/companies?limit=5",
      "/rest/companies?filter=employees[gte]:10&order_by=name",
      "/rest/companies?filter=name[like]:%22Bounced 1%25%22",
      "/rest/companies?limit=50&order_by=employees[DescNullsLast]"
    ]
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(shapes.flatMap((shape) => [call("GET", shape), call("GET", shape)]))
      for (const answer of answers) expect(answer.status).toBe(200)
      expect(answers[2]!.body.data.companies).toHaveLength(20)
    }
    const graphql = await app.request("/graphql", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ query: `{ companies(first: 10, orderBy: [{ employees: AscNullsFirst }]) { totalCount edges { node { name } } }
        search(searchInput: "Bounced", limit: 5) { edges { node { recordId } } } }` })
    })
    const answered = await graphql.json() as any
    expect(answered.errors).toBeUndefined()
    expect(answered.data.companies.totalCount).toBe(80)
    expect(answered.data.search.edges.length).toBeGreaterThan(0)
    const id = batch.body.data.createCompanies[0].id
    expect((await call("PATCH", `/rest/companies/${id}`, { employees: 1000 })).status).toBe(200)
    expect((await call("GET", `/rest/companies/${id}`)).body.data.company.employees).toBe(1000)
    expect((await call("DELETE", `/rest/companies/${id}`)).status).toBe(200)
  }, 90_000)
})
