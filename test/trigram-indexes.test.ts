/**
 * pg_trgm indexes on the text columns a CRM filters with ilike: made for new workspaces and custom objects,
 * brought to existing workspaces by migration 13, and used by the statements Score sends (EXPLAIN).
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { trigramIndexName } from "../src/domain/trigram-indexes.js"
import { runMigrations } from "../src/platform/migrations/index.js"
import { planFindMany } from "../src/services/records/plan.js"
import { DEFAULT_LIMITS } from "../src/services/records/limits.js"
import { Model } from "../src/services/records/query-builder.js"
import { Metadata } from "../src/services/metadata/index.js"
import { Workspaces } from "../src/services/workspace/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let schema: string

const sql = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, any>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run))

const trigramIndexes = async () =>
  (await sql<{ indexname: string }>((s) =>
    s`SELECT indexname FROM pg_indexes WHERE schemaname = ${schema} AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname`
  )).map((row) => row.indexname)

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  owner = await signUpWithWorkspace(app)
  schema = (await app.run(Effect.flatMap(Workspaces, (w) => w.schemaOf(owner.workspaceId))))!
})

afterAll(() => app?.close())

describe("trigram indexes", () => {
  test("a new workspace has them on its standard objects' searched text columns", async () => {
    const indexes = await trigramIndexes()
    for (const [table, column] of [["company", "name"], ["company", "domainNamePrimaryLinkUrl"], ["person", "nameFirstName"],
      ["person", "nameLastName"], ["person", "emailsPrimaryEmail"], ["opportunity", "name"], ["note", "title"], ["task", "title"]]) {
      expect(indexes).toContain(trigramIndexName(table!, column!))
    }
  })

  test("a custom object gets one on its name", async () => {
    const created = await app.gql<any>(
      `mutation { createOneObject(input: { object: { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" } }) { id } }`,
      {},
      owner.accessToken
    )
    expect(created.body.errors).toBeUndefined()
    expect(await trigramIndexes()).toContain(trigramIndexName("_invoice", "name"))
  })

  test("migration 13 brings them to a workspace made before it", async () => {
    const before = await trigramIndexes()
    for (const index of before) await sql((s) => s.unsafe(`DROP INDEX "${schema}"."${index}"`))
    await sql((s) => s`DELETE FROM core.migration WHERE id = 13`)
    expect(await trigramIndexes()).toEqual([])
    await app.run(runMigrations())
    expect(await trigramIndexes()).toEqual(before)
  })

  test("an ilike filter's count reads the trigram index", async () => {
    await sql((s) => s.unsafe(`
      INSERT INTO "${schema}".person ("nameFirstName", "nameLastName")
      SELECT (ARRAY['Joanna','Peter','Marie','Lukas','Sofia','Omar','Hannah','Ivan'])[1 + g % 8] || g, 'Last' || g
        FROM generate_series(1, 20000) g;
      ANALYZE "${schema}".person`))
    // The very statements the records service sends for `people(filter: { name: { firstName: { ilike: "%anna1%" } } })`.
    const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))
    const plan = planFindMany(
      new Model(metadata),
      DEFAULT_LIMITS,
      "person",
      { filter: { name: { firstName: { ilike: "%anna1%" } } }, first: 20 },
      { fields: ["id"], relations: [] },
      { totalCount: true, aggregates: [] }
    )
    const explain = async (statement: { text: string; params: ReadonlyArray<unknown> }) =>
      (await sql<{ "QUERY PLAN": string }>((s) => s.unsafe(`EXPLAIN ${statement.text}`, [...statement.params])))
        .map((row) => row["QUERY PLAN"]).join("\n")
    const index = trigramIndexName("person", "nameFirstName")
    expect(await explain(plan.totals!)).toContain(`Bitmap Index Scan on "${index}"`)
    const [counted] = await sql<{ n: number }>((s) =>
      s.unsafe(`SELECT count(*)::int AS n FROM "${schema}".person WHERE "nameFirstName" ILIKE '%anna1%' AND "deletedAt" IS NULL`))
    const response = await app.request("/graphql", {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ query: `{ people(filter: { name: { firstName: { ilike: "%anna1%" } } }) { totalCount } }` })
    })
    expect(counted!.n).toBeGreaterThan(0)
    expect(((await response.json()) as any).data.people.totalCount).toBe(counted!.n)
  })
})
