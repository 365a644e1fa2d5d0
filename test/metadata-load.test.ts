import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { jsonRows } from "../src/platform/lib/sql-rows.js"
import { Metadata } from "../src/services/metadata/index.js"
import { loadWorkspaceMetadata } from "../src/services/metadata/read.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

/** Metadata read as one JSON text per table gives what `pg`'s rows gave, value for value. */

let app: TestApp
let workspaceId: string

beforeAll(async () => {
  app = await startTestApp()
  workspaceId = (await signUpWithWorkspace(app, { name: "Loaded" })).workspaceId
  // A custom object with a select field: options, a default value and settings of its own.
  await app.run(Effect.gen(function*() {
    const metadata = yield* Metadata
    const object = yield* metadata.createObject(workspaceId, { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" })
    yield* metadata.createField(workspaceId, {
      objectMetadataId: object.id, name: "stage", label: "Stage", type: "SELECT", defaultValue: "'DRAFT'",
      options: [{ value: "DRAFT", label: "Draft", color: "gray", position: 0 }, { value: "SENT", label: "Sent", color: "blue", position: 1 }]
    })
  }))
}, 60_000)
afterAll(() => app.close(), 30_000)

describe("loadWorkspaceMetadata", () => {
  test("equals the rows pg decodes (timestamps as ISO, jsonb parsed), in the same order", async () => {
    const [loaded, objects, fields] = await app.run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return yield* Effect.all([
        loadWorkspaceMetadata(sql, workspaceId, 1),
        sql`SELECT * FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", "nameSingular"`,
        sql`SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`
      ])
    }))
    const expected = jsonRows<Record<string, unknown>>(objects).map((o) => ({
      ...o,
      fields: jsonRows<Record<string, unknown>>(fields).filter((f) => f["objectMetadataId"] === o["id"])
    }))
    expect(loaded.objects.length).toBeGreaterThan(10)
    expect(loaded.objects.some((o) => o.nameSingular === "invoice")).toBe(true)
    // toStrictEqual checks values and keys; the order of keys is checked through JSON.
    expect(loaded.objects).toStrictEqual(expected as never)
    expect(JSON.stringify(loaded.objects)).toBe(JSON.stringify(expected))
  })

  test("a workspace's metadata from the service is the same as loaded", async () => {
    const served = await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
    expect(served.objects.flatMap((o) => o.fields).some((f) => f.name === "stage" && f.options?.length === 2)).toBe(true)
  })
})
