/**
 * guardedFetch, the fetch openid-client uses for a workspace's identity provider: the host is resolved
 * and checked once, and the connection goes to exactly that address (no second DNS answer: rebinding).
 */
import { afterAll, describe, expect, test } from "bun:test"
import { guardedFetch } from "../src/platform/lib/pinned-request.js"

const hits: Array<{ path: string; host: string | null; body: string; method: string }> = []
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: async (request) => {
    hits.push({ path: new URL(request.url).pathname, host: request.headers.get("host"), body: await request.text(), method: request.method })
    return Response.json({ issuer: "here" }, { headers: { "x-answer": "1" } })
  }
})
afterAll(() => receiver.stop(true))

describe("guardedFetch connects to the address it checked", () => {
  test("DNS rebinding: a name answering public then private is never connected to at the private answer", async () => {
    hits.length = 0
    let lookups = 0
    const rebinding = async () => (lookups++ === 0 ? ["8.8.8.8"] : ["127.0.0.1"])
    const fetchFromProvider = guardedFetch(false, rebinding)
    const outcome = await fetchFromProvider(`http://localhost:${receiver.port}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(500)
    }).then(() => "answered", () => "failed")
    expect(outcome).toBe("failed")
    expect(lookups).toBe(1)
    expect(hits).toEqual([])
  })

  test("a name resolving to a private address is refused before any connection", async () => {
    hits.length = 0
    const fetchFromProvider = guardedFetch(false, async () => ["127.0.0.1"])
    await expect(fetchFromProvider(`http://idp.example:${receiver.port}/jwks`)).rejects.toThrow(/request refused: .*private address/)
    expect(hits).toEqual([])
  })

  test("an allowed address answers as fetch would: status, headers, body; the Host header stays the URL's", async () => {
    hits.length = 0
    const fetchFromProvider = guardedFetch(true, async () => ["127.0.0.1"])
    const response = await fetchFromProvider(`http://idp.example:${receiver.port}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: "abc" })
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("x-answer")).toBe("1")
    expect(await response.json()).toEqual({ issuer: "here" })
    expect(hits).toEqual([{ path: "/token", host: `idp.example:${receiver.port}`, body: "grant_type=authorization_code&code=abc", method: "POST" }])
  })
})
