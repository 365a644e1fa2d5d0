import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { RecordEvent } from "../src/domain/events.js"
import { operationMatches, signature, Webhooks } from "../src/services/webhooks/index.js"
import { isPrivateAddress } from "../src/platform/lib/address-guard.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let strict: TestApp
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
const received: Array<{ headers: Headers; body: string }> = []
let status = 200
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    received.push({ headers: request.headers, body: await request.text() })
    return new Response("ok", { status })
  }
})
const target = `http://127.0.0.1:${receiver.port}/hook`

beforeAll(async () => {
  app = await startTestApp({ redis: false, env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true", WEBHOOK_TIMEOUT: "2s" } })
  strict = await startTestApp({ redis: false, databaseUrl: app.databaseUrl })
  account = await signUpWithWorkspace(app)
})
afterAll(async () => {
  receiver.stop(true)
  await strict.close()
  await app.close()
})

const gql = (instance: TestApp, query: string, variables: Record<string, unknown> = {}): Promise<any> =>
  instance.gql(query, variables, account.accessToken).then((r) => r.body)

const event = (): RecordEvent => ({
  name: "company.updated",
  action: "updated",
  workspaceId: account.workspaceId,
  objectMetadataId: "00000000-0000-4000-8000-000000000001",
  objectNameSingular: "company",
  recordId: "00000000-0000-4000-8000-000000000002",
  record: { id: "00000000-0000-4000-8000-000000000002", name: "Acme", employees: 2 },
  before: { id: "00000000-0000-4000-8000-000000000002", name: "Acme", employees: 1 },
  updatedFields: ["employees"],
  actor: { source: "API", workspaceMemberId: null, name: "k" },
  occurredAt: new Date().toISOString()
})

describe("webhooks", () => {
  test("operation matching with wildcards", () => {
    expect(operationMatches("company.updated", "company.updated")).toBe(true)
    expect(operationMatches("*.updated", "company.updated")).toBe(true)
    expect(operationMatches("company.*", "company.updated")).toBe(true)
    expect(operationMatches("*.*", "person.created")).toBe(true)
    expect(operationMatches("company.created", "company.updated")).toBe(false)
    expect(operationMatches("person.*", "company.updated")).toBe(false)
  })

  test("private and loopback addresses are recognised", () => {
    for (const a of ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1"]) {
      expect(isPrivateAddress(a)).toBe(true)
    }
    for (const a of ["93.184.216.34", "8.8.8.8", "2606:4700::1111"]) expect(isPrivateAddress(a)).toBe(false)
  })

  test("managed through /metadata; loopback refused unless configuration allows it", async () => {
    const refused = await gql(strict, `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["*.*"] }) { id } }`, { url: target })
    expect(refused.errors[0].extensions.code).toBe("BAD_USER_INPUT")
    expect(refused.errors[0].message).toContain("private address")
    const badOperation = await gql(app, `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["company.exploded"] }) { id } }`, { url: target })
    expect(badOperation.errors[0].extensions.code).toBe("BAD_USER_INPUT")

    const created = await gql(app, `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["company.*"], secret: "s3cret" }) { id operations } }`, { url: target })
    expect(created.errors).toBeUndefined()
    const updated = await gql(app, `mutation($id: UUID!) { updateWebhook(input: { id: $id, update: { description: "CRM sync" } }) { description } }`, { id: created.data.createWebhook.id })
    expect(updated.data.updateWebhook.description).toBe("CRM sync")
    const list = await gql(app, `{ webhooks { id targetUrl } }`)
    expect(list.data.webhooks).toHaveLength(1)
  })

  test("delivery: Twenty's body and signature, verified by the receiver; failures are recorded and retried", async () => {
    const webhook = (await gql(app, `{ webhooks { id } }`)).data.webhooks[0]
    received.length = 0
    await app.run(Effect.flatMap(Webhooks, (w) => w.deliver(webhook.id, event(), 1)))
    expect(received).toHaveLength(1)
    const { headers, body } = received[0]!
    const timestamp = headers.get("x-twenty-webhook-timestamp")!
    expect(headers.get("x-twenty-webhook-signature")).toBe(signature("s3cret", timestamp, body))
    expect(headers.get("x-twenty-webhook-nonce")).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.parse(body)).toMatchObject({
      eventName: "company.updated",
      objectMetadata: { nameSingular: "company" },
      workspaceId: account.workspaceId,
      webhookId: webhook.id,
      record: { name: "Acme", employees: 2 },
      updatedFields: ["employees"]
    })

    status = 503
    const failed = await app.run(Effect.either(Effect.flatMap(Webhooks, (w) => w.deliver(webhook.id, event(), 2))))
    status = 200
    expect(failed._tag).toBe("Left")
    const deliveries = await gql(app, `query($id: UUID!) { webhookDeliveries(webhookId: $id) { attempt success responseStatus error } }`, { id: webhook.id })
    expect(deliveries.data.webhookDeliveries).toEqual([
      { attempt: 2, success: false, responseStatus: 503, error: "HTTP 503" },
      { attempt: 1, success: true, responseStatus: 200, error: null }
    ])
    const matching = await app.run(Effect.flatMap(Webhooks, (w) => w.matching(account.workspaceId, "person.created")))
    expect(matching).toEqual([])
  })
})

describe("server-side request forgery", () => {
  const BYPASS_HOSTS = ["[::ffff:7f00:1]", "[::ffff:169.254.169.254]", "[0:0:0:0:0:ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]"]

  test("createWebhook refuses every spelling of a private address and names the setting that allows it", async () => {
    for (const host of BYPASS_HOSTS) {
      const refused = await gql(strict, `mutation($url: String!) { createWebhook(input: { targetUrl: $url }) { id } }`, { url: `http://${host}:${receiver.port}/hook` })
      expect([host, refused.errors?.[0]?.extensions.code]).toEqual([host, "BAD_USER_INPUT"])
      expect(refused.errors[0].message).toContain("WEBHOOK_ALLOW_PRIVATE_ADDRESSES")
    }
  })

  test("delivery refuses them too (a target stored before the check or by another path), and records only the class", async () => {
    const created = await gql(app, `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["person.*"] }) { id } }`, { url: target })
    const id = created.data.createWebhook.id
    received.length = 0
    for (const host of BYPASS_HOSTS) {
      await strict.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE core.webhook SET "targetUrl" = ${`http://${host}:${receiver.port}/hook`} WHERE id = ${id}`))
      const failed = await strict.run(Effect.either(Effect.flatMap(Webhooks, (w) => w.deliver(id, event(), 1))))
      expect(failed._tag).toBe("Left")
    }
    expect(received).toHaveLength(0)
    const deliveries = await gql(strict, `query($id: UUID!) { webhookDeliveries(webhookId: $id) { success responseStatus error } }`, { id })
    expect(deliveries.data.webhookDeliveries).toEqual(BYPASS_HOSTS.map(() => ({ success: false, responseStatus: null, error: "refused: private address" })))
  })

  test("webhookDeliveries shows a closed port as a generic connection failure, not the network error text", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
    const port = closed.port
    closed.stop(true)
    const created = await gql(app, `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["person.*"] }) { id } }`, { url: `http://127.0.0.1:${port}/` })
    const id = created.data.createWebhook.id
    await app.run(Effect.either(Effect.flatMap(Webhooks, (w) => w.deliver(id, event(), 1))))
    const deliveries = await gql(app, `query($id: UUID!) { webhookDeliveries(webhookId: $id) { success error } }`, { id })
    expect(deliveries.data.webhookDeliveries).toEqual([{ success: false, error: "connection failed" }])
  })
})

describe("client-chosen webhook ids", () => {
  test("an id taken in another workspace is a conflict worded as one in the same workspace: nothing tells them apart", async () => {
    const other = await signUpWithWorkspace(app)
    const id = crypto.randomUUID()
    const create = (token: string) =>
      app.gql(`mutation($id: UUID!, $url: String!) { createWebhook(input: { id: $id, targetUrl: $url }) { id } }`, { id, url: target }, token)
    const first = await create(other.accessToken)
    expect(first.body.data?.createWebhook.id).toBe(id)
    const foreign = await create(account.accessToken)
    const own = await create(other.accessToken)
    expect(foreign.body.errors?.[0]?.extensions.code).toBe("CONFLICT")
    expect(foreign.body.errors![0]!.message).toBe(own.body.errors?.[0]?.message!)
    expect(foreign.status).toBe(own.status)
    const rest = await app.request("/rest/metadata/webhooks", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
      body: JSON.stringify({ id, targetUrl: target })
    })
    expect(rest.status).toBe(409)
    expect(await rest.json()).toMatchObject({ statusCode: 409, error: "ConflictException" })
  })
})

describe("/rest/metadata/webhooks", () => {
  test("create, list, update and delete over REST", async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await app.request(path, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
        ...(body ? { body: JSON.stringify(body) } : {})
      })
      return { status: response.status, body: await response.json() as any }
    }
    const created = await call("POST", "/rest/metadata/webhooks", { targetUrl: target, operations: ["person.*"] })
    expect(created.status).toBe(201)
    const id = created.body.data.createWebhook.id
    expect((await call("GET", "/rest/metadata/webhooks")).body.data.webhooks.map((w: any) => w.id)).toContain(id)
    expect((await call("PATCH", `/rest/metadata/webhooks/${id}`, { operations: ["*.*"] })).body.data.updateWebhook.operations).toEqual(["*.*"])
    expect((await call("POST", "/rest/metadata/webhooks", { targetUrl: "ftp://example.com" })).status).toBe(400)
    expect((await call("DELETE", `/rest/metadata/webhooks/${id}`)).body).toEqual({ data: { deleteWebhook: { id } } })
    expect((await call("GET", `/rest/metadata/webhooks/${id}`)).status).toBe(404)
  })
})
