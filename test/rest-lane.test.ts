import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { restLaneCounts } from "../src/http/rest/lane.js"
import { planCounts } from "../src/services/records/plan.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/** GET /rest/{plural} answered by the list lane against the Effect route alone: same status, headers that matter, body. */

let app: TestApp
let apiKey: string
let member: string
let acme: string
let initech: string

const get = (handler: TestApp["request"], path: string, token: string | null) =>
  handler(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })

const answer = async (response: Response) => ({
  status: response.status,
  type: response.headers.get("content-type"),
  body: await response.json()
})

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  member = account.accessToken
  apiKey = (await createApiKey(app, account.accessToken)).token
  const post = (path: string, body: unknown) =>
    app.request(path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` }, body: JSON.stringify(body) })
  const companies = await (await post("/rest/batch/companies", [
    { name: "Acme", employees: 120, domainName: { primaryLinkUrl: "https://acme.com" } },
    { name: "Initech", employees: 40, address: { addressCity: "Austin" } },
    { name: "Globex" },
    { name: "Umbrella", employees: 5000, idealCustomerProfile: true }
  ])).json() as any
  acme = companies.data.createCompanies[0].id
  initech = companies.data.createCompanies[1].id
  await post("/rest/batch/people", [
    { name: { firstName: "Ada", lastName: "Lovelace" }, companyId: acme, emails: { primaryEmail: "ada@acme.com" } },
    { name: { firstName: "Grace", lastName: "Hopper" }, companyId: acme }
  ])
})
afterAll(() => app.close())

test("a list planned by the Effect route is the lane's plan: the same list then builds none", async () => {
  const path = "/rest/companies?depth=1&limit=3"
  await get(app.request, "/rest/people?limit=1", member) // the member's own lookups (its workspaceMember read) done
  const built = planCounts.findMany
  const lane = restLaneCounts.lane
  // A member's token takes the Effect route; the API key (both unrestricted) the lane.
  const viaRoute = await answer(await get(app.request, path, member))
  const viaLane = await answer(await get(app.request, path, apiKey))
  expect(restLaneCounts.lane).toBe(lane + 1)
  expect(viaLane).toEqual(viaRoute)
  expect(viaLane.body.data.companies.length).toBe(3)
  expect(planCounts.findMany).toBe(built + 1)
})

const LANE = [
  "/rest/companies",
  "/rest/companies?depth=0",
  "/rest/companies?depth=1&limit=2",
  "/rest/companies?limit=2&order_by=employees[DescNullsLast]",
  `/rest/companies?filter=${encodeURIComponent("or(employees[gte]:100,name[like]:\"%tech\")")}&depth=0`,
  `/rest/people?filter=${encodeURIComponent("name.firstName[eq]:\"Ada\"")}`,
  "/rest/opportunities",
  "/rest/companies/ACME",
  "/rest/companies/ACME?depth=0",
  "/rest/companies/ACME?depth=1",
  "/rest/companies/INITECH?depth=1",
  "/rest/companies/INITECH?depth=0"
]
const EFFECT_ROUTE = [
  "/rest/companies?depth=7",
  "/rest/companies?depth=2",
  "/rest/companies?limit=-1",
  `/rest/companies?filter=${encodeURIComponent("nope[eq]:1")}`,
  "/rest/companies?order_by=name[Sideways]",
  "/rest/gizmos",
  "/rest/companies?starting_after=x&ending_before=y",
  "/rest/companies/not-a-uuid",
  "/rest/companies/ACME?depth=3",
  "/rest/gizmos/ACME",
  "/rest/companies/00000000-0000-4000-8000-000000000000"
]
const withIds = (path: string) => path.replace("ACME", acme).replace("INITECH", initech)

describe("REST read lane", () => {
  for (const template of LANE) {
    test(`${template}: answered by the lane, as the Effect route answers`, async () => {
      const path = withIds(template)
      const before = restLaneCounts.lane
      const lane = await answer(await get(app.request, path, apiKey))
      expect(restLaneCounts.lane - before).toBe(1)
      expect(lane).toEqual(await answer(await get(app.referenceRequest, path, apiKey)))
      expect(lane.status).toBe(200)
    })
  }
  for (const template of EFFECT_ROUTE) {
    test(`${template}: left to the Effect route`, async () => {
      const path = withIds(template)
      const before = restLaneCounts.lane
      const answered = await answer(await get(app.request, path, apiKey))
      expect(restLaneCounts.lane - before).toBe(0)
      expect(answered).toEqual(await answer(await get(app.referenceRequest, path, apiKey)))
      expect(answered.status).toBeGreaterThanOrEqual(400)
    })
  }

  test("a record by id reads real data, its relations at depth=1", async () => {
    const { body } = await answer(await get(app.request, `/rest/companies/${acme}?depth=1`, apiKey))
    expect(body.data.company.name).toBe("Acme")
    expect(body.data.company.people.map((p: any) => p.name.firstName).sort()).toEqual(["Ada", "Grace"])
    const flat = await answer(await get(app.request, `/rest/companies/${initech}?depth=0`, apiKey))
    expect(flat.body.data.company).toMatchObject({ name: "Initech", employees: 40 })
    expect(flat.body.data.company.people).toBeUndefined()
  })

  test("pages through cursors the same way", async () => {
    const first = await answer(await get(app.request, "/rest/companies?limit=2&depth=0", apiKey))
    const next = `/rest/companies?limit=2&depth=0&starting_after=${first.body.pageInfo.endCursor}`
    const back = `/rest/companies?limit=1&depth=0&ending_before=${first.body.pageInfo.endCursor}`
    for (const path of [next, back]) expect(await answer(await get(app.request, path, apiKey))).toEqual(await answer(await get(app.referenceRequest, path, apiKey)))
    expect((await answer(await get(app.request, next, apiKey))).body.data.companies).toHaveLength(2)
  })

  test("a `fields` projection goes to the Effect route", async () => {
    const before = restLaneCounts.lane
    const projected = await answer(await get(app.request, "/rest/companies?fields=name&limit=1", apiKey))
    expect(restLaneCounts.lane - before).toBe(0)
    expect(Object.keys(projected.body.data.companies[0]).sort()).toEqual(["id", "name"])
  })

  test("members' tokens and missing tokens go to the Effect route", async () => {
    const before = restLaneCounts.lane
    expect((await get(app.request, "/rest/companies", member)).status).toBe(200)
    expect((await get(app.request, "/rest/companies", null)).status).toBe(401)
    expect(restLaneCounts.lane - before).toBe(0)
  })

  test("security and CORS headers are the Effect route's on lane answers too", async () => {
    const headersOf = (response: Response) => {
      const names = ["x-content-type-options", "x-frame-options", "referrer-policy", "cross-origin-resource-policy", "access-control-allow-origin", "vary", "content-type"]
      return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]))
    }
    const withOrigin = (handler: TestApp["request"], path: string, init: RequestInit = {}) =>
      handler(path, { ...init, headers: { authorization: `Bearer ${apiKey}`, origin: "https://app.example.com", ...init.headers } })
    const lane = headersOf(await withOrigin(app.request, "/rest/companies?depth=0"))
    expect(lane).toEqual(headersOf(await withOrigin(app.referenceRequest, "/rest/companies?depth=0")))
    expect(lane["access-control-allow-origin"]).toBe("https://app.example.com")
    expect(lane["x-frame-options"]).toBe("DENY")
    const graphql = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ companies { totalCount } }" }) }
    const fast = headersOf(await withOrigin(app.request, "/graphql", graphql))
    expect(fast).toEqual(headersOf(await withOrigin(app.referenceRequest, "/graphql", graphql)))
    expect(fast["access-control-allow-origin"]).toBe("https://app.example.com")
  })
})
