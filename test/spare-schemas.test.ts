/**
 * WORKSPACE_SPARE_SCHEMAS: a workspace whose schema was a spare made ahead (renamed, no DDL when created) has
 * the same tables, columns, indexes, constraints and metadata rows (ids aside) as one provisioned with its DDL,
 * and answers through /graphql and /rest. Spares of another model are dropped, never handed out.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, expect, test } from "bun:test"
import { Effect } from "effect"
import { Workspaces } from "../src/services/workspace/index.js"
import { modelDdl, standardModel } from "../src/services/metadata/model.js"
import { spareSchemaPrefix, standardSchemaDdl } from "../src/services/metadata/spare-schemas.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let plain: TestApp
beforeAll(async () => {
  app = await startTestApp({ env: { WORKSPACE_SPARE_SCHEMAS: "2", DATABASE_POOL_SIZE: "3" } })
  // The same database, no spares: today's path, the DDL run when the workspace is created.
  plain = await startTestApp({ databaseUrl: app.databaseUrl, env: { DATABASE_POOL_SIZE: "2" } })
}, 60_000)
// The filler may be making a replacement spare: closing waits for its DDL (seconds on a loaded machine).
afterAll(async () => {
  await plain.close()
  await app.close()
}, 60_000)

const query = <A extends object>(text: string, params: ReadonlyArray<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text, params)))

const spares = async () =>
  (await query<{ name: string }>(`SELECT nspname::text AS name FROM pg_namespace WHERE nspname LIKE 'spare\\_%' ORDER BY 1`)).map((r) => r.name)

const waitFor = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 600; i++) {
    if (await check()) return
    await Bun.sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const schemaOf = (workspaceId: string) => app.run(Effect.flatMap(Workspaces, (w) => w.schemaOf(workspaceId)))

/** A schema's tables, columns, indexes, constraints and triggers as text, its own name replaced by "S". */
const catalogOf = async (schema: string) => {
  const rows = await query<{ line: string }>(
    `SELECT format('column %s.%s %s %s null=%s default=%s', table_name, column_name, ordinal_position, data_type, is_nullable, column_default) AS line
       FROM information_schema.columns WHERE table_schema = $1
     UNION ALL
     SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = $1
     UNION ALL
     SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE connamespace = $1::regnamespace
     UNION ALL
     SELECT format('triggers %s %s', tgrelid::regclass, count(*)) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = $1::regnamespace GROUP BY tgrelid
     UNION ALL
     SELECT format('relation %s %s %s', relname, relkind, reltoastrelid <> 0) FROM pg_class WHERE relnamespace = $1::regnamespace`,
    [schema]
  )
  return rows.map((r) => r.line.replaceAll(`"${schema}"`, "S").replaceAll(`${schema}.`, "S.")).sort()
}

/** The workspace's metadata and view rows, ids replaced by what they name. */
const metadataOf = async (workspaceId: string) => {
  const objects = await query<Record<string, unknown>>(`SELECT * FROM core."objectMetadata" WHERE "workspaceId" = $1`, [workspaceId])
  const fields = await query<Record<string, unknown>>(`SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = $1`, [workspaceId])
  const views = await query<Record<string, unknown>>(`SELECT * FROM core.view WHERE "workspaceId" = $1`, [workspaceId])
  const names = new Map<unknown, string>()
  for (const o of objects) names.set(o["id"], `object:${o["nameSingular"]}`)
  for (const f of fields) names.set(f["id"], `field:${names.get(f["objectMetadataId"])}.${f["name"]}`)
  for (const v of views) names.set(v["id"], `view:${names.get(v["objectMetadataId"])}/${v["name"]}`)
  const normal = (row: Record<string, unknown>) =>
    JSON.stringify(Object.entries(row)
      .filter(([key]) => !["id", "workspaceId", "createdAt", "updatedAt", "options"].includes(key))
      .map(([key, value]) => [key, names.get(value) ?? (typeof value === "string" && /^[0-9a-f-]{36}$/.test(value) ? "unnamed id" : value)]))
  return [...objects, ...fields, ...views].map(normal).sort()
}

test("the DDL built once per process is the model's DDL for any schema and any workspace's ids", () => {
  for (const schema of ["workspace_0123456789abcdef01234567", "spare_x_y"]) {
    expect(standardSchemaDdl(schema)).toBe([`CREATE SCHEMA "${schema}"`, ...modelDdl(schema, standardModel(crypto.randomUUID()))].join(";\n"))
  }
})

test("a workspace made from a spare schema equals one made with its DDL, and works through /graphql and /rest", async () => {
  await waitFor(async () => (await spares()).length === 2, "two spares")
  const made = await spares()
  expect(made.every((name) => name.startsWith(spareSchemaPrefix()))).toBe(true)
  const spareTables = new Set((await query<{ oid: number }>(
    `SELECT c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relname = 'company'`,
    [made]
  )).map((r) => r.oid))

  const fast = await signUpWithWorkspace(app, { name: "From a spare" })
  const today = await signUpWithWorkspace(plain, { name: "With its DDL" })
  const fastSchema = (await schemaOf(fast.workspaceId))!
  const todaySchema = (await schemaOf(today.workspaceId))!
  expect(fastSchema).toMatch(/^workspace_[0-9a-f]{24}$/)
  // The spare's own tables (same oids), renamed: no DDL ran for this workspace.
  const [fastCompany] = await query<{ oid: number }>(`SELECT $1::regclass::oid::int AS oid`, [`"${fastSchema}".company`])
  expect(spareTables.has(fastCompany!.oid)).toBe(true)
  const [todayCompany] = await query<{ oid: number }>(`SELECT $1::regclass::oid::int AS oid`, [`"${todaySchema}".company`])
  expect(spareTables.has(todayCompany!.oid)).toBe(false)

  const fastCatalog = await catalogOf(fastSchema)
  expect(fastCatalog.length).toBeGreaterThan(500)
  expect(fastCatalog).toEqual(await catalogOf(todaySchema))
  const fastMetadata = await metadataOf(fast.workspaceId)
  expect(fastMetadata.length).toBeGreaterThan(300)
  expect(fastMetadata).toEqual(await metadataOf(today.workspaceId))

  // The claimed spare is replaced.
  await waitFor(async () => (await spares()).length === 2 && !(await spares()).every((s) => made.includes(s)), "a replacement spare")

  const key = (await createApiKey(app, fast.accessToken)).token
  const created = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: `mutation { createCompany(data: { name: "Spare Co", employees: 3 }) { id name } }` })
  })
  const body = await created.json() as any
  expect(body.errors).toBeUndefined()
  expect(body.data.createCompany.name).toBe("Spare Co")
  const listed = await (await app.request("/rest/companies?limit=10", { headers: { authorization: `Bearer ${key}` } })).json() as any
  expect(listed.data.companies.map((c: any) => c.name)).toContain("Spare Co")
  const [member] = await query<{ email: string }>(`SELECT "userEmail" AS email FROM "${fastSchema}"."workspaceMember"`)
  expect(member!.email).toBe(fast.email)
}, 120_000)

test("a spare of another model is dropped, never handed out", async () => {
  await query(`CREATE SCHEMA "spare_000000000000_stale"; CREATE TABLE "spare_000000000000_stale".company (id uuid)`)
  await waitFor(async () => !(await spares()).includes("spare_000000000000_stale"), "the stale spare dropped")
  const account = await signUpWithWorkspace(app, { name: "After the stale one" })
  const [company] = await query<{ columns: number }>(
    `SELECT count(*)::int AS columns FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'company'`,
    [(await schemaOf(account.workspaceId))!]
  )
  expect(company!.columns).toBeGreaterThan(10)
}, 120_000)

test("workspaces created at once each get their own spare or their own DDL", async () => {
  await waitFor(async () => (await spares()).length === 2, "two spares")
  const made = await Promise.all(["One", "Two", "Three"].map((name) => signUpWithWorkspace(app, { name })))
  const schemas = await Promise.all(made.map((m) => schemaOf(m.workspaceId)))
  expect(new Set(schemas).size).toBe(3)
  for (const schema of schemas) {
    const [tables] = await query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = $1`, [schema!])
    expect(tables!.count).toBe(28)
  }
}, 120_000)
