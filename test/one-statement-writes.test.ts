/**
 * Writes as one statement (records/write-statements.ts): the statements PostgreSQL runs per request are
 * counted on the wire (a protocol-reading relay between the server and PostgreSQL), the outbox rows are
 * the events recordEvents builds from the records before and after, a constraint violation mid-batch
 * writes nothing, and a restricted role's writes are still refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { Effect } from "effect"
import type { RecordEvent } from "../src/domain/events.js"
import { recordEvents } from "../src/services/events/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { compileAccess } from "../src/services/permissions/index.js"
import { Records } from "../src/services/records/index.js"
import { Model } from "../src/services/records/build-context.js"
import type { RecordsScope, Selection } from "../src/services/records/types.js"
import { fullSelection } from "../src/services/records/write.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { startPgStatementLog, type PgStatementLog } from "./support/pg-statement-log.js"
import { testRole } from "./support/roles.js"
import { eventOfOutbox, type OutboxPayload } from "../src/services/events/outbox.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let wire: PgStatementLog
let app: TestApp
let db: SQL
let token: string
let scope: RecordsScope

beforeAll(async () => {
  database = await createTestDatabase()
  const url = new URL(database.url)
  wire = startPgStatementLog({ host: url.hostname, port: Number(url.port || 5432) })
  url.host = `127.0.0.1:${wire.port}`
  app = await startTestApp({ redis: false, databaseUrl: url.href })
  db = new SQL(database.url)
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  scope = { workspaceId: account.workspaceId, actor: { source: "API", workspaceMemberId: null, name: "one statement" } }
  sel = await fullCompany()
})
afterAll(async () => {
  await db.close()
  await app.close()
  wire.close()
  await database.drop()
})

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> }
}

/** The statements a request had PostgreSQL run (after a first request warmed every cache it uses). */
const statementsOf = async <A>(request: () => Promise<A>) => {
  wire.clear()
  const answer = await request()
  return { answer, statements: wire.statements() }
}

const outbox = async (): Promise<Array<RecordEvent>> =>
  (await db`SELECT payload FROM core."eventOutbox" WHERE "workspaceId" = ${scope.workspaceId} ORDER BY id`).map((r: { payload: OutboxPayload }) => eventOfOutbox(r.payload))
const clearOutbox = () => db`DELETE FROM core."eventOutbox"`
const records = <A, E>(f: (r: typeof Records.Service) => Effect.Effect<A, E, never>) => app.run(Effect.flatMap(Records, f))
const companyObject = async () => (await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId)))).objects.find((o) => o.nameSingular === "company")!
/** Every depth-0 field of a company, as events carry them. */
const fullCompany = async (): Promise<Selection> => {
  const model = new Model(await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId))))
  return fullSelection(model, model.object("company"))
}
const companiesById = async (ids: ReadonlyArray<string>) =>
  records((r) => r.findMany(scope, "company", { filter: { id: { in: [...ids] } }, orderBy: [{ id: "AscNullsFirst" }] }, sel, { totalCount: false, aggregates: [] }))
    .then((c) => c.edges.map((e) => e.node))
let sel: Selection
/** Events compared per record: the time aside, in record id order. */
const withoutTime = (events: ReadonlyArray<RecordEvent>) =>
  events.map(({ occurredAt: _, ...rest }) => rest).sort((a, b) => a.recordId.localeCompare(b.recordId))

describe("one-statement writes", () => {
  test("a GraphQL create, update, delete, restore, destroy and a batch create each run one statement", async () => {
    const create = `mutation($data: CompanyCreateInput!) { createCompany(data: $data) { id name employees } }`
    expect((await gql(create, { data: { name: "Warm-up" } })).errors).toBeUndefined()
    const created = await statementsOf(() => gql(create, { data: { name: "Counted", employees: 3 } }))
    expect(created.answer.errors).toBeUndefined()
    expect(created.answer.data.createCompany).toMatchObject({ name: "Counted", employees: 3 })
    expect(created.statements).toHaveLength(1)
    expect(created.statements[0]).toContain(`INSERT INTO core."eventOutbox"`)
    const id = created.answer.data.createCompany.id

    const updated = await statementsOf(() => gql(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 4 }) { id employees } }`, { id }))
    expect(updated.answer.data.updateCompany.employees).toBe(4)
    expect(updated.statements).toHaveLength(1)
    const deleted = await statementsOf(() => gql(`mutation($id: UUID!) { deleteCompany(id: $id) { id deletedAt } }`, { id }))
    expect(deleted.answer.data.deleteCompany.deletedAt).toBeString()
    expect(deleted.statements).toHaveLength(1)
    const restored = await statementsOf(() => gql(`mutation($id: UUID!) { restoreCompany(id: $id) { id deletedAt } }`, { id }))
    expect(restored.answer.data.restoreCompany.deletedAt).toBeNull()
    expect(restored.statements).toHaveLength(1)
    const destroyed = await statementsOf(() => gql(`mutation($id: UUID!) { destroyCompany(id: $id) { id name } }`, { id }))
    expect(destroyed.answer.data.destroyCompany.name).toBe("Counted")
    expect(destroyed.statements).toHaveLength(1)

    const batch = await statementsOf(() => gql(`mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { name } }`,
      { data: [{ name: "B1" }, { name: "B2" }, { name: "B3" }] }))
    expect(batch.answer.data.createCompanies.map((c: { name: string }) => c.name)).toEqual(["B1", "B2", "B3"])
    expect(batch.statements).toHaveLength(1)

    const rest = (path: string, method: string, body: unknown) => async () => {
      const response = await app.request(path, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body)
      })
      return { status: response.status, body: await response.json() as any }
    }
    await rest("/rest/batch/companies", "POST", [{ name: "Warm-up R" }])()
    const restBatch = await statementsOf(rest("/rest/batch/companies", "POST", [{ name: "R1" }, { name: "R2" }]))
    expect(restBatch.answer.status).toBe(201)
    expect(restBatch.statements).toHaveLength(1)
    const restId = restBatch.answer.body.data.createCompanies[0].id
    const restUpdate = await statementsOf(rest(`/rest/companies/${restId}`, "PATCH", { employees: 9 }))
    expect(restUpdate.answer.body.data.updateCompany.employees).toBe(9)
    expect(restUpdate.statements).toHaveLength(1)
  })

  test("the outbox holds, per record, the events built from the records before and after", async () => {
    const object = await companyObject()
    await clearOutbox()
    const created = await records((r) => r.createMany(scope, "company", [{ name: "E1", employees: 1 }, { name: "E2", employees: 2 }], sel))
    const ids = created.map((c) => c["id"] as string).sort()
    const afterCreate = await companiesById(ids)
    expect([...created].sort((a, b) => ids.indexOf(a["id"] as string) - ids.indexOf(b["id"] as string))).toEqual(afterCreate)
    expect(withoutTime(await outbox())).toEqual(withoutTime(recordEvents(scope.workspaceId, object, "created", scope.actor,
      created.map((record) => ({ record })))))

    await clearOutbox()
    await records((r) => r.updateMany(scope, "company", { id: { in: ids } }, { employees: 7 }, sel))
    const afterUpdate = await companiesById(ids)
    const events = await outbox()
    expect(withoutTime(events)).toEqual(withoutTime(recordEvents(scope.workspaceId, object, "updated", scope.actor,
      afterUpdate.map((record, i) => ({ record, before: afterCreate[i]! })))))
    expect(events.map((e) => [e.recordId, e.record["employees"], e.updatedFields])).toEqual(ids.map((id) => [id, 7, ["employees"]]))
    expect(events.map((e) => e.before!["employees"]).sort()).toEqual([1, 2])

    // An update that changes nothing writes no event.
    await clearOutbox()
    await records((r) => r.updateMany(scope, "company", { id: { in: ids } }, { employees: 7 }, sel))
    expect(await outbox()).toEqual([])

    // Several fields written, some to the value they had: updatedFields names the changed ones, in the record's order.
    const beforeMixed = await companiesById(ids)
    await records((r) => r.updateMany(scope, "company", { id: { in: ids } },
      { employees: 7, name: "Mixed", address: { addressCity: "Lyon" }, idealCustomerProfile: beforeMixed[0]!["idealCustomerProfile"] }, sel))
    const afterMixed = await companiesById(ids)
    const mixed = await outbox()
    expect(withoutTime(mixed)).toEqual(withoutTime(recordEvents(scope.workspaceId, object, "updated", scope.actor,
      afterMixed.map((record, i) => ({ record, before: beforeMixed[i]! })))))
    expect(mixed.map((e) => e.updatedFields)).toEqual(ids.map(() => Object.keys(afterMixed[0]!).filter((k) => k === "name" || k === "address")))
    await clearOutbox()

    await records((r) => r.deleteMany(scope, "company", { id: { in: ids } }, sel))
    const afterDelete = await records((r) => r.findMany(scope, "company", { filter: { id: { in: ids }, deletedAt: { is: "NOT_NULL" } }, orderBy: [{ id: "AscNullsFirst" }] },
      sel, { totalCount: false, aggregates: [] })).then((c) => c.edges.map((e) => e.node))
    expect(withoutTime(await outbox())).toEqual(withoutTime(recordEvents(scope.workspaceId, object, "deleted", scope.actor, afterDelete.map((record) => ({ record })))))

    await clearOutbox()
    await records((r) => r.destroyMany(scope, "company", { id: { in: ids } }, sel))
    expect(withoutTime(await outbox())).toEqual(withoutTime(recordEvents(scope.workspaceId, object, "destroyed", scope.actor, afterDelete.map((record) => ({ record })))))
  })

  test("an upsert batch is one statement: created events for new rows, updated events with the earlier record for existing ones", async () => {
    const object = await companyObject()
    const upsert = `mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data, upsert: true) { id name employees } }`
    const [counted] = await records((r) => r.createMany(scope, "company", [{ name: "Up counted", employees: 1 }], sel))
    await gql(upsert, { data: [{ name: "Warm-up U" }] })
    const fresh = crypto.randomUUID()
    const upserted = await statementsOf(() => gql(upsert, { data: [{ id: counted!["id"], name: "Up counted 2", employees: 2 }, { id: fresh, name: "Up fresh", employees: 3 }] }))
    expect(upserted.answer.data.createCompanies).toEqual([
      { id: counted!["id"], name: "Up counted 2", employees: 2 },
      { id: fresh, name: "Up fresh", employees: 3 }
    ])
    expect(upserted.statements).toHaveLength(1)

    const [existing] = await records((r) => r.createMany(scope, "company", [{ name: "Up old", employees: 1 }], sel))
    const added = crypto.randomUUID()
    await clearOutbox()
    await records((r) => r.createMany(scope, "company", [{ id: existing!["id"], name: "Up new" }, { id: added, name: "Up added" }], sel, { upsert: true }))
    const rows = await companiesById([existing!["id"] as string, added])
    const after = rows.find((r) => r["id"] === existing!["id"])
    const created = rows.find((r) => r["id"] === added)
    expect(after!["name"]).toBe("Up new")
    expect(withoutTime(await outbox())).toEqual(withoutTime([
      ...recordEvents(scope.workspaceId, object, "updated", scope.actor, [{ record: after!, before: existing! }]),
      ...recordEvents(scope.workspaceId, object, "created", scope.actor, [{ record: created! }])
    ]))

    // Matched by a unique field: that lookup, then the one statement.
    await records((r) => r.createMany(scope, "company", [{ name: "By domain", domainName: { primaryLinkUrl: "https://by-domain.example" } }], sel))
    const matched = await statementsOf(() => gql(upsert, { data: [{ domainName: { primaryLinkUrl: "https://by-domain.example" }, employees: 8 }] }))
    expect(matched.answer.data.createCompanies).toMatchObject([{ name: "By domain", employees: 8 }])
    expect(matched.statements).toHaveLength(2)
  })

  test("a constraint violation mid-batch writes no record and no event", async () => {
    await clearOutbox()
    const domain = (url: string) => ({ primaryLinkUrl: url })
    const failed = await app.run(Effect.either(Effect.flatMap(Records, (r) =>
      r.createMany(scope, "company", [{ name: "Dup A", domainName: domain("https://dup.example") }, { name: "Dup B", domainName: domain("https://dup.example") }], sel))))
    expect(failed._tag).toBe("Left")
    expect((await records((r) => r.findMany(scope, "company", { filter: { name: { like: "Dup %" } } }, sel, { totalCount: true, aggregates: [] }))).totalCount).toBe(0)
    expect(await outbox()).toEqual([])

    const [a, b] = await records((r) => r.createMany(scope, "company", [{ name: "U1", domainName: domain("https://u1.example") }, { name: "U2" }], sel))
    await clearOutbox()
    const clash = await app.run(Effect.either(Effect.flatMap(Records, (r) =>
      r.updateMany(scope, "company", { id: { in: [a!["id"] as string, b!["id"] as string] } }, { domainName: domain("https://same.example") }, sel))))
    expect(clash._tag).toBe("Left")
    expect((await companiesById([a!["id"] as string, b!["id"] as string])).map((c) => (c["domainName"] as { primaryLinkUrl: string }).primaryLinkUrl))
      .toEqual([a!["id"], b!["id"]].sort().map((id) => id === a!["id"] ? "https://u1.example" : ""))
    expect(await outbox()).toEqual([])
  })

  test("a role's row filter still refuses writes outside it, and its writes answer its selection", async () => {
    const object = await companyObject()
    const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId)))
    const access = compileAccess(testRole({ canUpdateAllSettings: false, rowPermissions: [{ objectMetadataId: object.id, filter: { employees: { lt: 100 } } }] }), metadata)
    const limited: RecordsScope = { ...scope, access }
    const small = { fields: ["name", "employees"], relations: [] }
    await clearOutbox()
    const outside = await app.run(Effect.either(Effect.flatMap(Records, (r) => r.createMany(limited, "company", [{ name: "Big", employees: 500 }], small))))
    expect(outside._tag === "Left" && outside.left._tag).toBe("Forbidden")
    expect(await outbox()).toEqual([])

    const [big] = await records((r) => r.createMany(scope, "company", [{ name: "Hidden", employees: 900 }], small))
    await clearOutbox()
    const hidden = await app.run(Effect.either(Effect.flatMap(Records, (r) => r.updateOne(limited, "company", big!["id"] as string, { name: "Renamed" }, small))))
    expect(hidden._tag === "Left" && hidden.left._tag).toBe("NotFound")
    expect(await records((r) => r.destroyMany(limited, "company", { id: { eq: big!["id"] as string } }, small))).toEqual([])
    expect(await outbox()).toEqual([])

    const [mine] = await records((r) => r.createMany(limited, "company", [{ name: "Mine", employees: 5 }], small))
    expect(mine).toMatchObject({ name: "Mine", employees: 5 })
    const renamed = await records((r) => r.updateOne(limited, "company", mine!["id"] as string, { name: "Mine 2" }, small))
    expect(renamed).toEqual({ id: mine!["id"], name: "Mine 2", employees: 5 })
    expect((await outbox()).map((e) => e.name)).toEqual(["company.created", "company.updated"])
  })
})
