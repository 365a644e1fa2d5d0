/** Bulk import (REST upload → staged rows → the `imports` job) and streaming export, on PostgreSQL. */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Pg from "pg"
import { copyRowsWithCopy } from "../src/platform/database/copy.js"
import { BATCH_ROWS, importBatch, rowId } from "../src/services/imports/batch.js"
import { Imports, STALE_UPLOAD_MINUTES } from "../src/services/imports/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { Model } from "../src/services/records/query-builder.js"
import { streamLinesCounts } from "../src/services/records/stream.js"
import { stringify } from "csv-stringify/sync"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let token: string
let workspaceId: string
let acmeId: string

const rest = async (method: string, path: string, body?: string, headers: Record<string, string> = {}, auth = token) => {
  const response = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...headers },
    ...(body === undefined ? {} : { body })
  })
  const text = await response.text()
  return { status: response.status, text, body: text.startsWith("{") && !text.includes("\n{") ? JSON.parse(text) : null }
}

const sql = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, any>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run))

/** Uploads, then runs the queued job here (the test app runs no worker) and answers the finished run. */
const importAndRun = async (plural: string, body: string, query = "format=csv") => {
  const started = await rest("POST", `/rest/${plural}/import?${query}`, body)
  expect(started.status).toBe(202)
  const id = started.body.data.import.id as string
  expect(started.body.data.import.status).toBe("QUEUED")
  await app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))
  const done = await rest("GET", `/rest/imports/${id}`)
  expect(done.status).toBe(200)
  return done.body.data.import
}

beforeAll(async () => {
  app = await startTestApp({ redis: false, env: { IMPORT_MAX_BODY_SIZE: "1000000" } })
  const account = await signUpWithWorkspace(app)
  workspaceId = account.workspaceId
  token = (await createApiKey(app, account.accessToken)).token
  const created = await app.request("/rest/companies", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Acme", domainName: { primaryLinkUrl: "https://acme.com" } })
  })
  acmeId = ((await created.json()) as any).data.createCompany.id
})
afterAll(() => app.close())

describe("import", () => {
  test("CSV rows with composites, a relation by unique field and SELECT values: good rows land, bad rows are reported by number", async () => {
    const csv = [
      "First,Last,Email,Company site,Stage,Amount",
      "Ada,Lovelace,ADA@example.com,https://acme.com,NEW,1000",
      "Grace,Hopper,grace@example.com,https://nowhere.example,NEW,5",
      "Alan,Turing,alan@example.com,https://acme.com,EXPLODED,7",
      "Edsger,Dijkstra,edsger@example.com,,MEETING,not a number"
    ].join("\n")
    const mapping = encodeURIComponent(JSON.stringify({
      First: "name", Last: null, Email: null, "Company site": "company.domainName.primaryLinkUrl", Stage: "stage", Amount: "amount.amountMicros"
    }))
    const run = await importAndRun("opportunities", csv, `format=csv&mapping=${mapping}`)
    expect(run).toMatchObject({ status: "COMPLETED", totalRows: 4, processedRows: 4, createdRows: 1, failedRows: 3 })
    expect(run.errors).toEqual([
      { row: 2, message: `No company found with domainName.primaryLinkUrl = "https://nowhere.example" for "company"` },
      { row: 3, message: `Invalid value 'EXPLODED' for field "stage"` },
      { row: 4, message: `Invalid number value NaN for field "amount.amountMicros"` }
    ])
    const listed = await rest("GET", `/rest/opportunities?filter=${encodeURIComponent("name[eq]:Ada")}`)
    expect(listed.body.data.opportunities).toHaveLength(1)
    expect(listed.body.data.opportunities[0]).toMatchObject({ companyId: acmeId, stage: "NEW", amount: { amountMicros: 1000 } })
    expect(listed.body.data.opportunities[0].createdBy).toMatchObject({ source: "IMPORT" })

    const people = await importAndRun("people", [
      "name.firstName,name.lastName,emails.primaryEmail,companyId",
      `Ada,Lovelace,ADA@example.com,${acmeId}`,
      `Bob,Nobody,bob@example.com,${crypto.randomUUID()}`
    ].join("\n"))
    expect(people).toMatchObject({ createdRows: 1, failedRows: 1 })
    expect(people.errors[0].row).toBe(2)
    const ada = await rest("GET", `/rest/people?filter=${encodeURIComponent("name.lastName[eq]:Lovelace")}`)
    expect(ada.body.data.people[0]).toMatchObject({ name: { firstName: "Ada", lastName: "Lovelace" }, emails: { primaryEmail: "ada@example.com" }, companyId: acmeId })
  })

  test("each imported record writes its created event, unless the caller asks for the bulk mode", async () => {
    const count = async () => (await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."eventOutbox" WHERE name = 'note.created'`))[0]!.n
    const before = await count()
    const lines = ["{\"title\":\"one\"}", "{\"title\":\"two\"}", "not json", "[1]"].join("\n")
    const withEvents = await importAndRun("notes", lines, "format=jsonl")
    expect(withEvents).toMatchObject({ createdRows: 2, failedRows: 2, emitEvents: true })
    expect(withEvents.errors.map((e: any) => e.row)).toEqual([3, 4])
    expect(await count()).toBe(before + 2)
    const [event] = await sql<{ payload: any }>((s) => s`SELECT payload FROM core."eventOutbox" WHERE name = 'note.created' ORDER BY id DESC LIMIT 1`)
    expect(event!.payload).toMatchObject({ action: "created", record: { title: "two" }, actor: { source: "IMPORT" } })
    const bulk = await importAndRun("notes", lines, "format=jsonl&emit_events=false")
    expect(bulk).toMatchObject({ createdRows: 2, emitEvents: false })
    expect(await count()).toBe(before + 2)
  })

  test("a job retried after a crash resumes after its last committed batch: no row twice", async () => {
    const rows = Array.from({ length: BATCH_ROWS + 100 }, (_, i) => JSON.stringify({ name: `Retry ${i}` })).join("\n")
    const started = await rest("POST", "/rest/companies/import?format=jsonl&emit_events=false", rows)
    const id = started.body.data.import.id as string
    // The first worker commits one batch, then dies.
    const model = new Model(await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId))))
    const pool = new Pg.Pool({ connectionString: app.databaseUrl, max: 1 })
    const [run] = await sql<any>((s) => s`SELECT id, "workspaceId", format, "emitEvents", actor FROM core."importRun" WHERE id = ${id}`)
    const first = await importBatch(pool, copyRowsWithCopy, model, model.object("company"), run)
    await pool.end()
    expect(first).toMatchObject({ taken: BATCH_ROWS, created: BATCH_ROWS })
    // The retry, then a duplicate delivery of the finished job.
    await app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))
    await app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))
    const [{ n }] = await sql<{ n: number }>((s) =>
      s`SELECT count(*)::int AS n FROM ${s(model.metadata.schema)}.company WHERE name LIKE 'Retry %'`) as [{ n: number }]
    expect(n).toBe(BATCH_ROWS + 100)
    const done = await rest("GET", `/rest/imports/${id}`)
    expect(done.body.data.import).toMatchObject({ status: "COMPLETED", createdRows: BATCH_ROWS + 100, failedRows: 0 })
    const staged = await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."importRow" WHERE "importId" = ${id}`)
    expect(staged[0]!.n).toBe(0)
  })

  test("batches commit on several connections at once: a value repeated across batches lands once, two attempts together write nothing twice", async () => {
    const total = 2 * BATCH_ROWS + 10
    // Rows 5 and BATCH_ROWS + 5 share an email, and rows 10 and BATCH_ROWS + 3 another: two batches
    // inserting them in opposite orders may deadlock, and the one PostgreSQL stops is committed again.
    const email = (i: number) => `${i === BATCH_ROWS + 5 ? 5 : i === BATCH_ROWS + 3 ? 10 : i}@l.co`
    const csv = ["name.firstName,emails.primaryEmail", ...Array.from({ length: total }, (_, k) => `Lane,${email(k + 1)}`)].join("\n")
    expect(csv.length).toBeLessThan(1_000_000) // IMPORT_MAX_BODY_SIZE here
    const started = await rest("POST", "/rest/people/import?format=csv&emit_events=false", csv)
    const id = started.body.data.import.id as string
    await Promise.all([1, 2].map(() => app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))))
    const run = (await rest("GET", `/rest/imports/${id}`)).body.data.import
    expect(run).toMatchObject({ status: "COMPLETED", totalRows: total, processedRows: total, createdRows: total - 2, failedRows: 2 })
    // Batches commit in any order, so either row of a pair may be the one refused, never both or neither.
    const refused = run.errors.map((e: any) => e.row as number)
    expect(refused).toHaveLength(2)
    expect(refused.filter((row: number) => row === 5 || row === BATCH_ROWS + 5)).toHaveLength(1)
    expect(refused.filter((row: number) => row === 10 || row === BATCH_ROWS + 3)).toHaveLength(1)
    const schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))).schema
    const [{ n, batches }] = await sql<{ n: number; batches: Array<number> }>((s) => s`SELECT
      (SELECT count(*)::int FROM ${s(schema)}.person WHERE "nameFirstName" = 'Lane') AS n,
      (SELECT "committedBatches" FROM core."importRun" WHERE id = ${id}) AS batches`) as [{ n: number; batches: Array<number> }]
    expect(n).toBe(total - 2)
    expect([...batches].sort()).toEqual([0, 1, 2])
  }, 60_000)

  test("a unique value already taken, or taken twice in the upload, refuses those rows only; imported ids follow the rows", async () => {
    const first = await importAndRun("people", "name.firstName,emails.primaryEmail\nTaken,taken@example.com")
    expect(first).toMatchObject({ createdRows: 1, failedRows: 0 })
    const run = await importAndRun("people", [
      "name.firstName,emails.primaryEmail",
      "Fresh,fresh@example.com",
      "Again,TAKEN@example.com",
      "Twice,fresh@example.com",
      "Other,other@example.com"
    ].join("\n"))
    expect(run).toMatchObject({ status: "COMPLETED", createdRows: 2, failedRows: 2 })
    expect(run.errors).toEqual([
      { row: 2, message: "A record with the same id or the same unique value already exists" },
      { row: 3, message: "A record with the same id or the same unique value already exists" }
    ])
    const listed = await rest("GET", `/rest/people?filter=${encodeURIComponent(`emails.primaryEmail[in]:["fresh@example.com","other@example.com"]`)}&order_by=id`)
    const ids = listed.body.data.people.map((p: any) => p.id)
    expect(ids).toEqual([rowId(run.id, 1), rowId(run.id, 4)])
  })

  test("staged rows live in an unlogged table; a run whose rows a database crash emptied fails and says which", async () => {
    const [table] = await sql<{ persistence: string }>((s) => s`SELECT relpersistence AS persistence FROM pg_class WHERE oid = 'core."importRow"'::regclass`)
    expect(table!.persistence).toBe("u")
    const started = await rest("POST", "/rest/notes/import?format=jsonl", ["{\"title\":\"kept\"}", "{\"title\":\"lost\"}"].join("\n"))
    const id = started.body.data.import.id as string
    await sql((s) => s`DELETE FROM core."importRow" WHERE "importId" = ${id} AND "rowNumber" = 2`)
    await app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))
    const run = (await rest("GET", `/rest/imports/${id}`)).body.data.import
    expect(run).toMatchObject({ status: "FAILED", totalRows: 2, processedRows: 1, createdRows: 1 })
    expect(run.lastError).toBe("Rows 2 to 2 were lost from staging (the database restarted): upload them again")
  })

  test("an upload left UPLOADING by a server that went away is swept FAILED after STALE_UPLOAD_MINUTES, its staged rows deleted", async () => {
    const upload = async (minutesAgo: number) => {
      const id = crypto.randomUUID()
      await sql((s) => s`INSERT INTO core."importRun" (id, "workspaceId", "objectNameSingular", format, status, "emitEvents", actor, "updatedAt")
        VALUES (${id}, ${workspaceId}, 'note', 'csv', 'UPLOADING', false, '{}'::jsonb, now() - make_interval(mins => ${minutesAgo}))`)
      await sql((s) => s`INSERT INTO core."importRow" ("importId", "rowNumber", data) VALUES (${id}, 1, '{"title":"x"}')`)
      return id
    }
    const stale = await upload(STALE_UPLOAD_MINUTES + 1)
    const live = await upload(STALE_UPLOAD_MINUTES - 1)
    expect(await app.run(Effect.flatMap(Imports, (imports) => imports.sweep))).toBe(1)
    const state = (id: string) => sql<{ status: string; lastError: string | null; staged: number }>((s) => s`SELECT status, "lastError",
      (SELECT count(*)::int FROM core."importRow" WHERE "importId" = ${id}) AS staged FROM core."importRun" WHERE id = ${id}`)
    expect(await state(stale)).toEqual([{ status: "FAILED", lastError: "The upload stopped: the server receiving it went away", staged: 0 }])
    expect(await state(live)).toEqual([{ status: "UPLOADING", lastError: null, staged: 1 }])
    // A run's deletion (its workspace's) takes its staged rows, without a foreign key on each of them.
    await sql((s) => s`DELETE FROM core."importRun" WHERE id = ${live}`)
    expect(await sql<{ staged: number }>((s) => s`SELECT count(*)::int AS staged FROM core."importRow" WHERE "importId" = ${live}`)).toEqual([{ staged: 0 }])
  })

  test("a role that cannot create the object's records is refused, and nothing is staged", async () => {
    const guest = await addMemberWithRole(app, workspaceId, "Guest")
    const before = await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."importRun"`)
    const refused = await rest("POST", "/rest/companies/import?format=csv", "name\nNope", {}, guest.token)
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ statusCode: 403, error: "ForbiddenException" })
    const after = await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."importRun"`)
    expect(after[0]!.n).toBe(before[0]!.n)
  })

  test("bad requests: unknown format, malformed mapping, unreadable CSV, unknown import", async () => {
    expect((await rest("POST", "/rest/companies/import?format=xml", "x")).status).toBe(400)
    expect((await rest("POST", "/rest/companies/import?mapping=%5B1%5D", "name\nA")).status).toBe(400)
    const broken = await rest("POST", "/rest/companies/import?format=csv", "name\n\"unterminated")
    expect(broken.status).toBe(400)
    expect(broken.body.messages[0]).toContain("Invalid CSV")
    expect((await rest("GET", `/rest/imports/${crypto.randomUUID()}`)).status).toBe(404)
  })

  test("an upload past IMPORT_MAX_BODY_SIZE is a 413, declared or chunked, and nothing is kept", async () => {
    const big = "name\n" + "x".repeat(1_100_000)
    const declared = await rest("POST", "/rest/companies/import?format=csv", big)
    expect(declared.status).toBe(413)
    const runs = async () => (await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."importRun"`))[0]!.n
    const before = await runs()
    for (const format of ["csv", "jsonl"]) {
      const chunks = [new TextEncoder().encode(format === "csv" ? "name\n" : ""), ...Array.from({ length: 20 }, () => new TextEncoder().encode(`${format === "csv" ? "Chunked" : JSON.stringify({ name: "Chunked" })}\n`.repeat(10_000)))]
      const body = new ReadableStream<Uint8Array>({ pull: (controller) => { const next = chunks.shift(); next ? controller.enqueue(next) : controller.close() } })
      const chunked = await app.request(`/rest/companies/import?format=${format}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body })
      expect(chunked.status).toBe(413)
    }
    expect(await runs()).toBe(before)
  })
})

describe("GraphQL (/metadata)", () => {
  test("createRecordImport takes inline content, recordImport answers its progress and refused rows", async () => {
    const created = await app.gql(`mutation($input: CreateRecordImportInput!) { createRecordImport(input: $input) { id status format totalRows } }`, {
      input: { objectNameSingular: "company", format: "CSV", content: "Name,Staff\nInline A,3\nInline B,x", mapping: { Name: "name", Staff: "employees" } }
    }, token)
    expect(created.body.errors).toBeUndefined()
    expect(created.body.data.createRecordImport).toMatchObject({ status: "QUEUED", format: "CSV", totalRows: 2 })
    const id = created.body.data.createRecordImport.id
    await app.run(Effect.flatMap(Imports, (imports) => imports.run(id)))
    const run = await app.gql(`query($id: UUID!) { recordImport(id: $id) { status createdRows failedRows errors { row message } } }`, { id }, token)
    expect(run.body.data.recordImport).toEqual({
      status: "COMPLETED", createdRows: 1, failedRows: 1, errors: [{ row: 2, message: `Invalid number value 'x' for field "employees"` }]
    })
    const unknown = await app.gql(`mutation { createRecordImport(input: { objectNameSingular: "nope", format: JSONL, content: "{}" }) { id } }`, {}, token)
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  })
})

describe("export", () => {
  test("a filtered, ordered export (JSON lines and CSV, several pages) equals the GraphQL list", async () => {
    const filter = encodeURIComponent(`name[like]:"Retry %"`)
    const jsonl = await rest("GET", `/rest/companies/export?format=jsonl&filter=${filter}&order_by=name[DescNullsLast]`)
    expect(jsonl.status).toBe(200)
    const exported = jsonl.text.trim().split("\n").map((line) => JSON.parse(line))
    const listed: Array<any> = []
    let after: string | null = null
    do {
      const response: Response = await app.request("/graphql", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          query: `query($after: String) { companies(filter: { name: { like: "Retry %" } }, orderBy: [{ name: DescNullsLast }], first: 200, after: $after) {
            edges { node { id name employees } } pageInfo { hasNextPage endCursor } } }`,
          variables: { after }
        })
      })
      const page = ((await response.json()) as any).data.companies
      listed.push(...page.edges.map((e: any) => e.node))
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after)
    expect(listed.length).toBeGreaterThan(6_000)
    expect(exported.map((r) => ({ id: r.id, name: r.name, employees: r.employees }))).toEqual(listed)

    const csv = await rest("GET", `/rest/companies/export?format=csv&filter=${filter}&order_by=name[DescNullsLast]`)
    expect(csv.status).toBe(200)
    const lines = csv.text.trim().split("\n")
    expect(lines[0]).toContain("domainName.primaryLinkUrl")
    expect(lines.length).toBe(listed.length + 1)
    const nameColumn = lines[0]!.split(",").indexOf("name")
    expect(lines.slice(1).map((line) => line.split(",")[nameColumn])).toEqual(listed.map((c) => c.name))
  }, 60_000)

  test("CSV lines built by the database equal what csv-stringify writes of the records the list answers; JSON lines equal them too", async () => {
    const tricky = [
      { name: `Tricky, "quoted"\nname`, employees: 0, idealCustomerProfile: true, tagline: undefined,
        domainName: { primaryLinkUrl: "https://tricky.example", secondaryLinks: [{ url: "https://b.example", label: "b, c" }] },
        address: { addressCity: "Zürich 😀\tcity", addressLat: 47.3769 },
        annualRecurringRevenue: { amountMicros: 1234500000, currencyCode: "EUR" } },
      { name: "Tricky empty" },
      { name: "Tricky \\ back", employees: 12.5, linkedinLink: { primaryLinkUrl: "https://linkedin.com/x" } }
    ]
    for (const company of tricky) {
      const created = await rest("POST", "/rest/companies", JSON.stringify(company), { "content-type": "application/json" })
      expect(created.status).toBe(201)
    }
    const filter = encodeURIComponent(`name[like]:"Tricky%"`)
    const listed = (await rest("GET", `/rest/companies?filter=${filter}&order_by=name`)).body.data.companies as Array<Record<string, any>>
    expect(listed).toHaveLength(3)
    const before = streamLinesCounts.answered
    const jsonl = await rest("GET", `/rest/companies/export?format=jsonl&filter=${filter}&order_by=name`)
    expect(jsonl.text.endsWith("\n")).toBe(true)
    const lines = jsonl.text.trim().split("\n")
    expect(lines.map((line) => JSON.parse(line))).toEqual(listed)
    // Byte for byte, keys in the same order, where no jsonb value is set (PostgreSQL spaces those).
    const plain = listed.findIndex((record) => record["name"] === "Tricky empty")
    expect(lines[plain]).toBe(JSON.stringify(listed[plain]))

    const csv = await rest("GET", `/rest/companies/export?format=csv&filter=${filter}&order_by=name`)
    const header = csv.text.slice(0, csv.text.indexOf("\n"))
    const columns = header.split(",").map((column) => column.split("."))
    const cell = (value: unknown) =>
      value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)
    const expected = stringify([header.split(","), ...listed.map((record) => columns.map(([name, sub]) => cell(sub ? record[name!]?.[sub] : record[name!])))])
    expect(csv.text.replaceAll(`"": ""`, `"":""`).replaceAll(`"", ""`, `"",""`)).toBe(expected)
    expect(streamLinesCounts.answered).toBe(before + 1) // the CSV; JSON lines take the reference path
  })

  test("a bad filter is a 400 before anything is streamed", async () => {
    const bad = await rest("GET", `/rest/companies/export?filter=${encodeURIComponent("nope[eq]:1")}`)
    expect(bad.status).toBe(400)
  })
})
