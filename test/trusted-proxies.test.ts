import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { clientAddressFrom, parseTrustedProxies } from "../src/platform/lib/trusted-proxies.js"
import { TEST_APP_SECRET, testConfig } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { type ServerProcess, startServer } from "./support/process.js"

describe("clientAddressFrom", () => {
  const trusted = parseTrustedProxies("127.0.0.1, 10.0.0.0/8, ::1")
  test("a trusted peer's X-Forwarded-For names the client: its right-most untrusted hop", () => {
    expect(clientAddressFrom("127.0.0.1", "198.51.100.7", trusted)).toBe("198.51.100.7")
    expect(clientAddressFrom("::ffff:127.0.0.1", "198.51.100.7", trusted)).toBe("198.51.100.7")
    expect(clientAddressFrom("::1", "203.0.113.5, 10.1.2.3", trusted)).toBe("203.0.113.5")
    // What the client wrote to the left of the hop the balancer added is never used.
    expect(clientAddressFrom("127.0.0.1", "1.2.3.4, 198.51.100.7", trusted)).toBe("198.51.100.7")
  })
  test("an untrusted peer, no header, or a malformed chain: the peer", () => {
    expect(clientAddressFrom("198.51.100.9", "1.2.3.4", trusted)).toBe("198.51.100.9")
    expect(clientAddressFrom("127.0.0.1", null, trusted)).toBe("127.0.0.1")
    expect(clientAddressFrom("127.0.0.1", "not-an-address", trusted)).toBe("127.0.0.1")
    expect(clientAddressFrom("127.0.0.1", "10.0.0.1, 10.0.0.2", trusted)).toBe("127.0.0.1")
    expect(clientAddressFrom("127.0.0.1", "198.51.100.7", [])).toBe("127.0.0.1")
  })
  test("a malformed TRUSTED_PROXIES stops the start naming the variable", async () => {
    await expect(testConfig({ TRUSTED_PROXIES: "10.0.0.0/99" })).rejects.toThrow(/TRUSTED_PROXIES/)
    expect((await testConfig({ TRUSTED_PROXIES: "" })).trustedProxies).toEqual([])
  })
})

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { availableWorkspaces { __typename } } }`

describe("behind a trusted balancer, sign-in budgets count per forwarded client", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let servers: Array<ServerProcess> = []
  const settings = (trusted: string) => ({
    DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2",
    SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "2", TRUSTED_PROXIES: trusted
  })
  beforeAll(async () => {
    database = await createTestDatabase()
    servers = await Promise.all([startServer(settings("127.0.0.1"), 60_000), startServer(settings(""), 60_000)])
  }, 90_000)
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await database?.drop()
  })
  const attempt = async (server: ServerProcess, forwardedFor: string) => {
    const response = await fetch(`${server.url}/metadata`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ query: SIGN_IN, variables: { e: `nobody.${crypto.randomUUID()}@example.com`, p: "wrong password" } })
    })
    return response.status
  }

  test("one forwarded client exhausts its own budget, another still gets through", async () => {
    const [trusting] = servers
    expect(await attempt(trusting!, "198.51.100.1")).toBe(200)
    expect(await attempt(trusting!, "198.51.100.1")).toBe(200)
    expect(await attempt(trusting!, "198.51.100.1")).toBe(429)
    expect(await attempt(trusting!, "198.51.100.2")).toBe(200)
  })

  test("without TRUSTED_PROXIES the header is ignored: every attempt counts against the socket's peer", async () => {
    const [, untrusting] = servers
    expect(await attempt(untrusting!, "198.51.100.3")).toBe(200)
    expect(await attempt(untrusting!, "198.51.100.4")).toBe(200)
    expect(await attempt(untrusting!, "198.51.100.5")).toBe(429)
  })
})
