/**
 * Twenty apps' views: a manifest's views (twenty-sdk's ViewManifest, with their fields, filters, sorts and
 * groups) are applied through the views service at syncApplication, owned by the app: planned (and dry-run)
 * as actions, updated on a re-sync, deleted when the manifest drops them, removed on uninstall.
 */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let accessToken: string

beforeAll(async () => {
  app = await startTestApp({ env: { DATABASE_POOL_SIZE: "3" } })
  accessToken = (await signUpWithWorkspace(app, { name: "Views Co" })).accessToken
})

afterAll(async () => {
  await app?.close()
})

const gql = async (query: string, variables: Record<string, unknown> = {}) => (await app.gql<any>(query, variables, accessToken)).body

const APP = crypto.randomUUID()
const OBJECT = crypto.randomUUID()
const NAME_FIELD = crypto.randomUUID()
const STAGE_FIELD = crypto.randomUUID()
const VIEW = crypto.randomUUID()
const SECOND_VIEW = crypto.randomUUID()
const uid = { field: crypto.randomUUID(), stageField: crypto.randomUUID(), filter: crypto.randomUUID(), sort: crypto.randomUUID(), standaloneField: crypto.randomUUID() }

const manifest = (view: Record<string, unknown>, extraViews: Array<Record<string, unknown>> = [], viewFields: Array<Record<string, unknown>> = []) => ({
  application: { universalIdentifier: APP, displayName: "Views app" },
  objects: [{
    universalIdentifier: OBJECT, nameSingular: "parcel", namePlural: "parcels", labelSingular: "Parcel", labelPlural: "Parcels",
    fields: [
      { universalIdentifier: NAME_FIELD, type: "TEXT", name: "name", label: "Name" },
      { universalIdentifier: STAGE_FIELD, type: "TEXT", name: "stage", label: "Stage" }
    ]
  }],
  views: [{ universalIdentifier: VIEW, name: "Open parcels", objectUniversalIdentifier: OBJECT, icon: "IconBox", position: 1, ...view }, ...extraViews],
  viewFields
})

const firstView = {
  fields: [{ universalIdentifier: uid.field, fieldMetadataUniversalIdentifier: NAME_FIELD, position: 0, isVisible: true, size: 180 }],
  filters: [{ universalIdentifier: uid.filter, fieldMetadataUniversalIdentifier: STAGE_FIELD, operand: "IS", value: "open" }],
  sorts: [{ universalIdentifier: uid.sort, fieldMetadataUniversalIdentifier: NAME_FIELD, direction: "ASC" }]
}

const sync = (m: unknown, dryRun = false) => gql(`mutation($m: JSON!, $d: Boolean) { syncApplication(manifest: $m, dryRun: $d) { actions } }`, { m, d: dryRun })

const APP_VIEW_NAMES = ["Open parcels", "Parcels to ship", "All parcels", "Never made"]

/** The workspace's views this app's manifests name (whatever object they are on). */
const appViews = async () => {
  const views = await gql(`{ getViews { id name icon key } }`)
  expect(views.errors).toBeUndefined()
  return views.data.getViews.filter((v: any) => APP_VIEW_NAMES.includes(v.name))
}

const partsOf = async (viewId: string) => {
  const answer = await gql(`query($v: String!) {
    getViewFields(viewId: $v) { id size isVisible fieldMetadataId }
    getViewFilters(viewId: $v) { id operand value }
    getViewSorts(viewId: $v) { id direction }
  }`, { v: viewId })
  expect(answer.errors).toBeUndefined()
  return answer.data
}

test("a dry run plans the view and its parts as actions and writes nothing", async () => {
  expect((await gql(`mutation($u: String!) { createDevelopmentApplication(universalIdentifier: $u, name: "Views app") { id } }`, { u: APP })).errors).toBeUndefined()
  const planned = await sync(manifest(firstView), true)
  expect(planned.errors).toBeUndefined()
  const actions = planned.data.syncApplication.actions.map((a: any) => `${a.type}:${a.metadataName}`)
  expect(actions).toEqual(expect.arrayContaining(["create:view", "create:viewField", "create:viewFilter", "create:viewSort"]))
  expect(actions.indexOf("create:view")).toBeGreaterThan(actions.indexOf("create:fieldMetadata"))
  expect(actions.indexOf("create:viewField")).toBeGreaterThan(actions.indexOf("create:view"))
  expect(await appViews()).toEqual([])
}, 60_000)

let viewId: string

test("the sync creates the view with its fields, filter and sort; a second sync plans nothing", async () => {
  const synced = await sync(manifest(firstView))
  expect(synced.errors).toBeUndefined()
  const views = await appViews()
  expect(views).toMatchObject([{ name: "Open parcels", icon: "IconBox" }])
  viewId = views[0].id
  const parts = await partsOf(viewId)
  expect(parts.getViewFields).toMatchObject([{ size: 180, isVisible: true }])
  expect(parts.getViewFilters).toMatchObject([{ operand: "IS", value: "open" }])
  expect(parts.getViewSorts).toMatchObject([{ direction: "ASC" }])
  expect((await sync(manifest(firstView), true)).data.syncApplication.actions).toEqual([])
}, 60_000)

test("a re-sync updates the view and its parts in place, adds and drops parts and views", async () => {
  const changed = {
    name: "Parcels to ship",
    fields: [
      { ...firstView.fields[0], size: 240 },
      { universalIdentifier: uid.stageField, fieldMetadataUniversalIdentifier: STAGE_FIELD, position: 1 }
    ],
    filters: [],
    sorts: [{ ...firstView.sorts[0], direction: "DESC" }]
  }
  const second = { universalIdentifier: SECOND_VIEW, name: "All parcels", objectUniversalIdentifier: OBJECT }
  const standalone = [{ universalIdentifier: uid.standaloneField, viewUniversalIdentifier: SECOND_VIEW, fieldMetadataUniversalIdentifier: NAME_FIELD, position: 0 }]
  const next = manifest(changed, [second], standalone)
  const planned = (await sync(next, true)).data.syncApplication.actions.map((a: any) => `${a.type}:${a.metadataName}`)
  expect(planned.sort()).toEqual(["create:view", "create:viewField", "create:viewField", "delete:viewFilter", "update:view", "update:viewField", "update:viewSort"].sort())
  expect((await sync(next)).errors).toBeUndefined()

  const views = await appViews()
  expect(views.map((v: any) => v.name).sort()).toEqual(["All parcels", "Parcels to ship"])
  expect(views.find((v: any) => v.name === "Parcels to ship").id).toBe(viewId)
  const parts = await partsOf(viewId)
  expect(parts.getViewFields).toHaveLength(2)
  expect(parts.getViewFields.map((f: any) => f.size)).toContain(240)
  expect(parts.getViewFilters).toEqual([])
  expect(parts.getViewSorts).toMatchObject([{ direction: "DESC" }])
  const secondParts = await partsOf(views.find((v: any) => v.name === "All parcels").id)
  expect(secondParts.getViewFields).toHaveLength(1)

  // Dropping the second view from the manifest deletes it (with its standalone field).
  expect((await sync(manifest(changed))).errors).toBeUndefined()
  expect((await appViews()).map((v: any) => v.name)).toEqual(["Parcels to ship"])
}, 60_000)

test("a view naming a field the object does not have rolls the whole sync back", async () => {
  const bad = manifest({ ...firstView, sorts: [{ universalIdentifier: crypto.randomUUID(), fieldMetadataUniversalIdentifier: crypto.randomUUID(), direction: "ASC" }] },
    [{ universalIdentifier: crypto.randomUUID(), name: "Never made", objectUniversalIdentifier: OBJECT }])
  const answer = await sync(bad)
  expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  expect((await appViews()).map((v: any) => v.name)).toEqual(["Parcels to ship"])
}, 60_000)

test("uninstalling the app removes its views, those on objects it does not own included", async () => {
  const objects = await gql(`{ objects(paging: { first: 200 }) { edges { node { id nameSingular } } } }`)
  const company = objects.data.objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === "company")
  // An object the app does not define is named by its id.
  const onCompanies = { universalIdentifier: crypto.randomUUID(), name: "Never made", objectUniversalIdentifier: company.id }
  expect((await sync(manifest(firstView, [onCompanies]))).errors).toBeUndefined()
  expect((await appViews()).map((v: any) => v.name).sort()).toEqual(["Never made", "Open parcels"])
  const answer = await gql(`mutation($u: String!) { uninstallApplication(universalIdentifier: $u) }`, { u: APP })
  expect(answer.errors).toBeUndefined()
  expect(await appViews()).toEqual([])
  const left = await gql(`query($v: String!) { getViewFields(viewId: $v) { id } }`, { v: viewId })
  expect(left.data?.getViewFields ?? []).toEqual([])
}, 60_000)
