import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
let db: SQL
let schema: string

beforeAll(async () => {
  app = await startTestApp()
  account = await signUpWithWorkspace(app, { name: "Model Co" })
  db = new SQL(app.databaseUrl)
  const [row] = await db`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${account.workspaceId}`
  schema = row.schema
})
afterAll(async () => {
  await db.close()
  await app.close()
})

const gql = async (query: string, variables: Record<string, unknown> = {}) => (await app.gql(query, variables, account.accessToken)).body
const codeOf = (body: { errors?: Array<{ extensions?: any }> }) => body.errors?.[0]?.extensions?.code
const columnsOf = async (table: string) =>
  (await db`SELECT column_name FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = ${table}`)
    .map((r: { column_name: string }) => r.column_name).sort()

const OBJECTS = `query($filter: ObjectFilter!) { objects(paging: { first: 100 }, filter: $filter) {
  totalCount edges { node { id nameSingular namePlural isCustom labelIdentifierFieldMetadataId
    fields(paging: { first: 200 }) { edges { node { id name type isNullable options defaultValue
      relation { type targetObjectMetadata { nameSingular } targetFieldMetadata { name } } } } } } } } }`

const objectByName = async (name: string) => {
  const body = await gql(OBJECTS, { filter: {} })
  return body.data.objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === name)
}
const fieldOf = (object: any, name: string) => object.fields.edges.map((e: any) => e.node).find((f: any) => f.name === name)

describe("a new workspace", () => {
  test("has Twenty's standard objects, fields and relations, with their tables", async () => {
    const body = await gql(OBJECTS, { filter: {} })
    const names = body.data.objects.edges.map((e: any) => e.node.nameSingular)
    for (const name of ["company", "person", "opportunity", "note", "noteTarget", "task", "taskTarget", "attachment", "timelineActivity", "workspaceMember", "favorite"]) {
      expect(names).toContain(name)
    }
    const company = await objectByName("company")
    expect(fieldOf(company, "name").type).toBe("TEXT")
    expect(fieldOf(company, "createdBy").type).toBe("ACTOR")
    expect(fieldOf(company, "people").relation).toEqual({ type: "ONE_TO_MANY", targetObjectMetadata: { nameSingular: "person" }, targetFieldMetadata: { name: "company" } })
    const person = await objectByName("person")
    expect(fieldOf(person, "company").relation.type).toBe("MANY_TO_ONE")
    const opportunity = await objectByName("opportunity")
    expect(fieldOf(opportunity, "stage").options.map((o: any) => o.value)).toEqual(["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"])

    const personColumns = await columnsOf("person")
    for (const column of ["id", "nameFirstName", "nameLastName", "emailsPrimaryEmail", "emailsAdditionalEmails", "companyId", "createdBySource", "position", "deletedAt"]) {
      expect(personColumns).toContain(column)
    }
    const [fk] = await db`SELECT confdeltype FROM pg_constraint WHERE conname = 'companyId_fkey' AND connamespace = ${schema}::regnamespace`
    expect(fk.confdeltype).toBe("n")
  })

  test("has a workspaceMember record for its creator", async () => {
    const rows = await db.unsafe(`SELECT "userEmail" FROM "${schema}"."workspaceMember"`)
    expect(rows).toEqual([{ userEmail: account.email }])
  })

  test("filters and pages objects", async () => {
    const custom = await gql(OBJECTS, { filter: { isCustom: { is: true } } })
    expect(custom.data.objects.totalCount).toBe(0)
    const page = await gql(`{ objects(paging: { first: 2 }) { edges { cursor node { nameSingular } } pageInfo { hasNextPage endCursor } } }`)
    expect(page.data.objects.edges).toHaveLength(2)
    expect(page.data.objects.pageInfo.hasNextPage).toBe(true)
    const next = await gql(`query($after: ConnectionCursor) { objects(paging: { first: 2, after: $after }) { edges { node { nameSingular } } } }`, {
      after: page.data.objects.pageInfo.endCursor
    })
    expect(next.data.objects.edges[0].node.nameSingular).not.toBe(page.data.objects.edges[0].node.nameSingular)
  })
})

describe("custom objects and fields", () => {
  test("create an object, add fields of several types, rename, change options, deactivate and delete", async () => {
    const created = await gql(`mutation { createOneObject(input: { object: { nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices", icon: "IconReceipt" } }) { id nameSingular isCustom labelIdentifierFieldMetadataId } }`)
    expect(created.errors).toBeUndefined()
    const invoice = created.data.createOneObject
    expect(invoice.isCustom).toBe(true)
    expect(await columnsOf("_invoice")).toContain("name")
    expect(await columnsOf("timelineActivity")).toContain("targetInvoiceId")
    expect(fieldOf(await objectByName("invoice"), "timelineActivities").relation).toMatchObject({ type: "ONE_TO_MANY", targetObjectMetadata: { nameSingular: "timelineActivity" } })

    const addField = (field: Record<string, unknown>) =>
      gql(`mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id name type options defaultValue } }`, {
        field: { objectMetadataId: invoice.id, ...field }
      })
    const amount = await addField({ name: "amount", label: "Amount", type: "CURRENCY" })
    expect(amount.errors).toBeUndefined()
    const status = await addField({
      name: "status",
      label: "Status",
      type: "SELECT",
      defaultValue: "'DRAFT'",
      options: [
        { value: "DRAFT", label: "Draft", color: "gray", position: 0 },
        { value: "SENT", label: "Sent", color: "blue", position: 1 },
        { value: "PAID", label: "Paid", color: "green", position: 2 }
      ]
    })
    expect(status.errors).toBeUndefined()
    const company = await addField({
      name: "billedCompany",
      label: "Billed company",
      type: "RELATION",
      relationCreationPayload: { type: "MANY_TO_ONE", targetObjectMetadataId: (await objectByName("company")).id, targetFieldLabel: "Invoices", targetFieldIcon: "IconReceipt" }
    })
    expect(company.errors).toBeUndefined()
    expect(await columnsOf("_invoice")).toEqual(expect.arrayContaining(["amountAmountMicros", "amountCurrencyCode", "status", "billedCompanyId"]))
    const companyObject = await objectByName("company")
    expect(fieldOf(companyObject, "invoices").relation).toMatchObject({ type: "ONE_TO_MANY", targetObjectMetadata: { nameSingular: "invoice" } })

    await db.unsafe(`INSERT INTO "${schema}"."_invoice" (name, status) VALUES ('a', 'SENT'), ('b', 'PAID')`)
    const [defaulted] = await db.unsafe(`INSERT INTO "${schema}"."_invoice" (name) VALUES ('c') RETURNING status`)
    expect(defaulted.status).toBe("DRAFT")
    const bad = db.unsafe(`INSERT INTO "${schema}"."_invoice" (name, status) VALUES ('d', 'NOPE')`)
    expect(bad).rejects.toThrow()

    const options = status.data.createOneField.options
    const renamed = await gql(`mutation($id: UUID!, $update: UpdateFieldInput!) { updateOneField(input: { id: $id, update: $update }) { name options } }`, {
      id: status.data.createOneField.id,
      update: {
        name: "invoiceStatus",
        options: [
          { ...options[0] },
          { ...options[1], value: "ISSUED", label: "Issued" }
        ]
      }
    })
    expect(renamed.errors).toBeUndefined()
    expect(renamed.data.updateOneField.name).toBe("invoiceStatus")
    const rows = await db.unsafe(`SELECT name, "invoiceStatus" FROM "${schema}"."_invoice" ORDER BY name`)
    expect(rows).toEqual([{ name: "a", invoiceStatus: "ISSUED" }, { name: "b", invoiceStatus: null }, { name: "c", invoiceStatus: "DRAFT" }])

    const activeDelete = await gql(`mutation($id: UUID!) { deleteOneField(input: { id: $id }) { id } }`, { id: amount.data.createOneField.id })
    expect(codeOf(activeDelete)).toBe("BAD_USER_INPUT")
    await gql(`mutation($id: UUID!) { updateOneField(input: { id: $id, update: { isActive: false } }) { id } }`, { id: amount.data.createOneField.id })
    const deleted = await gql(`mutation($id: UUID!) { deleteOneField(input: { id: $id }) { id name } }`, { id: amount.data.createOneField.id })
    expect(deleted.data.deleteOneField.name).toBe("amount")
    expect(await columnsOf("_invoice")).not.toContain("amountAmountMicros")

    const renamedObject = await gql(`mutation($id: UUID!) { updateOneObject(input: { id: $id, update: { nameSingular: "bill", namePlural: "bills", labelSingular: "Bill", labelPlural: "Bills" } }) { nameSingular labelPlural } }`, { id: invoice.id })
    expect(renamedObject.data.updateOneObject).toEqual({ nameSingular: "bill", labelPlural: "Bills" })
    expect(await columnsOf("_bill")).toContain("invoiceStatus")

    const gone = await gql(`mutation($id: UUID!) { deleteOneObject(input: { id: $id }) { id nameSingular } }`, { id: invoice.id })
    expect(gone.data.deleteOneObject.nameSingular).toBe("bill")
    expect(await columnsOf("_bill")).toEqual([])
    expect(await columnsOf("timelineActivity")).not.toContain("targetInvoiceId")
    expect(fieldOf(await objectByName("company"), "invoices")).toBeUndefined()
  })

  test("invalid requests are BAD_USER_INPUT naming the culprit, and leave nothing half-made", async () => {
    const versionBefore = (await db`SELECT "metadataVersion" FROM core.workspace WHERE id = ${account.workspaceId}`)[0].metadataVersion
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [`mutation($o: CreateObjectInput!) { createOneObject(input: { object: $o }) { id } }`, { o: { nameSingular: "Bad Name", namePlural: "badNames", labelSingular: "A", labelPlural: "B" } }, "nameSingular"],
      [`mutation($o: CreateObjectInput!) { createOneObject(input: { object: $o }) { id } }`, { o: { nameSingular: "thing", namePlural: "thing", labelSingular: "A", labelPlural: "B" } }, "namePlural"],
      [`mutation($o: CreateObjectInput!) { createOneObject(input: { object: $o }) { id } }`, { o: { nameSingular: "type", namePlural: "things", labelSingular: "A", labelPlural: "B" } }, "nameSingular"]
    ]
    for (const [query, variables, field] of cases) {
      const body = await gql(query, variables)
      expect(codeOf(body)).toBe("BAD_USER_INPUT")
      expect(body.errors![0]!.extensions.field).toBe(field)
    }
    const duplicate = await gql(`mutation { createOneObject(input: { object: { nameSingular: "company", namePlural: "companyThings", labelSingular: "A", labelPlural: "B" } }) { id } }`)
    expect(codeOf(duplicate)).toBe("CONFLICT")

    const companyId = (await objectByName("company")).id
    const badFields: Array<Record<string, unknown>> = [
      { name: "name", label: "Name again", type: "TEXT" },
      { name: "domainNamePrimaryLinkUrl", label: "Clash", type: "TEXT" },
      { name: "tier", label: "Tier", type: "SELECT", options: [{ value: "lower case", label: "x" }] },
      { name: "tier", label: "Tier", type: "SELECT", options: [{ value: "GOLD", label: "Gold" }], defaultValue: "'SILVER'" },
      { name: "score", label: "Score", type: "NOT_A_TYPE" }
    ]
    for (const field of badFields) {
      const body = await gql(`mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id } }`, { field: { objectMetadataId: companyId, ...field } })
      expect(body.errors).toBeDefined()
      expect(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]).toContain(codeOf(body))
    }
    const standardDelete = await gql(`mutation($id: UUID!) { deleteOneObject(input: { id: $id }) { id } }`, { id: companyId })
    expect(codeOf(standardDelete)).toBe("BAD_USER_INPUT")
    const missing = await gql(`{ object(id: "00000000-0000-4000-8000-000000000000") { id } }`)
    expect(codeOf(missing)).toBe("NOT_FOUND")

    const versionAfter = (await db`SELECT "metadataVersion" FROM core.workspace WHERE id = ${account.workspaceId}`)[0].metadataVersion
    expect(versionAfter).toBe(versionBefore)
    expect(await columnsOf("company")).not.toContain("tier")
  })

  test("a change made in another workspace does not reach this one", async () => {
    const other = await signUpWithWorkspace(app)
    const body = (await app.gql(`mutation { createOneObject(input: { object: { nameSingular: "sneaky", namePlural: "sneakies", labelSingular: "S", labelPlural: "Ss" } }) { id } }`, {}, other.accessToken)).body
    expect(body.errors).toBeUndefined()
    const names = (await gql(OBJECTS, { filter: {} })).data.objects.edges.map((e: any) => e.node.nameSingular)
    expect(names).not.toContain("sneaky")
  })
})

describe("across instances", () => {
  test("a field created through one instance is visible through another at once", async () => {
    const other = await startTestApp({ databaseUrl: app.databaseUrl })
    try {
      const read = async () => (await other.gql(OBJECTS, { filter: {} }, account.accessToken)).body.data.objects.edges
        .map((e: any) => e.node).find((o: any) => o.nameSingular === "person")
      expect(fieldOf(await read(), "nickname")).toBeUndefined()
      const personId = (await read()).id
      const created = await gql(`mutation($id: UUID!) { createOneField(input: { field: { objectMetadataId: $id, name: "nickname", label: "Nickname", type: TEXT } }) { id } }`, { id: personId })
      expect(created.errors).toBeUndefined()
      expect(fieldOf(await read(), "nickname")).toBeDefined()
      const viaData = await other.request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
        body: JSON.stringify({ query: `mutation { createPerson(data: { nickname: "Ace" }) { nickname } }` })
      })
      expect(await viaData.json()).toEqual({ data: { createPerson: { nickname: "Ace" } } })
      const viaRest = await other.request("/rest/people?filter=nickname[eq]:Ace&depth=0", { headers: { authorization: `Bearer ${account.accessToken}` } })
      expect(((await viaRest.json()) as any).data.people.map((p: any) => p.nickname)).toEqual(["Ace"])
    } finally {
      await other.close()
    }
  })
})

describe("workspace lifecycle", () => {
  test("workspaces created at once with the same name get distinct subdomains", async () => {
    const created = await Promise.all([1, 2, 3, 4].map(() => signUpWithWorkspace(app, { name: "Same Name" })))
    const subdomains = await db`SELECT subdomain FROM core.workspace WHERE id IN ${db(created.map((c) => c.workspaceId))}`
    expect(new Set(subdomains.map((r: { subdomain: string }) => r.subdomain)).size).toBe(4)
  })

  test("deactivating keeps the data; deleting drops the schema and the metadata", async () => {
    const { Workspaces } = await import("../src/services/workspace/index.js")
    const { Effect } = await import("effect")
    const doomed = await signUpWithWorkspace(app, { name: "Doomed" })
    const [source] = await db`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${doomed.workspaceId}`
    await app.run(Effect.flatMap(Workspaces, (w) => w.update(doomed.workspaceId, { activationStatus: "INACTIVE" })))
    const inactive = await app.gql(`{ currentWorkspace { id } }`, {}, doomed.accessToken)
    expect(inactive.body.errors![0]!.extensions.code).toBe("FORBIDDEN")
    expect((await db`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${source.schema}`)[0].n).toBeGreaterThan(10)

    await app.run(Effect.flatMap(Workspaces, (w) => w.remove(doomed.workspaceId)))
    expect(await db`SELECT 1 FROM information_schema.schemata WHERE schema_name = ${source.schema}`).toEqual([])
    expect(await db`SELECT 1 FROM core."objectMetadata" WHERE "workspaceId" = ${doomed.workspaceId}`).toEqual([])
    const gone = await app.gql(`{ currentWorkspace { id } }`, {}, doomed.accessToken)
    expect(gone.status).toBe(401)
  })
})

describe("names that JavaScript objects already have", () => {
  const JS_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString"]

  test("are refused for fields and objects with BAD_USER_INPUT, before any table or column exists", async () => {
    const company = await objectByName("company")
    for (const name of JS_NAMES) {
      const field = await gql(`mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id } }`, {
        field: { objectMetadataId: company.id, type: "TEXT", name, label: `JS ${name}` }
      })
      expect([name, codeOf(field)]).toEqual([name, "BAD_USER_INPUT"])
      expect(field.errors?.[0]?.message).toContain("reserved")
      const object = await gql(`mutation($object: CreateObjectInput!) { createOneObject(input: { object: $object }) { id } }`, {
        object: { nameSingular: name, namePlural: `${name}Items`, labelSingular: `JS ${name}`, labelPlural: `JS ${name} items` }
      })
      expect([name, codeOf(object)]).toEqual([name, "BAD_USER_INPUT"])
    }
    const columns = await columnsOf("company")
    for (const name of JS_NAMES) expect(columns).not.toContain(name)
  })
})

// Twenty's rename-custom-object.integration-spec.ts and renameRelatedMorphFieldOnObjectNamesUpdate: the standard
// objects' relation fields named after a custom object follow its new name (and label); other relations do not.
describe("renaming a custom object", () => {
  test("renames target<Name> on noteTarget, taskTarget, timelineActivity, attachment and <name> on favorite", async () => {
    const created = await gql(`mutation { createOneObject(input: { object: { nameSingular: "pet", namePlural: "pets", labelSingular: "Pet", labelPlural: "Pets" } }) { id } }`)
    const petId = created.data.createOneObject.id
    const owners = { noteTarget: "targetPet", taskTarget: "targetPet", timelineActivity: "targetPet", attachment: "targetPet", favorite: "pet" }
    const before: Record<string, string> = {}
    for (const [owner, name] of Object.entries(owners)) before[owner] = fieldOf(await objectByName(owner), name).id
    const person = await objectByName("person")
    const custom = await gql(`mutation($f: CreateFieldInput!) { createOneField(input: { field: $f }) { id name } }`, {
      f: { objectMetadataId: petId, name: "owner", label: "Owner", type: "RELATION",
        relationCreationPayload: { type: "MANY_TO_ONE", targetObjectMetadataId: person.id, targetFieldLabel: "Pets", targetFieldName: "pets" } }
    })
    expect(custom.errors).toBeUndefined()

    const renamed = await gql(`mutation($id: UUID!) { updateOneObject(input: { id: $id, update: { nameSingular: "dog", namePlural: "dogs", labelSingular: "Dog", labelPlural: "Dogs" } }) { nameSingular } }`, { id: petId })
    expect(renamed.errors).toBeUndefined()
    for (const [owner, name] of Object.entries(owners)) {
      const object = await objectByName(owner)
      const newName = name === "pet" ? "dog" : "targetDog"
      const field = fieldOf(object, newName)
      expect(field?.id).toBe(before[owner])
      expect(fieldOf(object, name)).toBeUndefined()
      expect(await columnsOf(owner)).toContain(`${newName}Id`)
      expect(await columnsOf(owner)).not.toContain(`${name}Id`)
    }
    const labels = (await gql(`query { fields(paging: { first: 1000 }) { edges { node { id label } } } }`)).data.fields.edges.map((e: any) => e.node)
    for (const id of Object.values(before)) expect(labels.find((f: any) => f.id === id).label).toBe("Dog")
    expect(fieldOf(await objectByName("person"), "pets")).toBeDefined()

    // The renamed relation works through the APIs.
    const dog = (await app.request("/rest/dogs", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
      body: JSON.stringify({ name: "Rex" })
    }).then((r) => r.json()) as any).data.createDog
    const link = await app.request("/rest/noteTargets?depth=1", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
      body: JSON.stringify({ targetDogId: dog.id })
    }).then((r) => r.json()) as any
    expect(link.data.createNoteTarget.targetDog).toMatchObject({ id: dog.id, name: "Rex" })
  })
})

describe("deleting a custom object while its relations are written", () => {
  test("waits for a writer that holds a relation table and then reads the object's table (no deadlock)", async () => {
    const created = await gql(`mutation { createOneObject(input: { object: { nameSingular: "parcel", namePlural: "parcels", labelSingular: "Parcel", labelPlural: "Parcels" } }) { id } }`)
    const parcelId = created.data.createOneObject.id
    // A writer as the worker's timeline insert is: the relation table first, then the object's table (its FK check).
    const writer = await db.reserve()
    await writer`BEGIN`
    await writer.unsafe(`LOCK TABLE "${schema}"."timelineActivity" IN ROW EXCLUSIVE MODE`)
    const deleting = gql(`mutation($id: UUID!) { deleteOneObject(input: { id: $id }) { id } }`, { id: parcelId })
    const waitingOnLock = async () => {
      for (let i = 0; i < 200; i++) {
        const [row] = await db`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%_parcel%'`
        if (row.n > 0) return
        await Bun.sleep(25)
      }
      throw new Error("the delete never waited for the writer")
    }
    await waitingOnLock()
    const read = writer.unsafe(`SELECT 1 FROM "${schema}"."_parcel" FOR KEY SHARE`).then(() => "ok", (e: Error) => e.message)
    const outcome = await Promise.race([read, Bun.sleep(5000).then(() => "still waiting")])
    await writer`COMMIT`.catch(() => writer`ROLLBACK`)
    writer.release()
    const deleted = await deleting
    expect(outcome).toBe("ok")
    expect(deleted.errors).toBeUndefined()
    expect(await columnsOf("timelineActivity")).not.toContain("targetParcelId")
  })
})
