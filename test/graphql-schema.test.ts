import { DEFAULT_LIMITS } from "../src/services/records/limits.js"
import { HttpApp } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import {
  getIntrospectionQuery,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLSchema
} from "graphql"
import { makeHttpApp } from "../src/http/app.js"
import { infrastructure, services } from "../src/layers/index.js"
import { Records, type RecordsShape } from "../src/services/records/service.js"
import type { Connection, RecordsScope, RecordValue } from "../src/services/records/types.js"
import { SchemaBuilder } from "../src/http/graphql/data/schema/index.js"
import { startTestApp, TEST_APP_SECRET, type TestApp, testConfig } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
let apiKey: { id: string; token: string }

beforeAll(async () => {
  app = await startTestApp()
  account = await signUpWithWorkspace(app, { name: "Schema Co" })
  apiKey = await createApiKey(app, account.accessToken, "schema key")
})
afterAll(async () => {
  await app.close()
})

const schemaOf = (workspaceId: string) => app.run(Effect.flatMap(SchemaBuilder, (builder) => builder.schemaFor(workspaceId)))
const objectType = (schema: GraphQLSchema, name: string) => schema.getType(name) as GraphQLObjectType
const inputType = (schema: GraphQLSchema, name: string) => schema.getType(name) as GraphQLInputObjectType

/** `{ field: "Type!" }` for the named fields of an object or input type. */
const typesOf = (type: GraphQLObjectType | GraphQLInputObjectType, names: ReadonlyArray<string>) => {
  const fields = type.getFields()
  return Object.fromEntries(names.map((n) => [n, fields[n] ? String(fields[n]!.type) : undefined]))
}
const signature = (field: GraphQLField<unknown, unknown> | undefined) =>
  field && `(${field.args.map((a) => `${a.name}: ${a.type}`).join(", ")}): ${field.type}`

const postGraphQL = async (
  request: TestApp["request"],
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = account.accessToken
) => {
  const response = await request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables })
  })
  return { status: response.status, body: await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> } }
}
const graphql = (query: string, variables?: Record<string, unknown>, token?: string | null) =>
  postGraphQL(app.request, query, variables, token)
const metadataGql = async (query: string, variables?: Record<string, unknown>) => {
  const { body } = await app.gql(query, variables, account.accessToken)
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors))
  return body.data
}

describe("the workspace schema", () => {
  test("object types, relation fields and nullability follow Twenty", async () => {
    const schema = await schemaOf(account.workspaceId)
    expect(typesOf(objectType(schema, "Company"), [
      "id", "name", "employees", "domainName", "address", "annualRecurringRevenue", "idealCustomerProfile",
      "createdAt", "deletedAt", "createdBy", "position", "accountOwnerId", "accountOwner", "people", "searchVector"
    ])).toEqual({
      id: "UUID!",
      name: "String",
      employees: "Float",
      domainName: "Links",
      address: "Address",
      annualRecurringRevenue: "Currency",
      idealCustomerProfile: "Boolean!",
      createdAt: "DateTime!",
      deletedAt: "DateTime",
      createdBy: "Actor!",
      position: "Position!",
      accountOwnerId: "ID",
      accountOwner: "WorkspaceMember",
      people: "PersonConnection",
      searchVector: "TSVector"
    })
    expect(signature(objectType(schema, "Company").getFields()["people"])).toBe(
      "(first: Int, last: Int, offset: Int, before: String, after: String, filter: PersonFilterInput, orderBy: [PersonOrderByInput]): PersonConnection"
    )
    expect(typesOf(objectType(schema, "Person"), ["name", "emails", "phones", "linkedinLink", "companyId", "company", "avatarFile"])).toEqual({
      name: "FullName",
      emails: "Emails",
      phones: "Phones",
      linkedinLink: "Links",
      companyId: "ID",
      company: "Company",
      avatarFile: "[FileObject]"
    })
    expect(typesOf(objectType(schema, "Opportunity"), ["stage", "amount", "closeDate"])).toEqual({
      stage: "OpportunityStageEnum!",
      amount: "Currency",
      closeDate: "DateTime"
    })
    expect((schema.getType("OpportunityStageEnum") as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([
      "NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"
    ])
    expect(typesOf(objectType(schema, "Task"), ["status", "bodyV2", "assignee"])).toEqual({
      status: "TaskStatusEnum",
      bodyV2: "RichTextV2",
      assignee: "WorkspaceMember"
    })
    expect(typesOf(objectType(schema, "WorkspaceMember"), ["calendarStartDay", "dateFormat"])).toEqual({
      calendarStartDay: "Int!",
      dateFormat: "WorkspaceMemberDateFormatEnum!"
    })
    expect(typesOf(objectType(schema, "Actor"), ["source", "workspaceMemberId", "name", "context"])).toEqual({
      source: "ActorSourceEnum!",
      workspaceMemberId: "UUID",
      name: "String!",
      context: "JSON"
    })
    expect(typesOf(objectType(schema, "Currency"), ["amountMicros", "currencyCode"])).toEqual({
      amountMicros: "BigFloat",
      currencyCode: "String"
    })
  })

  test("connections, edges and aggregates", async () => {
    const schema = await schemaOf(account.workspaceId)
    const connection = objectType(schema, "CompanyConnection")
    expect(typesOf(connection, [
      "edges", "pageInfo", "totalCount", "countUniqueValuesName", "countEmptyName", "countNotEmptyName",
      "percentageEmptyName", "percentageNotEmptyName", "minCreatedAt", "maxCreatedAt", "countTrueIdealCustomerProfile",
      "countFalseIdealCustomerProfile", "minEmployees", "maxEmployees", "avgEmployees", "sumEmployees",
      "sumAnnualRecurringRevenueAmountMicros", "avgAnnualRecurringRevenueAmountMicros", "countEmptyDomainName", "countEmptyPeople",
      "sumName"
    ])).toEqual({
      edges: "[CompanyEdge!]!",
      pageInfo: "PageInfo!",
      totalCount: "Int",
      countUniqueValuesName: "Int",
      countEmptyName: "Int",
      countNotEmptyName: "Int",
      percentageEmptyName: "Float",
      percentageNotEmptyName: "Float",
      minCreatedAt: "DateTime",
      maxCreatedAt: "DateTime",
      countTrueIdealCustomerProfile: "Int",
      countFalseIdealCustomerProfile: "Int",
      minEmployees: "Float",
      maxEmployees: "Float",
      avgEmployees: "Float",
      sumEmployees: "Float",
      sumAnnualRecurringRevenueAmountMicros: "Float",
      avgAnnualRecurringRevenueAmountMicros: "Float",
      countEmptyDomainName: "Int",
      countEmptyPeople: undefined,
      sumName: undefined
    })
    expect(typesOf(objectType(schema, "CompanyEdge"), ["node", "cursor"])).toEqual({ node: "Company!", cursor: "Cursor!" })
    expect(typesOf(objectType(schema, "PageInfo"), ["startCursor", "endCursor", "hasNextPage", "hasPreviousPage"])).toEqual({
      startCursor: "ConnectionCursor",
      endCursor: "ConnectionCursor",
      hasNextPage: "Boolean!",
      hasPreviousPage: "Boolean!"
    })
  })

  test("filter, order-by, create and update inputs", async () => {
    const schema = await schemaOf(account.workspaceId)
    expect(typesOf(inputType(schema, "CompanyFilterInput"), [
      "id", "name", "employees", "createdAt", "idealCustomerProfile", "domainName", "annualRecurringRevenue", "createdBy",
      "accountOwnerId", "accountOwner", "people", "searchVector", "and", "or", "not"
    ])).toEqual({
      id: "UUIDFilter",
      name: "StringFilter",
      employees: "FloatFilter",
      createdAt: "DateFilter",
      idealCustomerProfile: "BooleanFilter",
      domainName: "LinksFilterInput",
      annualRecurringRevenue: "CurrencyFilterInput",
      createdBy: "ActorFilterInput",
      accountOwnerId: "UUIDFilter",
      accountOwner: "WorkspaceMemberFilterInput",
      people: undefined,
      searchVector: "TSVectorFilter",
      and: "[CompanyFilterInput]",
      or: "[CompanyFilterInput]",
      not: "CompanyFilterInput"
    })
    expect(typesOf(inputType(schema, "OpportunityFilterInput"), ["stage"])).toEqual({ stage: "OpportunityStageEnumFilter" })
    expect(Object.keys(inputType(schema, "OpportunityStageEnumFilter").getFields())).toEqual(["eq", "neq", "in", "containsAny", "is", "isEmptyArray"])
    expect(typesOf(inputType(schema, "StringFilter"), ["eq", "neq", "in", "like", "ilike", "startsWith", "is"])).toEqual({
      eq: "String", neq: "String", in: "[String!]", like: "String", ilike: "String", startsWith: "String", is: "FilterIs"
    })
    expect(typesOf(inputType(schema, "UUIDFilter"), ["eq", "neq", "in", "is"])).toEqual({ eq: "UUID", neq: "UUID", in: "[UUID]", is: "FilterIs" })
    expect(typesOf(inputType(schema, "FullNameFilterInput"), ["firstName", "lastName"])).toEqual({ firstName: "StringFilter", lastName: "StringFilter" })
    expect(typesOf(inputType(schema, "CurrencyFilterInput"), ["amountMicros", "currencyCode"])).toEqual({
      amountMicros: "BigFloatFilter",
      currencyCode: "StringFilter"
    })
    expect(typesOf(inputType(schema, "ActorFilterInput"), ["source", "name"])).toEqual({ source: "ActorSourceEnumFilter", name: "StringFilter" })
    expect(typesOf(inputType(schema, "EmailsFilterInput"), ["primaryEmail", "additionalEmails"])).toEqual({
      primaryEmail: "StringFilter",
      additionalEmails: "RawJsonFilter"
    })

    expect(typesOf(inputType(schema, "CompanyOrderByInput"), ["name", "domainName", "accountOwnerId", "people", "createdBy"])).toEqual({
      name: "OrderByDirection",
      domainName: "LinksOrderByInput",
      accountOwnerId: "OrderByDirection",
      people: undefined,
      createdBy: "ActorOrderByInput"
    })
    expect((schema.getType("OrderByDirection") as GraphQLEnumType).getValues().map((v) => v.name)).toEqual([
      "AscNullsFirst", "AscNullsLast", "DescNullsFirst", "DescNullsLast"
    ])

    expect(typesOf(inputType(schema, "CompanyCreateInput"), ["id", "name", "accountOwnerId", "accountOwner", "domainName", "idealCustomerProfile", "people", "searchVector"])).toEqual({
      id: "ID",
      name: "String",
      accountOwnerId: "ID",
      accountOwner: "WorkspaceMemberRelationInput",
      domainName: "LinksCreateInput",
      idealCustomerProfile: "Boolean",
      people: undefined,
      searchVector: undefined
    })
    // Twenty's nested relation input: connect by id or one unique field, or disconnect.
    expect(typesOf(inputType(schema, "PersonUpdateInput"), ["company", "companyId"])).toEqual({ company: "CompanyRelationInput", companyId: "ID" })
    expect(typesOf(inputType(schema, "CompanyRelationInput"), ["connect", "disconnect"])).toEqual({ connect: "CompanyConnectInput", disconnect: "Boolean" })
    expect(typesOf(inputType(schema, "CompanyConnectInput"), ["where"])).toEqual({ where: "CompanyWhereUniqueInput" })
    expect(Object.keys(inputType(schema, "CompanyWhereUniqueInput").getFields())).toEqual(["id", "domainName"])
    expect(typesOf(inputType(schema, "CompanyWhereUniqueInput"), ["id", "domainName"])).toEqual({ id: "ID", domainName: "CompanyDomainNameWhereInput" })
    expect(Object.keys(inputType(schema, "CompanyDomainNameWhereInput").getFields())).toEqual(["primaryLinkUrl"])
    expect(Object.keys(inputType(schema, "PersonWhereUniqueInput").getFields())).toEqual(["id", "emails"])
    expect(typesOf(inputType(schema, "WorkspaceMemberCreateInput"), ["userId", "name"])).toEqual({ userId: "UUID!", name: "FullNameCreateInput!" })
    expect(typesOf(inputType(schema, "WorkspaceMemberUpdateInput"), ["userId", "name"])).toEqual({ userId: "UUID", name: "FullNameUpdateInput" })
    expect(Object.keys(inputType(schema, "ActorCreateInput").getFields())).toEqual(["source", "context"])
    expect(typesOf(inputType(schema, "ActorCreateInput"), ["source"])).toEqual({ source: "ActorSourceEnum!" })
    expect(typesOf(inputType(schema, "LinksCreateInput"), ["primaryLinkUrl", "secondaryLinks"])).toEqual({ primaryLinkUrl: "String", secondaryLinks: "JSON" })
  })

  test("queries and mutations", async () => {
    const schema = await schemaOf(account.workspaceId)
    const query = schema.getQueryType()!.getFields()
    const mutation = schema.getMutationType()!.getFields()
    expect(signature(query["companies"])).toBe(
      "(first: Int, last: Int, offset: Int, before: String, after: String, filter: CompanyFilterInput, orderBy: [CompanyOrderByInput]): CompanyConnection"
    )
    expect(signature(query["company"])).toBe("(filter: CompanyFilterInput!): Company")
    expect(signature(query["companiesGroupBy"])).toBe(
      "(groupBy: [CompanyGroupByInput!]!, filter: CompanyFilterInput, orderBy: [CompanyOrderByWithGroupByInput], " +
        "orderByForRecords: [CompanyOrderByInput], viewId: UUID, limit: Int, offsetForRecords: Int): [CompanyGroupByConnection!]"
    )
    expect(Object.keys(mutation).filter((name) => name.endsWith("GroupBy"))).toEqual([])
    expect(typesOf(inputType(schema, "PersonGroupByInput"), ["company", "companyId", "createdAt", "name", "emails", "id", "position", "searchVector"])).toEqual({
      company: "CompanyGroupByInput",
      companyId: "Boolean",
      createdAt: "GroupByDateGranularityInput",
      name: "FullNameGroupByInput",
      emails: "EmailsGroupByInput",
      id: undefined,
      position: undefined,
      searchVector: undefined
    })
    expect(Object.keys(inputType(schema, "EmailsGroupByInput").getFields())).toEqual(["primaryEmail"])
    expect(typesOf(inputType(schema, "CompanyOrderByWithGroupByInput"), ["aggregate", "name", "createdAt", "domainName", "accountOwner"])).toEqual({
      aggregate: "CompanyOrderByWithGroupByAggregateInput",
      name: "OrderByDirection",
      createdAt: "OrderByDateGranularityInput",
      domainName: "LinksOrderByInput",
      accountOwner: "WorkspaceMemberOrderByWithGroupByInput"
    })
    const groupConnection = schema.getType("CompanyGroupByConnection") as GraphQLObjectType
    expect(typesOf(groupConnection, ["groupByDimensionValues", "totalCount", "sumEmployees", "edges", "pageInfo"])).toEqual({
      groupByDimensionValues: "JSON!",
      totalCount: "Int",
      sumEmployees: "Float",
      edges: "[CompanyEdge!]!",
      pageInfo: "PageInfo!"
    })
    expect(signature(query["companyDuplicates"])).toBe("(ids: [UUID], data: [CompanyCreateInput]): [CompanyConnection!]")
    expect(signature(query["people"])).toBe(
      "(first: Int, last: Int, offset: Int, before: String, after: String, filter: PersonFilterInput, orderBy: [PersonOrderByInput]): PersonConnection"
    )
    expect(query["opportunityDuplicates"]).toBeUndefined() // no duplicate criteria
    expect(signature(query["search"])).toBe(
      "(searchInput: String!, limit: Int!, after: String, includedObjectNameSingulars: [String!], filter: ObjectRecordFilterInput, excludedObjectNameSingulars: [String!]): SearchResultConnection!"
    )
    expect(Object.fromEntries(
      ["createCompany", "createCompanies", "updateCompany", "updateCompanies", "deleteCompany", "deleteCompanies", "destroyCompany", "destroyCompanies", "restoreCompany", "restoreCompanies", "mergeCompanies"]
        .map((name) => [name, signature(mutation[name])])
    )).toEqual({
      createCompany: "(data: CompanyCreateInput!, upsert: Boolean): Company",
      createCompanies: "(data: [CompanyCreateInput!]!, upsert: Boolean): [Company!]",
      updateCompany: "(id: UUID!, data: CompanyUpdateInput!): Company",
      updateCompanies: "(data: CompanyUpdateInput!, filter: CompanyFilterInput!): [Company!]",
      deleteCompany: "(id: UUID!): Company",
      deleteCompanies: "(filter: CompanyFilterInput!): [Company!]",
      destroyCompany: "(id: UUID!): Company",
      destroyCompanies: "(filter: CompanyFilterInput!): [Company!]",
      restoreCompany: "(id: UUID!): Company",
      restoreCompanies: "(filter: CompanyFilterInput!): [Company!]",
      mergeCompanies: "(ids: [UUID!]!, conflictPriorityIndex: Int!, dryRun: Boolean): Company"
    })
    for (const name of ["createPeople", "updatePeople", "mergePeople", "createPerson", "createWorkspaceMember", "createTimelineActivities"]) {
      expect(mutation[name]).toBeDefined()
    }
  })

  test("is built once per metadata version", async () => {
    expect(await schemaOf(account.workspaceId)).toBe(await schemaOf(account.workspaceId))
  })
})

describe("metadata changes", () => {
  const objectId = async (name: string) => {
    const data = await metadataGql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular } } } }`)
    return data.objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === name).id as string
  }
  const createField = (field: Record<string, unknown>) =>
    metadataGql(`mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id } }`, { field })
  const updateField = (id: string, update: Record<string, unknown>) =>
    metadataGql(`mutation($id: UUID!, $update: UpdateFieldInput!) { updateOneField(input: { id: $id, update: $update }) { id } }`, { id, update })

  test("a custom field appears after the change and disappears once deactivated", async () => {
    const before = await schemaOf(account.workspaceId)
    const companyId = await objectId("company")
    const tier = await createField({
      objectMetadataId: companyId,
      name: "tier",
      label: "Tier",
      type: "SELECT",
      options: [
        { value: "GOLD", label: "Gold", color: "yellow", position: 0 },
        { value: "SILVER", label: "Silver", color: "gray", position: 1 }
      ]
    })
    await createField({ objectMetadataId: companyId, name: "score", label: "Score", type: "NUMBER", settings: { dataType: "int" } })

    const withTier = await schemaOf(account.workspaceId)
    expect(withTier).not.toBe(before)
    expect(typesOf(objectType(withTier, "Company"), ["tier", "score"])).toEqual({ tier: "CompanyTierEnum", score: "Int" })
    expect((withTier.getType("CompanyTierEnum") as GraphQLEnumType).getValues().map((v) => v.name)).toEqual(["GOLD", "SILVER"])
    expect(typesOf(inputType(withTier, "CompanyFilterInput"), ["tier", "score"])).toEqual({ tier: "CompanyTierEnumFilter", score: "IntFilter" })
    expect(objectType(withTier, "CompanyConnection").getFields()["sumScore"]).toBeDefined()

    await updateField(tier.createOneField.id, { isActive: false })
    const withoutTier = await schemaOf(account.workspaceId)
    expect(objectType(withoutTier, "Company").getFields()["tier"]).toBeUndefined()
    expect(inputType(withoutTier, "CompanyFilterInput").getFields()["tier"]).toBeUndefined()
    expect(inputType(withoutTier, "CompanyCreateInput").getFields()["tier"]).toBeUndefined()
    expect(objectType(withoutTier, "CompanyConnection").getFields()["countEmptyTier"]).toBeUndefined()
    expect(withoutTier.getType("CompanyTierEnum")).toBeUndefined()
  })

  test("a custom object gets its types, root fields and relations; deactivated, it is gone", async () => {
    const created = await metadataGql(`mutation { createOneObject(input: { object: {
      nameSingular: "invoice", namePlural: "invoices", labelSingular: "Invoice", labelPlural: "Invoices" } }) { id } }`)
    await createField({
      objectMetadataId: created.createOneObject.id,
      name: "billedCompany",
      label: "Billed company",
      type: "RELATION",
      relationCreationPayload: { type: "MANY_TO_ONE", targetObjectMetadataId: await objectId("company"), targetFieldLabel: "Invoices" }
    })
    const schema = await schemaOf(account.workspaceId)
    expect(typesOf(objectType(schema, "Invoice"), ["id", "name", "billedCompanyId", "billedCompany"])).toEqual({
      id: "UUID!",
      name: "String",
      billedCompanyId: "ID",
      billedCompany: "Company"
    })
    expect(typesOf(objectType(schema, "Company"), ["invoices"])).toEqual({ invoices: "InvoiceConnection" })
    expect(signature(schema.getQueryType()!.getFields()["invoices"])).toBe(
      "(first: Int, last: Int, offset: Int, before: String, after: String, filter: InvoiceFilterInput, orderBy: [InvoiceOrderByInput]): InvoiceConnection"
    )
    expect(schema.getMutationType()!.getFields()["createInvoices"]).toBeDefined()

    await metadataGql(`mutation($id: UUID!) { updateOneObject(input: { id: $id, update: { isActive: false } }) { id } }`, {
      id: created.createOneObject.id
    })
    const after = await schemaOf(account.workspaceId)
    expect(after.getType("Invoice")).toBeUndefined()
    expect(after.getQueryType()!.getFields()["invoices"]).toBeUndefined()
    expect(objectType(after, "Company").getFields()["invoices"]).toBeUndefined()
  })
})

describe("/graphql", () => {
  test("answers introspection", async () => {
    const { status, body } = await graphql(getIntrospectionQuery())
    expect(status).toBe(200)
    expect(body.errors).toBeUndefined()
    const names = body.data.__schema.types.map((t: { name: string }) => t.name)
    expect(names).toEqual(expect.arrayContaining(["Company", "CompanyConnection", "CompanyFilterInput", "PersonCreateInput", "FullName"]))
  })

  test("a wrong field name is a validation error, not a 500", async () => {
    const { status, body } = await graphql(`{ companies { edges { node { nope } } } }`)
    expect(status).toBeLessThan(500)
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED")
  })

  test("refuses a missing or invalid token with 401, and a token bound to no workspace", async () => {
    const missing = await graphql(`{ __typename }`, {}, null)
    expect(missing.status).toBe(401)
    expect(missing.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    const invalid = await graphql(`{ __typename }`, {}, "not-a-token")
    expect(invalid.status).toBe(401)
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    const agnostic = await graphql(`{ __typename }`, {}, account.agnosticToken)
    expect(agnostic.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    expect(agnostic.body.data).toBeUndefined()
  })

  test("writes carry the caller as actor: API key or the user's workspace member", async () => {
    const byKey = await graphql(`mutation { createCompany(data: { name: "Keyed" }) { createdBy { source name workspaceMemberId } } }`, {}, apiKey.token)
    expect(byKey.body.data.createCompany.createdBy).toEqual({ source: "API", name: "schema key", workspaceMemberId: null })
    const members = await graphql(`{ workspaceMembers { edges { node { id userEmail } } } }`)
    const member = members.body.data.workspaceMembers.edges[0].node
    expect(member.userEmail).toBe(account.email)
    const byUser = await graphql(`mutation { createCompany(data: { name: "Manual" }) { createdBy { source workspaceMemberId } } }`)
    expect(byUser.body.data.createCompany.createdBy).toEqual({ source: "MANUAL", workspaceMemberId: member.id })
  })
})

// ---------------------------------------------------------------------------------------------
// Resolvers → Records, observed through a fake Records service

interface Call {
  readonly method: keyof RecordsShape
  readonly scope: RecordsScope
  readonly object?: string
  readonly args: ReadonlyArray<unknown>
}

const MEMBER_ID = "11111111-1111-4111-8111-111111111111"
const COMPANY_ID = "22222222-2222-4222-8222-222222222222"

const connectionOf = (nodes: ReadonlyArray<RecordValue>, extra: Partial<Connection> = {}): Connection => ({
  edges: nodes.map((node, i) => ({ node, cursor: `cursor-${i}` })),
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  aggregates: {},
  ...extra
})

/** Records that remembers every call and answers with `canned` (findMany) or echoes its input. */
const fakeRecords = (calls: Array<Call>, canned: { findMany?: Connection } = {}): RecordsShape => {
  const record = <A>(method: keyof RecordsShape, scope: RecordsScope, object: string | undefined, args: ReadonlyArray<unknown>, answer: A) =>
    Effect.sync(() => {
      calls.push({ method, scope, ...(object ? { object } : {}), args })
      return answer
    })
  return {
    limits: DEFAULT_LIMITS,
    findMany: (scope, object, args, selection, extras) =>
      record("findMany", scope, object, [args, selection, extras], canned.findMany ?? connectionOf([])),
    findManyDirect: () => null, // every read through findMany, where calls are recorded
    groupBy: (scope, object, args, records, extras) => record("groupBy", scope, object, [args, records, extras], []),
    streamMany: (scope, object, args, selection) =>
      record("streamMany", scope, object, [args, selection], (async function*() {})()),
    streamLines: () => Effect.succeed(null),
    findOne: (scope, object, filter, selection) =>
      record("findOne", scope, object, [filter, selection], object === "workspaceMember" ? { id: MEMBER_ID } : { id: COMPANY_ID }),
    findOneDirect: () => null, // every read through findOne, where calls are recorded
    createOneDirect: () => null, // every write through the reference calls, where calls are recorded
    updateOneDirect: () => null,
    deleteOneDirect: () => null,
    restoreOneDirect: () => null,
    createMany: (scope, object, data, selection, options) =>
      record("createMany", scope, object, [data, selection, options], data.map((d) => ({ id: COMPANY_ID, ...d }))),
    updateOne: (scope, object, id, data, selection) => record("updateOne", scope, object, [id, data, selection], { id, ...data }),
    updateMany: (scope, object, filter, data, selection) => record("updateMany", scope, object, [filter, data, selection], []),
    deleteMany: (scope, object, filter, selection) => record("deleteMany", scope, object, [filter, selection], [{ id: COMPANY_ID }]),
    destroyMany: (scope, object, filter, selection) => record("destroyMany", scope, object, [filter, selection], []),
    restoreMany: (scope, object, filter, selection) => record("restoreMany", scope, object, [filter, selection], [{ id: COMPANY_ID }]),
    merge: (scope, object, ids, index, dryRun, selection) => record("merge", scope, object, [ids, index, dryRun, selection], { id: ids[0] }),
    findDuplicates: (scope, object, input, selection) => record("findDuplicates", scope, object, [input, selection], [connectionOf([])]),
    search: (scope, input) => record("search", scope, undefined, [input], { edges: [], hasNextPage: false })
  }
}

/** The real application on the same database, with Records replaced. */
const startWithRecords = async (records: RecordsShape) => {
  const config = await testConfig({ DATABASE_URL: app.databaseUrl, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2", LOG_LEVEL: "Error" })
  const layer = Layer.merge(services(infrastructure(config, Redacted.make(TEST_APP_SECRET))), Layer.succeed(Records, records))
  const runtime = ManagedRuntime.make(layer)
  const handler = HttpApp.toWebHandlerRuntime(await runtime.runtime())(await runtime.runPromise(makeHttpApp))
  return {
    request: (path: string, init?: RequestInit) => handler(new Request(`http://localhost${path}`, init)),
    close: () => runtime.dispose()
  }
}

describe("resolvers call Records once per root field", () => {
  const calls: Array<Call> = []
  let canned: Connection = connectionOf([])
  let fake: Awaited<ReturnType<typeof startWithRecords>>
  const fakeGraphQL = (query: string, variables?: Record<string, unknown>, token?: string) =>
    postGraphQL(fake.request, query, variables, token ?? apiKey.token)

  beforeAll(async () => {
    const records = fakeRecords(calls)
    fake = await startWithRecords({ ...records, findMany: (...args) => Effect.flatMap(records.findMany(...args), () => Effect.succeed(canned)) })
  })
  afterAll(async () => {
    await fake.close()
  })

  test("a nested query with aliases and fragments becomes one Selection", async () => {
    calls.length = 0
    canned = connectionOf([{
      id: COMPANY_ID,
      name: "Acme",
      employees: 12,
      accountOwnerId: MEMBER_ID,
      domainName: { primaryLinkUrl: "acme.dev", primaryLinkLabel: null, secondaryLinks: null },
      owner: { id: MEMBER_ID, name: { firstName: "Ada", lastName: "L" } },
      staff: connectionOf([{ id: "p1", name: { firstName: "Bo", lastName: "B" }, city: "Paris" }], { totalCount: 1 }),
      people: connectionOf([{ id: "p1" }])
    }], { totalCount: 7, aggregates: { countEmptyName: 0, arr: 5_000_000 } })
    const { body } = await fakeGraphQL(`
      query Companies($withCity: Boolean!) {
        companies(first: 2, filter: { name: { ilike: "%a%" } }, orderBy: [{ name: AscNullsLast }]) {
          total: totalCount
          countEmptyName
          arr: sumAnnualRecurringRevenueAmountMicros
          edges {
            cursor
            node {
              id
              ...CompanyBits
              owner: accountOwner { name { firstName } }
              ... on Company { domainName { primaryLinkUrl } }
              staff: people(first: 3, filter: { city: { eq: "Paris" } }) {
                totalCount
                edges { node { id name { lastName } city @include(if: $withCity) jobTitle @skip(if: true) } }
              }
              people { edges { node { id } } }
            }
          }
        }
      }
      fragment CompanyBits on Company { name employees accountOwnerId }`, { withCity: true })

    expect(body.errors).toBeUndefined()
    expect(calls).toHaveLength(1)
    const [args, selection, extras] = calls[0]!.args
    expect(calls[0]!.method).toBe("findMany")
    expect(calls[0]!.object).toBe("company")
    expect(args).toEqual({ first: 2, filter: { name: { ilike: "%a%" } }, orderBy: [{ name: "AscNullsLast" }] })
    expect(extras).toEqual({
      totalCount: true,
      aggregates: [
        { kind: "countEmpty", field: "name", key: "countEmptyName" },
        { kind: "sum", field: "annualRecurringRevenue", subField: "amountMicros", key: "arr" }
      ],
      cursors: true
    })
    expect(selection).toEqual({
      fields: ["id", "name", "employees", "accountOwnerId", "domainName"],
      relations: [
        { field: "accountOwner", key: "owner", selection: { fields: ["name"], relations: [] } },
        {
          field: "people",
          key: "staff",
          selection: { fields: ["id", "name", "city"], relations: [] },
          args: { first: 3, filter: { city: { eq: "Paris" } } },
          connection: { totalCount: true, aggregates: [], cursors: false }
        },
        {
          field: "people",
          key: "people",
          selection: { fields: ["id"], relations: [] },
          args: {},
          connection: { totalCount: false, aggregates: [], cursors: false }
        }
      ]
    })
    expect(body.data.companies).toEqual({
      total: 7,
      countEmptyName: 0,
      arr: 5_000_000,
      edges: [{
        cursor: "cursor-0",
        node: {
          id: COMPANY_ID,
          name: "Acme",
          employees: 12,
          accountOwnerId: MEMBER_ID,
          owner: { name: { firstName: "Ada" } },
          domainName: { primaryLinkUrl: "acme.dev" },
          staff: { totalCount: 1, edges: [{ node: { id: "p1", name: { lastName: "B" }, city: "Paris" } }] },
          people: { edges: [{ node: { id: "p1" } }] }
        }
      }]
    })
  })

  test("the scope is the API key, or the user with their workspace member looked up once", async () => {
    calls.length = 0
    await fakeGraphQL(`{ companies { totalCount } }`)
    expect(calls.map((c) => c.method)).toEqual(["findMany"])
    expect(calls[0]!.scope).toEqual({
      workspaceId: account.workspaceId,
      actor: { source: "API", workspaceMemberId: null, name: "schema key" },
      access: expect.objectContaining({ unrestricted: true })
    })

    calls.length = 0
    const { body } = await fakeGraphQL(`{ a: companies { totalCount } b: people { totalCount } }`, {}, account.accessToken)
    expect(body.errors).toBeUndefined()
    expect(calls.map((c) => [c.method, c.object])).toEqual([["findOne", "workspaceMember"], ["findMany", "company"], ["findMany", "person"]])
    expect(calls[0]!.args[0]).toMatchObject({ userId: { eq: expect.any(String) } })
    expect(calls[1]!.scope.actor).toEqual({ source: "MANUAL", workspaceMemberId: MEMBER_ID, name: expect.any(String) })
  })

  test("mutations map to Records calls", async () => {
    calls.length = 0
    const { body } = await fakeGraphQL(`mutation($id: UUID!) {
      created: createCompany(data: { name: "New", accountOwnerId: "${MEMBER_ID}" }, upsert: true) { id name }
      deleteCompany(id: $id) { id }
      restoreCompany(id: $id) { id }
      updateCompany(id: $id, data: { employees: 3 }) { id employees }
      mergeCompanies(ids: [$id], conflictPriorityIndex: 0, dryRun: true) { id }
    }`, { id: COMPANY_ID })
    expect(body.errors).toBeUndefined()
    expect(body.data.created).toEqual({ id: COMPANY_ID, name: "New" })
    expect(calls.map((c) => [c.method, c.args])).toEqual([
      ["createMany", [[{ name: "New", accountOwnerId: MEMBER_ID }], { fields: ["id", "name"], relations: [] }, { upsert: true }]],
      ["deleteMany", [{ id: { eq: COMPANY_ID } }, { fields: ["id"], relations: [] }]],
      ["restoreMany", [{ id: { eq: COMPANY_ID } }, { fields: ["id"], relations: [] }]],
      ["updateOne", [COMPANY_ID, { employees: 3 }, { fields: ["id", "employees"], relations: [] }]],
      ["merge", [[COMPANY_ID], 0, true, { fields: ["id"], relations: [] }]]
    ])
  })

  test("limits and alias clashes are BAD_USER_INPUT before Records is called", async () => {
    calls.length = 0
    const tooMany = await fakeGraphQL(`mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { id } }`, {
      data: Array.from({ length: 201 }, (_, i) => ({ name: `c${i}` }))
    })
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    const bigPage = await fakeGraphQL(`{ companies(first: 201) { totalCount } }`)
    expect(bigPage.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    const nestedPage = await fakeGraphQL(`{ companies { edges { node { people(last: 500) { totalCount } } } } }`)
    expect(nestedPage.body.errors?.[0]).toMatchObject({ message: 'Argument "last" cannot exceed 200', extensions: { code: "BAD_USER_INPUT" } })
    const deep = await fakeGraphQL(`{ companies { edges { node {
      people(first: 1) { edges { node { company { people(first: 1) { edges { node { company { people(first: 1) { edges { node { id } } } } } } } } } } }
    } } } }`)
    expect(deep.body.errors?.[0]).toMatchObject({ message: "Relations cannot be nested more than 4 levels deep", extensions: { code: "BAD_USER_INPUT" } })
    const clash = await fakeGraphQL(`{ companies { edges { node { name: accountOwner { id } } } } }`)
    expect(clash.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect(clash.body.errors?.[0]?.message).toContain('alias "name"')
    const search = await fakeGraphQL(`{ search(searchInput: "a", limit: 101) { edges { cursor } } }`)
    expect(search.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect(calls).toEqual([])
  })

  test("a missing record is NOT_FOUND", async () => {
    const records = fakeRecords([])
    const missing = await startWithRecords({ ...records, findOne: (scope, object, filter, selection) =>
      object === "workspaceMember" ? records.findOne(scope, object, filter, selection) : Effect.succeed(null) })
    try {
      const { body } = await postGraphQL(missing.request, `{ company(filter: { id: { eq: "${COMPANY_ID}" } }) { id } }`, {}, apiKey.token)
      expect(body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
    } finally {
      await missing.close()
    }
  })
})
