/** Migration 17: a workspace made before the workflow objects gets their tables and metadata; one that has them is left alone. */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { coreMigrations } from "../src/platform/migrations/core.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
beforeAll(async () => {
  app = await startTestApp({ redis: false })
})
afterAll(() => app.close())

const WORKFLOW_OBJECTS = ["workflow", "workflowVersion", "workflowRun", "workflowAutomatedTrigger"]

test("an older workspace gets the workflow objects; a newer one keeps its own", async () => {
  const older = await signUpWithWorkspace(app)
  const newer = await signUpWithWorkspace(app)
  const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))
  const schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(older.workspaceId)))).schema
  // As a workspace made before them: no workflow tables, no workflow metadata.
  await sql(`DROP TABLE "${schema}"."workflowAutomatedTrigger", "${schema}"."workflowRun", "${schema}"."workflowVersion", "${schema}".workflow`)
  await sql(`DELETE FROM core."objectMetadata" WHERE "workspaceId" = $1 AND "nameSingular" = ANY($2)`, [older.workspaceId, WORKFLOW_OBJECTS])
  const ids = async (workspaceId: string) =>
    (await sql<{ id: string }>(`SELECT id FROM core."objectMetadata" WHERE "workspaceId" = $1 AND "nameSingular" = ANY($2) ORDER BY id`, [workspaceId, WORKFLOW_OBJECTS]))
      .map((r) => r.id)
  const before = await ids(newer.workspaceId)
  expect(await ids(older.workspaceId)).toEqual([])

  await app.run(coreMigrations.find((m) => m.id === 17)!.up)

  expect(await ids(older.workspaceId)).toHaveLength(4)
  expect(await ids(newer.workspaceId)).toEqual(before)
  const relations = await sql<{ name: string; target: string }>(
    `SELECT f.name, t."nameSingular" AS target FROM core."fieldMetadata" f
       JOIN core."objectMetadata" o ON o.id = f."objectMetadataId"
       JOIN core."objectMetadata" t ON t.id = f."relationTargetObjectMetadataId"
      WHERE o."workspaceId" = $1 AND o."nameSingular" = 'workflowRun' ORDER BY f.name`,
    [older.workspaceId]
  )
  expect(relations).toEqual([{ name: "workflow", target: "workflow" }, { name: "workflowVersion", target: "workflowVersion" }])
  const inserted = await sql(`INSERT INTO "${schema}".workflow (name) VALUES ('after migration') RETURNING statuses`)
  expect(inserted).toHaveLength(1)
})
