import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let token: string
let acmeId: string

const rest = async (method: string, path: string, body?: unknown, auth: string | null = token) => {
  const response = await app.request(path, {
    method,
    headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}
const q = encodeURIComponent

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  const created = await rest("POST", "/rest/batch/companies", [
    { name: "Acme", employees: 120, domainName: { primaryLinkUrl: "https://acme.com" } },
    { name: "Smith, Jones (UK): Ltd", employees: 40 },
    { name: "Globex" }
  ])
  expect(created.status).toBe(201)
  acmeId = created.body.data.createCompanies[0].id
  const people = await rest("POST", "/rest/batch/people", [
    { name: { firstName: "Ada", lastName: "Lovelace" }, companyId: acmeId, emails: { primaryEmail: "ada@acme.com" } },
    { name: { firstName: "Grace", lastName: "Hopper" }, companyId: acmeId }
  ])
  expect(people.status).toBe(201)
})
afterAll(() => app.close())

describe("REST records", () => {
  test("list with Twenty's envelope, filter grammar, order_by and totalCount", async () => {
    const all = await rest("GET", `/rest/companies?order_by=name[AscNullsFirst]`)
    expect(all.status).toBe(200)
    expect(all.body.data.companies.map((c: any) => c.name)).toEqual(["Acme", "Globex", "Smith, Jones (UK): Ltd"])
    expect(all.body.totalCount).toBe(3)
    expect(all.body.pageInfo).toMatchObject({ hasNextPage: false })

    const quoted = await rest("GET", `/rest/companies?filter=${q(`name[eq]:"Smith, Jones (UK): Ltd"`)}`)
    expect(quoted.body.data.companies).toHaveLength(1)
    const nested = await rest("GET", `/rest/companies?filter=${q(`or(employees[gte]:100,and(name[like]:"G%",employees[is]:NULL))`)}&order_by=name`)
    expect(nested.body.data.companies.map((c: any) => c.name)).toEqual(["Acme", "Globex"])
    const composite = await rest("GET", `/rest/people?filter=${q(`name.firstName[eq]:Ada`)}`)
    expect(composite.body.data.people.map((p: any) => p.name.lastName)).toEqual(["Lovelace"])
    const notNull = await rest("GET", `/rest/companies?filter=${q(`not(employees[is]:NULL)`)}`)
    expect(notNull.body.totalCount).toBe(2)
  })

  test("cursors both ways", async () => {
    const first = await rest("GET", `/rest/companies?order_by=name&limit=2`)
    expect(first.body.data.companies.map((c: any) => c.name)).toEqual(["Acme", "Globex"])
    expect(first.body.pageInfo.hasNextPage).toBe(true)
    const next = await rest("GET", `/rest/companies?order_by=name&limit=2&starting_after=${first.body.pageInfo.endCursor}`)
    expect(next.body.data.companies.map((c: any) => c.name)).toEqual(["Smith, Jones (UK): Ltd"])
    const previous = await rest("GET", `/rest/companies?order_by=name&limit=1&ending_before=${next.body.pageInfo.startCursor}`)
    expect(previous.body.data.companies.map((c: any) => c.name)).toEqual(["Globex"])
  })

  // Twenty's parse-depth-rest-request.util.ts: 0 by default, 0 or 1 allowed.
  test("depth 0 (the default) and 1; 2 is refused", async () => {
    const flat = await rest("GET", `/rest/people?depth=0&filter=${q("name.firstName[eq]:Ada")}`)
    expect(flat.body.data.people[0].companyId).toBe(acmeId)
    expect(flat.body.data.people[0].company).toBeUndefined()
    const byDefault = await rest("GET", `/rest/people/${flat.body.data.people[0].id}`)
    expect(byDefault.body.data.person).toEqual(flat.body.data.people[0])
    const one = await rest("GET", `/rest/people/${flat.body.data.people[0].id}?depth=1`)
    expect(one.body.data.person.company.name).toBe("Acme")
    expect(one.body.data.person.company.people).toBeUndefined()
    const company = await rest("GET", `/rest/companies/${acmeId}?depth=1`)
    expect(company.body.data.company.people.map((p: any) => p.name.firstName).sort()).toEqual(["Ada", "Grace"])
    expect(company.body.data.company.people[0].company).toBeUndefined()
    for (const depth of ["2", "3", "x"]) {
      expect(await rest("GET", `/rest/companies?depth=${depth}`)).toEqual({
        status: 400,
        body: { statusCode: 400, error: "BadRequestException", messages: [`'depth=${depth}' parameter invalid. Allowed values are 0, 1`] }
      })
    }
  })

  test("create, update, soft delete, restore, destroy", async () => {
    const created = await rest("POST", "/rest/companies", { name: "Temp", employees: 1 })
    expect(created.status).toBe(201)
    const id = created.body.data.createCompany.id
    const updated = await rest("PATCH", `/rest/companies/${id}`, { employees: 2 })
    expect(updated.body.data.updateCompany.employees).toBe(2)
    expect((await rest("DELETE", `/rest/companies/${id}?soft_delete=true`)).body).toEqual({ data: { deleteCompany: { id } } })
    expect((await rest("GET", `/rest/companies/${id}`)).status).toBe(404)
    const deleted = await rest("GET", `/rest/companies?filter=${q("deletedAt[is]:NOT_NULL")}`)
    expect(deleted.body.data.companies.map((c: any) => c.id)).toContain(id)
    expect((await rest("PATCH", `/rest/restore/companies/${id}`)).body.data.restoreCompany.id).toBe(id)
    expect((await rest("DELETE", `/rest/companies/${id}`)).status).toBe(200)
    expect((await rest("GET", `/rest/companies?filter=${q(`id[eq]:${id},deletedAt[is]:NOT_NULL`)}`)).body.totalCount).toBe(0)
  })

  test("bulk update and delete need a filter", async () => {
    expect((await rest("PATCH", "/rest/companies", { employees: 1 })).status).toBe(400)
    const bulk = await rest("PATCH", `/rest/companies?filter=${q("name[eq]:Globex")}`, { employees: 9 })
    expect(bulk.body.data.updateCompanies.map((c: any) => c.employees)).toEqual([9])
  })

  test("duplicates and merge", async () => {
    const dups = await rest("POST", "/rest/people/duplicates", { data: [{ emails: { primaryEmail: "ada@acme.com" } }] })
    expect(dups.body.data[0].personDuplicates.map((p: any) => p.name.firstName)).toEqual(["Ada"])
    const [a, b] = (await rest("POST", "/rest/batch/companies", [{ name: "M1" }, { name: "M2", employees: 3 }])).body.data.createCompanies
    const merged = await rest("PATCH", "/rest/companies/merge", { ids: [a.id, b.id], conflictPriorityIndex: 0 })
    expect(merged.body.data.mergeCompanies).toMatchObject({ id: a.id, name: "M1", employees: 3 })
  })

  test("errors: 401, 400 unknown object, 404 unknown id, 400 bad filter/field/value naming it, never 500", async () => {
    expect((await rest("GET", "/rest/companies", undefined, null)).status).toBe(401)
    expect((await rest("GET", "/rest/companies", undefined, "garbage")).status).toBe(401)
    expect(await rest("GET", "/rest/unicorns")).toEqual({
      status: 400,
      body: { statusCode: 400, error: "BadRequestException", messages: ["object 'unicorns' not found. eg: companies"] }
    })
    expect((await rest("GET", "/rest/company")).body.messages).toEqual(["object 'company' not found. Did you mean 'companies'?"])
    expect((await rest("GET", "/rest/companies/00000000-0000-4000-8000-000000000000")).status).toBe(404)
    expect((await rest("GET", "/rest/companies/not-a-uuid")).status).toBe(400)
    const badFilter = await rest("GET", `/rest/companies?filter=${q("nope[eq]:1")}`)
    expect(badFilter).toMatchObject({ status: 400, body: { statusCode: 400, messages: ["'nope' does not exist"] } })
    const badValue = await rest("POST", "/rest/companies", { employees: "lots" })
    expect(badValue.status).toBe(400)
    expect(badValue.body.messages[0]).toContain("employees")
    expect((await rest("POST", "/rest/companies", "{ broken")).status).toBe(400)
    expect((await rest("GET", "/rest/companies?limit=-1")).status).toBe(400)
    expect((await rest("GET", "/rest/companies?starting_after=zzz")).status).toBe(400)
    expect((await rest("GET", "/rest/companies?order_by=name[Up]")).status).toBe(400)
    expect((await rest("POST", "/rest/people", { companyId: "00000000-0000-4000-8000-000000000000" })).status).toBe(400)
  })

  test("a few thousand random filter and order_by strings never produce a 500", async () => {
    const alphabet = `abcnameployesdtId[]():,"'.\\ eqgtlinNUL0123456789%-_`
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const random = () => Array.from({ length: 1 + Math.floor(next() * 25) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")
    const statuses = new Map<number, number>()
    for (let i = 0; i < 2000; i++) {
      const param = i % 2 === 0 ? "filter" : "order_by"
      const response = await app.request(`/rest/companies?${param}=${q(random())}&depth=0`, { headers: { authorization: `Bearer ${token}` } })
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      if (response.status >= 500) throw new Error(`500 for ${param}`)
    }
    expect([...statuses.keys()].every((s) => s === 200 || s === 400)).toBe(true)
  }, 60_000)
})

