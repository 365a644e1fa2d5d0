import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

/**
 * Issue #14, values: what Twenty answers for value normalisation, merges, search order and relation connects.
 * Each test names the Twenty file its expectation comes from.
 */

let app: TestApp
let token: string

type GqlResult = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }

const gql = async (query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as GqlResult
}
const ok = async (query: string, variables: Record<string, unknown> = {}) => {
  const result = await gql(query, variables)
  expect(result.errors).toBeUndefined()
  return result.data
}
const metadata = async (query: string, variables: Record<string, unknown>) => app.gql<any>(query, variables, token)

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  token = (await signUpWithWorkspace(app)).accessToken
  await ok(`mutation { createCompanies(data: [
    { name: "Acme", domainName: { primaryLinkUrl: "https://acme.example" } },
    { name: "Globex", domainName: { primaryLinkUrl: "https://globex.example" } }
  ]) { id } }`)
})
afterAll(() => app.close())

// twenty-server test/integration/graphql/suites/object-generated/relation-connect*.integration-spec.ts and
// src/engine/twenty-orm/utils/compute-relation-connect-query-configs.util.ts
describe("relation connect", () => {
  test("a batch must connect one field through the same unique constraint fields", async () => {
    const globex = (await ok(`{ companies(filter: { name: { eq: "Globex" } }) { edges { node { id } } } }`)).companies.edges[0].node.id
    const mixed = await gql(`mutation($g: ID!) { createPeople(data: [
      { name: { firstName: "One" }, company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.example" } } } } },
      { name: { firstName: "Two" }, company: { connect: { where: { id: $g } } } }
    ]) { id } }`, { g: globex })
    expect(mixed.errors?.[0]?.message).toBe("Expected the same constraint fields to be used consistently across all operations for company.")
    expect(mixed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    const same = await ok(`mutation { createPeople(data: [
      { name: { firstName: "One" }, company: { connect: { where: { domainName: { primaryLinkUrl: "https://acme.example" } } } } },
      { name: { firstName: "Two" }, company: { connect: { where: { domainName: { primaryLinkUrl: "https://globex.example" } } } } }
    ]) { company { name } } }`)
    expect(same.createPeople.map((p: any) => p.company.name)).toEqual(["Acme", "Globex"])
  })

  test("Twenty's messages: not found, connect beside disconnect, a non-unique key", async () => {
    const missing = await gql(`mutation { createPerson(data: { company: { connect: { where: { domainName: { primaryLinkUrl: "not-existing-company" } } } } }) { id } }`)
    expect(missing.errors?.[0]?.message).toBe("Expected 1 record to connect to company, but found 0 for domainNamePrimaryLinkUrl = not-existing-company")
    const both = await gql(`mutation { createPerson(data: { company: { disconnect: false, connect: { where: { domainName: { primaryLinkUrl: "https://acme.example" } } } } }) { id } }`)
    expect(both.errors?.[0]?.message).toBe("Cannot have both connect and disconnect for the same relation field company.")
    const rest = await app.request("/rest/people", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ company: { connect: { where: { name: "Acme" } } } })
    })
    expect(rest.status).toBe(400)
    expect(JSON.stringify(await rest.json())).toContain("Missing required fields: at least one unique constraint have to be fully populated for 'company'.")
  })
})
