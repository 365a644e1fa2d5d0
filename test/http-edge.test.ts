import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ env: { MAX_BODY_SIZE: "4096", CORS_ORIGINS: "https://app.example.com" } })
})
afterAll(() => app.close())

const post = (body: string, headers: Record<string, string> = {}) =>
  app.request("/metadata", { method: "POST", headers: { "content-type": "application/json", ...headers }, body })

describe("request edge", () => {
  test("malformed JSON is a 400 with a GraphQL error, no stack trace", async () => {
    const response = await post("{ this is not json")
    expect(response.status).toBe(400)
    const text = await response.text()
    expect(JSON.parse(text).errors[0].message).toBeString()
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/)
  })

  test("a body over MAX_BODY_SIZE is refused with 413", async () => {
    const body = JSON.stringify({ query: `{ __typename }`, padding: "x".repeat(10_000) })
    const response = await post(body, { "content-length": String(body.length) })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ statusCode: 413, error: "PayloadTooLargeException" })
  })

  test("an unknown field is a GraphQL validation error, not a 500", async () => {
    const response = await post(JSON.stringify({ query: `{ nope }` }))
    const body = await response.json() as any
    expect(response.status).toBeLessThan(500)
    expect(body.errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED")
  })

  test("GraphiQL at GET /metadata is served whole by this server: no script, style or font from another host", async () => {
    const response = await app.request("/metadata", { headers: { accept: "text/html" } })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/html")
    const page = await response.text()
    expect(page).toContain("renderYogaGraphiQL")
    expect(page).toContain("Score /metadata")
    expect(page).not.toMatch(/<(script|link|img)\b[^>]*\b(src|href)=["']?(https?:)?\/\//i)
    expect(page).not.toMatch(/@import\s+url\(["']?(https?:)?\/\//i)
    for (const cdn of ["unpkg.com", "cdn.jsdelivr.net", "esm.sh", "cdnjs.cloudflare.com", "fonts.googleapis.com"]) expect(page).not.toContain(cdn)
  })

  test("an unknown route is a JSON 404", async () => {
    const response = await app.request("/nothing-here")
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ statusCode: 404, error: "NotFoundException", messages: ["Route not found"] })
  })

  test("security headers are set on every answer", async () => {
    const response = await app.request("/healthz")
    expect(response.headers.get("x-content-type-options")).toBe("nosniff")
    expect(response.headers.get("x-frame-options")).toBe("DENY")
    expect(response.headers.get("referrer-policy")).toBe("no-referrer")
  })

  test("CORS answers the configured origin and not others", async () => {
    const preflight = await app.request("/metadata", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"
      }
    })
    expect(preflight.status).toBeLessThan(300)
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
    const other = await app.request("/healthz", { headers: { origin: "https://evil.example.com" } })
    expect(other.headers.get("access-control-allow-origin")).toBeNull()
  })
})

describe("/healthz", () => {
  test("reports each dependency up", async () => {
    const response = await app.request("/healthz")
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: "ok",
      info: { database: { status: "up" }, redis: { status: "up" } },
      error: {}
    })
    expect((await app.request("/healthz/database")).status).toBe(200)
    expect((await app.request("/healthz/unknown")).status).toBe(400)
  })

  test("answers 503 when Redis becomes unreachable, and 200 again when it is back", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const startRedis = () =>
      Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdout: "ignore",
        stderr: "ignore"
      })
    let redis = startRedis()
    await waitFor(async () => (await Bun.$`redis-cli -p ${port} ping`.quiet().nothrow()).exitCode === 0)
    const local = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } })
    try {
      expect((await local.request("/healthz")).status).toBe(200)
      redis.kill()
      await redis.exited
      const down = await local.request("/healthz")
      expect(down.status).toBe(503)
      expect(await down.json()).toMatchObject({ status: "error", error: { redis: { status: "down" } }, info: { database: { status: "up" } } })
      redis = startRedis()
      await waitFor(async () => (await local.request("/healthz")).status === 200)
    } finally {
      redis.kill()
      await local.close()
    }
  })

  test("answers 503 when PostgreSQL is unreachable", async () => {
    const local = await startTestApp({ redis: false })
    await Bun.$`psql -h 127.0.0.1 -U postgres -d postgres -qc ${`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${new URL(local.databaseUrl).pathname.slice(1)}'`}`.quiet()
    await Bun.$`psql -h 127.0.0.1 -U postgres -d postgres -qc ${`ALTER DATABASE "${new URL(local.databaseUrl).pathname.slice(1)}" WITH ALLOW_CONNECTIONS false`}`.quiet()
    try {
      const down = await local.request("/healthz")
      expect(down.status).toBe(503)
      expect(await down.json()).toMatchObject({ error: { database: { status: "down" } } })
    } finally {
      await Bun.$`psql -h 127.0.0.1 -U postgres -d postgres -qc ${`ALTER DATABASE "${new URL(local.databaseUrl).pathname.slice(1)}" WITH ALLOW_CONNECTIONS true`}`.quiet()
      await local.close()
    }
  })
})

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await Bun.sleep(50)
  }
  throw new Error("condition not met in time")
}
