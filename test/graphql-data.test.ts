import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let token: string

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return { status: response.status, ...(await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> }) }
}
const rest = async (path: string) =>
  (await app.request(path, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  const created = await gql(`mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { id name } }`, {
    data: [
      { name: "Acme", employees: 120, domainName: { primaryLinkUrl: "https://acme.com" } },
      { name: "Initech", employees: 40 },
      { name: "Globex" },
      { name: "Umbrella", employees: 5000 }
    ]
  })
  expect(created.errors).toBeUndefined()
  const acme = created.data.createCompanies[0].id
  const people = await gql(`mutation($data: [PersonCreateInput!]!) { createPeople(data: $data) { id } }`, {
    data: [
      { name: { firstName: "Ada", lastName: "Lovelace" }, companyId: acme, emails: { primaryEmail: "ada@acme.com" } },
      { name: { firstName: "Grace", lastName: "Hopper" }, companyId: acme },
      { name: { firstName: "Anna", lastName: "Karenina" } }
    ]
  })
  expect(people.errors).toBeUndefined()
})
afterAll(() => app.close())

describe("/graphql data", () => {
  test("list with filter, order, nested one-to-many, aggregates", async () => {
    const result = await gql(`{
      companies(filter: { employees: { gte: 100 } }, orderBy: [{ employees: DescNullsLast }]) {
        totalCount sumEmployees maxEmployees
        edges { cursor node { name employees domainName { primaryLinkUrl } people(orderBy: [{ name: { firstName: AscNullsFirst } }]) { totalCount edges { node { name { firstName } } } } } }
        pageInfo { hasNextPage endCursor }
      }
    }`)
    expect(result.errors).toBeUndefined()
    const connection = result.data.companies
    expect(connection.totalCount).toBe(2)
    expect(connection.sumEmployees).toBe(5120)
    expect(connection.edges.map((e: any) => e.node.name)).toEqual(["Umbrella", "Acme"])
    const acme = connection.edges[1].node
    expect(acme.domainName.primaryLinkUrl).toBe("https://acme.com")
    expect(acme.people.totalCount).toBe(2)
    expect(acme.people.edges.map((e: any) => e.node.name.firstName)).toEqual(["Ada", "Grace"])
  })

  test("singular query, many-to-one nested object, relation filter", async () => {
    const one = await gql(`{ person(filter: { emails: { primaryEmail: { eq: "ada@acme.com" } } }) { name { lastName } companyId company { name } } }`)
    expect(one.data.person).toMatchObject({ name: { lastName: "Lovelace" }, company: { name: "Acme" } })
    const byRelation = await gql(`{ people(filter: { company: { name: { eq: "Acme" } } }) { totalCount } }`)
    expect(byRelation.data.people.totalCount).toBe(2)
  })

  test("pagination forward and backward", async () => {
    const query = `query($first: Int, $last: Int, $after: String, $before: String) {
      companies(orderBy: [{ name: AscNullsFirst }], first: $first, last: $last, after: $after, before: $before) {
        edges { node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
    const first = await gql(query, { first: 2 })
    expect(first.errors).toBeUndefined()
    expect(first.data.companies.edges.map((e: any) => e.node.name)).toEqual(["Acme", "Globex"])
    const next = await gql(query, { first: 2, after: first.data.companies.pageInfo.endCursor })
    expect(next.data.companies.edges.map((e: any) => e.node.name)).toEqual(["Initech", "Umbrella"])
    const back = await gql(query, { last: 1, before: next.data.companies.pageInfo.startCursor })
    expect(back.data.companies.edges.map((e: any) => e.node.name)).toEqual(["Globex"])
  })

  test("update, soft delete, restore, destroy, upsert", async () => {
    const created = await gql(`mutation { createCompany(data: { name: "Temp" }) { id } }`)
    const id = created.data.createCompany.id
    const updated = await gql(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 3 }) { employees } }`, { id })
    expect(updated.data.updateCompany.employees).toBe(3)
    expect((await gql(`mutation($id: UUID!) { deleteCompany(id: $id) { id deletedAt } }`, { id })).data.deleteCompany.deletedAt).toBeString()
    expect((await gql(`{ companies(filter: { name: { eq: "Temp" } }) { totalCount } }`)).data.companies.totalCount).toBe(0)
    expect((await gql(`{ companies(filter: { name: { eq: "Temp" }, deletedAt: { is: NOT_NULL } }) { totalCount } }`)).data.companies.totalCount).toBe(1)
    await gql(`mutation($id: UUID!) { restoreCompany(id: $id) { id } }`, { id })
    expect((await gql(`{ companies(filter: { name: { eq: "Temp" } }) { totalCount } }`)).data.companies.totalCount).toBe(1)
    await gql(`mutation($id: UUID!) { destroyCompany(id: $id) { id } }`, { id })
    expect((await gql(`{ companies(filter: { name: { eq: "Temp" }, deletedAt: { is: NOT_NULL } }) { totalCount } }`)).data.companies.totalCount).toBe(0)
    const upserted = await gql(`mutation { createPerson(data: { emails: { primaryEmail: "ada@acme.com" }, jobTitle: "Countess" }, upsert: true) { name { firstName } jobTitle } }`)
    expect(upserted.data.createPerson).toEqual({ name: { firstName: "Ada" }, jobTitle: "Countess" })
  })

  test("errors carry Twenty's codes, never a 500", async () => {
    const wrongField = await gql(`{ companies { edges { node { nope } } } }`)
    expect(wrongField.errors![0]!.extensions.code).toBe("GRAPHQL_VALIDATION_FAILED")
    const tooMany = await gql(`{ companies(first: 1000) { totalCount } }`)
    expect(tooMany.errors![0]!.extensions.code).toBe("BAD_USER_INPUT")
    const badValue = await gql(`mutation { createCompany(data: { name: "x", employees: "many" }) { id } }`)
    expect(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]).toContain(badValue.errors![0]!.extensions.code)
    const badId = await gql(`mutation { updateCompany(id: "00000000-0000-4000-8000-000000000000", data: { name: "x" }) { id } }`)
    expect(badId.errors![0]!.extensions.code).toBe("NOT_FOUND")
    const badRelation = await gql(`mutation { createPerson(data: { companyId: "00000000-0000-4000-8000-000000000000" }) { id } }`)
    expect(badRelation.errors![0]!.extensions.code).toBe("BAD_USER_INPUT")
    const tooComplex = await gql(`{ companies(first: 200) { edges { node { people(first: 200) { edges { node { company { people(first: 200) { edges { node { id } } } } } } } } } } }`)
    expect(tooComplex.errors![0]!.extensions.code).toBe("BAD_USER_INPUT")
    expect(tooComplex.errors![0]!.message).toContain("too complex")
    expect(JSON.stringify([wrongField, tooMany, badValue, badId, badRelation])).not.toContain("INTERNAL_SERVER_ERROR")
  })
})

describe("nested relation inputs (connect / disconnect)", () => {
  const companyOf = async (personId: string) =>
    (await gql(`query($id: UUID!) { person(filter: { id: { eq: $id } }) { companyId company { name } } }`, { id: personId })).data.person

  test("create connects by id and by a unique composite subfield, several records in one call", async () => {
    const companies = (await gql(`{ companies(filter: { name: { in: ["Acme", "Initech"] } }, orderBy: [{ name: AscNullsFirst }]) { edges { node { id name } } } }`))
      .data.companies.edges.map((e: any) => e.node)
    const [acme, initech] = companies
    const created = await gql(`mutation($data: [PersonCreateInput!]!) { createPeople(data: $data) { id companyId } }`, {
      data: [
        { name: { firstName: "Con", lastName: "ById" }, company: { connect: { where: { id: initech.id.toUpperCase() } } } },
        { name: { firstName: "Con", lastName: "ByDomain" }, company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.com" } } } } },
        { name: { firstName: "Con", lastName: "Plain" } }
      ]
    })
    expect(created.errors).toBeUndefined()
    expect(created.data.createPeople.map((p: any) => p.companyId)).toEqual([initech.id, acme.id, null])
    expect(await companyOf(created.data.createPeople[1].id)).toEqual({ companyId: acme.id, company: { name: "Acme" } })
  })

  test("update connects and disconnects; REST takes the same body", async () => {
    const person = (await gql(`mutation { createPerson(data: { name: { firstName: "Re", lastName: "Link" } }) { id } }`)).data.createPerson.id
    const connected = await gql(`mutation($id: UUID!) { updatePerson(id: $id, data: { company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.com" } } } } }) { company { name } } }`, { id: person })
    expect(connected.errors).toBeUndefined()
    expect(connected.data.updatePerson.company).toEqual({ name: "Acme" })
    const disconnected = await gql(`mutation($id: UUID!) { updatePerson(id: $id, data: { company: { disconnect: true } }) { companyId company { name } } }`, { id: person })
    expect(disconnected.data.updatePerson).toEqual({ companyId: null, company: null })
    const viaRest = await app.request(`/rest/people/${person}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.com" } } } } })
    })
    expect(viaRest.status).toBe(200)
    expect((await companyOf(person)).company).toEqual({ name: "Acme" })
    const badRest = await app.request(`/rest/people`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } })
    })
    expect(badRest.status).toBe(400)
    expect(JSON.stringify(await badRest.json())).toContain("Expected 1 record to connect to company, but found 0")
  })

  test("a connect that finds nothing, or is malformed, is BAD_USER_INPUT and writes nothing", async () => {
    const before = (await gql(`{ people { totalCount } }`)).data.people.totalCount
    const cases: Array<[string, string]> = [
      [`{ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } }`, "Expected 1 record to connect to company, but found 0 for id = 00000000-0000-4000-8000-000000000000"],
      [`{ company: { connect: { where: { domainName: { primaryLinkUrl: "https://nowhere.example" } } } } }`, "but found 0 for domainNamePrimaryLinkUrl = https://nowhere.example"],
      [`{ company: { connect: { where: { id: "not-a-uuid" } } } }`, "Invalid id"],
      [`{ company: { connect: { where: {} } } }`, "Missing required fields"],
      [`{ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000", domainName: { primaryLinkUrl: "x" } } } } }`, "Too many fields provided for connect field 'company'"],
      [`{ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } }, companyId: "00000000-0000-4000-8000-000000000000" }`, "company and companyId cannot be both provided."],
      [`{ company: { disconnect: true, connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } }`, "Cannot connect and disconnect company at once"]
    ]
    for (const [data, message] of cases) {
      const result = await gql(`mutation { createPeople(data: [{ name: { firstName: "Never" } }, ${data}]) { id } }`)
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      expect(result.errors?.[0]?.message).toContain(message)
    }
    const notUnique = await gql(`mutation { createPerson(data: { company: { connect: { where: { name: "Acme" } } } }) { id } }`)
    expect(notUnique.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED")
    expect((await gql(`{ people { totalCount } }`)).data.people.totalCount).toBe(before)
  })
})

describe("REST and GraphQL parity", () => {
  const cases: Array<[string, string, string]> = [
    ["employees at least 40", `employees[gte]:40`, `{ employees: { gte: 40 } }`],
    ["name like", `name[ilike]:"%ac%"`, `{ name: { ilike: "%ac%" } }`],
    ["or with null", `or(employees[is]:NULL,name[eq]:Umbrella)`, `{ or: [{ employees: { is: NULL } }, { name: { eq: "Umbrella" } }] }`],
    ["not", `not(name[in]:[Acme,Globex])`, `{ not: { name: { in: ["Acme", "Globex"] } } }`],
    ["subfield", `domainName.primaryLinkUrl[like]:"%acme%"`, `{ domainName: { primaryLinkUrl: { like: "%acme%" } } }`]
  ]
  for (const [name, restFilter, graphqlFilter] of cases) {
    test(name, async () => {
      const viaRest = await rest(`/rest/companies?depth=0&order_by=name&filter=${encodeURIComponent(restFilter)}`)
      const viaGraphql = await gql(`{ companies(filter: ${graphqlFilter}, orderBy: [{ name: AscNullsFirst }]) { edges { node { id } } } }`)
      expect(viaGraphql.errors).toBeUndefined()
      const restIds = viaRest.data.companies.map((c: any) => c.id)
      expect(restIds.length).toBeGreaterThan(0)
      expect(viaGraphql.data.companies.edges.map((e: any) => e.node.id)).toEqual(restIds)
    })
  }
})

describe("configurable limits", () => {
  test("QUERY_MAX_RECORDS and MUTATION_MAXIMUM_AFFECTED_RECORDS apply to GraphQL and REST", async () => {
    const small = await startTestApp({ redis: false, env: { QUERY_MAX_RECORDS: "2", MUTATION_MAXIMUM_AFFECTED_RECORDS: "2" } })
    try {
      const account = await signUpWithWorkspace(small)
      const key = (await createApiKey(small, account.accessToken)).token
      const call = async (path: string, body?: unknown) => {
        const response = await small.request(path, {
          method: body ? "POST" : "GET",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          ...(body ? { body: JSON.stringify(body) } : {})
        })
        return response.json() as Promise<any>
      }
      const tooMany = await call("/graphql", { query: `mutation { createCompanies(data: [{ name: "a" }, { name: "b" }, { name: "c" }]) { id } }` })
      expect(tooMany.errors[0].extensions.code).toBe("BAD_USER_INPUT")
      await call("/graphql", { query: `mutation { createCompanies(data: [{ name: "a" }, { name: "b" }]) { id } }` })
      await call("/graphql", { query: `mutation { createCompanies(data: [{ name: "c" }]) { id } }` })
      const page = await call("/graphql", { query: `{ companies(first: 3) { totalCount } }` })
      expect(page.errors[0].extensions.code).toBe("BAD_USER_INPUT")
      const clamped = await call("/rest/companies?limit=50&depth=0")
      expect(clamped.data.companies).toHaveLength(2)
      expect(clamped.totalCount).toBe(3)
    } finally {
      await small.close()
    }
  })
})
