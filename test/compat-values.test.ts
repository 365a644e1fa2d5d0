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

// src/engine/core-modules/record-transformer/utils/transform-phones-value.util.ts (and its spec)
describe("PHONES normalisation", () => {
  test("a number is stored as its national number with the country and calling code inferred; a filter on it finds the record", async () => {
    const created = await ok(`mutation { createPerson(data: { name: { firstName: "Phone" }, phones: { primaryPhoneNumber: "+33 6 12 34 56 78" } }) {
      id phones { primaryPhoneNumber primaryPhoneCountryCode primaryPhoneCallingCode additionalPhones } } }`)
    expect(created.createPerson.phones).toEqual({ primaryPhoneNumber: "612345678", primaryPhoneCountryCode: "FR", primaryPhoneCallingCode: "+33", additionalPhones: [] })
    const found = await ok(`{ people(filter: { phones: { primaryPhoneNumber: { eq: "612345678" } } }) { edges { node { id } } } }`)
    expect(found.people.edges.map((e: any) => e.node.id)).toEqual([created.createPerson.id])
    const national = await ok(`mutation { createPerson(data: { phones: { primaryPhoneCountryCode: "IN", primaryPhoneCallingCode: "", primaryPhoneNumber: "09999999999",
      additionalPhones: [{ number: "06 11 22 33 44", countryCode: "FR" }] } }) { phones { primaryPhoneNumber primaryPhoneCountryCode primaryPhoneCallingCode additionalPhones } } }`)
    expect(national.createPerson.phones).toEqual({
      primaryPhoneNumber: "9999999999",
      primaryPhoneCountryCode: "IN",
      primaryPhoneCallingCode: "+91",
      additionalPhones: [{ countryCode: "FR", callingCode: "+33", number: "611223344" }]
    })
  })

  test("unknown or conflicting codes and unparseable numbers are refused with Twenty's messages", async () => {
    const cases: Array<[string, string]> = [
      [`{ primaryPhoneNumber: "5551234567" }`, "Provided phone number is invalid 5551234567"],
      [`{ primaryPhoneCountryCode: "XX" }`, "Invalid country code XX"],
      [`{ primaryPhoneCallingCode: "+999" }`, "Invalid calling code +999"],
      [`{ primaryPhoneCountryCode: "FR", primaryPhoneCallingCode: "+1" }`, "Provided country code and calling code are conflicting"],
      [`{ primaryPhoneCountryCode: "FR", primaryPhoneNumber: "+1 202 555 0123" }`, "Provided and inferred country code are conflicting"]
    ]
    for (const [phones, message] of cases) {
      const result = await gql(`mutation { createPerson(data: { phones: ${phones} }) { id } }`)
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      expect(result.errors?.[0]?.message).toBe(message)
    }
    const rest = await app.request("/rest/people", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ phones: { primaryPhoneNumber: "0612345678", primaryPhoneCountryCode: "FR" } })
    })
    expect(rest.status).toBe(201)
    const body = await rest.json() as any
    expect(body.data.createPerson.phones.primaryPhoneNumber).toBe("612345678")
  })
})

// src/engine/core-modules/record-transformer/utils/transform-emails-value.util.ts, transform-links-value.util.ts
describe("EMAILS and LINKS normalisation", () => {
  test("addresses are lowercased; a URL's origin is lowercased without its trailing slash; a blank primary link takes the first secondary", async () => {
    const created = await ok(`mutation { createPerson(data: {
      emails: { primaryEmail: "Ada@ACME.example", additionalEmails: ["Grace@Navy.EXAMPLE"] },
      linkedinLink: { primaryLinkUrl: "HTTPS://LinkedIn.example/in/Ada/", secondaryLinks: [{ url: "https://X.example/Ada/", label: "x" }] },
      xLink: { primaryLinkUrl: "", secondaryLinks: [{ url: "https://Twitter.example/ada", label: "t" }] }
    }) { emails { primaryEmail additionalEmails } linkedinLink { primaryLinkUrl secondaryLinks } xLink { primaryLinkUrl primaryLinkLabel secondaryLinks } } }`)
    expect(created.createPerson.emails).toEqual({ primaryEmail: "ada@acme.example", additionalEmails: ["grace@navy.example"] })
    expect(created.createPerson.linkedinLink).toEqual({ primaryLinkUrl: "https://linkedin.example/in/Ada", secondaryLinks: [{ url: "https://x.example/Ada", label: "x" }] })
    expect(created.createPerson.xLink).toEqual({ primaryLinkUrl: "https://twitter.example/ada", primaryLinkLabel: "t", secondaryLinks: [] })
  })
})

// src/engine/api/common/common-args-processors/data-arg-processor/validator-utils/validate-*-field-or-throw.util.ts
describe("record value messages", () => {
  test("a value of the wrong type is refused with Twenty's message", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["companies", { employees: "many" }, `Invalid number value 'many' for field "employees"`],
      ["companies", { name: 12 }, `Invalid string value 12 for text field "name"`],
      ["companies", { idealCustomerProfile: "yes" }, `Invalid boolean value 'yes' for field "idealCustomerProfile"`],
      ["opportunities", { stage: "LOST_FOREVER" }, `Invalid value 'LOST_FOREVER' for field "stage"`],
      ["opportunities", { closeDate: "someday" }, `Invalid value 'someday' for date-time field "closeDate". Expected format: 'YYYY-MM-DDTHH:mm:ssZ'`],
      ["people", { companyId: "not-a-uuid" }, `Invalid UUID value 'not-a-uuid' for field "companyId"`]
    ]
    for (const [plural, body, message] of cases) {
      const response = await app.request(`/rest/${plural}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body)
      })
      expect(response.status).toBe(400)
      expect(((await response.json()) as any).messages).toEqual([message])
    }
  })
})

// src/engine/metadata-modules/field-metadata/services/field-metadata-enum-validation.service.ts,
// test/integration/metadata/suites/field-metadata/enum/... select-and-multi-select test cases
describe("SELECT options", () => {
  const companyId = async () => {
    const objects = await metadata(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular } } } }`, {})
    return objects.body.data.objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === "company").id
  }
  const createSelect = async (name: string, options: Array<Record<string, unknown>>) =>
    metadata(`mutation($f: CreateFieldInput!) { createOneField(input: { field: $f }) { id options } }`, {
      f: { objectMetadataId: await companyId(), name, label: name, type: "SELECT", options }
    })

  test("labels and values are trimmed, inner whitespace collapsed; a given UUID id is kept", async () => {
    const id = "26c602c3-cba9-4d83-92d4-4ba7dbae2f31"
    const created = await createSelect("tier", [
      { label: "       Option        1       ", value: "        OPTION_1        ", color: "green", position: 1, id },
      { label: "Option 2", value: "OPTION_2", color: "green", position: 2 }
    ])
    expect(created.body.errors).toBeUndefined()
    const [first, second] = created.body.data.createOneField.options
    expect(first).toEqual({ id, label: "Option 1", value: "OPTION_1", color: "green", position: 1 })
    expect(second.id).toMatch(/^[0-9a-f-]{36}$/)
    const record = await ok(`mutation { createCompany(data: { name: "Tiered", tier: OPTION_1 }) { tier } }`)
    expect(record.createCompany.tier).toBe("OPTION_1")
  })

  test("non-UUID ids, duplicated ids / values / positions, commas and bad values are refused with Twenty's messages", async () => {
    const same = "fd1f11fd-3f05-4a33-bddf-800c3412ce98"
    const cases: Array<[Array<Record<string, unknown>>, string]> = [
      [[{ label: "Option 1", value: "OPTION_1", color: "green", position: 1, id: "not a uuid" }], "Option id is invalid"],
      [[], "Options are required for enum fields"],
      [[{ label: "Option 1", value: "Option 1 and some other things, /", color: "green", position: 1 }], 'Value must be in UPPER_CASE and follow snake_case "Option 1 and some other things, /"'],
      [[{ label: "Option ,1", value: "OPTION_1", color: "green", position: 1 }], "Label must not contain a comma"],
      [[{ label: "A", value: "OPTION_1", color: "green", position: 1, id: same }, { label: "B", value: "OPTION_2", color: "green", position: 2, id: same }], `Duplicated option id "${same}"`],
      [[{ label: "A", value: "OPTION_1", color: "green", position: 1 }, { label: "B", value: "OPTION_2", color: "green", position: 1 }], 'Duplicated option position "1"'],
      [[{ label: "A", value: "         OPTION_1     ", color: "green", position: 1 }, { label: "B", value: "   OPTION_1 ", color: "green", position: 2 }], 'Duplicated option value "OPTION_1"'],
      [[{ value: "OPTION_1", color: "green", position: 1 }], "Option label is required"]
    ]
    for (const [options, message] of cases) {
      const result = await createSelect("refused", options)
      expect(result.body.errors?.[0]?.message).toBe(message)
      expect(result.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    }
  })
})

// src/engine/twenty-orm/utils/format-result.util.ts (reads) and data-arg-processor transform-*-field.util.ts (writes)
describe("null-equivalent values", () => {
  test("an unset TEXT is '', an empty list [] and empty text subfields ''; '' is stored as NULL so `is: NULL` finds it", async () => {
    const created = await ok(`mutation { createPerson(data: { name: { firstName: "Blank" }, jobTitle: "" }) {
      id jobTitle city name { firstName lastName } emails { primaryEmail additionalEmails } linkedinLink { primaryLinkUrl primaryLinkLabel secondaryLinks } } }`)
    expect(created.createPerson).toMatchObject({
      jobTitle: "",
      city: "",
      name: { firstName: "Blank", lastName: "" },
      emails: { primaryEmail: "", additionalEmails: [] },
      linkedinLink: { primaryLinkUrl: "", primaryLinkLabel: "", secondaryLinks: [] }
    })
    const found = await ok(`query($id: UUID!) { people(filter: { and: [{ id: { eq: $id } }, { jobTitle: { is: NULL } }] }) { totalCount } }`, { id: created.createPerson.id })
    expect(found.people.totalCount).toBe(1)
    const rest = await app.request(`/rest/people/${created.createPerson.id}`, { headers: { authorization: `Bearer ${token}` } })
    const body = await rest.json() as any
    expect(body.data.person.jobTitle).toBe("")
    expect(body.data.person.emails).toEqual({ primaryEmail: "", additionalEmails: [] })
  })
})

// src/engine/api/common/common-query-runners/common-merge-many-query-runner.service.ts and
// src/engine/api/graphql/graphql-query-runner/utils/merge-{field,emails,phones,links,array}-values.util.ts
describe("merge", () => {
  test("mergePeople gathers every email, phone and link into the additional lists; the priority record's primary wins", async () => {
    const created = await ok(`mutation { createPeople(data: [
      { name: { firstName: "Keep" }, jobTitle: "CEO",
        emails: { primaryEmail: "keep@acme.example", additionalEmails: ["old@acme.example"] },
        phones: { primaryPhoneNumber: "+33 6 12 34 56 78" },
        linkedinLink: { primaryLinkUrl: "https://linkedin.example/keep" } },
      { name: { firstName: "Other" }, city: "Paris",
        emails: { primaryEmail: "other@acme.example", additionalEmails: ["old@acme.example", "more@acme.example"] },
        phones: { primaryPhoneNumber: "+1 202 555 0123", additionalPhones: [{ number: "0611223344", countryCode: "FR" }] },
        linkedinLink: { primaryLinkUrl: "https://linkedin.example/other", secondaryLinks: [{ url: "https://linkedin.example/keep", label: "dup" }] } }
    ]) { id } }`)
    const [keep, other] = created.createPeople.map((p: any) => p.id)
    const merged = await ok(`mutation($ids: [UUID!]!) { mergePeople(ids: $ids, conflictPriorityIndex: 0) {
      id jobTitle city name { firstName } emails { primaryEmail additionalEmails }
      phones { primaryPhoneNumber primaryPhoneCountryCode additionalPhones } linkedinLink { primaryLinkUrl secondaryLinks } } }`, { ids: [keep, other] })
    expect(merged.mergePeople).toMatchObject({
      id: keep,
      jobTitle: "CEO",
      city: "Paris",
      name: { firstName: "Keep" },
      emails: { primaryEmail: "keep@acme.example", additionalEmails: ["old@acme.example", "other@acme.example", "more@acme.example"] },
      phones: {
        primaryPhoneNumber: "612345678",
        primaryPhoneCountryCode: "FR",
        additionalPhones: [{ number: "2025550123", countryCode: "US", callingCode: "+1" }, { number: "611223344", countryCode: "FR", callingCode: "+33" }]
      },
      linkedinLink: { primaryLinkUrl: "https://linkedin.example/keep", secondaryLinks: [{ url: "https://linkedin.example/other", label: "" }] }
    })
    const gone = await ok(`query($id: UUID!) { people(filter: { id: { eq: $id } }) { totalCount } }`, { id: other })
    expect(gone.people.totalCount).toBe(0)
  })

  test("a dry run answers the merged record under a fresh id, deleted, and writes nothing; Twenty's refusals", async () => {
    const created = await ok(`mutation { createPeople(data: [
      { name: { firstName: "Dry" }, emails: { primaryEmail: "dry@acme.example" } },
      { name: { firstName: "Run" }, emails: { primaryEmail: "run@acme.example" } }
    ]) { id } }`)
    const ids = created.createPeople.map((p: any) => p.id)
    const preview = await ok(`mutation($ids: [UUID!]!) { mergePeople(ids: $ids, conflictPriorityIndex: 1, dryRun: true) { id deletedAt emails { primaryEmail additionalEmails } } }`, { ids })
    expect(preview.mergePeople.id).not.toBe(ids[1])
    expect(preview.mergePeople.deletedAt).not.toBeNull()
    expect(preview.mergePeople.emails).toEqual({ primaryEmail: "run@acme.example", additionalEmails: ["dry@acme.example"] })
    const still = await ok(`query($ids: [UUID!]) { people(filter: { id: { in: $ids } }) { edges { node { emails { additionalEmails } } } } }`, { ids })
    expect(still.people.edges.map((e: any) => e.node.emails.additionalEmails)).toEqual([[], []])
    const badIndex = await gql(`mutation($ids: [UUID!]!) { mergePeople(ids: $ids, conflictPriorityIndex: 5) { id } }`, { ids })
    expect(badIndex.errors?.[0]?.message).toBe("Invalid conflict priority '5'. Valid options for 2 records: 0-1")
  })
})

// src/engine/core-modules/search/services/search.service.ts, constants/standard-objects-by-priority-rank.ts,
// utils/format-search-terms.ts
describe("search order", () => {
  const hits = async (args: string) => {
    const result = await ok(`{ search(${args}) { edges { node { recordId objectNameSingular label imageUrl tsRankCD tsRank } } } }`)
    return result.search.edges.map((e: any) => e.node)
  }

  test("an empty input lists people, then companies, then opportunities, each by id", async () => {
    await ok(`mutation { createOpportunities(data: [{ name: "Deal one" }, { name: "Deal two" }]) { id } }`)
    const found = await hits(`searchInput: "", limit: 100, includedObjectNameSingulars: ["opportunity", "company", "person"]`)
    const objects = found.map((h: any) => h.objectNameSingular)
    const firstOf = (name: string) => objects.indexOf(name)
    const lastOf = (name: string) => objects.lastIndexOf(name)
    expect(lastOf("person")).toBeLessThan(firstOf("company"))
    expect(lastOf("company")).toBeLessThan(firstOf("opportunity"))
    for (const name of ["person", "company", "opportunity"]) {
      const ids = found.filter((h: any) => h.objectNameSingular === name).map((h: any) => h.recordId)
      expect(ids).toEqual([...ids].sort())
    }
    expect(found.every((h: any) => h.tsRankCD === 0 && h.tsRank === 0)).toBe(true)
    const acme = found.find((h: any) => h.label === "Acme")
    expect(acme.imageUrl).toBe("https://twenty-icons.com/acme.example")
  })

  test("every word a prefix: records matching all words rank first, then those matching some", async () => {
    await ok(`mutation { createCompanies(data: [{ name: "Zenith Orbital" }, { name: "Zenith Foods" }]) { id } }`)
    await ok(`mutation { createPerson(data: { name: { firstName: "Orbit", lastName: "Smith" } }) { id } }`)
    const found = await hits(`searchInput: "zen orbit", limit: 10`)
    expect(found.map((h: any) => h.label)).toEqual(["Zenith Orbital", "Orbit Smith", "Zenith Foods"])
    expect(found[0].tsRankCD).toBeGreaterThan(0)
    expect(found[1].tsRankCD).toBe(0)
  })
})

// src/engine/api/graphql/graphql-query-runner/helpers/process-aggregate.helper.ts (CASE WHEN COUNT(*) = 0 THEN NULL)
describe("aggregates of no records", () => {
  test("counts and percentages of an empty set are null; totalCount is 0", async () => {
    const none = await ok(`{ companies(filter: { name: { eq: "No such company" } }) {
      totalCount countEmptyName countNotEmptyName countUniqueValuesName percentageEmptyName countTrueIdealCustomerProfile sumEmployees } }`)
    expect(none.companies).toEqual({
      totalCount: 0, countEmptyName: null, countNotEmptyName: null, countUniqueValuesName: null, percentageEmptyName: null,
      countTrueIdealCustomerProfile: null, sumEmployees: null
    })
    const some = await ok(`{ companies(filter: { name: { eq: "Acme" } }) { countEmptyName percentageEmptyName } }`)
    expect(some.companies).toEqual({ countEmptyName: 0, percentageEmptyName: 0 })
  })
})

// test/integration/rest/suites/rest-api-core-group-by.integration-spec.ts (maxAmountAmountMicros is '1000000000000'),
// process-aggregate.helper.ts (GraphQL's Float makes it a number)
describe("BigFloat aggregates", () => {
  test("REST group-by answers numeric aggregates as PostgreSQL's text; GraphQL as numbers", async () => {
    await ok(`mutation { createOpportunities(data: [
      { name: "Big one", stage: NEW, amount: { amountMicros: 1000000000000, currencyCode: "EUR" } },
      { name: "Big two", stage: NEW, amount: { amountMicros: 3000000000000, currencyCode: "EUR" } }
    ]) { id } }`)
    const params = new URLSearchParams({
      group_by: JSON.stringify([{ stage: true }]),
      aggregate: JSON.stringify(["maxAmountAmountMicros", "sumAmountAmountMicros", "totalCount"]),
      filter: `name[like]:"Big%"`
    })
    const response = await app.request(`/rest/opportunities/groupBy?${params}`, { headers: { authorization: `Bearer ${token}` } })
    const groups = await response.json() as Array<any>
    expect(groups).toEqual([{ groupByDimensionValues: ["NEW"], maxAmountAmountMicros: "3000000000000", sumAmountAmountMicros: "4000000000000", totalCount: 2 }])
    const graph = await ok(`{ opportunities(filter: { name: { like: "Big%" } }) { maxAmountAmountMicros sumAmountAmountMicros avgAmountAmountMicros } }`)
    expect(graph.opportunities).toEqual({ maxAmountAmountMicros: 3000000000000, sumAmountAmountMicros: 4000000000000, avgAmountAmountMicros: 2000000000000 })
    const grouped = await ok(`{ opportunitiesGroupBy(groupBy: [{ stage: true }], filter: { name: { like: "Big%" } }) { groupByDimensionValues maxAmountAmountMicros } }`)
    expect(grouped.opportunitiesGroupBy).toEqual([{ groupByDimensionValues: ["NEW"], maxAmountAmountMicros: 3000000000000 }])
    // Groups still order by the number, not its text ("900000" < "4000000000000").
    await ok(`mutation { createOpportunity(data: { name: "Big three", stage: MEETING, amount: { amountMicros: 900000, currencyCode: "EUR" } }) { id } }`)
    const ordered = await ok(`{ opportunitiesGroupBy(groupBy: [{ stage: true }], filter: { name: { like: "Big%" } },
      orderBy: [{ aggregate: { sumAmountAmountMicros: DescNullsLast } }]) { groupByDimensionValues sumAmountAmountMicros } }`)
    expect(ordered.opportunitiesGroupBy).toEqual([
      { groupByDimensionValues: ["NEW"], sumAmountAmountMicros: 4000000000000 },
      { groupByDimensionValues: ["MEETING"], sumAmountAmountMicros: 900000 }
    ])
  })
})
