/**
 * The direct writes (records/write-direct.ts) against the reference writes (write.ts): the same input gives
 * the same record, the same outbox events and the same errors; a failed statement writes no event; a
 * totalCount moves at once; anything the direct path cannot answer exactly is left to the reference
 * (null before anything runs). Also the coalesced epoch bumps of the Redis result cache.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { Effect } from "effect"
import type { RecordEvent } from "../src/domain/events.js"
import { coalesced } from "../src/platform/cache/results.js"
import { Metadata } from "../src/services/metadata/index.js"
import { compileAccess } from "../src/services/permissions/index.js"
import { Records } from "../src/services/records/index.js"
import { Model } from "../src/services/records/build-context.js"
import type { RecordsScope, RecordValue, Selection } from "../src/services/records/types.js"
import { fullSelection } from "../src/services/records/write.js"
import { directWriteCounts } from "../src/services/records/write-direct.js"
import { restWriteLaneCounts } from "../src/http/rest/write-lane.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { testRole } from "./support/roles.js"
import { eventOfOutbox, type OutboxPayload } from "../src/services/events/outbox.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let app: TestApp
let db: SQL
let token: string
let scope: RecordsScope
let sel: Selection
let records: typeof Records.Service

beforeAll(async () => {
  database = await createTestDatabase()
  app = await startTestApp({ redis: false, databaseUrl: database.url })
  db = new SQL(database.url)
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  scope = { workspaceId: account.workspaceId, actor: { source: "API", workspaceMemberId: null, name: "direct writes" } }
  const model = new Model(await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId))))
  sel = fullSelection(model, model.object("company"))
  records = await app.run(Records)
  // The direct path answers once the workspace's model is in memory (any reference call loads it).
  await app.run(records.findMany(scope, "company", { first: 1 }, sel, { totalCount: false, aggregates: [] }))
})
afterAll(async () => {
  await db.close()
  await app.close()
  await database.drop() // a checkpoint: slow on a loaded machine
}, 60_000)

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> }
}

const outbox = async (): Promise<Array<RecordEvent>> =>
  (await db`SELECT payload FROM core."eventOutbox" WHERE "workspaceId" = ${scope.workspaceId} ORDER BY id`).map((r: { payload: OutboxPayload }) => eventOfOutbox(r.payload))
const clearOutbox = () => db`DELETE FROM core."eventOutbox"`
const either = <A, E>(effect: Effect.Effect<A, E>) => app.run(Effect.either(effect))
const settled = <A>(promise: Promise<A> | null) => {
  if (promise === null) throw new Error("the direct path did not take the write")
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))
}

/** A record or an event with what differs between two writes of the same input (ids, times) set aside. */
const TIMES = new Set(["id", "recordId", "createdAt", "updatedAt", "deletedAt", "occurredAt", "position"])
const comparable = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(comparable)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).filter(([k]) => !TIMES.has(k)).map(([k, v]) => [k, comparable(v)]))
    : value

const INPUT = {
  name: "Same input",
  employees: 12,
  domainName: { primaryLinkUrl: "https://same-input.example" },
  address: { addressCity: "Lyon" },
  xLink: { primaryLinkUrl: "" },
  createdBy: { source: "IMPORT" }
}

describe("direct writes", () => {
  test("create, update and soft delete answer the record and write the events the reference writes", async () => {
    await clearOutbox()
    const before = directWriteCounts.writes
    const direct = await settled(records.createOneDirect(scope, "company", { ...INPUT, domainName: { primaryLinkUrl: "https://direct.example" } }, sel))
    expect(directWriteCounts.writes).toBe(before + 1)
    const directEvents = await outbox()
    await clearOutbox()
    const [reference] = await app.run(records.createMany(scope, "company", [{ ...INPUT, domainName: { primaryLinkUrl: "https://reference.example" } }], sel))
    const referenceEvents = await outbox()
    expect(direct.ok).toBe(true)
    const created = direct.ok ? direct.value! : {}
    const strip = (r: unknown) => comparable({ ...(r as RecordValue), domainName: null })
    expect(strip(created)).toEqual(strip(reference))
    expect(directEvents.map((e) => e.recordId)).toEqual([created["id"] as string])
    expect(directEvents.map((e) => comparable({ ...e, record: strip(e.record) }))).toEqual(referenceEvents.map((e) => comparable({ ...e, record: strip(e.record) })))

    const ids = [created["id"] as string, reference!["id"] as string]
    await clearOutbox()
    const updated = await settled(records.updateOneDirect(scope, "company", ids[0]!, { employees: 40, name: "Renamed" }, sel))
    const updatedEvents = await outbox()
    await clearOutbox()
    const referenceUpdated = await app.run(records.updateOne(scope, "company", ids[1]!, { employees: 40, name: "Renamed" }, sel))
    expect(updated.ok && strip(updated.value)).toEqual(strip(referenceUpdated))
    const referenceUpdatedEvents = await outbox()
    expect(updatedEvents.map((e) => [e.name, [...e.updatedFields!].sort(), (e.before as RecordValue)["employees"]])).toEqual([["company.updated", ["employees", "name"], 12]])
    expect(updatedEvents.map((e) => comparable({ ...e, record: strip(e.record), before: strip(e.before) })))
      .toEqual(referenceUpdatedEvents.map((e) => comparable({ ...e, record: strip(e.record), before: strip(e.before) })))

    await clearOutbox()
    const deleted = await settled(records.deleteOneDirect(scope, "company", ids[0]!, sel))
    const deletedEvents = await outbox()
    await clearOutbox()
    const [referenceDeleted] = await app.run(records.deleteMany(scope, "company", { id: { eq: ids[1]! } }, sel))
    expect(deleted.ok && typeof deleted.value!["deletedAt"]).toBe("string")
    expect(deleted.ok && strip(deleted.value)).toEqual(strip(referenceDeleted))
    expect(deletedEvents.map((e) => comparable({ ...e, record: strip(e.record) }))).toEqual((await outbox()).map((e) => comparable({ ...e, record: strip(e.record) })))
    expect(deletedEvents.map((e) => e.name)).toEqual(["company.deleted"])

    await clearOutbox()
    const restored = await settled(records.restoreOneDirect(scope, "company", ids[0]!, sel))
    const restoredEvents = await outbox()
    await clearOutbox()
    const [referenceRestored] = await app.run(records.restoreMany(scope, "company", { id: { eq: ids[1]! } }, sel))
    expect(restored.ok && restored.value!["deletedAt"]).toBeNull()
    expect(restored.ok && strip(restored.value)).toEqual(strip(referenceRestored))
    expect(restoredEvents.map((e) => comparable({ ...e, record: strip(e.record) }))).toEqual((await outbox()).map((e) => comparable({ ...e, record: strip(e.record) })))
    expect(restoredEvents.map((e) => e.name)).toEqual(["company.restored"])
    // A live record is not restored again (restoreMany's `deletedAt IS NOT NULL`): not found, no event.
    await clearOutbox()
    expect(await records.restoreOneDirect(scope, "company", ids[0]!, sel)).toBeNull()
    expect(await outbox()).toEqual([])
  })

  test("a refused statement rejects with the reference's error and writes neither record nor event; a missing id is not found", async () => {
    await app.run(records.createMany(scope, "company", [{ name: "Taken", domainName: { primaryLinkUrl: "https://taken.example" } }], sel))
    await clearOutbox()
    const input = { name: "Clash", domainName: { primaryLinkUrl: "https://taken.example" } }
    const direct = await settled(records.createOneDirect(scope, "company", input, sel))
    const reference = await either(records.createMany(scope, "company", [input], sel))
    expect(direct.ok).toBe(false)
    expect(reference._tag).toBe("Left")
    const error = direct.ok ? null : direct.error as { _tag: string; message: string }
    expect(error && { tag: error._tag, message: error.message }).toEqual(reference._tag === "Left" ? { tag: reference.left._tag, message: reference.left.message } : null)
    expect(await outbox()).toEqual([])
    const clashes = await app.run(records.findMany(scope, "company", { filter: { name: { eq: "Clash" } } }, sel, { totalCount: true, aggregates: [] }))
    expect(clashes.totalCount).toBe(0)

    const missing = crypto.randomUUID()
    expect(await records.updateOneDirect(scope, "company", missing, { name: "x" }, sel)).toBeNull()
    expect(await records.deleteOneDirect(scope, "company", missing, sel)).toBeNull()
    expect(await records.restoreOneDirect(scope, "company", missing, sel)).toBeNull()
    expect(await outbox()).toEqual([])
  })

  test("what the direct path cannot answer exactly is left to the reference, before anything runs", async () => {
    const [target] = await app.run(records.createMany(scope, "company", [{ name: "Target" }], sel))
    const id = target!["id"] as string
    // Input the builders refuse: the reference answers with its error.
    expect(records.createOneDirect(scope, "company", { employees: "many" }, sel)).toBeNull()
    expect(records.createOneDirect(scope, "company", { nope: 1 }, sel)).toBeNull()
    expect(records.updateOneDirect(scope, "company", id, { id: crypto.randomUUID() }, sel)).toBeNull()
    expect(records.updateOneDirect(scope, "company", "not-a-uuid", {}, sel)).toBeNull()
    // Nested relation inputs, relations in the selection, a restricted role, workspace members, unknown objects.
    expect(records.createOneDirect(scope, "person", { company: { connect: { where: { id } } } }, { fields: ["id"], relations: [] })).toBeNull()
    expect(records.updateOneDirect(scope, "person", id, { company: { disconnect: true } }, { fields: ["id"], relations: [] })).toBeNull()
    // Refused by the reference on a field that is not a relation ("Connect is not allowed"), even where the value would fit.
    expect(records.createOneDirect(scope, "workflowVersion", { name: "v", trigger: { connect: 1 } }, { fields: ["id"], relations: [] })).toBeNull()
    expect(records.createOneDirect(scope, "company", { name: "R" }, { fields: ["id"], relations: [{ name: "people", selection: { fields: ["id"], relations: [] } } as never] })).toBeNull()
    const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId)))
    const company = metadata.objects.find((o) => o.nameSingular === "company")!
    const role = testRole({ canUpdateAllSettings: false, rowPermissions: [{ objectMetadataId: company.id, filter: { employees: { lt: 100 } } }] })
    const restricted = { ...scope, access: compileAccess(role, metadata) }
    expect(records.createOneDirect(restricted, "company", { name: "R" }, sel)).toBeNull()
    expect(records.deleteOneDirect(restricted, "company", id, sel)).toBeNull()
    expect(records.restoreOneDirect(restricted, "company", id, sel)).toBeNull()
    expect(records.restoreOneDirect(scope, "company", "not-a-uuid", sel)).toBeNull()
    expect(records.updateOneDirect(scope, "workspaceMember", id, {}, { fields: ["id"], relations: [] })).toBeNull()
    expect(records.createOneDirect(scope, "unicorn", {}, sel)).toBeNull()

    // Through /graphql the errors are the reference's.
    const clash = await gql(`mutation { createCompany(data: { name: "y", domainName: { primaryLinkUrl: "https://taken.example" } }) { id } }`)
    expect(clash.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([["A duplicate entry was detected: another record has the same value for a unique field", "BAD_USER_INPUT"]])
    const notFound = await gql(`mutation($id: UUID!) { updateCompany(id: $id, data: { name: "z" }) { id } }`, { id: crypto.randomUUID() })
    expect(notFound.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
    const deleteMissing = await gql(`mutation($id: UUID!) { deleteCompany(id: $id) { id } }`, { id: crypto.randomUUID() })
    expect(deleteMissing.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([["Record not found", "NOT_FOUND"]])
  })

  test("GraphQL mutations take the direct path, and a total read before a write is not served after it", async () => {
    const count = async () => (await gql(`{ companies { totalCount } }`)).data.companies.totalCount as number
    const start = await count()
    expect(await count()).toBe(start) // now cached
    const taken = directWriteCounts.writes
    const created = await gql(`mutation { createCompany(data: { name: "Counted", employees: 2 }) { id name employees createdBy { source name } } }`)
    expect(created.data.createCompany).toMatchObject({ name: "Counted", employees: 2, createdBy: { source: "API" } })
    expect(await count()).toBe(start + 1)
    const id = created.data.createCompany.id
    const updated = await gql(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 3 }) { id employees } }`, { id })
    expect(updated.data.updateCompany).toEqual({ id, employees: 3 })
    const deleted = await gql(`mutation($id: UUID!) { deleteCompany(id: $id) { id deletedAt } }`, { id })
    expect(deleted.data.deleteCompany.deletedAt).toBeString()
    expect(await count()).toBe(start)
    const restored = await gql(`mutation($id: UUID!) { restoreCompany(id: $id) { id deletedAt employees } }`, { id })
    expect(restored.data.restoreCompany).toEqual({ id, deletedAt: null, employees: 3 })
    expect(await count()).toBe(start + 1)
    const restoreLive = await gql(`mutation($id: UUID!) { restoreCompany(id: $id) { id } }`, { id })
    expect(restoreLive.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([["Record not found", "NOT_FOUND"]])
    expect(directWriteCounts.writes).toBe(taken + 5)
  })
})

describe("REST write lane", () => {
  const rest = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
    })
    return { status: response.status, body: await response.json() as any }
  }

  test("POST, PATCH, DELETE ?soft_delete=true and PATCH …/restore answer as the Effect routes (depth=0 there) and are taken by the lane", async () => {
    await rest("POST", "/rest/companies", { name: "Warm-up" }) // the caller's access is then in memory
    const taken = restWriteLaneCounts.lane
    const input = { name: "Rest same", employees: 5, address: { addressCity: "Nantes" } }
    const lane = await rest("POST", "/rest/companies", input)
    const reference = await rest("POST", "/rest/companies?depth=0", input)
    expect(lane.status).toBe(201)
    expect(reference.status).toBe(201)
    expect(comparable(lane.body)).toEqual(comparable(reference.body))
    expect(Object.keys(lane.body.data.createCompany)).toEqual(Object.keys(reference.body.data.createCompany))
    const [laneId, referenceId] = [lane.body.data.createCompany.id, reference.body.data.createCompany.id]

    const patched = await rest("PATCH", `/rest/companies/${laneId}`, { employees: 6 })
    const referencePatched = await rest("PATCH", `/rest/companies/${referenceId}?depth=0`, { employees: 6 })
    expect(patched.status).toBe(200)
    expect(patched.body.data.updateCompany.employees).toBe(6)
    expect(comparable(patched.body)).toEqual(comparable(referencePatched.body))

    const deleted = await rest("DELETE", `/rest/companies/${laneId}?soft_delete=true`)
    const referenceDeleted = await rest("DELETE", `/rest/companies/${referenceId}?soft_delete=true&depth=0`)
    expect(deleted).toEqual({ status: 200, body: { data: { deleteCompany: { id: laneId } } } })
    expect(referenceDeleted).toEqual({ status: 200, body: { data: { deleteCompany: { id: referenceId } } } })

    const restored = await rest("PATCH", `/rest/companies/${laneId}/restore`)
    const referenceRestored = await rest("PATCH", `/rest/companies/${referenceId}/restore?depth=0`)
    expect(restored.status).toBe(200)
    expect(restored.body.data.restoreCompany).toMatchObject({ id: laneId, deletedAt: null, employees: 6 })
    expect(comparable(restored.body)).toEqual(comparable(referenceRestored.body))
    expect(Object.keys(restored.body.data.restoreCompany)).toEqual(Object.keys(referenceRestored.body.data.restoreCompany))
    expect(restWriteLaneCounts.lane).toBe(taken + 4)
    // Restoring a live record is the Effect route's 404.
    const again = await rest("PATCH", `/rest/companies/${laneId}/restore`)
    expect(again).toEqual(await rest("PATCH", `/rest/companies/${laneId}/restore?depth=0`))
    expect(again.status).toBe(404)
    expect(restWriteLaneCounts.lane).toBe(taken + 4)
  })

  test("what the lane does not take is answered by the Effect route, errors included", async () => {
    const taken = restWriteLaneCounts.lane
    const missing = crypto.randomUUID()
    expect(await rest("PATCH", `/rest/companies/${missing}`, { name: "x" })).toEqual(await rest("PATCH", `/rest/companies/${missing}?depth=0`, { name: "x" }))
    expect((await rest("PATCH", `/rest/companies/${missing}`, { name: "x" })).status).toBe(404)
    expect((await rest("DELETE", `/rest/companies/${missing}?soft_delete=true`)).status).toBe(404)
    const notJson = await rest("POST", "/rest/companies", "{nope")
    expect(notJson.status).toBe(400)
    const refused = await rest("POST", "/rest/companies", { employees: "many" })
    expect(refused).toEqual(await rest("POST", "/rest/companies?depth=0", { employees: "many" }))
    expect(refused.status).toBe(400)
    await rest("POST", "/rest/companies", { name: "c", domainName: { primaryLinkUrl: "https://rest-taken.example" } })
    const clash = await rest("POST", "/rest/companies", { name: "c", domainName: { primaryLinkUrl: "https://rest-taken.example" } })
    expect(clash.status).toBe(400)
    expect(clash.body.messages).toEqual(["A duplicate entry was detected: another record has the same value for a unique field"])
    const created = await rest("POST", "/rest/companies", { name: "Own id" })
    const again = await rest("POST", "/rest/companies", { id: created.body.data.createCompany.id, name: "Own id again" })
    expect(again.body.messages ?? again.body).toEqual(["Record already exists"])
    expect(restWriteLaneCounts.lane).toBe(taken + 2)
  })
})

describe("event outbox storage", () => {
  test("events are compressed with lz4 where PostgreSQL has it (migration 20)", async () => {
    const [column] = await db`SELECT attcompression AS method FROM pg_attribute WHERE attrelid = 'core."eventOutbox"'::regclass AND attname = 'payload'`
    expect(column.method).toBe("l")
  })

  test("the payload is json (migration 21): the statement puts the records' JSON in as built", async () => {
    const [column] = await db`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'core."eventOutbox"'::regclass AND attname = 'payload'`
    expect(column.type).toBe("json")
  })

  test("an update's event stores the written fields as they were; the relay gives the whole earlier record", async () => {
    const [company] = await app.run(records.createMany(scope, "company", [{ name: "Stored", employees: 1, address: { addressCity: "Nice" } }], sel))
    const id = company!["id"] as string
    await clearOutbox()
    await settled(records.updateOneDirect(scope, "company", id, { employees: 2 }, sel))
    const [row] = await db`SELECT payload FROM core."eventOutbox" WHERE "recordId" = ${id}`
    const stored = row.payload as OutboxPayload
    expect(stored.before).toBeUndefined()
    expect(Object.keys(stored.beforeFields!).sort()).toEqual(["employees", "id", "updatedAt", "updatedBy"])
    const event = eventOfOutbox(stored)
    expect(event.before).toEqual({ ...company, employees: 1 })
    expect(Object.keys(event.before!)).toEqual(Object.keys(event.record))
    expect(event.updatedFields).toEqual(["employees"])
    expect("beforeFields" in event).toBe(false)
  })
})

describe("coalesced epoch bumps", () => {
  test("a bump asked for while one is in flight goes in the next script, never in the one already sent", async () => {
    const sent: Array<{ keys: ReadonlyArray<string>; land: () => void }> = []
    const bump = coalesced((keys) => new Promise<void>((resolve) => sent.push({ keys, land: resolve })))
    const landed: Array<string> = []
    const first = bump(["a"]).then(() => landed.push("a"))
    const second = bump(["b", "c"]).then(() => landed.push("b"))
    const third = bump(["c"]).then(() => landed.push("c"))
    expect(sent.map((s) => s.keys)).toEqual([["a"]])
    sent[0]!.land()
    await first
    expect(landed).toEqual(["a"])
    await Bun.sleep(0)
    expect(sent.map((s) => s.keys)).toEqual([["a"], ["b", "c"]])
    sent[1]!.land()
    await Promise.all([second, third])
    expect(landed).toEqual(["a", "b", "c"])
    // Nothing in flight: the next bump is sent at once.
    const fourth = bump(["d"])
    expect(sent.map((s) => s.keys)).toEqual([["a"], ["b", "c"], ["d"]])
    sent[2]!.land()
    await fourth
  })
})
