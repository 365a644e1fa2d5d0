import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { Effect, Layer, Option } from "effect"
import type { RecordEvent } from "../src/domain/events.js"
import { EVENTS_QUEUE, relayOnce } from "../src/services/events/index.js"
import { JobQueue } from "../src/platform/queue/index.js"
import { Records } from "../src/services/records/index.js"
import type { RecordsScope } from "../src/services/records/types.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { eventOfOutbox, type OutboxPayload } from "../src/services/events/outbox.js"

let app: TestApp
let db: SQL
let scope: RecordsScope
const sel = { fields: ["name"], relations: [] }

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  db = new SQL(app.databaseUrl)
  const account = await signUpWithWorkspace(app)
  scope = { workspaceId: account.workspaceId, actor: { source: "API", workspaceMemberId: null, name: "events test" } }
})
afterAll(async () => {
  await db.close()
  await app.close()
})

const outbox = async (): Promise<Array<RecordEvent>> =>
  (await db`SELECT payload FROM core."eventOutbox" WHERE "workspaceId" = ${scope.workspaceId} ORDER BY id`).map((r: { payload: OutboxPayload }) => eventOfOutbox(r.payload))
const clearOutbox = () => db`DELETE FROM core."eventOutbox"`
const records = <A, E>(f: (r: typeof Records.Service) => Effect.Effect<A, E, never>) => app.run(Effect.flatMap(Records, f))

describe("record events", () => {
  test("every write kind is recorded in the outbox with the record, the diff and the actor", async () => {
    await clearOutbox()
    const [company] = await records((r) => r.createMany(scope, "company", [{ name: "Evented", employees: 1 }], sel))
    const id = company!["id"] as string
    await records((r) => r.updateOne(scope, "company", id, { employees: 2 }, sel))
    await records((r) => r.updateOne(scope, "company", id, { employees: 2 }, sel))
    await records((r) => r.deleteMany(scope, "company", { id: { eq: id } }, sel))
    await records((r) => r.restoreMany(scope, "company", { id: { eq: id } }, sel))
    await records((r) => r.destroyMany(scope, "company", { id: { eq: id } }, sel))
    const events = await outbox()
    expect(events.map((e) => e.name)).toEqual(["company.created", "company.updated", "company.deleted", "company.restored", "company.destroyed"])
    const updated = events[1]!
    expect(updated.updatedFields).toEqual(["employees"])
    expect(updated.before!["employees"]).toBe(1)
    expect(updated.record["employees"]).toBe(2)
    expect(updated.actor).toMatchObject({ source: "API", name: "events test" })
    expect(events[4]!.record["name"]).toBe("Evented")
    expect(events.every((e) => e.recordId === id && e.workspaceId === scope.workspaceId)).toBe(true)
  })

  test("a failed write leaves no event behind", async () => {
    await clearOutbox()
    const failed = await app.run(Effect.either(Effect.flatMap(Records, (r) => r.createMany(scope, "company", [{ name: "ok" }, { employees: "bad" }], sel))))
    expect(failed._tag).toBe("Left")
    expect(await outbox()).toEqual([])
  })

  test("the relay moves events to the queue once, and keeps them when the queue is down", async () => {
    await clearOutbox()
    await records((r) => r.createMany(scope, "person", [{ name: { firstName: "A" } }, { name: { firstName: "B" } }], sel))
    const failingQueue = Layer.succeed(JobQueue, {
      enqueue: () => Effect.fail(new Error("queue down")),
      enqueueMany: () => Effect.fail(new Error("queue down")),
      take: () => Effect.succeed(Option.none()),
      size: () => Effect.succeed(0)
    } as unknown as typeof JobQueue.Service)
    const down = await app.run(Effect.either(relayOnce.pipe(Effect.provide(failingQueue))))
    expect(down._tag).toBe("Left")
    expect(await outbox()).toHaveLength(2)

    expect(await app.run(relayOnce)).toBe(2)
    expect(await outbox()).toEqual([])
    const delivered = await app.run(Effect.flatMap(JobQueue, (q) =>
      Effect.all([q.take(EVENTS_QUEUE, "1 second"), q.take(EVENTS_QUEUE, "1 second"), q.take(EVENTS_QUEUE, "50 millis")])))
    expect(delivered.slice(0, 2).map((job) => (Option.getOrThrow(job).data as RecordEvent).name)).toEqual(["person.created", "person.created"])
    expect(Option.isNone(delivered[2]!)).toBe(true)
  })
})

describe("event consumers", () => {
  test("a record's events become its timeline activities; updates within 10 minutes merge", async () => {
    const { handleRecordEvent } = await import("../src/services/events/handlers.js")
    await clearOutbox()
    const [company] = await records((r) => r.createMany(scope, "company", [{ name: "Timeline Co", employees: 1 }], sel))
    const id = company!["id"] as string
    await records((r) => r.updateOne(scope, "company", id, { employees: 2 }, sel))
    await records((r) => r.updateOne(scope, "company", id, { employees: 3, name: "Timeline Inc" }, sel))
    for (const event of await outbox()) await app.run(handleRecordEvent(event))
    const activities = await records((r) =>
      r.findMany(scope, "timelineActivity", { filter: { targetCompanyId: { eq: id } }, orderBy: [{ happensAt: "AscNullsFirst" }] }, { fields: ["name", "properties", "linkedRecordCachedName"], relations: [] }, { totalCount: false, aggregates: [] }))
    const nodes = activities.edges.map((e) => e.node)
    expect(nodes.map((n) => n["name"])).toEqual(["company.created", "company.updated"])
    expect(nodes[0]!["linkedRecordCachedName"]).toBe("Timeline Co")
    expect((nodes[1]!["properties"] as any).diff).toEqual({
      employees: { before: 1, after: 3 },
      name: { before: "Timeline Co", after: "Timeline Inc" }
    })
  })
})
