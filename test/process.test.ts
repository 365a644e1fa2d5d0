import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { runScore, startServer } from "./support/process.js"

const cleanup: Array<() => Promise<unknown> | void> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

const startFails = async (env: Record<string, string>) => {
  const proc = runScore("main.ts", env)
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
  return { code, lines: stderr.trim().split("\n") }
}

const gql = (url: string, query: string, variables: Record<string, unknown> = {}) =>
  fetch(`${url}/metadata`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables })
  }).then((r) => r.json() as Promise<any>)

describe("configuration errors stop the start with one line naming the variable", () => {
  test.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ ACCESS_TOKEN_EXPIRES_IN: "soon" }, "ACCESS_TOKEN_EXPIRES_IN"],
    [{ LOG_LEVEL: "chatty" }, "LOG_LEVEL"],
    [{ DATABASE_URL: "postgres://127.0.0.1/x" }, "APP_SECRET"],
    [{ APP_SECRET: "short" }, "APP_SECRET"]
  ])("%p", async (env, variable) => {
    const { code, lines } = await startFails({ DATA_DIR: "/nonexistent-unused", ...env })
    expect(code).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(variable)
    expect(lines[0]).not.toMatch(/\bat .+:\d+/)
  })

  test("an unreachable database is one clear line too", async () => {
    const { code, lines } = await startFails({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", APP_SECRET: TEST_APP_SECRET })
    expect(code).toBe(1)
    expect(lines.at(-1)).toContain("Database unreachable")
  })
})

describe("embedded mode", () => {
  test("starts with PGlite and in-memory cache, and keeps data across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "score-embedded-"))
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const env = { DATA_DIR: dataDir }
    const first = await startServer(env, 60_000)
    cleanup.push(() => first.proc.kill("SIGKILL"))
    expect(first.output()).toContain("embedded PostgreSQL (PGlite)")
    expect(first.output()).toContain("Cache and queue: in-memory")
    const signUp = await gql(first.url, `mutation { signUp(email: "keep@example.com", password: "persistent1") { tokens { refreshToken { token } } } }`)
    expect(signUp.errors).toBeUndefined()
    expect(await first.stop()).toBe(0)

    const second = await startServer(env, 60_000)
    cleanup.push(() => second.proc.kill("SIGKILL"))
    try {
      const signIn = await gql(second.url, `mutation { signIn(email: "keep@example.com", password: "persistent1") { tokens { refreshToken { token } } } }`)
      expect(signIn.errors).toBeUndefined()
      // Workspace data on PGlite: lists read through `pg` (Bun's client is for live databases only).
      const app = {
        gql: async (query: string, variables?: Record<string, unknown>, token?: string) => {
          const response = await fetch(`${second.url}/metadata`, {
            method: "POST",
            headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify({ query, variables })
          })
          return { status: response.status, body: await response.json() as any }
        }
      } as unknown as TestApp
      const account = await signUpWithWorkspace(app)
      const data = (query: string) =>
        fetch(`${second.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
          body: JSON.stringify({ query })
        }).then((response) => response.json() as Promise<any>)
      const created = await data(`mutation { createCompany(data: { name: "Embedded Ltd", employees: 12 }) { id createdAt } }`)
      expect(created.errors).toBeUndefined()
      const list = `{ companies(filter: { name: { eq: "Embedded Ltd" } }) { edges { node { id name employees createdAt domainName { primaryLinkUrl } } cursor } } }`
      const first = await data(list)
      const again = await data(list)
      expect(first.data.companies.edges.map((edge: any) => edge.node)).toEqual([
        { id: created.data.createCompany.id, name: "Embedded Ltd", employees: 12, createdAt: created.data.createCompany.createdAt, domainName: { primaryLinkUrl: "" } }
      ])
      expect(again).toEqual(first)
    } finally {
      await second.stop()
    }
  }, 120_000)
})

describe("live mode", () => {
  test("SIGTERM lets an in-flight request finish, then the process exits 0", async () => {
    const database = await createTestDatabase()
    cleanup.push(() => database.drop())
    const server = await startServer({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      APP_SECRET: TEST_APP_SECRET
    })
    cleanup.push(() => server.proc.kill("SIGKILL"))
    expect(server.output()).toContain("Database: PostgreSQL at 127.0.0.1")
    const inFlight = gql(server.url, `mutation { signUp(email: "slow@example.com", password: "long enough") { tokens { refreshToken { token } } } }`)
    await Bun.sleep(15)
    const exited = server.stop("SIGTERM")
    const answer = await inFlight
    expect(answer.errors).toBeUndefined()
    expect(answer.data.signUp.tokens.refreshToken.token).toBeString()
    expect(await exited).toBe(0)
    expect(server.output()).toContain("Shutting down")
  }, 30_000)

  test("SHUTDOWN_DRAIN: after SIGTERM it goes on serving, closing each connection after its answer, then stops accepting", async () => {
    const database = await createTestDatabase()
    cleanup.push(() => database.drop())
    const server = await startServer({ DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2", SHUTDOWN_DRAIN: "1500ms" })
    cleanup.push(() => server.proc.kill("SIGKILL"))
    const port = Number(new URL(server.url).port)
    // A balancer's idle keep-alive connection, opened before the signal.
    const { connect } = await import("node:net")
    const socket = connect(port, "127.0.0.1")
    let received = ""
    let closed = false
    socket.on("data", (chunk) => { received += chunk.toString() })
    socket.on("close", () => { closed = true })
    await new Promise((resolve) => socket.once("connect", resolve))
    socket.write("GET /healthz HTTP/1.1\r\nHost: score\r\n\r\n")
    while (!received.includes("\r\n\r\n")) await Bun.sleep(10)
    expect(received.toLowerCase()).not.toContain("connection: close")

    const exited = server.stop("SIGTERM")
    await Bun.sleep(300)
    expect(closed).toBe(false) // the idle connection is kept: a request may already be on its way
    received = ""
    socket.write("GET /healthz HTTP/1.1\r\nHost: score\r\n\r\n")
    while (!closed) await Bun.sleep(10)
    expect(received).toStartWith("HTTP/1.1 200")
    expect(received.toLowerCase()).toContain("connection: close")
    // New connections are still served while draining.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(await exited).toBe(0)
    expect(server.output()).toContain("draining connections for 1500 ms")
  }, 30_000)
})
