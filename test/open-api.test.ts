import { validate } from "@readme/openapi-parser"
import Ajv2020 from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let key: { id: string; token: string }

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  const account = await signUpWithWorkspace(app)
  key = await createApiKey(app, account.accessToken)
})
afterAll(() => app.close())

const get = async (path: string, token: string | null = key.token) => {
  const response = await app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", response }
}

const document = async (path: string, token: string | null = key.token) => {
  const { status, response } = await get(path, token)
  expect(status).toBe(200)
  return await response.json() as any
}

const metadataGql = async (query: string, variables?: Record<string, unknown>) => {
  const result = await app.gql<any>(query, variables, key.token)
  expect(result.body.errors).toBeUndefined()
  return result.body.data
}

/** Validated by @readme/openapi-parser: the OpenAPI 3.1 schema plus its own checks (refs, path params, operationIds). */
const expectValid = async (doc: unknown) => {
  const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0])
  expect(result.valid ? [] : result.errors).toEqual([])
}

/**
 * Ajv (JSON Schema 2020-12, strict) over a document's component schemas: the OpenAPI validator does not
 * check schema keywords, and this also lets real responses be checked against what the document says.
 */
const schemaChecker = (doc: any) => {
  const local = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll(`"#/components/schemas/`, `"doc#/$defs/`))
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true })
  addFormats(ajv)
  ajv.addSchema({ $id: "doc", $defs: local(doc.components.schemas) })
  return {
    compileAll: () => Object.keys(doc.components.schemas).forEach((name) => ajv.compile({ $ref: `doc#/$defs/${name}` })),
    expectMatches: (schema: unknown, value: unknown) => {
      const check = ajv.compile(local(schema) as object)
      expect(check(value) ? [] : check.errors).toEqual([])
    }
  }
}

const responseSchema = (doc: any, path: string, method: string, status: string) =>
  doc.paths[path][method].responses[status].content["application/json"].schema

const schema = (doc: any, name: string) => {
  const found = doc.components.schemas[name]
  expect(found).toBeDefined()
  return found
}

describe("GET /rest/open-api/core", () => {
  test("describes the workspace's objects in a valid OpenAPI 3.1 document", async () => {
    const doc = await document("/rest/open-api/core")
    await expectValid(doc)
    expect(doc.openapi).toBe("3.1.1")
    expect(doc.servers).toEqual([{ url: "http://localhost/rest/" }])
    expect(doc.security).toEqual([{ bearerAuth: [] }])
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" })
    expect(Object.keys(doc.components.parameters)).toEqual(
      expect.arrayContaining(["idPath", "startingAfter", "endingBefore", "filter", "orderBy", "limit", "depth", "fields", "softDelete", "upsert"])
    )

    for (const plural of ["companies", "people"]) {
      for (const path of [`/${plural}`, `/batch/${plural}`, `/${plural}/{id}`, `/${plural}/duplicates`, `/${plural}/merge`, `/${plural}/restore`, `/${plural}/{id}/restore`]) {
        expect(doc.paths[path]).toBeDefined()
      }
    }
    const companies = doc.paths["/companies"]
    expect(Object.keys(companies).sort()).toEqual(["delete", "get", "patch", "post"])
    expect(companies.get.operationId).toBe("findManyCompanies")
    expect(companies.post.operationId).toBe("createOneCompany")
    expect(doc.paths["/companies/{id}"].get.operationId).toBe("findOneCompany")
    expect(doc.paths["/batch/people"].post.operationId).toBe("createManyPeople")
    expect(doc.paths["/people/{id}/restore"].patch.operationId).toBe("restoreOnePerson")
    expect(doc.paths["/people/merge"].patch.operationId).toBe("mergeManyPeople")
  })

  test("maps field types to JSON Schema in the create, update and response schemas", async () => {
    const doc = await document("/rest/open-api/core")
    const company = schema(doc, "Company")
    expect(company.properties.name).toMatchObject({ type: ["string", "null"] })
    expect(company.properties.domainName.properties).toHaveProperty("primaryLinkUrl")
    expect(company.properties.annualRecurringRevenue.properties.amountMicros).toEqual({ type: ["number", "string", "null"] })
    expect(company.properties.accountOwnerId).toMatchObject({ type: ["string", "null"], format: "uuid" })
    expect(company.properties).not.toHaveProperty("createdBy")
    expect(company.properties).not.toHaveProperty("people") // ONE_TO_MANY: response only
    expect(schema(doc, "CompanyForUpdate").properties).not.toHaveProperty("id")

    const companyResponse = schema(doc, "CompanyForResponse")
    expect(companyResponse.properties.id).toEqual({ type: "string", format: "uuid", description: "Id" })
    expect(companyResponse.properties.createdAt).toMatchObject({ type: "string", format: "date-time" })
    expect(companyResponse.properties.createdBy.properties.source.enum).toContain("API")
    expect(companyResponse.properties.people).toMatchObject({ type: "array", items: { $ref: "#/components/schemas/PersonForResponse" } })
    expect(companyResponse.properties).not.toHaveProperty("searchVector")

    const person = schema(doc, "Person")
    expect(person.properties.name).toMatchObject({ type: "object" })
    expect(Object.keys(person.properties.name.properties)).toEqual(["firstName", "lastName"])
    expect(person.properties.emails.properties.additionalEmails).toMatchObject({ type: ["array", "null"] })
    const personResponse = schema(doc, "PersonForResponse")
    expect(personResponse.properties.companyId).toMatchObject({ format: "uuid" })
    expect(personResponse.properties.company.anyOf).toEqual([{ $ref: "#/components/schemas/CompanyForResponse" }, { type: "null" }])

    expect(schema(doc, "Opportunity").properties.stage.enum).toEqual(["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"])

    const findMany = doc.paths["/people"].get.responses["200"].content["application/json"].schema
    expect(findMany.properties.data.properties.people.items).toEqual({ $ref: "#/components/schemas/PersonForResponse" })
    expect(Object.keys(findMany.properties.pageInfo.properties)).toEqual(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"])
    expect(findMany.properties.totalCount).toEqual({ type: "integer" })
    const created = doc.paths["/people"].post.responses["201"].content["application/json"].schema
    expect(created.properties.data.properties.createPerson).toEqual({ $ref: "#/components/schemas/PersonForResponse" })
  })

  test("documents errors with Twenty's body", async () => {
    const doc = await document("/rest/open-api/core")
    for (const status of ["400", "401", "403", "404"]) {
      const error = doc.components.responses[status].content["application/json"]
      expect(Object.keys(error.schema.properties)).toEqual(["statusCode", "error", "messages"])
      expect(error.example.statusCode).toBe(Number(status))
    }
    expect(doc.paths["/companies/{id}"].get.responses["404"]).toEqual({ $ref: "#/components/responses/404" })
    expect(doc.paths["/companies"].get.responses["401"]).toEqual({ $ref: "#/components/responses/401" })
  })

  test("follows the data model: a custom object and its new field appear once created", async () => {
    const objects = await metadataGql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular } } } }`)
    const companyId = objects.objects.edges.find((e: any) => e.node.nameSingular === "company").node.id
    const before = await document("/rest/open-api/core")
    expect(before.paths["/pets"]).toBeUndefined()

    const pet = (await metadataGql(
      `mutation { createOneObject(input: { object: { nameSingular: "pet", namePlural: "pets", labelSingular: "Pet", labelPlural: "Pets" } }) { id } }`
    )).createOneObject
    const field = `mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id } }`
    await metadataGql(field, {
      field: {
        objectMetadataId: pet.id, name: "species", label: "Species", type: "SELECT",
        options: [{ value: "DOG", label: "Dog", color: "blue", position: 0 }, { value: "CAT", label: "Cat", color: "red", position: 1 }]
      }
    })
    await metadataGql(field, { field: { objectMetadataId: pet.id, name: "birthday", label: "Birthday", type: "DATE" } })
    await metadataGql(field, {
      field: {
        objectMetadataId: pet.id, name: "owner", label: "Owner", type: "RELATION",
        relationCreationPayload: { type: "MANY_TO_ONE", targetObjectMetadataId: companyId, targetFieldLabel: "Pets", targetFieldIcon: "IconPaw" }
      }
    })

    const after = await document("/rest/open-api/core")
    await expectValid(after)
    expect(after.paths["/pets"].get.operationId).toBe("findManyPets")
    expect(after.paths["/pets/{id}"].patch.operationId).toBe("UpdateOnePet")
    const petSchema = schema(after, "Pet")
    expect(petSchema.properties.species).toEqual({ type: ["string", "null"], enum: ["DOG", "CAT", null] })
    expect(petSchema.properties.birthday).toEqual({ type: ["string", "null"], format: "date" })
    expect(petSchema.properties.ownerId).toMatchObject({ format: "uuid" })
    expect(schema(after, "PetForResponse").properties.owner.anyOf[0]).toEqual({ $ref: "#/components/schemas/CompanyForResponse" })
    expect(schema(after, "CompanyForResponse").properties.pets.items).toEqual({ $ref: "#/components/schemas/PetForResponse" })
  })

  test("its schemas are valid JSON Schema, and the REST API answers as documented", async () => {
    const doc = await document("/rest/open-api/core")
    const checker = schemaChecker(doc)
    checker.compileAll()

    const rest = async (method: string, path: string, body?: unknown) => {
      const response = await app.request(`/rest${path}`, {
        method,
        headers: { authorization: `Bearer ${key.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      return { status: response.status, body: await response.json() as any }
    }
    const companyInput = { name: "Acme", domainName: { primaryLinkUrl: "https://acme.dev" }, employees: 12, idealCustomerProfile: true, address: { addressCity: "Paris", addressLat: 48.85 } }
    checker.expectMatches(schema(doc, "Company"), companyInput)
    const created = await rest("POST", "/companies", companyInput)
    expect(created).toMatchObject({ status: 201 })
    checker.expectMatches(responseSchema(doc, "/companies", "post", "201"), created.body)

    const company = created.body.data.createCompany
    const personInput = { name: { firstName: "Ada", lastName: "Lovelace" }, emails: { primaryEmail: "ada@acme.dev", additionalEmails: [] }, companyId: company.id }
    checker.expectMatches(schema(doc, "Person"), personInput)
    expect((await rest("POST", "/people", personInput)).status).toBe(201)

    const people = await rest("GET", "/people?depth=1&limit=5")
    expect(people).toMatchObject({ status: 200 })
    expect(people.body.data.people.some((p: any) => p.company?.id === company.id)).toBe(true)
    checker.expectMatches(responseSchema(doc, "/people", "get", "200"), people.body)
    const one = await rest("GET", `/companies/${company.id}?depth=1`)
    checker.expectMatches(responseSchema(doc, "/companies/{id}", "get", "200"), one.body)
    const missing = await rest("GET", `/companies/${crypto.randomUUID()}`)
    expect(missing.status).toBe(404)
    checker.expectMatches(doc.components.responses["404"].content["application/json"].schema, missing.body)
  })

  test("is served from a cache until the metadata version changes", async () => {
    const first = await document("/rest/open-api/core")
    const second = await document("/open-api/core")
    expect(second).toEqual(first)
  })

  test("without a token: a generic document listing no objects", async () => {
    const doc = await document("/rest/open-api/core", null)
    await expectValid(doc)
    expect(Object.keys(doc.paths)).toEqual(["/open-api/core"])
    expect(doc.components.schemas).toEqual({})
    expect(doc.components.securitySchemes.bearerAuth).toBeDefined()
  })

  test("with an invalid token: 401 with Twenty's error body", async () => {
    for (const path of ["/rest/open-api/core", "/open-api/metadata"]) {
      const { status, response } = await get(path, "not-a-token")
      expect(status).toBe(401)
      const body = await response.json() as any
      expect(body).toMatchObject({ statusCode: 401 })
      expect(body.messages).toHaveLength(1)
    }
  })
})

describe("GET /rest/open-api/metadata", () => {
  test("describes /rest/metadata/objects and /rest/metadata/fields with their envelopes", async () => {
    const doc = await document("/rest/open-api/metadata")
    await expectValid(doc)
    expect(doc.servers).toEqual([{ url: "http://localhost/rest/metadata" }])
    expect(Object.keys(doc.paths).sort()).toEqual(["/fields", "/fields/{id}", "/objects", "/objects/{id}", "/open-api/metadata"])
    expect(Object.keys(doc.paths["/objects/{id}"]).sort()).toEqual(["delete", "get", "patch"])
    const body = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content["application/json"].schema.properties
    expect(body("/objects", "get", "200").data.properties.objects.items).toEqual({ $ref: "#/components/schemas/ObjectForResponse" })
    expect(body("/objects", "get", "200")).toHaveProperty("totalCount")
    expect(body("/objects", "post", "201").data.properties).toHaveProperty("createOneObject")
    expect(body("/objects/{id}", "get", "200").data.properties).toHaveProperty("object")
    expect(body("/fields/{id}", "patch", "200").data.properties).toHaveProperty("updateOneField")
    expect(body("/fields/{id}", "delete", "200").data.properties.deleteOneField).toMatchObject({ properties: { id: { format: "uuid" } } })
    expect(schema(doc, "Field").required).toEqual(["objectMetadataId", "type", "name", "label"])
    expect(schema(doc, "FieldForResponse").properties.type.enum).toContain("FULL_NAME")
    expect(schema(doc, "ObjectForResponse").properties.fields.items).toEqual({ $ref: "#/components/schemas/FieldForResponse" })
  })

  test("its schemas are valid JSON Schema, and /rest/metadata answers as documented", async () => {
    const doc = await document("/rest/open-api/metadata")
    const checker = schemaChecker(doc)
    checker.compileAll()
    for (const [path, plural] of [["/objects", "objects"], ["/fields", "fields"]] as const) {
      const response = await get(`/rest/metadata${path}?limit=200`)
      const body = await response.response.json() as any
      expect(body.data[plural].length).toBeGreaterThan(0)
      checker.expectMatches(responseSchema(doc, path, "get", "200"), body)
    }
  })

  test("is public, like Twenty's, and answers on /open-api/metadata too", async () => {
    expect(await document("/open-api/metadata", null)).toEqual(await document("/rest/open-api/metadata"))
  })
})

describe("GET /rest/docs", () => {
  test("serves an HTML page that loads Swagger UI from this server", async () => {
    const { status, contentType, response } = await get("/rest/docs", null)
    expect(status).toBe(200)
    expect(contentType).toStartWith("text/html")
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'")
    const html = await response.text()
    expect(html).toContain(`<script src="/rest/docs/assets/swagger-ui-bundle.js"></script>`)
    expect(html).not.toMatch(/https?:\/\//)
  })

  test("tells a newcomer that calls need a token and how to get one", async () => {
    const html = await (await get("/rest/docs", null)).response.text()
    expect(html).toContain("bun run cli workspace:create")
    expect(html).toContain("Authorize")
    expect(html).toContain("Bearer")
  })

  test("serves the bundled assets and nothing else", async () => {
    const bundle = await get("/rest/docs/assets/swagger-ui-bundle.js", null)
    expect(bundle.status).toBe(200)
    expect(bundle.contentType).toStartWith("text/javascript")
    expect(await bundle.response.text()).toContain("SwaggerUIBundle")
    const start = await get("/rest/docs/assets/start.js", null)
    expect(await start.response.text()).toContain("/rest/open-api/core")
    expect((await get("/rest/docs/assets/swagger-ui.css", null)).contentType).toStartWith("text/css")
    for (const name of ["package.json", "..%2Fpackage.json", "toString"]) {
      expect((await get(`/rest/docs/assets/${name}`, null)).status).toBe(404)
    }
  })
})
