/**
 * A new workspace's rows, made in three round trips (metadata as one jsonb parameter, views as one
 * statement), equal what the step-by-step path makes: objects and fields inserted row by row
 * (`sql.insert`) and the standard views seeded view by view (`seedStandardViews`, still the migrations'
 * path). Rows are compared with ids replaced by the names they stand for.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { seedStandardViews } from "../src/platform/migrations/standard-views.js"
import { Auth } from "../src/services/auth/index.js"
import { fieldRow, modelDdl, objectRow, standardModel } from "../src/services/metadata/model.js"
import { startTestApp, type TestApp } from "./support/app.js"

let app: TestApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(() => app.close())

const TABLES = ["objectMetadata", "fieldMetadata", "view", "viewField", "viewGroup", "viewFilter"] as const

/** Every metadata and view row of a workspace, ids as names, sorted: what two provisionings must share. */
const snapshot = (workspaceId: string) =>
  app.run(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows: Record<string, Array<Record<string, unknown>>> = {}
    for (const table of TABLES) {
      rows[table] = (yield* sql<{ row: Record<string, unknown> }>`
        SELECT to_jsonb(t) AS row FROM core.${sql(table)} t WHERE "workspaceId" = ${workspaceId}`).map((r) => r.row)
    }
    const names = new Map<unknown, string>()
    const objectName = new Map<unknown, string>()
    for (const o of rows["objectMetadata"]!) {
      names.set(o["id"], `object:${o["nameSingular"]}`)
      objectName.set(o["id"], String(o["nameSingular"]))
    }
    for (const f of rows["fieldMetadata"]!) names.set(f["id"], `field:${objectName.get(f["objectMetadataId"])}.${f["name"]}`)
    for (const v of rows["view"]!) names.set(v["id"], `view:${objectName.get(v["objectMetadataId"])}/${v["name"]}`)
    const normal = (row: Record<string, unknown>) =>
      JSON.stringify(Object.fromEntries(
        Object.entries(row)
          .filter(([key]) => !["workspaceId", "createdAt", "updatedAt"].includes(key) && (key !== "id" || names.has(row["id"])))
          .map(([key, value]) => [
            key,
            key === "options" && Array.isArray(value)
              ? value.map(({ id: _, ...option }) => option)
              : names.get(value) ?? value
          ])
      ))
    return Object.fromEntries(TABLES.map((table) => [table, rows[table]!.map(normal).sort()]))
  }))

test("a workspace made in three round trips has the rows the step-by-step path makes", async () => {
  const made = await app.run(Effect.gen(function*() {
    const auth = yield* Auth
    const sql = yield* SqlClient.SqlClient
    const { user } = yield* auth.signUp({ email: "provision@example.com", password: "correct horse battery", isEmailVerified: true })
    const { workspace } = yield* auth.signUpInNewWorkspace(user, "Made now")
    // The reference: the same model inserted row by row, its views seeded one by one.
    const [reference] = yield* sql<{ id: string }>`
      INSERT INTO core.workspace ("displayName", subdomain, "activationStatus") VALUES ('Reference', 'reference', 'ACTIVE') RETURNING id`
    const objects = standardModel(reference!.id)
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql.unsafe([`CREATE SCHEMA "workspace_reference"`, ...modelDdl("workspace_reference", objects)].join(";\n"))
      yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objects.map(objectRow))}`
      yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(objects.flatMap((o) => o.fields.map(fieldRow)))}`
      yield* seedStandardViews(reference!.id)
    }))
    return { workspaceId: workspace.id, referenceId: reference!.id }
  }))
  const now = await snapshot(made.workspaceId)
  const reference = await snapshot(made.referenceId)
  expect(now["fieldMetadata"]!.length).toBeGreaterThan(200)
  expect(now["viewField"]!.length).toBeGreaterThan(50)
  expect(now["viewGroup"]!.length).toBeGreaterThan(0)
  expect(now["viewFilter"]!.length).toBeGreaterThan(0)
  for (const table of TABLES) expect({ table, rows: now[table] }).toEqual({ table, rows: reference[table] })
}, 60_000)
