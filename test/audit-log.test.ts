/**
 * The audit log and Twenty's analytics tables, the same file against both stores: PostgreSQL (no
 * CLICKHOUSE_URL) and a real ClickHouse 18.16 started for this file. Events go request → audit outbox
 * (or record outbox → relay → audit outbox) → drain → store, and are read back with `auditLogs`.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import type { AuditEvent } from "../src/domain/audit.js"
import { AuditLog } from "../src/services/audit/index.js"
import { drainAuditOnce } from "../src/services/audit/drain.js"
import { relayOnce } from "../src/services/events/index.js"
import { Webhooks } from "../src/services/webhooks/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { type ClickHouseServer, hasClickHouse, startClickHouse } from "./support/clickhouse.js"
import { addMemberWithRole, createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { workflowClient } from "./support/workflows.js"

type Gql = { status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: any }> } }
const ok = (result: Gql) => {
  if (result.body.errors?.length) throw new Error(JSON.stringify(result.body.errors))
  return result.body.data
}

const EVENT_FIELDS = `id kind workspaceId actor { type id name } objectName recordId details occurredAt`

const backends = hasClickHouse ? ["postgresql", "clickhouse"] as const : ["postgresql"] as const

describe.each(backends)("audit log on %s", (backend) => {
  let app: TestApp
  let clickhouse: ClickHouseServer | null = null
  let a: Awaited<ReturnType<typeof signUpWithWorkspace>>
  let b: Awaited<ReturnType<typeof signUpWithWorkspace>>
  let receiver: ReturnType<typeof Bun.serve>

  const drain = async () => {
    await app.run(relayOnce)
    while ((await app.run(drainAuditOnce)) > 0) { /* until the outbox is empty */ }
  }
  const auditLogs = (token: string, variables: Record<string, unknown> = {}) =>
    app.gql(
      `query($filter: AuditLogFilter, $first: Int, $after: ConnectionCursor) {
        auditLogs(filter: $filter, first: $first, after: $after) {
          edges { cursor node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      variables,
      token
    )
  const events = async (token: string, filter: Record<string, unknown> = {}) => {
    const all: Array<any> = []
    let after: string | null = null
    while (true) {
      const page: any = ok(await auditLogs(token, { filter, first: 200, after })).auditLogs
      all.push(...page.edges.map((e: any) => e.node))
      if (!page.pageInfo.hasNextPage) return all
      after = page.pageInfo.endCursor
    }
  }
  const outboxRows = () =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM core."auditOutbox"`))
      .then(([row]) => row!.n)

  beforeAll(async () => {
    if (backend === "clickhouse") clickhouse = await startClickHouse()
    app = await startTestApp({
      env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: "true", ...(clickhouse ? { CLICKHOUSE_URL: clickhouse.url } : {}) }
    })
    receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") })
    a = await signUpWithWorkspace(app, { name: "Audited" })
    b = await signUpWithWorkspace(app, { name: "Elsewhere" })
  }, 60_000)
  afterAll(async () => {
    receiver?.stop(true)
    await app?.close()
    await clickhouse?.stop()
  })

  test("the store is the one configured", async () => {
    expect(await app.run(Effect.map(AuditLog, (log) => log.backend))).toBe(backend)
  })

  test("each kind of event lands, with its actor, and only in its own workspace", async () => {
    const signIn = (password: string) =>
      app.gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: a.email, p: password })
    ok(await signIn(a.password))
    expect((await signIn("wrong password!")).body.errors?.length).toBe(1)
    const renew = () => app.gql(`mutation($t: String!) { renewToken(appToken: $t) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: a.refreshToken })
    ok(await renew())
    expect((await renew()).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    // The reuse ended every session: sign in again for a token.
    const fresh = await signUpWithWorkspace(app, { name: "Audited again" })
    const token = fresh.accessToken
    const key = await createApiKey(app, token, "audited key")
    ok(await app.gql(`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id } }`, { id: key.id }, token))
    const role = ok(await app.gql(`mutation { createOneRole(createRoleInput: { label: "Auditor" }) { id } }`, {}, token)).createOneRole
    ok(await app.gql(
      `mutation($r: UUID!) { upsertPermissionFlags(upsertPermissionFlagsInput: { roleId: $r, permissionFlagKeys: [SECURITY] }) { flag } }`,
      { r: role.id },
      token
    ))
    const object = ok(await app.gql(
      `mutation { createOneObject(input: { object: { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" } }) { id } }`,
      {},
      token
    )).createOneObject
    ok(await app.gql(
      `mutation($o: UUID!) { createOneField(input: { field: { objectMetadataId: $o, type: NUMBER, name: "amount", label: "Amount" } }) { id } }`,
      { o: object.id },
      token
    ))
    const guest = await addMemberWithRole(app, fresh.workspaceId, "Guest")
    expect((await auditLogs(guest.token)).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    const created = await app.request("/rest/companies", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Audited Co" })
    })
    expect(created.status).toBe(201)
    const company = (await created.json() as any).data.createCompany
    const webhook = ok(await app.gql(
      `mutation($url: String!) { createWebhook(input: { targetUrl: $url, operations: ["*.*"] }) { id } }`,
      { url: `http://127.0.0.1:${receiver.port}/hook` },
      token
    )).createWebhook
    await app.run(Effect.flatMap(Webhooks, (w) => w.deliver(webhook.id, {
      name: "company.created",
      action: "created",
      workspaceId: fresh.workspaceId,
      objectMetadataId: object.id,
      objectNameSingular: "company",
      recordId: company.id,
      record: { id: company.id },
      actor: { source: "API", workspaceMemberId: null, name: "test" },
      occurredAt: new Date().toISOString()
    }, 1)))
    await drain()

    const mine = await events(token)
    const kinds = new Set(mine.map((e) => e.kind))
    for (const kind of [
      "apiKey.created", "apiKey.revoked", "role.created", "role.updated", "object.created", "field.created",
      "permission.denied", "record.created", "webhook.delivered"
    ]) expect(kinds).toContain(kind)
    const write = mine.find((e) => e.kind === "record.created" && e.recordId === company.id)
    expect(write).toMatchObject({ objectName: "company", actor: { type: "user" } })
    const denial = mine.find((e) => e.kind === "permission.denied")
    expect(denial).toMatchObject({ actor: { type: "user", id: guest.userId }, details: { flag: "SECURITY" } })
    expect(mine.find((e) => e.kind === "apiKey.created")).toMatchObject({ recordId: key.id, details: { name: "audited key" } })
    // Sign-ins are kept in the account's default workspace: `a`'s.
    const signInsOfA = await app.run(Effect.flatMap(AuditLog, (log) => log.list(a.workspaceId, {}, 200, null)))
    const aKinds = signInsOfA.events.map((e) => e.kind)
    expect(aKinds).toContain("signIn.succeeded")
    expect(aKinds).toContain("signIn.failed")
    expect(aKinds).toContain("refreshToken.reused")
    // Another workspace sees none of it.
    const theirs = await events(b.accessToken)
    expect(theirs.some((e) => e.workspaceId !== b.workspaceId)).toBe(false)
    expect(theirs.map((e) => e.id).filter((id) => mine.some((m) => m.id === id))).toEqual([])
  }, 60_000)

  test("filters and cursor pages answer the same events as one page", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Paged" })
    for (let i = 0; i < 7; i++) {
      ok(await app.gql(
        `mutation($n: String!) { createOneObject(input: { object: { nameSingular: $n, namePlural: "${"x"}${i}s", labelSingular: $n, labelPlural: "P${i}" } }) { id } }`,
        { n: `thing${i}` },
        owner.accessToken
      ))
    }
    await drain()
    const all = await events(owner.accessToken)
    const paged: Array<any> = []
    let after: string | null = null
    while (true) {
      const page: any = ok(await auditLogs(owner.accessToken, { first: 2, after })).auditLogs
      expect(page.edges.length).toBeLessThanOrEqual(2)
      paged.push(...page.edges.map((e: any) => e.node))
      if (!page.pageInfo.hasNextPage) break
      after = page.pageInfo.endCursor
    }
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id))
    const sorted = [...all].sort((x, y) => Date.parse(y.occurredAt) - Date.parse(x.occurredAt) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
    expect(all.map((e) => e.id)).toEqual(sorted.map((e) => e.id))

    const objects = await events(owner.accessToken, { kind: "object.created" })
    expect(objects.length).toBe(7)
    expect((await events(owner.accessToken, { objectName: "thing3" })).map((e) => e.kind)).toEqual(["object.created"])
    const ownerId = objects[0].actor.id
    expect((await events(owner.accessToken, { actorId: ownerId })).length).toBeGreaterThanOrEqual(7)
    const middle = objects[3].occurredAt
    const before = await events(owner.accessToken, { kind: "object.created", to: middle })
    const since = await events(owner.accessToken, { kind: "object.created", from: middle })
    expect(before.length + since.length).toBe(7)
    expect(before.every((e) => Date.parse(e.occurredAt) < Date.parse(middle))).toBe(true)
  }, 60_000)

  test("workflow run outcomes are audited by the system", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Flows" })
    const worker = await app.run(Effect.forkDaemon(Effect.scoped(
      Effect.zipRight(runWorker(registry, { pollInterval: "100 millis" }), Effect.never)
    )))
    try {
      const client = workflowClient(app, owner.accessToken)
      const { versionId } = await client.createWorkflow("Audited flow", { type: "MANUAL", settings: {}, nextStepIds: [] }, [])
      const runId = await client.run(versionId)
      expect((await client.settled(runId)).status).toBe("COMPLETED")
    } finally {
      await app.run(Fiber.interrupt(worker))
    }
    await drain()
    const outcomes = await events(owner.accessToken, { kind: "workflowRun.completed" })
    expect(outcomes.length).toBe(1)
    expect(outcomes[0]).toMatchObject({ objectName: "workflowRun", actor: { type: "system" } })
  }, 60_000)

  test("bad input is BAD_USER_INPUT", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Inputs" })
    const ask = async (variables: Record<string, unknown>) => (await auditLogs(owner.accessToken, variables)).body.errors?.[0]?.extensions?.code
    expect(await ask({ filter: { kind: "nope" } })).toBe("BAD_USER_INPUT")
    expect(await ask({ after: "not-a-cursor" })).toBe("BAD_USER_INPUT")
    expect(await ask({ first: 0 })).toBe("BAD_USER_INPUT")
    expect(await ask({ first: 201 })).toBe("BAD_USER_INPUT")
    expect(await ask({ filter: { objectName: "x".repeat(300) } })).toBe("BAD_USER_INPUT")
    expect(await ask({ filter: { objectName: "it's \\ quoted" } })).toBeUndefined()
  }, 30_000)

  test("an event written twice is stored once", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Twice" })
    const event: AuditEvent = {
      id: crypto.randomUUID(),
      workspaceId: owner.workspaceId,
      kind: "apiKey.created",
      actor: { type: "system", id: null, name: "System" },
      objectName: null,
      recordId: null,
      details: {},
      occurredAt: Date.now()
    }
    await app.run(Effect.flatMap(AuditLog, (log) => Effect.zipRight(log.write([event], []), log.write([event], []))))
    const listed = await app.run(Effect.flatMap(AuditLog, (log) => log.list(owner.workspaceId, { kind: "apiKey.created" }, 50, null)))
    expect(listed.events.filter((e) => e.id === event.id)).toEqual([event])
  })

  test("Twenty's analytics mutations and the record writes fill the analytics tables", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Analytics" })
    ok(await app.gql(`mutation { trackAnalytics(type: PAGEVIEW, name: "/objects/companies", properties: { href: "/objects/companies" }) { success } }`, {}, owner.accessToken))
    ok(await app.gql(`mutation { trackAnalytics(type: TRACK, event: "Custom Event", properties: {}) { success } }`, {}, owner.accessToken))
    ok(await app.gql(
      `mutation($r: UUID!, $o: UUID!) { createObjectEvent(event: "Object Record Viewed", recordId: $r, objectMetadataId: $o) { success } }`,
      { r: crypto.randomUUID(), o: crypto.randomUUID() },
      owner.accessToken
    ))
    const bad = await app.gql(`mutation { trackAnalytics(type: PAGEVIEW) { success } }`, {}, owner.accessToken)
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    const created = await app.request("/rest/people", {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: { firstName: "Ada", lastName: "L" } })
    })
    expect(created.status).toBe(201)
    await drain()
    const count = (table: "pageview" | "workspaceEvent" | "objectEvent") =>
      app.run(Effect.flatMap(AuditLog, (log) => log.countAnalytics(table, owner.workspaceId)))
    expect(await count("pageview")).toBe(1)
    expect(await count("workspaceEvent")).toBe(1)
    // "Object Record Viewed" and the person's "Object Record Created".
    expect(await count("objectEvent")).toBe(2)
  }, 30_000)

  if (backend === "clickhouse") {
    test("ClickHouse down: events wait in the outbox and arrive once it is back, none lost", async () => {
      const owner = await signUpWithWorkspace(app, { name: "Outage" })
      await drain()
      await clickhouse!.pause()
      for (let i = 0; i < 5; i++) await createApiKey(app, owner.accessToken, `during outage ${i}`)
      const waiting = await outboxRows()
      expect(waiting).toBeGreaterThanOrEqual(5)
      const failed = await app.run(Effect.either(drainAuditOnce))
      expect(failed._tag).toBe("Left")
      expect(await outboxRows()).toBe(waiting)
      await clickhouse!.restart()
      await drain()
      expect(await outboxRows()).toBe(0)
      const keys = await events(owner.accessToken, { kind: "apiKey.created" })
      expect(keys.map((e) => e.details.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `during outage ${i}`))
    }, 60_000)
  }
})
