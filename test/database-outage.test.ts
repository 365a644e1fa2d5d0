import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { startTestApp, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js"

// PostgreSQL is reached through a relay that can silently drop every byte (a black-holed network):
// requests must then answer 503 within a bounded time, and a write caught in it must commit nothing.
let proxy: TcpProxy
let app: TestApp
let database: Awaited<ReturnType<typeof createTestDatabase>>
let apiKey: string

const BOUND_MS = 4_000

beforeAll(async () => {
  proxy = startTcpProxy({ host: "127.0.0.1", port: 5432 })
  database = await createTestDatabase()
  const url = new URL(database.url)
  url.port = String(proxy.port)
  app = await startTestApp({
    databaseUrl: url.href,
    redis: false,
    env: { DATABASE_STATEMENT_TIMEOUT: "1s", DATABASE_CONNECT_TIMEOUT: "1s", DATABASE_POOL_SIZE: "3" }
  })
  const { accessToken } = await signUpWithWorkspace(app)
  apiKey = (await createApiKey(app, accessToken)).token
})

afterAll(async () => {
  proxy.restore()
  await app.close()
  proxy.close()
  await database.drop()
})

const headers = () => ({ "content-type": "application/json", authorization: `Bearer ${apiKey}` })
const graphql = (query: string) =>
  app.request("/graphql", { method: "POST", headers: headers(), body: JSON.stringify({ query }) })

const timed = async (request: () => Promise<Response>) => {
  const started = performance.now()
  const response = await request()
  return { response, ms: performance.now() - started, body: await response.json() as any }
}

test("a statement that outlives DATABASE_STATEMENT_TIMEOUT is cancelled by PostgreSQL", async () => {
  const started = performance.now()
  const outcome = await app.run(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT pg_sleep(5)`).pipe(Effect.flip)
  )
  expect(performance.now() - started).toBeLessThan(3_000)
  expect((outcome.cause as { code?: string }).code).toBe("57014")
})

test("with PostgreSQL black-holed, reads and writes answer 503 in bounded time and the write commits nothing", async () => {
  const warm = await timed(() => graphql(`mutation { createCompany(data: { name: "Before" }) { id } }`))
  expect(warm.body.data.createCompany.id).toBeString()
  expect((await timed(() => app.request("/rest/companies", { headers: headers() }))).response.status).toBe(200)

  proxy.blackhole(true)
  const [write, restWrite, read, restRead] = await Promise.all([
    timed(() => graphql(`mutation { createCompany(data: { name: "Lost in the outage" }) { id } }`)),
    timed(() => app.request("/rest/companies", { method: "POST", headers: headers(), body: JSON.stringify({ name: "Lost in the outage" }) })),
    timed(() => graphql(`{ companies(filter: { name: { eq: "Before" } }) { edges { node { id } } } }`)),
    timed(() => app.request("/rest/companies?limit=5", { headers: headers() }))
  ])
  proxy.restore()
  console.log("black-holed answers (ms):", [write, restWrite, read, restRead].map((a) => Math.round(a.ms)).join(", "))

  for (const answer of [write, read]) {
    expect(answer.response.status).toBe(503)
    expect(answer.ms).toBeLessThan(BOUND_MS)
    expect(answer.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE")
    expect(JSON.stringify(answer.body)).not.toContain("stack")
  }
  for (const answer of [restWrite, restRead]) {
    expect(answer.response.status).toBe(503)
    expect(answer.ms).toBeLessThan(BOUND_MS)
    expect(answer.body).toEqual({ statusCode: 503, error: "ServiceUnavailableException", messages: [expect.any(String)] })
  }

  // The network is back: the server recovers by itself, and nothing of the lost writes was committed.
  let after: any
  const restored = performance.now()
  for (let i = 0; i < 50; i++) {
    after = (await timed(() => graphql(`{ companies(filter: { name: { like: "%outage%" } }) { totalCount } }`))).body
    if (after.data) break
    await Bun.sleep(200)
  }
  expect(after.data.companies.totalCount).toBe(0)
  expect(performance.now() - restored).toBeLessThan(BOUND_MS)
})

test("with PostgreSQL refusing connections, requests that need it answer 503, not 500", async () => {
  proxy.cut()
  try {
    const signIn = await timed(() => app.gql(
      `mutation { signIn(email: "nobody@example.com", password: "whatever it is") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`
    ).then(({ status, body }) => Response.json(body, { status })))
    expect(signIn.response.status).toBe(503)
    expect(signIn.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE")
    const write = await timed(() => graphql(`mutation { createCompany(data: { name: "Refused" }) { id } }`))
    expect(write.response.status).toBe(503)
    expect(write.ms).toBeLessThan(BOUND_MS)
  } finally {
    proxy.restore()
  }
})
