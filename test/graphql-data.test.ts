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

  test("nested connections read cursors only when asked, and the same records either way", async () => {
    const nested = (inner: string) =>
      gql(`{ companies(filter: { name: { eq: "Acme" } }) { edges { node { people(orderBy: [{ name: { firstName: DescNullsLast } }]) { ${inner} } } } } }`)
    const without = await nested(`edges { node { name { firstName } } } pageInfo { hasNextPage }`)
    const withCursors = await nested(`edges { cursor node { name { firstName } } } pageInfo { hasNextPage endCursor }`)
    expect(without.errors).toBeUndefined()
    expect(withCursors.errors).toBeUndefined()
    const people = (result: any) => result.data.companies.edges[0].node.people
    expect(people(without).edges.map((e: any) => e.node.name.firstName)).toEqual(["Grace", "Ada"])
    expect(people(withCursors).edges.map((e: any) => e.node)).toEqual(people(without).edges.map((e: any) => e.node))
    expect(people(withCursors).edges.every((e: any) => typeof e.cursor === "string" && e.cursor.length > 0)).toBe(true)
    expect(people(withCursors).pageInfo.endCursor).toBe(people(withCursors).edges[1].cursor)
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

describe("global search", () => {
  const search = async (args: string) => {
    const result = await gql(`{ search(${args}) { edges { node { recordId objectNameSingular label tsRank } cursor } pageInfo { hasNextPage endCursor } } }`)
    expect(result.errors).toBeUndefined()
    return result.data.search
  }

  test("pages through every hit with after, in the one-page order, none twice", async () => {
    // "" lists every record with equal ranks, so pages cross objects on ties.
    for (const [input, least] of [["a", 2], ["", 5]] as const) {
      const all = await search(`searchInput: "${input}", limit: 100`)
      expect(all.pageInfo.hasNextPage).toBe(false)
      expect(all.edges.length).toBeGreaterThan(least)
      const paged: Array<string> = []
      let after: string | null = null
      for (let page = 0; page < 60; page++) {
        const result: any = await search(`searchInput: "${input}", limit: 2${after ? `, after: "${after}"` : ""}`)
        paged.push(...result.edges.map((e: any) => `${e.node.objectNameSingular}:${e.node.recordId}`))
        if (!result.pageInfo.hasNextPage) break
        after = result.pageInfo.endCursor
      }
      expect(paged).toEqual(all.edges.map((e: any) => `${e.node.objectNameSingular}:${e.node.recordId}`))
      expect(new Set(paged).size).toBe(paged.length)
    }
  })

  test("searchVector: { search } matches word starts in the searchable fields, every word", async () => {
    const names = async (filter: string) =>
      (await gql(`{ people(filter: ${filter}, orderBy: [{ name: { firstName: AscNullsFirst } }]) { edges { node { name { firstName } } } } }`))
        .data.people.edges.map((e: any) => e.node.name.firstName)
    expect(await names(`{ searchVector: { search: "lov" } }`)).toEqual(["Ada"])
    expect(await names(`{ searchVector: { search: "ADA lovelace" } }`)).toEqual(["Ada"])
    expect(await names(`{ searchVector: { search: "ada hopper" } }`)).toEqual([])
    expect(await names(`{ searchVector: { search: "acme.com" } }`)).toEqual(["Ada"])
    expect(await names(`{ searchVector: { search: "ovelace" } }`)).toEqual([])
    expect(await names(`{ searchVector: { search: "(.*" } }`)).toEqual([])
    const viaRest = await rest(`/rest/people?depth=0&filter=${encodeURIComponent(`searchVector[search]:"grace hop"`)}`)
    expect(viaRest.data?.people?.map((p: any) => p.name.firstName)).toEqual(["Grace"])
  })

  test("filter on the common fields; a bad cursor is BAD_USER_INPUT", async () => {
    const acme = (await gql(`{ companies(filter: { name: { eq: "Acme" } }) { edges { node { id } } } }`)).data.companies.edges[0].node.id
    const filtered = await search(`searchInput: "", limit: 50, filter: { id: { eq: "${acme}" } }`)
    expect(filtered.edges.map((e: any) => e.node.label)).toEqual(["Acme"])
    const bad = await gql(`{ search(searchInput: "a", limit: 5, after: "not-a-cursor") { edges { cursor } } }`)
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  })
})

describe("<plural>GroupBy", () => {
  const BASE = `{ name: { in: ["Acme", "Initech", "Globex", "Umbrella"] } }`
  const groups = async (query: string) => {
    const result = await gql(query)
    expect(result.errors).toBeUndefined()
    return Object.values(result.data)[0] as Array<any>
  }

  test("by a many-to-one's field or id, ordered by an aggregate, with aggregates per group", async () => {
    const byName = await groups(`{ peopleGroupBy(groupBy: [{ company: { name: true } }], orderBy: [{ aggregate: { totalCount: DescNullsLast } }]) {
      groupByDimensionValues totalCount countNotEmptyJobTitle } }`)
    expect(byName).toEqual([
      { groupByDimensionValues: ["Acme"], totalCount: 2, countNotEmptyJobTitle: 1 },
      { groupByDimensionValues: [null], totalCount: 1, countNotEmptyJobTitle: 0 }
    ])
    const withPeople = await groups(`{ peopleGroupBy(groupBy: [{ company: { name: true } }, { company: { createdAt: { granularity: YEAR } } }],
      orderBy: [{ company: { name: AscNullsLast } }], orderByForRecords: [{ name: { firstName: DescNullsLast } }]) {
      groupByDimensionValues edges { node { name { firstName } company { name } } } } }`)
    expect(withPeople.map((g) => [g.groupByDimensionValues[0], g.edges.map((e: any) => e.node.name.firstName)])).toEqual([
      ["Acme", ["Grace", "Ada"]],
      [null, ["Anna"]]
    ])
    expect(withPeople[0].groupByDimensionValues[1]).toBe(`${new Date().getUTCFullYear()}-01-01`)
    expect(withPeople[0].edges[0].node.company).toEqual({ name: "Acme" })
    const acme = (await gql(`{ companies(filter: { name: { eq: "Acme" } }) { edges { node { id } } } }`)).data.companies.edges[0].node.id
    const byId = await groups(`{ peopleGroupBy(groupBy: [{ companyId: true }], orderBy: [{ companyId: AscNullsFirst }]) { groupByDimensionValues totalCount } }`)
    expect(byId).toEqual([{ groupByDimensionValues: [null], totalCount: 1 }, { groupByDimensionValues: [acme], totalCount: 2 }])
  })

  test("by a composite subfield and a boolean; groups ordered by a dimension; sample records with their own order and offset", async () => {
    const bySite = await groups(`{ companiesGroupBy(groupBy: [{ domainName: { primaryLinkUrl: true } }, { idealCustomerProfile: true }], filter: ${BASE},
      orderBy: [{ domainName: { primaryLinkUrl: AscNullsLast } }]) { groupByDimensionValues totalCount sumEmployees maxEmployees } }`)
    expect(bySite).toEqual([
      { groupByDimensionValues: ["https://acme.com", false], totalCount: 1, sumEmployees: 120, maxEmployees: 120 },
      { groupByDimensionValues: [null, false], totalCount: 3, sumEmployees: 5040, maxEmployees: 5000 }
    ])
    const sampled = await groups(`{ companiesGroupBy(groupBy: [{ idealCustomerProfile: true }], filter: ${BASE},
      orderByForRecords: [{ name: AscNullsFirst }], offsetForRecords: 1) { groupByDimensionValues edges { node { name } cursor } pageInfo { hasNextPage } } }`)
    expect(sampled).toHaveLength(1)
    expect(sampled[0].edges.map((e: any) => e.node.name)).toEqual(["Globex", "Initech", "Umbrella"])
    expect(sampled[0].edges[0].cursor).toBeString()
    expect(sampled[0].pageInfo).toEqual({ hasNextPage: false })
    const without = await groups(`{ companiesGroupBy(groupBy: [{ idealCustomerProfile: true }], filter: ${BASE}) { totalCount edges { cursor } } }`)
    expect(without).toEqual([{ totalCount: 4, edges: [] }])
  })

  test("date buckets in a time zone, calendar names, and the group limit", async () => {
    const now = new Date()
    const day = (zone: string) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now)
    const inZone = await groups(`{ companiesGroupBy(groupBy: [{ createdAt: { granularity: DAY, timeZone: "Pacific/Kiritimati" } }], filter: ${BASE}) {
      groupByDimensionValues totalCount } }`)
    expect(inZone).toEqual([{ groupByDimensionValues: [day("Pacific/Kiritimati")], totalCount: 4 }])
    const month = await groups(`{ companiesGroupBy(groupBy: [{ createdAt: { granularity: MONTH, timeZone: "UTC" } }], filter: ${BASE}) { groupByDimensionValues } }`)
    expect(month[0].groupByDimensionValues).toEqual([`${day("UTC").slice(0, 7)}-01`])
    const weekday = await groups(`{ companiesGroupBy(groupBy: [{ createdAt: { granularity: DAY_OF_THE_WEEK } }, { createdAt: { granularity: QUARTER_OF_THE_YEAR } }], filter: ${BASE}) {
      groupByDimensionValues } }`)
    expect(weekday[0].groupByDimensionValues).toEqual([
      now.toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" }),
      `Q${Math.floor(now.getUTCMonth() / 3) + 1}`
    ])
    const twoBuckets = await groups(`{ companiesGroupBy(groupBy: [{ createdAt: { granularity: DAY_OF_THE_WEEK } }, { createdAt: { granularity: YEAR, timeZone: "UTC" } }],
      filter: ${BASE}, orderBy: [{ createdAt: { orderBy: DescNullsLast, granularity: YEAR } }]) { groupByDimensionValues } }`)
    expect(twoBuckets[0].groupByDimensionValues[1]).toBe(`${now.getUTCFullYear()}-01-01`)
    const limited = await groups(`{ companiesGroupBy(groupBy: [{ name: true }], filter: ${BASE}, orderBy: [{ name: DescNullsLast }], limit: 2) { groupByDimensionValues } }`)
    expect(limited).toEqual([{ groupByDimensionValues: ["Umbrella"] }, { groupByDimensionValues: ["Initech"] }])
  })

  test("REST: /rest/{plural}/groupBy answers a bare array with the aggregates asked for", async () => {
    const query = (params: Record<string, string>) => `/rest/people/groupBy?${new URLSearchParams(params)}`
    const groupsOf = await rest(query({
      group_by: JSON.stringify([{ company: { name: true } }]),
      aggregate: JSON.stringify(["totalCount", "countNotEmptyJobTitle"]),
      order_by: JSON.stringify([{ aggregate: { totalCount: "DescNullsLast" } }])
    }))
    expect(groupsOf).toEqual([
      { groupByDimensionValues: ["Acme"], totalCount: 2, countNotEmptyJobTitle: 1 },
      { groupByDimensionValues: [null], totalCount: 1, countNotEmptyJobTitle: 0 }
    ])
    expect(await rest(query({ group_by: "[]", aggregate: JSON.stringify(["totalCount"]) }))).toEqual([{ groupByDimensionValues: [], totalCount: 3 }])
    const sampled = await rest(query({
      group_by: JSON.stringify([{ companyId: true }]),
      filter: `companyId[is]:NOT_NULL`,
      include_records_sample: "true",
      order_by_for_records: JSON.stringify([{ name: { firstName: "AscNullsFirst" } }])
    }))
    expect(sampled).toHaveLength(1)
    expect(sampled[0].totalCount).toBeUndefined()
    expect(sampled[0].records.map((r: any) => r.name.firstName)).toEqual(["Ada", "Grace"])
    expect(sampled[0].records[0].emails).toEqual({ primaryEmail: "ada@acme.com", additionalEmails: [] })
  })

  test("REST: malformed group-by input is a 400, never a 500", async () => {
    const inputs = [
      undefined, "not json", "{}", "[1]", `["name"]`, `[{"nope":true}]`, `[{"name":{"x":1}}]`, `[{"createdAt":{"granularity":"CENTURY"}}]`,
      `[{"createdAt":{"granularity":"DAY","timeZone":"Nowhere/Else"}}]`, `[{"domainName":{"primaryLinkUrl":true,"primaryLinkLabel":true}}]`,
      `[{"people":true}]`, `[{"accountOwner":{"userId":true}}]`, `[{"createdBy":{"context":true}}]`, `[{"position":true}]`, `[{"id":true}]`,
      `[{"searchVector":true}]`, `[{"domainName":{"secondaryLinks":true}}]`, `[{"name":false}]`, `[{"employees":{"granularity":"DAY"}}]`,
      `[{"createdAt":{"granularity":"DAY","timeZone":42}}]`, `[{"createdAt":{"weekStartDay":"FRIDAY","granularity":"WEEK","timeZone":"UTC"}}]`
    ]
    for (const input of inputs) {
      const response = await app.request(`/rest/companies/groupBy${input === undefined ? "" : `?group_by=${encodeURIComponent(input)}`}`, {
        headers: { authorization: `Bearer ${token}` }
      })
      expect(`${input} → ${response.status}`).toBe(`${input} → 400`)
    }
    const others = [
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&aggregate=${encodeURIComponent(`["sumNope"]`)}`,
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&aggregate=nope`,
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&limit=-3`,
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&order_by=${encodeURIComponent(`[{"employees":"AscNullsFirst"}]`)}`,
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&order_by=${encodeURIComponent(`[{"name":"Sideways"}]`)}`,
      `group_by=${encodeURIComponent(`[{"name":true}]`)}&order_by_for_records=${encodeURIComponent(`[{"nope":"AscNullsFirst"}]`)}&include_records_sample=true`
    ]
    for (const query of others) {
      const response = await app.request(`/rest/companies/groupBy?${query}`, { headers: { authorization: `Bearer ${token}` } })
      expect(`${query} → ${response.status}`).toBe(`${query} → 400`)
    }
  })

  test("bad group-by input is BAD_USER_INPUT with Twenty's messages", async () => {
    const cases: Array<[string, string]> = [
      [`groupBy: [{ name: true, employees: true }]`, "You cannot provide multiple fields in one GroupByInput"],
      [`groupBy: [{ name: true }], orderBy: [{ employees: AscNullsFirst }]`, "Cannot order by a field that is not an aggregate nor in groupBy criteria: employees."],
      [`groupBy: [{ createdAt: { granularity: DAY } }]`, "Time zone should be specified for a group by date on Day, Week, Month, Quarter or Year"],
      [`groupBy: [{ createdAt: { granularity: DAY, timeZone: "Mars/Olympus" } }]`, "Invalid timezone: Mars/Olympus"],
      [`groupBy: [{ createdAt: { granularity: MONTH, timeZone: "UTC" } }], orderBy: [{ createdAt: { orderBy: AscNullsFirst, granularity: DAY } }]`, "Cannot order by a date granularity that is not in groupBy criteria: DAY"],
      [`groupBy: [{ name: true }], viewId: "00000000-0000-4000-8000-000000000000"`, "View 00000000-0000-4000-8000-000000000000 not found"],
      [`groupBy: [{ name: true }], limit: -1`, "limit '-1' is invalid"]
    ]
    for (const [args, message] of cases) {
      const result = await gql(`{ companiesGroupBy(${args}) { totalCount } }`)
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      expect(result.errors?.[0]?.message).toContain(message)
    }
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
        { name: { firstName: "Con", lastName: "ById2" }, company: { connect: { where: { id: acme.id } } } },
        { name: { firstName: "Con", lastName: "Plain" } }
      ]
    })
    expect(created.errors).toBeUndefined()
    expect(created.data.createPeople.map((p: any) => p.companyId)).toEqual([initech.id, acme.id, null])
    // One batch connects a field through one unique constraint (Twenty's rule); the domain in its own call.
    const byDomain = await gql(`mutation($data: [PersonCreateInput!]!) { createPeople(data: $data) { id companyId } }`, {
      data: [{ name: { firstName: "Con", lastName: "ByDomain" }, company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.com" } } } } }]
    })
    expect(await companyOf(byDomain.data.createPeople[0].id)).toEqual({ companyId: acme.id, company: { name: "Acme" } })
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
      [`{ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000", domainName: { primaryLinkUrl: "x" } } } } }`, "but found 0 for id = 00000000-0000-4000-8000-000000000000 and domainNamePrimaryLinkUrl = x"],
      [`{ company: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } }, companyId: "00000000-0000-4000-8000-000000000000" }`, "company and companyId cannot be both provided."],
      [`{ company: { disconnect: true, connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } }`, "Cannot have both connect and disconnect for the same relation field company."]
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
