/**
 * The direct writes' one-record statements (write-statements.ts createOneStatement, changeOneStatement):
 * planned without the steps a write by id never needs (the mutation-limit count, an order, an aggregate of
 * the records), and still as safe as the reference's locking statement when writes of one record race: each
 * update's event has the record as the previous update left it, and a record is soft-deleted once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import pg from "pg"
import type { RecordEvent } from "../src/domain/events.js"
import type { ResultCacheShape } from "../src/platform/cache/results.js"
import { eventOfOutbox, type OutboxPayload } from "../src/services/events/outbox.js"
import { Metadata } from "../src/services/metadata/index.js"
import { Model } from "../src/services/records/build-context.js"
import { DEFAULT_LIMITS } from "../src/services/records/limits.js"
import type { Models } from "../src/services/records/models.js"
import type { Statement, Statements } from "../src/services/records/statements.js"
import type { RecordsScope, RecordValue, Selection } from "../src/services/records/types.js"
import { fullSelection } from "../src/services/records/write.js"
import { type DirectWrites, makeDirectWrites } from "../src/services/records/write-direct.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let app: TestApp
let pool: pg.Pool
let scope: RecordsScope
let sel: Selection
let direct: DirectWrites
const sent: Array<Statement> = []

beforeAll(async () => {
  database = await createTestDatabase()
  app = await startTestApp({ redis: false, databaseUrl: database.url })
  pool = new pg.Pool({ connectionString: database.url, max: 3 })
  const account = await signUpWithWorkspace(app)
  scope = { workspaceId: account.workspaceId, actor: { source: "API", workspaceMemberId: null, name: "statements" } }
  const model = new Model(await app.run(Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId))))
  sel = fullSelection(model, model.object("company"))
  // The direct writes over this file's own pool, keeping each statement they send.
  const writeDirect = (statement: Statement) => {
    sent.push(statement)
    return pool.query(statement.text, [...statement.params]).then((result) => result.rows)
  }
  direct = makeDirectWrites(
    DEFAULT_LIMITS,
    { writeDirect } as unknown as Statements,
    { current: () => model } as unknown as Models,
    { bumpNow: () => Promise.resolve() } as unknown as ResultCacheShape,
    null
  )
})
afterAll(async () => {
  await pool.end()
  await app.close()
  await database.drop()
}, 60_000)

const must = <A>(promise: Promise<A> | null): Promise<A> => {
  if (promise === null) throw new Error("the direct path did not take the write")
  return promise
}

/** Every node type of a statement's plan, as PostgreSQL plans it for these parameters. */
const planNodes = async (statement: Statement) => {
  const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, [...statement.params])
  const types: Array<string> = []
  const walk = (node: { "Node Type": string; Plans?: Array<never> }) => {
    types.push(node["Node Type"])
    for (const child of node.Plans ?? []) walk(child)
  }
  walk(rows[0]["QUERY PLAN"][0].Plan)
  return types
}

const eventsOf = async (recordId: string): Promise<Array<RecordEvent>> =>
  (await pool.query(`SELECT payload FROM core."eventOutbox" WHERE "recordId" = $1 ORDER BY id`, [recordId]))
    .rows.map((r: { payload: OutboxPayload }) => eventOfOutbox(r.payload))

describe("one-record statements", () => {
  test("a create, update, soft delete and restore by id plan no limit, sort or aggregate", async () => {
    sent.length = 0
    const created = (await must(direct.createOneDirect(scope, "company", { name: "Planned", employees: 1 }, sel)))!
    const id = created["id"] as string
    await must(direct.updateOneDirect(scope, "company", id, { employees: 2 }, sel))
    await must(direct.deleteOneDirect(scope, "company", id, sel))
    await must(direct.restoreOneDirect(scope, "company", id, sel))
    expect(sent.length).toBe(4)
    for (const statement of sent) {
      const nodes = await planNodes(statement)
      expect(nodes.filter((n) => n === "Limit" || n === "Sort" || n === "Aggregate")).toEqual([])
    }
    expect((await eventsOf(id)).map((e) => e.name)).toEqual(["company.created", "company.updated", "company.deleted", "company.restored"])
    // A record that is not there: no row, so not found, and no event.
    const missing = crypto.randomUUID()
    expect(await must(direct.updateOneDirect(scope, "company", missing, { employees: 3 }, sel))).toBeNull()
    expect(await must(direct.deleteOneDirect(scope, "company", missing, sel))).toBeNull()
    expect(await eventsOf(missing)).toEqual([])
  })

  test("racing updates of one record: each event's before is the record the previous update left", async () => {
    const created = (await must(direct.createOneDirect(scope, "company", { name: "Raced", employees: 0 }, sel)))!
    const id = created["id"] as string
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => must(direct.updateOneDirect(scope, "company", id, { employees: i + 1 }, sel)))
    )
    expect(answers.every((a) => a !== null)).toBe(true)
    const updates = (await eventsOf(id)).filter((e) => e.name === "company.updated")
    expect(updates.length).toBe(12)
    let previous: unknown = 0
    for (const event of updates) {
      expect((event.before as RecordValue)["employees"]).toBe(previous)
      expect(event.updatedFields).toEqual(["employees"])
      previous = (event.record as RecordValue)["employees"]
    }
  })

  test("racing soft deletes of one record: one deletes it, the others find nothing; one event", async () => {
    const created = (await must(direct.createOneDirect(scope, "company", { name: "Deleted once" }, sel)))!
    const id = created["id"] as string
    const answers = await Promise.all(Array.from({ length: 6 }, () => must(direct.deleteOneDirect(scope, "company", id, sel))))
    expect(answers.filter((a) => a !== null).length).toBe(1)
    expect((await eventsOf(id)).map((e) => e.name)).toEqual(["company.created", "company.deleted"])
  })
})
