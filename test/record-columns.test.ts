import { afterAll, beforeAll, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import Pg from "pg"
import { Records } from "../src/services/records/index.js"
import { isoDateTime } from "../src/services/records/query-builder.js"
import type { RecordsScope, RecordValue, Selection } from "../src/services/records/types.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { ADMIN_DATABASE_URL } from "./support/database.js"
import { signUpWithWorkspace } from "./support/flows.js"

/**
 * List reads take records as columns (recordColumns), writes answer them as one JSON value each
 * (recordJson): for every field type, values and nulls alike, both must give the same record.
 */

let app: TestApp
let scope: RecordsScope
let fieldNames: Array<string>

const FIELDS: ReadonlyArray<Record<string, unknown>> = [
  { name: "ratio", type: "NUMBER" },
  { name: "units", type: "NUMBER", settings: { dataType: "int" } },
  { name: "serial", type: "NUMBER", settings: { dataType: "bigint" } },
  { name: "exact", type: "NUMERIC" },
  { name: "flag", type: "BOOLEAN" },
  { name: "day", type: "DATE" },
  { name: "moment", type: "DATE_TIME" },
  { name: "ref", type: "UUID" },
  { name: "notes", type: "TEXT" },
  { name: "body", type: "RICH_TEXT_V2" },
  { name: "labels", type: "ARRAY" },
  { name: "payload", type: "RAW_JSON" },
  { name: "stars", type: "RATING" },
  { name: "kind", type: "SELECT", options: [{ value: "A_KIND", label: "A", color: "red", position: 0 }, { value: "B_KIND", label: "B", color: "blue", position: 1 }] },
  { name: "tags", type: "MULTI_SELECT", options: [{ value: "X", label: "X", color: "red", position: 0 }, { value: "Y", label: "Y", color: "blue", position: 1 }] },
  { name: "price", type: "CURRENCY" },
  { name: "site", type: "LINKS" },
  { name: "contact", type: "EMAILS" },
  { name: "phone", type: "PHONES" },
  { name: "place", type: "ADDRESS" },
  { name: "person", type: "FULL_NAME" }
]

const VALUES: Record<string, unknown> = {
  name: "Full gadget",
  ratio: 0.125,
  units: -7,
  serial: 9007199254740993,
  exact: 12345.678901,
  flag: true,
  day: "2026-02-28",
  moment: "2026-11-25T10:11:12.345Z",
  ref: "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
  notes: "quotes \" and \\ and ünïcode ✓",
  labels: ["one", "two, three"],
  body: { blocknote: "[]", markdown: "# Title" },
  payload: { nested: { list: [1, "two", null] }, flag: false },
  stars: "RATING_3",
  kind: "B_KIND",
  tags: ["X", "Y"],
  price: { amountMicros: 1999000000, currencyCode: "EUR" },
  site: { primaryLinkUrl: "https://example.com", primaryLinkLabel: "Example", secondaryLinks: [{ url: "https://b.example", label: "b" }] },
  contact: { primaryEmail: "a@example.com", additionalEmails: ["b@example.com"] },
  phone: { primaryPhoneNumber: "612345678", primaryPhoneCountryCode: "FR", primaryPhoneCallingCode: "+33", additionalPhones: null },
  place: { addressStreet1: "1 rue de la Paix", addressCity: "Paris", addressPostcode: "75002", addressCountry: "France", addressLat: 48.8686, addressLng: 2.3318 },
  person: { firstName: "Ada", lastName: "Lovelace" }
}

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  const account = await signUpWithWorkspace(app)
  scope = { workspaceId: account.workspaceId, actor: { source: "API", workspaceMemberId: null, name: "test" } }
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const response = await app.request("/metadata", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
      body: JSON.stringify({ query, variables })
    })
    const body = await response.json() as { data?: any; errors?: unknown }
    expect(body.errors).toBeUndefined()
    return body.data
  }
  const object = (await gql(`mutation($o: CreateOneObjectInput!) { createOneObject(input: $o) { id } }`, {
    o: { object: { nameSingular: "gadget", namePlural: "gadgets", labelSingular: "Gadget", labelPlural: "Gadgets" } }
  })).createOneObject
  for (const field of FIELDS) {
    await gql(`mutation($f: CreateFieldInput!) { createOneField(input: { field: $f }) { id } }`, {
      f: { objectMetadataId: object.id, label: String(field["name"]), ...field }
    })
  }
  fieldNames = ["name", "createdAt", "updatedAt", "deletedAt", "createdBy", "updatedBy", "position", ...FIELDS.map((f) => String(f["name"]))]
})
afterAll(() => app.close())

const selection = (): Selection => ({ fields: fieldNames, relations: [] })

test("a record with every field type set, and one with every field empty, read back the same both ways", async () => {
  const records = await app.run(Records)
  const written = await app.run(records.createMany(scope, "gadget", [VALUES, { name: "Empty gadget" }], selection()))
  const listed = await app.run(records.findMany(scope, "gadget", { orderBy: [{ name: "DescNullsLast" }] }, selection(), { totalCount: false, aggregates: [] }))
  const read = listed.edges.map((edge) => edge.node)
  expect(read).toEqual(written as Array<RecordValue>)
  // The values went through, so the comparison is between two real records.
  expect(read[0]).toMatchObject({ units: -7, flag: true, kind: "B_KIND", moment: "2026-11-25T10:11:12.345Z", labels: ["one", "two, three"] })
  expect(read[1]).toMatchObject({ units: null, flag: null, notes: "", payload: null })
  const direct = await records.findManyDirect(scope, "gadget", { orderBy: [{ name: "DescNullsLast" }] }, selection(), { totalCount: false, aggregates: [] })
  expect(direct?.edges.map((edge) => edge.node)).toEqual(read)
  // Inside a transaction the page goes through the transaction's connection.
  const inTransaction = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(records.findMany(scope, "gadget", { orderBy: [{ name: "DescNullsLast" }] }, selection(), { totalCount: true, aggregates: [] }))
  ))
  expect(inTransaction.edges.map((edge) => edge.node)).toEqual(read)
  expect(inTransaction.totalCount).toBe(2)
  // findOne reads through the same columns.
  const nested = await app.run(records.findOne(scope, "gadget", { name: { eq: "Full gadget" } }, selection()))
  expect(nested).toEqual(written[0]!)
})

test("date-times read as text become the ISO text PostgreSQL's to_char gives, in any session time zone", async () => {
  const client = new Pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await client.connect()
  try {
    const moments = [
      "2026-11-25 10:11:12.345678+00", "2026-11-25 10:11:12+00", "2026-11-25 10:11:12.5+00", "1999-12-31 23:59:59.9999+00",
      "2026-03-29 01:30:00.001+00", "2000-02-29 12:00:00.120+00", "1900-01-01 00:00:00.25+00", "0099-06-01 00:00:00+00"
    ]
    let compared = 0
    for (const zone of ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Paris", "Pacific/Chatham"]) {
      await client.query(`SET TIME ZONE '${zone}'`)
      const { rows } = await client.query<{ text: string; iso: string }>(
        `SELECT m::text AS text, to_char(m AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso
         FROM unnest($1::timestamptz[]) AS m`,
        [moments]
      )
      for (const row of rows) {
        expect(`${zone} ${row.text} → ${isoDateTime(row.text)}`).toBe(`${zone} ${row.text} → ${row.iso}`)
        compared++
      }
    }
    expect(compared).toBe(40)
    expect(isoDateTime(null)).toBeNull()
    expect(isoDateTime("infinity")).toBeNull()
  } finally {
    await client.end()
  }
})

test("a list ordered by a number pages the same through its cursor column as the record's column", async () => {
  const records = await app.run(Records)
  await app.run(records.createMany(scope, "gadget", [1, 2, 3, 4, 5].map((n) => ({ name: `Ranked ${n}`, ratio: n / 8 })), selection()))
  const args = { orderBy: [{ ratio: "DescNullsLast" }], filter: { name: { like: "Ranked%" } }, first: 2 } as const
  const names: Array<unknown> = []
  let after: string | undefined
  for (let page = 0; page < 3; page++) {
    const direct = await records.findManyDirect(scope, "gadget", { ...args, ...(after ? { after } : {}) }, selection(), { totalCount: false, aggregates: [] })
    const viaEffect = await app.run(records.findMany(scope, "gadget", { ...args, ...(after ? { after } : {}) }, selection(), { totalCount: false, aggregates: [] }))
    expect(direct).toEqual(viaEffect)
    names.push(...viaEffect.edges.map((edge) => edge.node["name"]))
    after = viaEffect.pageInfo.endCursor ?? undefined
  }
  expect(names).toEqual(["Ranked 5", "Ranked 4", "Ranked 3", "Ranked 2", "Ranked 1"])
})
