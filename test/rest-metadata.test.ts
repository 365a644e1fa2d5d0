import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
let key: { id: string; token: string }

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  account = await signUpWithWorkspace(app)
  key = await createApiKey(app, account.accessToken)
})
afterAll(() => app.close())

const rest = async (method: string, path: string, body?: unknown, token: string | null = key.token) => {
  const response = await app.request(path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}

describe("/rest/metadata", () => {
  test("lists objects with Twenty's envelope and pages with limit and starting_after", async () => {
    const all = await rest("GET", "/rest/metadata/objects")
    expect(all.status).toBe(200)
    expect(all.body.totalCount).toBeGreaterThanOrEqual(11)
    expect(all.body.data.objects.map((o: any) => o.nameSingular)).toContain("company")
    const first = await rest("GET", "/rest/metadata/objects?limit=2")
    expect(first.body.data.objects).toHaveLength(2)
    expect(first.body.pageInfo.hasNextPage).toBe(true)
    const next = await rest("GET", `/rest/metadata/objects?limit=2&starting_after=${first.body.pageInfo.endCursor}`)
    expect(next.body.data.objects[0].id).toBe(all.body.data.objects[2].id)
    expect((await rest("GET", "/rest/metadata/objects?limit=abc")).status).toBe(400)
  })

  test("creates, reads, updates and deletes an object and a field", async () => {
    const created = await rest("POST", "/rest/metadata/objects", {
      nameSingular: "project", namePlural: "projects", labelSingular: "Project", labelPlural: "Projects"
    })
    expect(created.status).toBe(201)
    const project = created.body.data.createOneObject
    expect(project.fields.map((f: any) => f.name)).toEqual(expect.arrayContaining(["id", "name", "createdAt"]))

    const one = await rest("GET", `/rest/metadata/objects/${project.id}`)
    expect(one.body.data.object.nameSingular).toBe("project")

    const field = await rest("POST", "/rest/metadata/fields", { objectMetadataId: project.id, name: "budget", label: "Budget", type: "NUMBER" })
    expect(field.status).toBe(201)
    const fieldId = field.body.data.createOneField.id
    const patched = await rest("PATCH", `/rest/metadata/fields/${fieldId}`, { label: "Budget (k€)", isActive: false })
    expect(patched.body.data.updateOneField).toMatchObject({ label: "Budget (k€)", isActive: false })
    expect((await rest("GET", `/rest/metadata/fields/${fieldId}`)).body.data.field.label).toBe("Budget (k€)")
    expect((await rest("DELETE", `/rest/metadata/fields/${fieldId}`)).body).toEqual({ data: { deleteOneField: { id: fieldId } } })

    const renamed = await rest("PATCH", `/rest/metadata/objects/${project.id}`, { labelPlural: "All projects" })
    expect(renamed.body.data.updateOneObject.labelPlural).toBe("All projects")
    expect((await rest("DELETE", `/rest/metadata/objects/${project.id}`)).status).toBe(200)
    expect((await rest("GET", `/rest/metadata/objects/${project.id}`)).status).toBe(404)
  })

  test("errors: 401 without a token, 400 for bad input naming it, 404 unknown id, 409 duplicate", async () => {
    const anonymous = await rest("GET", "/rest/metadata/objects", undefined, null)
    expect(anonymous).toEqual({ status: 401, body: { statusCode: 401, error: "UnauthorizedException", messages: ["Missing authentication token"] } })
    const badName = await rest("POST", "/rest/metadata/objects", { nameSingular: "9lives", namePlural: "cats", labelSingular: "Cat", labelPlural: "Cats" })
    expect(badName.status).toBe(400)
    expect(badName.body.messages[0]).toContain("nameSingular")
    expect((await rest("POST", "/rest/metadata/objects", "{ not json")).status).toBe(400)
    expect((await rest("GET", "/rest/metadata/objects/not-a-uuid")).status).toBe(400)
    expect((await rest("GET", "/rest/metadata/fields/00000000-0000-4000-8000-000000000000")).status).toBe(404)
    const dup = await rest("POST", "/rest/metadata/objects", { nameSingular: "person", namePlural: "persons", labelSingular: "P", labelPlural: "Ps" })
    expect(dup.status).toBe(409)
  })

  test("an API key with the Member role may read the data model but not change it", async () => {
    const roles = (await app.gql(`{ getRoles { id label } }`, {}, account.accessToken)).body.data.getRoles
    const member = roles.find((r: { label: string }) => r.label === "Member")
    const created = await app.gql(`mutation($role: UUID!) { createApiKey(input: { name: "member key", expiresAt: "2099-01-01T00:00:00Z", roleId: $role }) { id role { label } } }`, { role: member.id }, account.accessToken)
    expect(created.body.data.createApiKey.role.label).toBe("Member")
    const token = (await app.gql(`mutation($id: UUID!) { generateApiKeyToken(apiKeyId: $id, expiresAt: "2099-01-01T00:00:00Z") { token } }`, { id: created.body.data.createApiKey.id }, account.accessToken)).body.data.generateApiKeyToken.token
    expect((await rest("GET", "/rest/metadata/objects", undefined, token)).status).toBe(200)
    const denied = await rest("POST", "/rest/metadata/objects", { nameSingular: "secret", namePlural: "secrets", labelSingular: "S", labelPlural: "Ss" }, token)
    expect(denied.status).toBe(403)
    const viaGraphql = await app.gql(`mutation { createOneObject(input: { object: { nameSingular: "secret", namePlural: "secrets", labelSingular: "S", labelPlural: "Ss" } }) { id } }`, {}, token)
    expect(viaGraphql.body.errors![0]!.extensions.code).toBe("FORBIDDEN")
  })
})
