/** Twenty's messaging and calendar objects: in a new workspace, readable on /graphql and /rest; migration 31 adds them to older workspaces. */
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

const OBJECTS = [
  "connectedAccount", "messageChannel", "messageFolder", "messageThread", "message", "messageParticipant",
  "messageChannelMessageAssociation", "calendarChannel", "calendarEvent", "calendarEventParticipant",
  "calendarChannelEventAssociation", "blocklist"
]

const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))

const dataQuery = async (token: string, query: string) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query })
  })
  return await response.json() as any
}

test("a new workspace reads its messages with their participants' people through /graphql and /rest", async () => {
  const owner = await signUpWithWorkspace(app)
  const answer = await dataQuery(owner.accessToken, `{
    messages { edges { node { id subject messageThread { id } messageParticipants { edges { node { role handle person { id } workspaceMember { id } } } } } } }
    messageChannels { edges { node { syncStatus syncStage visibility contactAutoCreationPolicy connectedAccount { handle accountOwner { id } } } } }
    people { edges { node { messageParticipants { totalCount } calendarEventParticipants { totalCount } } } }
    workspaceMembers { edges { node { connectedAccounts { totalCount } blocklist { totalCount } } } }
  }`)
  expect(answer.errors).toBeUndefined()
  expect(answer.data.messages.edges).toEqual([])
  const rest = await app.request("/rest/calendarEvents", { headers: { authorization: `Bearer ${owner.accessToken}` } })
  expect(rest.status).toBe(200)
  expect((await rest.json() as any).data.calendarEvents).toEqual([])
})

test("migration 31 gives an older workspace the objects and the inverse fields on person and workspaceMember", async () => {
  const older = await signUpWithWorkspace(app)
  const schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(older.workspaceId)))).schema
  await sql(`DROP TABLE ${OBJECTS.map((o) => `"${schema}"."${o}"`).join(", ")} CASCADE`)
  await sql(`DELETE FROM core."objectMetadata" WHERE "workspaceId" = $1 AND "nameSingular" = ANY($2)`, [older.workspaceId, OBJECTS])
  await sql(`DELETE FROM core."fieldMetadata" f USING core."objectMetadata" o WHERE o.id = f."objectMetadataId" AND o."workspaceId" = $1
              AND o."nameSingular" IN ('person', 'workspaceMember') AND f.name IN ('messageParticipants', 'calendarEventParticipants', 'connectedAccounts', 'blocklist')`, [older.workspaceId])

  await app.run(coreMigrations.find((m) => m.id === 31)!.up)

  const objects = await sql<{ nameSingular: string }>(`SELECT "nameSingular" FROM core."objectMetadata" WHERE "workspaceId" = $1 AND "nameSingular" = ANY($2)`, [older.workspaceId, OBJECTS])
  expect(objects).toHaveLength(OBJECTS.length)
  const inverse = await sql<{ name: string; target: string }>(
    `SELECT f.name, t."nameSingular" AS target FROM core."fieldMetadata" f
       JOIN core."objectMetadata" o ON o.id = f."objectMetadataId"
       JOIN core."objectMetadata" t ON t.id = f."relationTargetObjectMetadataId"
      WHERE o."workspaceId" = $1 AND o."nameSingular" = 'person' AND f.name IN ('messageParticipants', 'calendarEventParticipants') ORDER BY f.name`,
    [older.workspaceId])
  expect(inverse).toEqual([{ name: "calendarEventParticipants", target: "calendarEventParticipant" }, { name: "messageParticipants", target: "messageParticipant" }])
  const answer = await dataQuery(older.accessToken, `{ people { edges { node { messageParticipants { totalCount } } } } workspaceMembers { edges { node { connectedAccounts { totalCount } } } } }`)
  expect(answer.errors).toBeUndefined()
})
