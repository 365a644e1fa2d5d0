import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/** A stand-in for Sentry's ingest: records every envelope posted to /api/<project>/envelope/. */
const envelopes: Array<{ path: string; body: string }> = []
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: async (request) => {
    envelopes.push({ path: new URL(request.url).pathname, body: await request.text() })
    return Response.json({ id: crypto.randomUUID().replaceAll("-", "") })
  }
})
const SENTRY_KEY = "0123456789abcdef0123456789abcdef"

let app: TestApp
let apiKey: string
let workspaceId: string

beforeAll(async () => {
  app = await startTestApp({ env: { SENTRY_DSN: `http://${SENTRY_KEY}@127.0.0.1:${receiver.port}/42` } })
  const account = await signUpWithWorkspace(app)
  workspaceId = account.workspaceId
  apiKey = (await createApiKey(app, account.accessToken)).token
})
afterAll(async () => {
  await app.close()
  receiver.stop(true)
})

const waitFor = async <A>(find: () => A | undefined, ms = 10_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const found = find()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error("nothing arrived")
    await Bun.sleep(50)
  }
}

/** An envelope: a header line, then item header / payload line pairs. */
const eventsOf = (body: string) => {
  const lines = body.split("\n").filter(Boolean).map((line) => JSON.parse(line))
  const events: Array<any> = []
  for (let i = 1; i + 1 < lines.length; i += 2) if (lines[i].type === "event") events.push(lines[i + 1])
  return events
}

describe("SENTRY_DSN", () => {
  test("a user error is not reported", async () => {
    const response = await app.request("/rest/companies/not-a-uuid", { headers: { authorization: `Bearer ${apiKey}` } })
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    await Bun.sleep(300)
    expect(envelopes.flatMap((e) => eventsOf(e.body))).toHaveLength(0)
  })

  test("an unexpected failure reaches Sentry with request and workspace context, without secrets or record contents", async () => {
    const secretName = `Confidential-${crypto.randomUUID()}`
    const created = await app.request("/rest/companies", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ name: secretName })
    })
    expect(created.status).toBe(201)
    // The workspace's table goes missing under the server: the read fails unexpectedly (a 500).
    await app.run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [source] = yield* sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${workspaceId}`
      yield* sql.unsafe(`ALTER TABLE "${source!.schema}"."company" RENAME TO "companyGone"`)
    }))
    // A shared PostgreSQL out of connections answers 503 (not reported): asked again until it answers.
    let response: Response
    for (let attempt = 0; ; attempt++) {
      response = await app.request(`/rest/companies?filter=name[eq]:${secretName}`, {
        headers: { authorization: `Bearer ${apiKey}`, "x-request-id": "req-sentry-1" }
      })
      if (response.status !== 503 || attempt === 20) break
      await Bun.sleep(250)
    }
    expect(response.status).toBe(500)
    const event = await waitFor(() => envelopes.flatMap((e) => eventsOf(e.body))[0])
    const envelope = envelopes.find((e) => e.body.includes(event.event_id))!
    expect(envelope.path).toBe("/api/42/envelope/")
    expect(event.level).toBe("error")
    expect(event.exception.values.length).toBeGreaterThan(0)
    expect(event.tags).toMatchObject({ method: "GET", route: "/rest/:plural", workspaceId })
    expect(event.contexts.request).toMatchObject({ requestId: "req-sentry-1", workspaceId })
    // Never the API key, the app secret, the query string or the record's values.
    expect(envelope.body).not.toContain(apiKey)
    expect(envelope.body).not.toContain(apiKey.split(".")[2]!)
    expect(envelope.body).not.toContain(secretName)
    expect(envelope.body).not.toContain("test-secret-test-secret")
    expect(envelope.body).not.toContain("authorization")
  })
})
