import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { runRelay } from "../src/services/events/index.js"
import { signature } from "../src/services/webhooks/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>
const received: Array<{ headers: Headers; body: string }> = []
let failuresLeft = 1
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const body = await request.text()
    if (failuresLeft > 0) {
      failuresLeft--
      return new Response("try later", { status: 500 })
    }
    received.push({ headers: request.headers, body })
    return new Response("ok")
  }
})

beforeAll(async () => {
  // The app's own REDIS_KEY_PREFIX (startTestApp): no other file's worker takes these jobs.
  app = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true" } })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(
    Effect.gen(function*() {
      yield* Effect.forkScoped(runRelay("20 millis"))
      yield* runWorker(registry)
      return yield* Effect.never
    })
  )))
})
afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  receiver.stop(true)
  await app.close()
})

test("a GraphQL write reaches a signed webhook through the outbox, the Redis queue and a retry", async () => {
  const account = await signUpWithWorkspace(app)
  const key = (await createApiKey(app, account.accessToken)).token
  const hook = await app.gql(
    `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["company.created"], secret: "flow-secret" }) { id } }`,
    { url: `http://127.0.0.1:${receiver.port}/` },
    account.accessToken
  )
  const webhookId = hook.body.data.createWebhook.id
  const created = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: `mutation { createCompany(data: { name: "Hooked" }) { id } } ` })
  })
  const companyId = ((await created.json()) as any).data.createCompany.id

  const deadline = Date.now() + 15_000
  while (received.length === 0 && Date.now() < deadline) await Bun.sleep(50)
  expect(received).toHaveLength(1)
  const { headers, body } = received[0]!
  expect(headers.get("x-twenty-webhook-signature")).toBe(signature("flow-secret", headers.get("x-twenty-webhook-timestamp")!, body))
  expect(JSON.parse(body)).toMatchObject({ eventName: "company.created", webhookId, record: { id: companyId, name: "Hooked" } })

  const deliveries = await app.gql(`query($id: UUID!) { webhookDeliveries(webhookId: $id) { attempt success responseStatus } }`, { id: webhookId }, account.accessToken)
  expect(deliveries.body.data.webhookDeliveries).toEqual([
    { attempt: 2, success: true, responseStatus: 200 },
    { attempt: 1, success: false, responseStatus: 500 }
  ])
  const timeline = await app.request(`/rest/timelineActivities?filter=targetCompanyId[eq]:${companyId}&depth=0`, { headers: { authorization: `Bearer ${key}` } })
  expect(((await timeline.json()) as any).data.timelineActivities.map((t: any) => t.name)).toEqual(["company.created"])
}, 30_000)
