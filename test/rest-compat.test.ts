import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/**
 * The REST answers of Twenty's own integration suites (packages/twenty-server/test/integration/rest/suites:
 * rest-api-core-restore, -field-projection, -find-one, -find-many, -create-one, -delete, -group-by), on Score.
 */

let app: TestApp
let token: string
let memberToken: string
let acmeId: string
let adaId: string

const rest = async (method: string, path: string, body?: unknown, auth: string = token) => {
  const response = await app.request(path, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}
const q = encodeURIComponent
const badRequest = (message: string) => ({ status: 400, body: { statusCode: 400, error: "BadRequestException", messages: [message] } })

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  memberToken = account.accessToken
  token = (await createApiKey(app, account.accessToken)).token
  acmeId = (await rest("POST", "/rest/companies", { name: "Acme", domainName: { primaryLinkUrl: "https://acme.com" } })).body.data.createCompany.id
  adaId = (await rest("POST", "/rest/people", { name: { firstName: "Ada", lastName: "Lovelace" }, jobTitle: "Analyst", companyId: acmeId }))
    .body.data.createPerson.id
})
afterAll(() => app.close())

describe("Twenty's REST restore routes (rest-api-core.controller.ts, parse-core-path.utils.ts)", () => {
  test("PATCH /rest/{plural}/{id}/restore and /rest/{plural}/restore?filter= restore, with fields", async () => {
    expect((await rest("DELETE", `/rest/people/${adaId}?soft_delete=true`)).status).toBe(200)
    expect((await rest("GET", `/rest/people/${adaId}`)).status).toBe(404)
    const one = await rest("PATCH", `/rest/people/${adaId}/restore?fields=id`)
    expect(one).toEqual({ status: 200, body: { data: { restorePerson: { id: adaId } } } })
    expect((await rest("GET", `/rest/people/${adaId}`)).body.data.person).toMatchObject({ jobTitle: "Analyst", deletedAt: null })

    await rest("DELETE", `/rest/people/${adaId}?soft_delete=true`)
    const many = await rest("PATCH", `/rest/people/restore?filter=${q(`id[eq]:${adaId}`)}&fields=id`)
    expect(many).toEqual({ status: 200, body: { data: { restorePeople: [{ id: adaId }] } } })
    expect((await rest("GET", `/rest/people/${adaId}`)).status).toBe(200)
  })

  test("the restored record comes back whole without fields, and at depth 1 with its relations", async () => {
    await rest("DELETE", `/rest/people/${adaId}?soft_delete=true`)
    const restored = (await rest("PATCH", `/rest/people/${adaId}/restore?depth=1`)).body.data.restorePerson
    expect(restored).toMatchObject({ id: adaId, jobTitle: "Analyst", companyId: acmeId, company: { id: acmeId, name: "Acme" } })
  })

  test("an id that is not a UUID, or a record that is not there", async () => {
    expect(await rest("PATCH", `/rest/people/nope/restore`)).toEqual(badRequest("'nope' is not a valid UUID"))
    expect(await rest("PATCH", `/rest/people/00000000-0000-4000-8000-000000000000/restore`)).toEqual({
      status: 404,
      body: { statusCode: 404, error: "NotFoundException", messages: ["Record not found"] }
    })
  })
})

describe("depth on write answers (rest-api-core-create-one / update integration suites)", () => {
  test("create, batch create and update answer at depth 0 by default and expand at depth 1", async () => {
    const flat = (await rest("POST", "/rest/people", { name: { firstName: "Bo" }, companyId: acmeId })).body.data.createPerson
    expect(flat.companyId).toBe(acmeId)
    expect(flat.company).toBeUndefined()
    const deep = (await rest("POST", "/rest/people?depth=1", { name: { firstName: "Cy" }, companyId: acmeId })).body.data.createPerson
    expect(deep.company).toMatchObject({ id: acmeId, name: "Acme" })
    expect(deep.company.people).toBeUndefined()
    const batch = (await rest("POST", "/rest/batch/people?depth=1", [{ name: { firstName: "Di" }, companyId: acmeId }])).body.data.createPeople
    expect(batch[0].company.domainName.primaryLinkUrl).toBe("https://acme.com")
    const updated = (await rest("PATCH", `/rest/people/${flat.id}?depth=1`, { jobTitle: "CTO" })).body.data.updatePerson
    expect(updated).toMatchObject({ jobTitle: "CTO", company: { name: "Acme" } })
    const company = (await rest("PATCH", `/rest/companies/${acmeId}?depth=1`, { employees: 5 })).body.data.updateCompany
    expect(company.people.map((p: any) => p.name.firstName)).toEqual(expect.arrayContaining(["Ada", "Bo", "Cy", "Di"]))
    const many = (await rest("PATCH", `/rest/people?filter=${q(`id[eq]:${flat.id}`)}&depth=1`, { city: "Paris" })).body.data.updatePeople
    expect(many[0]).toMatchObject({ city: "Paris", company: { name: "Acme" } })
  })

  test("depth=2 is refused on writes too", async () => {
    expect(await rest("POST", "/rest/people?depth=2", { name: { firstName: "Ed" } }))
      .toEqual(badRequest("'depth=2' parameter invalid. Allowed values are 0, 1"))
    expect((await rest("GET", `/rest/people?filter=${q("name.firstName[eq]:Ed")}`)).body.totalCount).toBe(0)
  })
})

describe("the fields parameter (parse-fields-rest-request.util.ts, rest-api-core-field-projection)", () => {
  test("lists, one record and creates answer only the named fields, id always", async () => {
    const list = await rest("GET", `/rest/people?fields=${q(" name , jobTitle ,, name")}&filter=${q(`id[eq]:${adaId}`)}`)
    expect(list.body.data.people).toEqual([{ id: adaId, name: { firstName: "Ada", lastName: "Lovelace" }, jobTitle: "Analyst" }])
    const repeated = await rest("GET", `/rest/people/${adaId}?fields=name&fields=city`)
    expect(Object.keys(repeated.body.data.person).sort()).toEqual(["city", "id", "name"])
    const created = await rest("POST", "/rest/batch/companies?fields=id", [{ name: "Projected" }])
    expect(created.body.data.createCompanies).toEqual([{ id: expect.any(String) }])
    expect((await rest("GET", `/rest/companies/${created.body.data.createCompanies[0].id}`)).body.data.company.name).toBe("Projected")
  })

  test("a many-to-one relation is its join column at depth 0 and its record at depth 1; one-to-many needs depth 1", async () => {
    expect((await rest("GET", `/rest/people/${adaId}?fields=company`)).body.data.person).toEqual({ id: adaId, companyId: acmeId })
    const deep = (await rest("GET", `/rest/people/${adaId}?fields=company&depth=1`)).body.data.person
    expect(Object.keys(deep).sort()).toEqual(["company", "id"])
    expect(deep.company).toMatchObject({ id: acmeId, name: "Acme" })
    const company = (await rest("GET", `/rest/companies/${acmeId}?fields=name,people&depth=1`)).body.data.company
    expect(Object.keys(company).sort()).toEqual(["id", "name", "people"])
    expect(await rest("GET", `/rest/companies/${acmeId}?fields=name,people,opportunities`)).toEqual(badRequest(
      "'fields' parameter invalid. One-to-many relation fields on 'company' are only returned with depth=1: people, opportunities"
    ))
  })

  test("empty, unknown and unreadable field names are refused with Twenty's messages", async () => {
    expect(await rest("GET", `/rest/people?fields=${q(" , ")}`))
      .toEqual(badRequest("'fields' parameter is empty. Expected a comma-separated list of field names, e.g. fields=id,name"))
    expect(await rest("GET", `/rest/people?fields=name,nope,companyId,searchVector`)).toEqual(
      badRequest("'fields' parameter invalid. Unknown or unreadable fields on 'person': nope, companyId, searchVector")
    )
  })
})

describe("error bodies (send-http-exception-response.util.ts and the integration suites' expectations)", () => {
  test("not found, invalid id, invalid cursor, duplicate entry", async () => {
    const missing = "00000000-0000-4000-8000-000000000000"
    const notFound = { status: 404, body: { statusCode: 404, error: "NotFoundException", messages: ["Record not found"] } }
    expect(await rest("GET", `/rest/people/${missing}`)).toEqual(notFound)
    expect(await rest("PATCH", `/rest/people/${missing}`, { city: "x" })).toEqual(notFound)
    expect(await rest("DELETE", `/rest/people/${missing}`)).toEqual(notFound)
    expect(await rest("GET", "/rest/people/malformed-uuid")).toEqual(badRequest("'malformed-uuid' is not a valid UUID"))
    const cursor = await rest("GET", "/rest/people?starting_after=invalid-cursor")
    expect(cursor.status).toBe(400)
    expect(cursor.body.error).toBe("BadRequestException")
    expect(cursor.body.messages[0]).toContain("Invalid cursor")
    // rest-api-core-create-one: an id in use is 'Record already exists'; a unique field taken is a duplicate entry.
    expect(await rest("POST", "/rest/people", { id: adaId, name: { firstName: "Twin" } })).toEqual(badRequest("Record already exists"))
    await rest("DELETE", `/rest/people/${adaId}?soft_delete=true`)
    expect(await rest("POST", "/rest/people", { id: adaId })).toEqual(badRequest("Record already exists"))
    await rest("PATCH", `/rest/people/${adaId}/restore`)
    const fresh = crypto.randomUUID()
    expect(await rest("POST", "/rest/batch/people", [{ id: fresh }, { id: adaId }])).toEqual(badRequest("Record already exists"))
    expect((await rest("GET", `/rest/people/${fresh}`)).status).toBe(404)
    expect((await rest("POST", `/rest/people?upsert=true`, { id: adaId, jobTitle: "Analyst" })).status).toBe(201)
    const duplicate = await rest("POST", "/rest/companies", { name: "Acme again", domainName: { primaryLinkUrl: "https://acme.com" } })
    expect(duplicate.status).toBe(400)
    expect(duplicate.body.error).toBe("BadRequestException")
    expect(duplicate.body.messages[0]).toContain("A duplicate entry was detected")
  })

  test("a path deeper than /rest/{plural}/{id} (parse-core-path.utils.ts)", async () => {
    const message = (path: string) =>
      `Query path '${path}' invalid. Valid examples: /rest/companies/id or /rest/companies or /rest/batch/companies`
    expect(await rest("GET", `/rest/people/${adaId}/extra`)).toEqual(badRequest(message(`/rest/people/${adaId}/extra`)))
    expect(await rest("DELETE", `/rest/people/${adaId}/restore`)).toEqual(badRequest(message(`/rest/people/${adaId}/restore`)))
    expect((await rest("GET", "/rest/metadata/objects")).status).toBe(200)
  })

  test("bulk delete and destroy without a filter", async () => {
    expect(await rest("DELETE", "/rest/people?soft_delete=true")).toEqual(badRequest(
      "Filters are mandatory for bulk delete operations. Please provide at least one filter to prevent accidental deletion of all records."
    ))
    expect(await rest("DELETE", "/rest/people?soft_delete=false")).toEqual(badRequest(
      "Filters are mandatory for bulk destroy operations. Please provide at least one filter to prevent accidental deletion of all records."
    ))
    expect((await rest("GET", "/rest/people")).body.totalCount).toBeGreaterThan(0)
  })
})

describe("createdBy on create (CreatedByFromAuthContextService.injectCreatedBy)", () => {
  test("an explicit source is kept with the caller's actor; by default an API key writes as API", async () => {
    const byDefault = (await rest("POST", "/rest/people", { name: { firstName: "Api" } })).body.data.createPerson
    expect(byDefault.createdBy).toMatchObject({ source: "API", workspaceMemberId: null })
    const email = (await rest("POST", "/rest/people", { name: { firstName: "Mail" }, createdBy: { source: "EMAIL" } })).body.data.createPerson
    expect(email.createdBy).toMatchObject({ source: "EMAIL", workspaceMemberId: null, name: byDefault.createdBy.name })
    const imported = (await rest("POST", "/rest/batch/people", [{ name: { firstName: "Imp" }, createdBy: { source: "IMPORT" } }]))
      .body.data.createPeople[0]
    expect(imported.createdBy.source).toBe("IMPORT")
    const member = (await rest("POST", "/rest/people", { name: { firstName: "Mine" }, createdBy: { source: "IMPORT" } }, memberToken))
      .body.data.createPerson
    expect(member.createdBy).toMatchObject({ source: "IMPORT", workspaceMemberId: expect.any(String) })
  })

  test("a named createdBy is kept as given; a wrong source is refused; updates may not set it", async () => {
    const named = (await rest("POST", "/rest/people", { createdBy: { source: "WORKFLOW", name: "Nightly sync" } })).body.data.createPerson
    expect(named.createdBy).toMatchObject({ source: "WORKFLOW", name: "Nightly sync", workspaceMemberId: null })
    const wrong = await rest("POST", "/rest/people", { createdBy: { source: "TELEPATHY" } })
    expect(wrong.status).toBe(400)
    expect(wrong.body.messages[0]).toContain("createdBy.source")
    expect((await rest("PATCH", `/rest/people/${named.id}`, { createdBy: { source: "API" } })).status).toBe(400)
  })
})

describe("groupBy order_by_for_records (parse-order-by-for-records-rest-request.util.ts)", () => {
  test("takes the list grammar, as order_by on lists does", async () => {
    await rest("POST", "/rest/batch/people", [
      { name: { firstName: "Zed" }, city: "Oslo" },
      { name: { firstName: "Amy" }, city: "Oslo" }
    ])
    const path = `/rest/people/groupBy?group_by=${q(`[{"city":true}]`)}&filter=${q("city[eq]:Oslo")}&include_records_sample=true`
    const ascending = await rest("GET", `${path}&order_by_for_records=${q("name.firstName[AscNullsFirst]")}`)
    expect(ascending.status).toBe(200)
    expect(ascending.body[0].records.map((r: any) => r.name.firstName)).toEqual(["Amy", "Zed"])
    const descending = await rest("GET", `${path}&order_by_for_records=${q("name.firstName[DescNullsLast]")}`)
    expect(descending.body[0].records.map((r: any) => r.name.firstName)).toEqual(["Zed", "Amy"])
    expect((await rest("GET", `${path}&order_by_for_records=${q("name.firstName[Sideways]")}`)).status).toBe(400)
  })
})
