import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { CURRENT_WORKSPACE_MEMBER } from "../src/domain/permissions.js"
import { laneCounts } from "../src/http/graphql/data/engine.js"
import { restLaneCounts } from "../src/http/rest/lane.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"

/**
 * The permission matrix on real PostgreSQL: roles Admin, Member, Guest (API keys with those roles), a
 * custom "Sales" role (opportunities unreadable, company.employees unreadable, company.domainName
 * read-only, companies filtered to "account owner is me") held by a member and by an API key, at every
 * data door. Every denied write leaves the rows as they were.
 */

let app: TestApp
let schema: string
const tokens: Record<"owner" | "admin" | "member" | "guest" | "sales" | "salesKey", string> = {} as never
const ids: Record<string, string> = {}

const sql = <A extends object = Record<string, any>>(text: string, params: ReadonlyArray<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params as Array<unknown>)))

type Gql = { status: number; data?: any; errors?: Array<{ message: string; extensions?: any }> }
const gql = async (who: keyof typeof tokens, query: string, variables: Record<string, unknown> = {}): Promise<Gql> => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${tokens[who]}` },
    body: JSON.stringify({ query, variables })
  })
  return { status: response.status, ...(await response.json() as object) }
}
const rest = async (who: keyof typeof tokens, path: string, init: RequestInit = {}) => {
  const response = await app.request(path, {
    ...init,
    headers: { "content-type": "application/json", authorization: `Bearer ${tokens[who]}`, ...init.headers }
  })
  return { status: response.status, body: await response.json() as any }
}
const must = (result: Gql) => {
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors))
  return result.data
}
const expectForbidden = (result: Gql) => {
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
  expect(result.errors?.[0]?.message).toStartWith("Entity performing the request does not have permission")
}
const expectRestForbidden = (result: { status: number; body: any }) => {
  expect(result.status).toBe(403)
  expect(result.body).toMatchObject({ statusCode: 403, error: "ForbiddenException" })
  expect(result.body.messages[0]).toStartWith("Entity performing the request does not have permission")
}

/** Every company and opportunity row as stored, to prove a denied write changed nothing. */
const snapshot = async () => ({
  companies: await sql(`SELECT id, name, employees, "domainNamePrimaryLinkUrl", "accountOwnerId", "deletedAt" FROM ${schema}.company ORDER BY id`),
  opportunities: await sql(`SELECT id, name, "deletedAt" FROM ${schema}.opportunity ORDER BY id`),
  people: await sql(`SELECT id, "companyId", "deletedAt" FROM ${schema}.person ORDER BY id`)
})
const unchangedBy = async (write: () => Promise<void>) => {
  const before = await snapshot()
  await write()
  expect(await snapshot()).toEqual(before)
}

const names = (result: Gql, root: string) =>
  (must(result)[root].edges as Array<{ node: { name: string } }>).map((e) => e.node.name).sort()

beforeAll(async () => {
  app = await startTestApp()
  const owner = await signUpWithWorkspace(app)
  tokens.owner = owner.accessToken
  const workspaceId = owner.workspaceId
  ids.workspace = workspaceId
  const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
  schema = `"${metadata.schema}"`
  const object = (name: string) => metadata.objects.find((o) => o.nameSingular === name)!
  const field = (objectName: string, name: string) => object(objectName).fields.find((f) => f.name === name)!

  const roles = new Map((await sql<{ id: string; label: string }>(`SELECT id, label FROM core.role WHERE "workspaceId" = $1`, [workspaceId]))
    .map((r) => [r.label, r.id]))
  const [sales] = await sql<{ id: string }>(
    `INSERT INTO core.role ("workspaceId", label, "canReadAllObjectRecords", "canUpdateAllObjectRecords", "canSoftDeleteAllObjectRecords",
       "canDestroyAllObjectRecords") VALUES ($1, 'Sales', true, true, true, false) RETURNING id`,
    [workspaceId]
  )
  const salesRole = sales!.id
  await sql(
    `INSERT INTO core."objectPermission" ("workspaceId", "roleId", "objectMetadataId", "canReadObjectRecords", "canUpdateObjectRecords",
       "canSoftDeleteObjectRecords", "canDestroyObjectRecords") VALUES ($1, $2, $3, false, false, false, false)`,
    [workspaceId, salesRole, object("opportunity").id]
  )
  await sql(
    `INSERT INTO core."fieldPermission" ("workspaceId", "roleId", "objectMetadataId", "fieldMetadataId", "canReadFieldValue", "canUpdateFieldValue")
     VALUES ($1, $2, $3, $4, false, false), ($1, $2, $3, $5, true, false)`,
    [workspaceId, salesRole, object("company").id, field("company", "employees").id, field("company", "domainName").id]
  )
  await sql(`INSERT INTO core."rowPermission" ("workspaceId", "roleId", "objectMetadataId", filter) VALUES ($1, $2, $3, $4)`, [
    workspaceId,
    salesRole,
    object("company").id,
    JSON.stringify({ accountOwnerId: { eq: CURRENT_WORKSPACE_MEMBER } })
  ])

  const apiKey = async (roleId: string) => {
    const exp = new Date(Date.now() + 86_400_000).toISOString()
    const key = await app.gql<any>(
      `mutation($roleId: UUID, $exp: String!) { createApiKey(input: { name: "k", expiresAt: $exp, roleId: $roleId }) { id } }`,
      { roleId, exp },
      tokens.owner
    )
    const token = await app.gql<any>(
      `mutation($id: UUID!, $exp: String!) { generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`,
      { id: key.body.data.createApiKey.id, exp },
      tokens.owner
    )
    return token.body.data.generateApiKeyToken.token as string
  }
  tokens.admin = await apiKey(roles.get("Admin")!)
  tokens.member = await apiKey(roles.get("Member")!)
  tokens.guest = await apiKey(roles.get("Guest")!)
  tokens.salesKey = await apiKey(salesRole)

  // A second member holding the Sales role, with a workspaceMember record.
  const email = uniqueEmail("sales")
  const password = "correct horse battery"
  await app.gql(`mutation($email: String!, $password: String!) { signUp(email: $email, password: $password) { tokens { refreshToken { token } } } }`, {
    email,
    password
  })
  const [user] = await sql<{ id: string }>(`SELECT id FROM core."user" WHERE email = $1`, [email])
  await sql(`INSERT INTO core."userWorkspace" ("userId", "workspaceId", "roleId") VALUES ($1, $2, $3)`, [user!.id, workspaceId, salesRole])
  ids.sam = must(await gql("owner", `mutation($data: WorkspaceMemberCreateInput!) { createWorkspaceMember(data: $data) { id } }`, {
    data: { userId: user!.id, userEmail: email, name: { firstName: "Sam", lastName: "Sales" } }
  })).createWorkspaceMember.id
  const login = await app.gql<any>(
    `mutation($email: String!, $password: String!) { getLoginTokenFromCredentials(email: $email, password: $password, origin: "http://localhost:3001") { loginToken { token } } }`,
    { email, password }
  )
  const pair = await app.gql<any>(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { t: login.body.data.getLoginTokenFromCredentials.loginToken.token }
  )
  tokens.sales = pair.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token

  ids.owner = must(await gql("owner", `{ workspaceMembers(filter: { userEmail: { eq: "${owner.email}" } }) { edges { node { id } } } }`))
    .workspaceMembers.edges[0].node.id
  const companies = must(await gql("owner", `mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { id name } }`, {
    data: [
      { name: "Mine One", employees: 10, accountOwnerId: ids.sam, domainName: { primaryLinkUrl: "https://mine.one" } },
      { name: "Mine Two", employees: 20, accountOwnerId: ids.sam },
      { name: "Other", employees: 30, accountOwnerId: ids.owner, domainName: { primaryLinkUrl: "https://other.com" } },
      { name: "Orphan", employees: 40 }
    ]
  })).createCompanies as Array<{ id: string; name: string }>
  for (const c of companies) ids[c.name] = c.id
  const people = must(await gql("owner", `mutation($data: [PersonCreateInput!]!) { createPeople(data: $data) { id } }`, {
    data: [
      { name: { firstName: "Ada", lastName: "Mine" }, companyId: ids["Mine One"] },
      { name: { firstName: "Bob", lastName: "Other" }, companyId: ids["Other"] }
    ]
  })).createPeople
  ids.ada = people[0].id
  ids.bob = people[1].id
  ids.deal = must(await gql("owner", `mutation { createOpportunity(data: { name: "Big deal", companyId: "${ids["Mine One"]}" }) { id } }`))
    .createOpportunity.id
  must(await gql("owner", `mutation($data: [TimelineActivityCreateInput!]!) { createTimelineActivities(data: $data) { id } }`, {
    data: [
      { name: "company.mine", targetCompanyId: ids["Mine One"], properties: { diff: { employees: { before: 1, after: 10 }, name: { before: "M", after: "Mine One" } } } },
      { name: "company.other", targetCompanyId: ids["Other"] },
      { name: "opportunity.deal", targetOpportunityId: ids.deal }
    ]
  }))
})
afterAll(() => app.close())

const COMPANY_NAMES = `{ companies { totalCount edges { node { name } } } }`

describe("reads", () => {
  test("Admin, Member and Guest keys read every company, restricted fields included; the owner too", async () => {
    for (const who of ["owner", "admin", "member", "guest"] as const) {
      const result = await gql(who, `{ companies(orderBy: { employees: AscNullsLast }) { totalCount edges { node { name employees } } } }`)
      expect(must(result).companies.totalCount).toBe(4)
      expect(result.data.companies.edges.map((e: any) => e.node.employees)).toEqual([10, 20, 30, 40])
      expect(must(await gql(who, `{ opportunities { totalCount } }`)).opportunities.totalCount).toBe(1)
    }
  })

  test("the row filter narrows lists, counts and findOne; a key without a member sees no row", async () => {
    const sales = await gql("sales", COMPANY_NAMES)
    expect(names(sales, "companies")).toEqual(["Mine One", "Mine Two"])
    expect(sales.data.companies.totalCount).toBe(2)
    // Twice: the second answer comes from the compiled plan, checked once.
    const before = laneCounts.plan
    expect(names(await gql("sales", COMPANY_NAMES), "companies")).toEqual(["Mine One", "Mine Two"])
    expect(laneCounts.plan).toBeGreaterThan(before)
    const key = await gql("salesKey", COMPANY_NAMES)
    expect(must(key).companies).toEqual({ totalCount: 0, edges: [] })
    const hidden = await gql("sales", `{ company(filter: { id: { eq: "${ids["Other"]}" } }) { id } }`)
    expect(hidden.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
    expect(must(await gql("sales", `{ company(filter: { id: { eq: "${ids["Mine One"]}" } }) { name } }`)).company.name).toBe("Mine One")
  })

  test("a restricted field in a selection, filter, order, aggregate or groupBy is refused, never dropped", async () => {
    expectForbidden(await gql("sales", `{ companies { edges { node { name employees } } } }`))
    expectForbidden(await gql("sales", `{ companies(filter: { employees: { gt: 0 } }) { totalCount } }`))
    expectForbidden(await gql("sales", `{ companies(filter: { or: [{ name: { eq: "x" } }, { employees: { gt: 0 } }] }) { totalCount } }`))
    expectForbidden(await gql("sales", `{ companies(orderBy: { employees: AscNullsLast }) { totalCount } }`))
    expectForbidden(await gql("sales", `{ companies { sumEmployees } }`))
    expectForbidden(await gql("sales", `{ companiesGroupBy(groupBy: [{ employees: true }]) { totalCount } }`))
    expectForbidden(await gql("sales", `{ company(filter: { employees: { eq: 10 } }) { id } }`))
    expectForbidden(await gql("sales", `{ people { edges { node { company { employees } } } } }`))
    expectForbidden(await gql("sales", `{ people(filter: { company: { employees: { gt: 1 } } }) { totalCount } }`))
    // The read-only field stays readable.
    expect(must(await gql("sales", `{ companies(filter: { domainName: { primaryLinkUrl: { like: "%mine%" } } }) { edges { node { domainName { primaryLinkUrl } } } } }`))
      .companies.edges).toHaveLength(1)
  })

  test("an unreadable object is refused at the top and through nested relations in both directions", async () => {
    expectForbidden(await gql("sales", `{ opportunities { totalCount } }`))
    expectForbidden(await gql("sales", `{ opportunity(filter: { id: { eq: "${ids.deal}" } }) { id } }`))
    expectForbidden(await gql("sales", `{ companies { edges { node { opportunities { totalCount } } } } }`))
    expectForbidden(await gql("sales", `{ opportunitiesGroupBy(groupBy: [{ name: true }]) { totalCount } }`))
    expectForbidden(await gql("sales", `{ people { edges { node { company { opportunities { totalCount } } } } } }`))
    expect(must(await gql("guest", `{ opportunities { edges { node { company { name } } } } }`)).opportunities.edges[0].node.company.name).toBe("Mine One")
  })

  test("nested relations read the target through its row filter", async () => {
    const people = must(await gql("sales", `{ people(orderBy: { name: { firstName: AscNullsLast } }) { edges { node { name { firstName } companyId company { name } } } } }`))
    const byName = Object.fromEntries(people.people.edges.map((e: any) => [e.node.name.firstName, e.node.company?.name ?? null]))
    expect(byName).toEqual({ Ada: "Mine One", Bob: null })
    const withPeople = must(await gql("sales", `{ companies { edges { node { name people { totalCount edges { node { name { firstName } } } } } } } }`))
    expect(withPeople.companies.edges.map((e: any) => e.node.people.totalCount).sort()).toEqual([0, 1])
    // Filtering people by a company outside the role's rows finds none.
    expect(must(await gql("sales", `{ people(filter: { company: { name: { eq: "Other" } } }) { totalCount } }`)).people.totalCount).toBe(0)
  })

  test("aggregates and groupBy count only visible rows", async () => {
    expect(must(await gql("sales", `{ companies { totalCount countNotEmptyName } }`)).companies).toEqual({ totalCount: 2, countNotEmptyName: 2 })
    const groups = must(await gql("sales", `{ companiesGroupBy(groupBy: [{ name: true }]) { groupByDimensionValues totalCount } }`))
    expect(groups.companiesGroupBy.map((g: any) => g.groupByDimensionValues[0]).sort()).toEqual(["Mine One", "Mine Two"])
    const viaCompany = must(await gql("sales", `{ peopleGroupBy(groupBy: [{ company: { name: true } }]) { groupByDimensionValues totalCount } }`))
    expect(viaCompany.peopleGroupBy.map((g: any) => g.groupByDimensionValues[0]).sort((a: any, b: any) => String(a).localeCompare(String(b))))
      .toEqual(["Mine One", null])
    expect(must(await gql("admin", `{ companiesGroupBy(groupBy: [{ name: true }]) { totalCount } }`)).companiesGroupBy).toHaveLength(4)
  })

  test("search skips unreadable objects and rows outside the filter; duplicates stay within the rows", async () => {
    const hits = async (who: keyof typeof tokens) =>
      (must(await gql(who, `{ search(searchInput: "", limit: 50) { edges { node { objectNameSingular label } } } }`)).search.edges as Array<any>)
        .map((e) => e.node)
    const sales = await hits("sales")
    expect(sales.some((h) => h.objectNameSingular === "opportunity")).toBe(false)
    expect(sales.filter((h) => h.objectNameSingular === "company").map((h) => h.label).sort()).toEqual(["Mine One", "Mine Two"])
    const admin = await hits("admin")
    expect(admin.some((h) => h.objectNameSingular === "opportunity")).toBe(true)
    expect(admin.filter((h) => h.objectNameSingular === "company")).toHaveLength(4)
    const duplicates = must(await gql("sales", `{ companyDuplicates(data: [{ name: "Other" }, { name: "Mine Two" }]) { totalCount edges { node { id } } } }`))
    expect(duplicates.companyDuplicates.map((c: any) => c.totalCount)).toEqual([0, 1])
    expect(must(await gql("sales", `{ companyDuplicates(ids: ["${ids["Other"]}"]) { totalCount } }`)).companyDuplicates[0].totalCount).toBe(0)
    expectForbidden(await gql("sales", `{ companyDuplicates(data: [{ name: "Mine Two" }]) { edges { node { employees } } } }`))
  })

  test("timeline activities of unreadable objects and hidden records are not shown", async () => {
    const activities = async (who: keyof typeof tokens) =>
      (must(await gql(who, `{ timelineActivities { edges { node { name } } } }`)).timelineActivities.edges as Array<any>).map((e) => e.node.name).sort()
    expect(await activities("admin")).toEqual(["company.mine", "company.other", "opportunity.deal"])
    expect(await activities("sales")).toEqual(["company.mine"])
    // Values of fields the role may not read are taken out of the activity's properties.
    const properties = async (who: keyof typeof tokens) =>
      must(await gql(who, `{ timelineActivities(filter: { name: { eq: "company.mine" } }) { edges { node { properties } } } }`))
        .timelineActivities.edges[0].node.properties
    expect(await properties("admin")).toEqual({ diff: { employees: { before: 1, after: 10 }, name: { before: "M", after: "Mine One" } } })
    expect(await properties("sales")).toEqual({ diff: { name: { before: "M", after: "Mine One" } } })
    expect((await rest("sales", "/rest/timelineActivities?depth=0")).body.data.timelineActivities.map((a: any) => a.name)).toEqual(["company.mine"])
  })
})

describe("writes", () => {
  test("creates need update permission and values inside the row filter; restricted fields are not written", async () => {
    await unchangedBy(async () => {
      expectForbidden(await gql("guest", `mutation { createCompany(data: { name: "Guest co" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompany(data: { name: "Nobody's" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompany(data: { name: "Someone else's", accountOwnerId: "${ids.owner}" }) { id } }`))
      expectForbidden(await gql("salesKey", `mutation { createCompany(data: { name: "Key's" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompany(data: { name: "Big", employees: 5, accountOwnerId: "${ids.sam}" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompany(data: { name: "Site", domainName: { primaryLinkUrl: "https://x.io" }, accountOwnerId: "${ids.sam}" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompanies(data: [{ name: "Ok", accountOwnerId: "${ids.sam}" }, { name: "Not ok" }]) { id } }`))
      expectForbidden(await gql("sales", `mutation { createOpportunity(data: { name: "Mine" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { createCompany(data: { name: "Sel", accountOwnerId: "${ids.sam}" }) { id employees } }`))
      // Connecting to a record outside the role's rows finds nothing to connect to.
      const connect = await gql("sales", `mutation { createPerson(data: { name: { firstName: "Cy" }, company: { connect: { where: { id: "${ids["Other"]}" } } } }) { id } }`)
      expect(connect.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      // A plain link to a row outside the role's filter is refused too, on create and on update.
      expectForbidden(await gql("sales", `mutation { createPerson(data: { name: { firstName: "Cy" }, companyId: "${ids["Other"]}" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { updatePerson(id: "${ids.ada}", data: { companyId: "${ids["Other"]}" }) { id } }`))
      // Linking a record to an unreadable object is refused like a connect to it.
      expectForbidden(await gql("sales", `mutation { createNoteTarget(data: { targetOpportunityId: "${ids.deal}" }) { id } }`))
      // Upserting onto a record outside the row filter is refused.
      expectForbidden(await gql("sales", `mutation { createCompany(data: { id: "${ids["Other"]}", name: "Taken", accountOwnerId: "${ids.sam}" }, upsert: true) { id } }`))
    })
    expect((await sql(`SELECT count(*)::int AS n FROM ${schema}."noteTarget"`))[0]!["n"]).toBe(0)
    const created = must(await gql("sales", `mutation { createCompany(data: { name: "Mine Three", accountOwnerId: "${ids.sam}" }) { id name } }`))
    expect(created.createCompany.name).toBe("Mine Three")
    const person = must(await gql("sales", `mutation { createPerson(data: { name: { firstName: "Di" }, company: { connect: { where: { id: "${ids["Mine Two"]}" } } } }) { companyId } }`))
    expect(person.createPerson.companyId).toBe(ids["Mine Two"])
    must(await gql("member", `mutation { createCompany(data: { name: "Member co", employees: 1 }) { id } }`))
  })

  test("updates reach only rows inside the filter and only updatable fields", async () => {
    await unchangedBy(async () => {
      const other = await gql("sales", `mutation { updateCompany(id: "${ids["Other"]}", data: { name: "Hijacked" }) { id } }`)
      expect(other.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
    })
    // A bulk update by an all-matching filter changes Sam's three companies only.
    const before = await snapshot()
    const bulk = must(await gql("sales", `mutation { updateCompanies(filter: { name: { like: "%" } }, data: { idealCustomerProfile: true }) { name } }`))
    expect(bulk.updateCompanies.map((c: any) => c.name).sort()).toEqual(["Mine One", "Mine Three", "Mine Two"])
    expect(await snapshot()).toEqual(before)
    expect((await sql(`SELECT count(*)::int AS n FROM ${schema}.company WHERE "idealCustomerProfile"`))[0]!["n"]).toBe(3)
    await unchangedBy(async () => {
      expectForbidden(await gql("sales", `mutation { updateCompany(id: "${ids["Mine One"]}", data: { employees: 99 }) { id } }`))
      expectForbidden(await gql("sales", `mutation { updateCompany(id: "${ids["Mine One"]}", data: { domainName: { primaryLinkUrl: "https://x.io" } }) { id } }`))
      expectForbidden(await gql("sales", `mutation { updateCompanies(filter: { employees: { gt: 0 } }, data: { name: "Y" }) { id } }`))
      expectForbidden(await gql("guest", `mutation { updateCompany(id: "${ids["Other"]}", data: { name: "Guest" }) { id } }`))
      expectForbidden(await gql("sales", `mutation { updateOpportunity(id: "${ids.deal}", data: { name: "Mine now" }) { id } }`))
    })
    expect(must(await gql("sales", `mutation { updateCompany(id: "${ids["Mine One"]}", data: { name: "Mine One" }) { name } }`)).updateCompany.name)
      .toBe("Mine One")
  })

  test("soft delete, restore, destroy and merge follow their permissions and the row filter", async () => {
    await unchangedBy(async () => {
      expect(must(await gql("sales", `mutation { deleteCompanies(filter: { id: { eq: "${ids["Other"]}" } }) { id } }`)).deleteCompanies).toEqual([])
      expect((await gql("sales", `mutation { deleteCompany(id: "${ids["Other"]}") { id } }`)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
      expectForbidden(await gql("sales", `mutation { destroyCompany(id: "${ids["Mine Two"]}") { id } }`))
      expectForbidden(await gql("guest", `mutation { deleteCompany(id: "${ids["Other"]}") { id } }`))
      expectForbidden(await gql("guest", `mutation { restoreCompany(id: "${ids["Other"]}") { id } }`))
      expectForbidden(await gql("guest", `mutation { mergeCompanies(ids: ["${ids["Other"]}", "${ids["Orphan"]}"], conflictPriorityIndex: 0) { id } }`))
      const merge = await gql("sales", `mutation { mergeCompanies(ids: ["${ids["Mine One"]}", "${ids["Other"]}"], conflictPriorityIndex: 0) { id } }`)
      expect(merge.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
      expectForbidden(await gql("sales", `mutation { deleteOpportunity(id: "${ids.deal}") { id } }`))
    })
    await sql(`UPDATE ${schema}.company SET "deletedAt" = now() WHERE id = $1`, [ids["Other"]])
    await unchangedBy(async () => {
      expect(must(await gql("sales", `mutation { restoreCompanies(filter: { id: { eq: "${ids["Other"]}" } }) { id } }`)).restoreCompanies).toEqual([])
    })
    await sql(`UPDATE ${schema}.company SET "deletedAt" = NULL WHERE id = $1`, [ids["Other"]])
    expect(must(await gql("sales", `mutation { deleteCompany(id: "${ids["Mine Two"]}") { id } }`)).deleteCompany.id).toBe(ids["Mine Two"])
    expect(must(await gql("sales", `mutation { restoreCompany(id: "${ids["Mine Two"]}") { id } }`)).restoreCompany.id).toBe(ids["Mine Two"])
    const preview = must(await gql("admin", `mutation { mergeCompanies(ids: ["${ids["Mine One"]}", "${ids["Mine Two"]}"], conflictPriorityIndex: 0, dryRun: true) { id employees } }`))
    expect(preview.mergeCompanies.employees).toBe(10)
  })
})

describe("REST", () => {
  test("lists omit unreadable fields and rows; the lane answers a restricted key as the Effect route does", async () => {
    const list = await rest("sales", "/rest/companies?depth=1")
    expect(list.status).toBe(200)
    const companies = list.body.data.companies as Array<Record<string, unknown>>
    expect(companies.map((c) => c["name"]).sort()).toEqual(["Mine One", "Mine Three", "Mine Two"])
    expect(list.body.totalCount).toBe(3)
    for (const company of companies) {
      expect(company).not.toHaveProperty("employees")
      expect(company).not.toHaveProperty("opportunities")
      expect(company).toHaveProperty("domainName")
      expect(company).toHaveProperty("people")
    }
    const admin = await rest("admin", "/rest/companies?depth=1")
    expect(admin.body.data.companies[0]).toHaveProperty("employees")
    expect(admin.body.data.companies[0]).toHaveProperty("opportunities")
    // A key: the first list fills the compiled access, the next is the lane's.
    await rest("salesKey", "/rest/companies")
    const before = restLaneCounts.lane
    const viaLane = await rest("salesKey", "/rest/companies")
    expect(restLaneCounts.lane).toBe(before + 1)
    expect(viaLane.body.data.companies).toEqual([])
    expect(viaLane.body.totalCount).toBe(0)
    const guest = await rest("guest", "/rest/companies?depth=0")
    expect(guest.body.totalCount).toBe(6)
  })

  test("one, filter, order_by and unreadable objects", async () => {
    expect((await rest("sales", `/rest/companies/${ids["Other"]}`)).status).toBe(404)
    expect((await rest("sales", `/rest/companies/${ids["Mine One"]}`)).body.data.company.name).toBe("Mine One")
    expectRestForbidden(await rest("sales", `/rest/companies?filter=${encodeURIComponent("employees[gt]:1")}`))
    expectRestForbidden(await rest("sales", "/rest/companies?order_by=employees[AscNullsLast]"))
    expectRestForbidden(await rest("sales", "/rest/opportunities"))
    expectRestForbidden(await rest("salesKey", "/rest/opportunities"))
    expectRestForbidden(await rest("sales", `/rest/opportunities/${ids.deal}`))
    const groups = await rest("sales", `/rest/companies/groupBy?group_by=${encodeURIComponent(JSON.stringify([{ name: true }]))}`)
    expect(groups.status).toBe(200)
    expect(groups.body.map((g: any) => g.groupByDimensionValues[0]).sort()).toEqual(["Mine One", "Mine Three", "Mine Two"])
    expectRestForbidden(await rest("sales", `/rest/companies/groupBy?group_by=${encodeURIComponent(JSON.stringify([{ employees: true }]))}`))
    const duplicates = await rest("sales", "/rest/companies/duplicates", { method: "POST", body: JSON.stringify({ data: [{ name: "Other" }] }) })
    expect(duplicates.status).toBe(200)
    expect(JSON.stringify(duplicates.body)).not.toContain(ids["Other"]!)
    const merge = await rest("sales", "/rest/companies/merge", {
      method: "PATCH",
      body: JSON.stringify({ ids: [ids["Mine One"], ids["Other"]], conflictPriorityIndex: 0 })
    })
    expect(merge.status).toBe(404)
  })

  test("batch and single writes are refused as on /graphql and change nothing", async () => {
    await unchangedBy(async () => {
      expectRestForbidden(await rest("sales", "/rest/batch/companies", {
        method: "POST",
        body: JSON.stringify([{ name: "A", accountOwnerId: ids.sam }, { name: "B", employees: 3, accountOwnerId: ids.sam }])
      }))
      expectRestForbidden(await rest("guest", "/rest/companies", { method: "POST", body: JSON.stringify({ name: "G" }) }))
      expectRestForbidden(await rest("sales", `/rest/companies/${ids["Mine One"]}`, { method: "DELETE" }))
      expect((await rest("sales", `/rest/companies/${ids["Other"]}?soft_delete=true`, { method: "DELETE" })).status).toBe(404)
      expect((await rest("sales", `/rest/companies/${ids["Other"]}`, { method: "PATCH", body: JSON.stringify({ name: "Z" }) })).status).toBe(404)
      expectRestForbidden(await rest("sales", `/rest/companies/${ids["Mine One"]}`, { method: "PATCH", body: JSON.stringify({ employees: 1 }) }))
    })
  })

  test("the OpenAPI document lists only what the caller may read", async () => {
    const document = async (who: keyof typeof tokens) => (await rest(who, "/rest/open-api/core")).body
    const sales = await document("sales")
    expect(Object.keys(sales.paths)).not.toContain("/opportunities")
    expect(Object.keys(sales.paths)).toContain("/companies")
    expect(Object.keys(sales.components.schemas.Company.properties)).not.toContain("employees")
    expect(Object.keys(sales.components.schemas.Company.properties)).not.toContain("opportunities")
    expect(Object.keys(sales.components.schemas.Company.properties)).toContain("domainName")
    const admin = await document("admin")
    expect(Object.keys(admin.paths)).toContain("/opportunities")
    expect(Object.keys(admin.components.schemas.Company.properties)).toContain("employees")
  })
})

describe("workspace members and the caller's own permissions", () => {
  test("without WORKSPACE_MEMBERS a member writes only their own workspaceMember record, never its user", async () => {
    const members = async () => sql(`SELECT id, "nameFirstName", locale, "userId", "deletedAt" FROM ${schema}."workspaceMember" ORDER BY id`)
    const before = await members()
    expectForbidden(await gql("sales", `mutation { updateWorkspaceMember(id: "${ids.owner}", data: { name: { firstName: "Mallory" } }) { id } }`))
    expectForbidden(await gql("sales", `mutation { createWorkspaceMember(data: { name: { firstName: "Ghost" }, userId: "${crypto.randomUUID()}", userEmail: "ghost@example.com" }) { id } }`))
    expectForbidden(await gql("sales", `mutation { deleteWorkspaceMember(id: "${ids.owner}") { id } }`))
    expectForbidden(await gql("sales", `mutation { destroyWorkspaceMember(id: "${ids.owner}") { id } }`))
    expectForbidden(await gql("sales", `mutation { updateWorkspaceMember(id: "${ids.sam}", data: { userId: "${crypto.randomUUID()}" }) { id } }`))
    expectRestForbidden(await rest("sales", `/rest/workspaceMembers/${ids.owner}`, { method: "PATCH", body: JSON.stringify({ locale: "fr" }) }))
    expect(await members()).toEqual(before)
    // A many-update reaches only the caller's own record.
    must(await gql("sales", `mutation { updateWorkspaceMembers(filter: {}, data: { locale: "de" }) { id } }`))
    const after = await members()
    expect(after.filter((m) => m["locale"] === "de").map((m) => m["id"])).toEqual([ids.sam])
    must(await gql("sales", `mutation { updateWorkspaceMember(id: "${ids.sam}", data: { locale: "en" }) { id } }`))
    // The owner (every flag) and API keys (as Twenty) are not limited.
    must(await gql("owner", `mutation { updateWorkspaceMember(id: "${ids.sam}", data: { locale: "fr" }) { id } }`))
    must(await gql("salesKey", `mutation { updateWorkspaceMember(id: "${ids.sam}", data: { locale: "en" }) { id } }`))
  })

  test("currentUserWorkspace tells the caller its flags and, per object, what it may do", async () => {
    const query = `{ currentUser { currentUserWorkspace { permissionFlags objectsPermissions {
      objectMetadataId canReadObjectRecords canUpdateObjectRecords canSoftDeleteObjectRecords canDestroyObjectRecords restrictedFields } } } }`
    const ask = async (token: string) => {
      const response = await app.request("/metadata", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query })
      })
      const body = await response.json() as any
      if (body.errors) throw new Error(JSON.stringify(body.errors))
      return body.data.currentUser.currentUserWorkspace
    }
    const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(ids.workspace!)))
    const object = (name: string) => metadata.objects.find((o) => o.nameSingular === name)!
    const field = (o: string, name: string) => object(o).fields.find((f) => f.name === name)!.id
    const sales = await ask(tokens.sales)
    expect(sales.permissionFlags).toEqual([])
    const of = (name: string) => sales.objectsPermissions.find((p: any) => p.objectMetadataId === object(name).id)
    expect(of("opportunity")).toMatchObject({ canReadObjectRecords: false, canUpdateObjectRecords: false })
    expect(of("company")).toMatchObject({ canReadObjectRecords: true, canUpdateObjectRecords: true, canDestroyObjectRecords: false })
    expect(of("company").restrictedFields).toEqual({
      [field("company", "employees")]: { canRead: false, canUpdate: false },
      [field("company", "domainName")]: { canRead: true, canUpdate: false }
    })
    const owner = await ask(tokens.owner)
    expect(owner.permissionFlags).toContain("ROLES")
    expect(owner.objectsPermissions.every((p: any) => p.canReadObjectRecords && p.canDestroyObjectRecords)).toBe(true)
  })
})

describe("changes to a role", () => {
  test("take effect at once: the compiled access follows the revocation epoch", async () => {
    expect(names(await gql("sales", COMPANY_NAMES), "companies")).toEqual(["Mine One", "Mine Three", "Mine Two"])
    const { Revocations } = await import("../src/services/revocations/index.js")
    const { rolePermissionsKey } = await import("../src/services/permissions/index.js")
    const [role] = await sql<{ id: string }>(`SELECT id FROM core.role WHERE label = 'Sales'`)
    await app.run(Effect.flatMap(Revocations, (r) =>
      r.revoking(Effect.flatMap(SqlClient.SqlClient, (s) => s`DELETE FROM core."rowPermission" WHERE "roleId" = ${role!.id}`), {
        keys: () => [rolePermissionsKey(role!.id)]
      })))
    expect(must(await gql("sales", `{ companies { totalCount } }`)).companies.totalCount).toBe(6)
    expectForbidden(await gql("sales", `{ companies { edges { node { employees } } } }`))
  })
})
