/** Migration 12: '' and empty lists stored before Score wrote them as NULL become NULL, so `is: NULL` finds them. */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { clearNullEquivalentValues } from "../src/platform/migrations/null-equivalent-values.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ redis: false })
})
afterAll(() => app.close())

test("legacy blanks become NULL in every workspace schema; other values and updatedAt stay", async () => {
  const owner = await signUpWithWorkspace(app)
  const key = await createApiKey(app, owner.accessToken)
  const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))
  const schema = `"${metadata.schema}"`
  const sql = (text: string) => app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<Record<string, unknown>>(text)))
  // As an older Score wrote them: '' for text and text subfields, [] for list subfields.
  await sql(`INSERT INTO ${schema}.person (id, "nameFirstName", "nameLastName", city, "emailsPrimaryEmail", "emailsAdditionalEmails", "updatedAt")
    VALUES ('00000000-0000-4000-8000-000000000001', '', 'Kept', '', '', '[]'::jsonb, '2020-01-01T00:00:00Z'),
           ('00000000-0000-4000-8000-000000000002', 'Ada', 'Lovelace', 'London', 'ada@example.com', '["a@b.c"]'::jsonb, '2020-01-01T00:00:00Z')`)
  const count = async (filter: string) => {
    const response = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key.token}` },
      body: JSON.stringify({ query: `{ people(filter: ${filter}) { totalCount } }` })
    })
    return ((await response.json()) as any).data.people.totalCount as number
  }
  expect(await count(`{ city: { is: NULL } }`)).toBe(0)
  await app.run(clearNullEquivalentValues)
  expect(await count(`{ city: { is: NULL } }`)).toBe(1)
  expect(await count(`{ emails: { primaryEmail: { is: NULL } } }`)).toBe(1)
  const rows = await sql(`SELECT "nameFirstName", "nameLastName", city, "emailsAdditionalEmails", "updatedAt" FROM ${schema}.person
    WHERE id IN ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002') ORDER BY id`)
  expect(rows.map((r) => [r["nameFirstName"], r["nameLastName"], r["city"], r["emailsAdditionalEmails"]])).toEqual([
    [null, "Kept", null, null],
    ["Ada", "Lovelace", "London", ["a@b.c"]]
  ])
  expect(rows.every((r) => new Date(r["updatedAt"] as string).getUTCFullYear() === 2020)).toBe(true)
})
