import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { laneCounts } from "../src/http/graphql/data/engine.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/**
 * The /graphql fast lane (prepared documents, query plans) against the reference path (yoga over the
 * Effect app): the same requests on the same data must get the same status and the same body.
 */

let app: TestApp
let token: string
let acmeId: string
let initechId: string

interface Case {
  readonly name: string
  /** Which lane path must answer: plan, execute (graphql-js), or reference (yoga). */
  readonly path: keyof typeof laneCounts
  readonly body: unknown
  readonly auth?: string | null
}

const send = (handler: TestApp["request"], c: Case) =>
  handler("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(c.auth === null ? {} : { authorization: `Bearer ${c.auth ?? token}` })
    },
    body: typeof c.body === "string" ? c.body : JSON.stringify(c.body)
  })

const answer = async (response: Response) => ({ status: response.status, body: await response.json() })

const COMPANY = `id name employees createdAt idealCustomerProfile domainName { primaryLinkUrl primaryLinkLabel secondaryLinks }`

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  const gql = async (query: string, variables: Record<string, unknown>) =>
    (await answer(await send(app.request, { name: "", path: "plan", body: { query, variables } }))).body
  const created = await gql(`mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { id } }`, {
    data: [
      { name: "Acme", employees: 120, domainName: { primaryLinkUrl: "https://acme.com" }, idealCustomerProfile: true },
      { name: "Initech", employees: 40 },
      { name: "Globex" }
    ]
  })
  acmeId = created.data.createCompanies[0].id
  initechId = created.data.createCompanies[1].id
  await gql(`mutation($data: [PersonCreateInput!]!) { createPeople(data: $data) { id } }`, {
    data: [
      { name: { firstName: "Ada", lastName: "Lovelace" }, companyId: acmeId, emails: { primaryEmail: "ada@acme.com" } },
      { name: { firstName: "Grace", lastName: "Hopper" }, companyId: acmeId, city: "Arlington" }
    ]
  })
  await gql(`mutation($data: OpportunityCreateInput!) { createOpportunity(data: $data) { id } }`, {
    data: { name: "Big deal", stage: "MEETING", amount: { amountMicros: 5000000000, currencyCode: "EUR" }, companyId: acmeId }
  })
})
afterAll(() => app.close())

const cases = (): ReadonlyArray<Case> => [
  { name: "list with page info and cursors", path: "plan", body: { query: `{ companies(orderBy: [{ name: AscNullsFirst }]) { edges { cursor node { ${COMPANY} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }` } },
  {
    name: "aliases, named and inline fragments, __typename at every level",
    path: "plan",
    body: {
      query: `query Q { list: companies(first: 2, orderBy: [{ name: DescNullsLast }]) { __typename edges { node { ...C ... on Company { n: name } } } } }
        fragment C on Company { __typename id label: name people { __typename totalCount edges { node { name { firstName } } } } }`
    }
  },
  {
    name: "many-to-one and one-to-many nesting, composite fields, enum and currency",
    path: "plan",
    body: {
      query: `{ people(orderBy: [{ name: { firstName: AscNullsFirst } }]) { edges { node { name { firstName lastName } emails { primaryEmail additionalEmails } city
        company { name opportunities { edges { node { name stage amount { amountMicros currencyCode } closeDate } } } } } } } }`
    }
  },
  { name: "totalCount and aggregates", path: "plan", body: { query: `{ companies { totalCount sumEmployees avgEmployees maxEmployees countEmptyEmployees } }` } },
  {
    name: "variables for filter, order and page size",
    path: "plan",
    body: {
      query: `query($f: CompanyFilterInput, $o: [CompanyOrderByInput], $n: Int) { companies(filter: $f, orderBy: $o, first: $n) { edges { node { name employees } } } }`,
      variables: { f: { or: [{ employees: { gte: 100 } }, { name: { like: "%tech" } }] }, o: [{ employees: "AscNullsLast" }], n: 5 }
    }
  },
  { name: "singular by id", path: "plan", body: { query: `query($id: UUID!) { company(filter: { id: { eq: $id } }) { ${COMPANY} } }`, variables: { id: "ACME" } } },
  {
    name: "singular by id with a nested page from a variable",
    path: "plan",
    body: { query: `query($id: UUID!, $n: Int) { company(filter: { id: { eq: $id } }) { name people(first: $n) { edges { node { name { firstName } } } } } }`, variables: { id: "ACME", n: 1 } }
  },
  { name: "singular by another filter", path: "plan", body: { query: `{ company(filter: { name: { eq: "Initech" } }) { ${COMPANY} } }` } },
  { name: "two root fields", path: "plan", body: { query: `{ a: companies(first: 1) { totalCount } b: people(first: 1) { edges { node { id } } } }` } },
  { name: "operation chosen by name", path: "plan", body: { query: `query A { companies { totalCount } } query B { people { totalCount } }`, operationName: "B" } },
  {
    name: "group-by with aggregates and sample records",
    path: "plan",
    body: { query: `{ companiesGroupBy(groupBy: [{ idealCustomerProfile: true }], orderByForRecords: [{ name: AscNullsFirst }]) { groupByDimensionValues totalCount sumEmployees edges { node { name } } } }` }
  },
  { name: "global search", path: "plan", body: { query: `{ search(searchInput: "Acme", limit: 5) { edges { node { recordId objectNameSingular label } } } }` } },
  { name: "@include directive", path: "execute", body: { query: `query($x: Boolean!) { companies { totalCount edges @include(if: $x) { node { name } } } }`, variables: { x: false } } },
  { name: "root __typename", path: "execute", body: { query: `{ __typename companies(first: 1) { totalCount } }` } },
  { name: "introspection", path: "execute", body: { query: `{ __type(name: "Company") { name fields(includeDeprecated: false) { name } } }` } },
  { name: "page over the maximum: BAD_USER_INPUT from the resolver", path: "execute", body: { query: `{ companies(first: 100000) { totalCount } }` } },
  { name: "no such record: NOT_FOUND", path: "execute", body: { query: `{ company(filter: { name: { eq: "Nobody" } }) { id } }` } },
  { name: "mutation that fails", path: "plan", body: { query: `mutation { updateCompany(id: "00000000-0000-4000-8000-000000000000", data: { name: "x" }) { id } }` } },
  { name: "delete of no record: NOT_FOUND", path: "plan", body: { query: `mutation($id: UUID!) { deleteCompany(id: $id) { id } }`, variables: { id: "00000000-0000-4000-8000-000000000000" } } },
  { name: "mutation refused by Records: BAD_USER_INPUT", path: "plan", body: { query: `mutation { createCompany(data: { name: "x", domainName: { primaryLinkUrl: "https://acme.com" } }) { id } }` } },
  { name: "mutation of two root fields", path: "execute", body: { query: `mutation { a: deleteCompany(id: "00000000-0000-4000-8000-000000000000") { id } b: deleteCompany(id: "00000000-0000-4000-8000-000000000001") { id } }` } },
  { name: "variable of the wrong type", path: "reference", body: { query: `query($n: Int) { companies(first: $n) { totalCount } }`, variables: { n: "many" } } },
  { name: "missing non-null variable", path: "reference", body: { query: `query($id: UUID!) { company(filter: { id: { eq: $id } }) { id } }` } },
  { name: "unknown field", path: "reference", body: { query: `{ companies { edges { node { nope } } } }` } },
  { name: "syntax error", path: "reference", body: { query: `{ companies { ` } },
  { name: "no query", path: "reference", body: { variables: {} } },
  { name: "not JSON", path: "reference", body: `{ "query": ` },
  { name: "unknown operation name", path: "reference", body: { query: `query A { companies { totalCount } }`, operationName: "Z" } },
  { name: "several operations, no name", path: "reference", body: { query: `query A { companies { totalCount } } query B { people { totalCount } }` } },
  { name: "no token", path: "reference", auth: null, body: { query: `{ companies { totalCount } }` } },
  { name: "a token that does not verify", path: "reference", auth: "not.a.token", body: { query: `{ companies { totalCount } }` } }
]

describe("/graphql fast lane", () => {
  for (const c of cases()) {
    test(`${c.name}: same answer as the reference path`, async () => {
      const input = JSON.parse(JSON.stringify(c, (key, value) => (key === "id" && value === "ACME" ? acmeId : value))) as Case
      const before = { ...laneCounts }
      const fast = await answer(await send(app.request, input))
      const counted = Object.fromEntries(Object.entries(laneCounts).map(([k, v]) => [k, v - before[k as keyof typeof before]]))
      const reference = await answer(await send(app.referenceRequest, input))
      expect(fast).toEqual(reference)
      // Which path answered: auth failures end before any lane path.
      const expected = { plan: 0, execute: 0, reference: 0 }
      if (input.auth === undefined) expected[c.path] = 1
      expect(counted).toEqual(expected)
    })
  }

  test("a prepared query run again (its walk and plan reused) answers as the first time, after a write too", async () => {
    const query = cases()[1]!
    const first = await answer(await send(app.request, query))
    expect(await answer(await send(app.request, query))).toEqual(first)
    await send(app.request, { name: "", path: "plan", body: { query: `mutation { createCompany(data: { name: "Zeta" }) { id } }` } })
    const after = await answer(await send(app.request, query))
    expect(after.body.data.list.edges[0].node.label).toBe("Zeta")
    expect(after).toEqual(await answer(await send(app.referenceRequest, query)))
  })

  test("a prepared by-id query answers each id with its own record, and nested pages from variables are not reused", async () => {
    const byId = `query($id: UUID!, $n: Int) { company(filter: { id: { eq: $id } }) { name people(first: $n) { edges { node { name { firstName } } } } } }`
    const ask = async (handler: TestApp["request"], id: string, n: number) =>
      answer(await send(handler, { name: "", path: "plan", body: { query: byId, variables: { id, n } } }))
    for (const [id, n, name, people] of [[acmeId, 1, "Acme", 1], [initechId, 2, "Initech", 0], [acmeId, 2, "Acme", 2], [acmeId, 1, "Acme", 1]] as const) {
      const fast = await ask(app.request, id, n)
      expect(fast.body.data.company.name).toBe(name)
      expect(fast.body.data.company.people.edges).toHaveLength(people)
      expect(fast).toEqual(await ask(app.referenceRequest, id, n))
    }
    const missing = await ask(app.request, "00000000-0000-4000-8000-000000000000", 1)
    expect(missing.body.errors[0].extensions.code).toBe("NOT_FOUND")
    expect(missing).toEqual(await ask(app.referenceRequest, "00000000-0000-4000-8000-000000000000", 1))
  })

  test("every case above reads real data (the comparison is not between two empty answers)", async () => {
    const { body } = await answer(await send(app.request, cases()[2]!))
    const people = body.data.people.edges.map((e: any) => e.node)
    expect(people.map((p: any) => p.name.firstName)).toEqual(["Ada", "Grace"])
    expect(people[0].company.opportunities.edges[0].node).toEqual({
      name: "Big deal",
      stage: "MEETING",
      amount: { amountMicros: 5000000000, currencyCode: "EUR" },
      closeDate: null
    })
  })
})
