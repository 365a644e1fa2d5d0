import { afterAll, describe, expect, test } from "bun:test"
import { isPrivateAddress, refusalReason } from "../src/platform/lib/address-guard.js"
import { sendWebhook } from "../src/services/webhooks/delivery.js"

const hits: Array<string> = []
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request) => {
    hits.push(new URL(request.url).pathname)
    return new Response("ok")
  }
})
afterAll(() => receiver.stop(true))

/** Written so that string matching on `::ffff:a.b.c.d`, `fc`/`fe80` prefixes and the like misses them. */
const BYPASS_FORMS = [
  "::ffff:7f00:1",
  "::ffff:169.254.169.254",
  "::ffff:a9fe:a9fe",
  "0:0:0:0:0:ffff:127.0.0.1",
  "0:0:0:0:0:ffff:7f00:0001",
  "64:ff9b::7f00:1",
  "64:ff9b::169.254.169.254",
  "64:ff9b::a00:1",
  "64:ff9b:1::1",
  "2002:7f00:1::1",
  "2002:a9fe:a9fe::",
  "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  "::127.0.0.1",
  "::7f00:1",
  "fec0::1",
  "100::1",
  "2001:db8::1",
  "100.64.0.1",
  "192.0.0.8",
  "192.0.2.1",
  "198.18.0.1",
  "240.0.0.1",
  "255.255.255.255",
  "0.0.0.0",
  "::"
]

describe("address guard", () => {
  test("every special-purpose form is private, however it is written", () => {
    for (const address of BYPASS_FORMS) expect([address, isPrivateAddress(address)]).toEqual([address, true])
  })

  test("public addresses, including NAT64 and 6to4 of a public IPv4, are not", () => {
    for (const address of ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false])
    }
  })

  test("a URL naming a private address in any form is refused, and the message names the setting", async () => {
    for (const host of ["[::ffff:7f00:1]", "[::ffff:169.254.169.254]", "[0:0:0:0:0:ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "2130706433", "0x7f.1"]) {
      const reason = await refusalReason(`http://${host}:${receiver.port}/`, false)
      expect([host, reason]).toEqual([host, expect.stringContaining("WEBHOOK_ALLOW_PRIVATE_ADDRESSES")])
    }
  })
})

describe("sendWebhook connects to the address it checked", () => {
  const request = (url: string) => ({ url, headers: { "content-type": "application/json" }, body: "{}" })

  test("DNS rebinding: a host answering public then private is connected to at the public answer, never re-resolved", async () => {
    hits.length = 0
    let lookups = 0
    const rebinding = async () => (lookups++ === 0 ? ["8.8.8.8"] : ["127.0.0.1"])
    const outcome = await sendWebhook(request(`http://localhost:${receiver.port}/rebound`), { allowPrivate: false, timeoutMs: 500, resolve: rebinding })
    expect(lookups).toBe(1)
    expect(hits).toEqual([])
    expect(outcome.success).toBe(false)
    expect(["timeout", "connection failed"]).toContain(outcome.error!)
  })

  test("a host answering private first is refused before any connection", async () => {
    hits.length = 0
    const outcome = await sendWebhook(request(`http://hooks.example:${receiver.port}/private`), {
      allowPrivate: false,
      timeoutMs: 500,
      resolve: async () => ["203.0.114.1", "::ffff:7f00:1"]
    })
    expect(outcome).toMatchObject({ success: false, status: null, error: "refused: private address" })
    expect(hits).toEqual([])
  })

  test("the checked address is used for the connection and the URL's host for the Host header", async () => {
    hits.length = 0
    const outcome = await sendWebhook(request(`http://hooks.example:${receiver.port}/named`), {
      allowPrivate: true,
      timeoutMs: 2000,
      resolve: async () => ["127.0.0.1"]
    })
    expect(outcome).toMatchObject({ success: true, status: 200, error: null })
    expect(hits).toEqual(["/named"])
  })

  test("every checked address may be tried (an unreachable IPv6 first, then the IPv4 that answers)", async () => {
    hits.length = 0
    const outcome = await sendWebhook(request(`http://hooks.example:${receiver.port}/both`), {
      allowPrivate: true,
      timeoutMs: 2000,
      resolve: async () => ["::1", "127.0.0.1"]
    })
    expect(outcome).toMatchObject({ success: true, status: 200 })
    expect(hits).toEqual(["/both"])
  })

  test("a DNS answer that never comes counts against the timeout", async () => {
    const started = performance.now()
    const outcome = await sendWebhook(request("http://slow-dns.example/"), { allowPrivate: false, timeoutMs: 300, resolve: () => new Promise(() => {}) })
    expect(outcome).toMatchObject({ success: false, status: null, error: "timeout" })
    expect(performance.now() - started).toBeLessThan(2000)
  })

  test("redirects are the answer, never followed, even to an allowed target", async () => {
    const redirector = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.redirect(`http://127.0.0.1:${receiver.port}/followed`, 307) })
    hits.length = 0
    const outcome = await sendWebhook(request(`http://127.0.0.1:${redirector.port}/`), { allowPrivate: true, timeoutMs: 2000 })
    redirector.stop(true)
    expect(outcome).toMatchObject({ success: false, status: 307, error: "HTTP 307 (redirects are not followed)" })
    expect(hits).toEqual([])
  })

  test("network failures are recorded as a class, never as the system's error text", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
    const port = closed.port
    closed.stop(true)
    const refused = await sendWebhook(request(`http://127.0.0.1:${port}/`), { allowPrivate: true, timeoutMs: 2000 })
    expect(refused).toMatchObject({ success: false, status: null, error: "connection failed" })
    expect(refused.detail).toBeTruthy()

    const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Promise<Response>(() => {}) })
    const timedOut = await sendWebhook(request(`http://127.0.0.1:${silent.port}/`), { allowPrivate: true, timeoutMs: 200 })
    silent.stop(true)
    expect(timedOut).toMatchObject({ success: false, status: null, error: "timeout" })

    const unresolved = await sendWebhook(request("http://no-such-host.invalid/"), { allowPrivate: false, timeoutMs: 2000, resolve: async () => [] })
    expect(unresolved).toMatchObject({ success: false, status: null, error: "connection failed" })
  })

  test("https: the TLS name is the URL's host while the connection goes to the checked address", async () => {
    const { key, cert } = await selfSignedCertificate("hooks.example")
    const secure = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { key, cert }, fetch: (r) => new Response(r.headers.get("host")) })
    const outcome = await sendWebhook(request(`https://hooks.example:${secure.port}/`), {
      allowPrivate: true,
      timeoutMs: 2000,
      resolve: async () => ["127.0.0.1"],
      ca: cert
    })
    // Untrusted by default: the certificate check is on, for the URL's name.
    const untrusted = await sendWebhook(request(`https://hooks.example:${secure.port}/`), { allowPrivate: true, timeoutMs: 2000, resolve: async () => ["127.0.0.1"] })
    secure.stop(true)
    expect(outcome).toMatchObject({ success: true, status: 200 })
    expect(untrusted).toMatchObject({ success: false, error: "connection failed" })
  })
})

const selfSignedCertificate = async (name: string) => {
  const dir = `/tmp/score-webhook-tls-${process.pid}`
  const run = Bun.spawnSync(["sh", "-c", `mkdir -p ${dir} && openssl req -x509 -newkey rsa:2048 -nodes -keyout ${dir}/key.pem -out ${dir}/cert.pem -days 1 -subj /CN=${name} -addext subjectAltName=DNS:${name}`], { stderr: "pipe" })
  if (run.exitCode !== 0) throw new Error(run.stderr.toString())
  return { key: await Bun.file(`${dir}/key.pem`).text(), cert: await Bun.file(`${dir}/cert.pem`).text() }
}
