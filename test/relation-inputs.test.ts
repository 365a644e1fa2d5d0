import { afterAll, beforeAll, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

/** Nested relation inputs on custom objects: connect by a unique text field, and a relation in the other direction. */

let app: TestApp
let token: string

const metadata = async (query: string, variables: Record<string, unknown>) => {
  const result = await app.gql<any>(query, variables, token)
  expect(result.body.errors).toBeUndefined()
  return result.body.data
}
const data = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }
}

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  token = (await signUpWithWorkspace(app)).accessToken
  const warehouse = (await metadata(`mutation($o: CreateOneObjectInput!) { createOneObject(input: $o) { id } }`, {
    o: { object: { nameSingular: "warehouse", namePlural: "warehouses", labelSingular: "Warehouse", labelPlural: "Warehouses" } }
  })).createOneObject
  const shipment = (await metadata(`mutation($o: CreateOneObjectInput!) { createOneObject(input: $o) { id } }`, {
    o: { object: { nameSingular: "shipment", namePlural: "shipments", labelSingular: "Shipment", labelPlural: "Shipments" } }
  })).createOneObject
  await metadata(`mutation($f: CreateFieldInput!) { createOneField(input: { field: $f }) { id } }`, {
    f: { objectMetadataId: warehouse.id, name: "code", label: "Code", type: "TEXT", isUnique: true }
  })
  await metadata(`mutation($f: CreateFieldInput!) { createOneField(input: { field: $f }) { id } }`, {
    f: {
      objectMetadataId: shipment.id,
      name: "origin",
      label: "Origin",
      type: "RELATION",
      relationCreationPayload: { type: "MANY_TO_ONE", targetObjectMetadataId: warehouse.id, targetFieldLabel: "Shipments", targetFieldIcon: "IconBox" }
    }
  })
  const created = await data(`mutation { createWarehouses(data: [{ name: "North", code: "N-1" }, { name: "South", code: "S-1" }]) { id } }`)
  expect(created.errors).toBeUndefined()
})
afterAll(() => app.close())

test("a custom object's unique text field connects; the schema offers it", async () => {
  const created = await data(`mutation { createShipment(data: { name: "Crate", origin: { connect: { where: { code: "S-1" } } } }) { origin { name code } } }`)
  expect(created.errors).toBeUndefined()
  expect(created.data.createShipment.origin).toEqual({ name: "South", code: "S-1" })
  const types = await data(`{ __type(name: "WarehouseWhereUniqueInput") { inputFields { name type { name } } } }`)
  expect(types.data.__type.inputFields).toEqual([{ name: "id", type: { name: "ID" } }, { name: "code", type: { name: "String" } }])
})

test("a soft-deleted target does not connect; restoring it does", async () => {
  const north = (await data(`{ warehouses(filter: { code: { eq: "N-1" } }) { edges { node { id } } } }`)).data.warehouses.edges[0].node.id
  await data(`mutation($id: UUID!) { deleteWarehouse(id: $id) { id } }`, { id: north })
  const refused = await data(`mutation { createShipment(data: { name: "Box", origin: { connect: { where: { code: "N-1" } } } }) { id } }`)
  expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  expect(refused.errors?.[0]?.message).toBe("Expected 1 record to connect to origin, but found 0 for code = N-1")
  await data(`mutation($id: UUID!) { restoreWarehouse(id: $id) { id } }`, { id: north })
  const accepted = await data(`mutation { createShipment(data: { name: "Box", origin: { connect: { where: { code: "N-1" } } } }) { originId } }`)
  expect(accepted.data?.createShipment.originId).toBe(north)
})

test("connect is refused on the one-to-many side and with a non-unique field", async () => {
  const oneToMany = await data(`mutation { createWarehouse(data: { name: "East", shipments: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } }) { id } }`)
  expect(oneToMany.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED")
  const viaRest = await app.request("/rest/warehouses", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: "East", shipments: { connect: { where: { id: "00000000-0000-4000-8000-000000000000" } } } })
  })
  expect(viaRest.status).toBe(400)
  expect(JSON.stringify(await viaRest.json())).toContain("Connect is not allowed for shipments on warehouse")
  const byName = await app.request("/rest/shipments", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: "Bag", origin: { connect: { where: { name: "South" } } } })
  })
  expect(byName.status).toBe(400)
  expect(JSON.stringify(await byName.json())).toContain("Missing required fields: at least one unique constraint have to be fully populated for 'origin'.")
})
