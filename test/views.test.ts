/**
 * Twenty's saved views on /metadata (current Twenty: getViews, createView, ViewField, ViewFilter,
 * ViewFilterGroup, ViewSort, ViewGroup, ViewFieldGroup — the types of twenty-client-sdk's metadata client),
 * the standard views a workspace gets at provisioning, and Twenty's view permission rules
 * (view-permissions/services/view-access.service.ts), on real PostgreSQL and Redis.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { seedMissingViews } from "../src/platform/migrations/standard-views.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let member: { token: string }
let objects: Map<string, { id: string; fields: Map<string, string> }>

type Gql = { status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: any }> } }

const ok = (result: Gql) => {
  if (result.body.errors?.length) throw new Error(JSON.stringify(result.body.errors))
  return result.body.data
}
const refusal = (result: Gql) => {
  const error = result.body.errors?.[0]
  return error ? `${error.extensions?.code}: ${error.message}` : "allowed"
}

const sql = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, any>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run))

const addMember = (workspaceId: string, roleLabel: string) => addMemberWithRole(app, workspaceId, roleLabel)

const VIEW = `id name objectMetadataId type key icon position isCompact isCustom openRecordIn visibility
  kanbanAggregateOperation kanbanAggregateOperationFieldMetadataId mainGroupByFieldMetadataId createdByUserWorkspaceId deletedAt
  viewFields { id fieldMetadataId position size isVisible aggregateOperation }
  viewFilters { id fieldMetadataId operand value viewFilterGroupId }
  viewFilterGroups { id logicalOperator parentViewFilterGroupId }
  viewSorts { id fieldMetadataId direction }
  viewGroups { id fieldValue position isVisible }
  viewFieldGroups { id name }`

const getViews = async (token = owner.accessToken, args = "") =>
  ok(await app.gql(`{ getViews${args} { ${VIEW} } }`, {}, token)).getViews as any[]

const createView = (input: Record<string, unknown>, token = owner.accessToken) =>
  app.gql(`mutation($input: CreateViewInput!) { createView(input: $input) { ${VIEW} } }`, { input }, token)

const fieldName = (objectName: string, fieldId: string) =>
  [...objects.get(objectName)!.fields].find(([, id]) => id === fieldId)?.[0]

beforeAll(async () => {
  app = await startTestApp()
  owner = await signUpWithWorkspace(app)
  member = await addMember(owner.workspaceId, "Member")
  const list = ok(await app.gql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular fieldsList { id name } } } } }`, {}, owner.accessToken))
    .objects.edges.map((e: any) => e.node)
  objects = new Map(list.map((o: any) => [o.nameSingular, { id: o.id, fields: new Map(o.fieldsList.map((f: any) => [f.name, f.id])) }]))
}, 60_000)

afterAll(async () => {
  await app?.close()
})

describe("standard views at provisioning (twenty-standard-application compute-standard-*-views)", () => {
  test("a new workspace lists Twenty's standard views, index names resolved with the object's labelPlural", async () => {
    const views = await getViews()
    const names = views.map((v) => `${[...objects].find(([, o]) => o.id === v.objectMetadataId)![0]}:${v.name}:${v.type}:${v.key}`)
    expect(names.sort()).toEqual([
      "company:All Companies:TABLE:INDEX",
      "note:All Notes:TABLE:INDEX",
      "opportunity:All Opportunities:TABLE:INDEX",
      "opportunity:By Stage:KANBAN:null",
      "person:All People:TABLE:INDEX",
      "task:All Tasks:TABLE:INDEX",
      "task:Assigned to Me:TABLE:null",
      "task:By Status:KANBAN:null"
    ])
    expect(views.every((v) => v.isCustom === false && v.visibility === "WORKSPACE" && v.openRecordIn === "SIDE_PANEL")).toBe(true)
  })

  test("All Companies has Twenty's columns, sizes and aggregates, in order", async () => {
    const company = objects.get("company")!
    const [view] = await getViews(owner.accessToken, `(objectMetadataId: "${company.id}")`)
    expect(view.name).toBe("All Companies")
    expect(view.icon).toBe("IconList")
    expect(view.viewFields.map((f: any) => [fieldName("company", f.fieldMetadataId), f.position, f.size, f.aggregateOperation])).toEqual([
      ["name", 0, 180, null],
      ["domainName", 1, 100, "COUNT"],
      ["createdBy", 2, 150, null],
      ["accountOwner", 3, 150, null],
      ["createdAt", 4, 150, null],
      ["employees", 5, 150, "MAX"],
      ["linkedinLink", 6, 170, "PERCENTAGE_EMPTY"],
      ["address", 7, 170, "COUNT_NOT_EMPTY"]
    ])
  })

  test("opportunities' By Stage kanban groups by stage, sums amount, one visible group per stage option", async () => {
    const opportunity = objects.get("opportunity")!
    const [kanban] = await getViews(owner.accessToken, `(objectMetadataId: "${opportunity.id}", viewTypes: [KANBAN])`)
    expect(kanban.name).toBe("By Stage")
    expect(kanban.mainGroupByFieldMetadataId).toBe(opportunity.fields.get("stage")!)
    expect(kanban.kanbanAggregateOperation).toBe("SUM")
    expect(kanban.kanbanAggregateOperationFieldMetadataId).toBe(opportunity.fields.get("amount")!)
    expect(kanban.viewGroups.map((g: any) => [g.fieldValue, g.position, g.isVisible])).toEqual([
      ["NEW", 0, true],
      ["SCREENING", 1, true],
      ["MEETING", 2, true],
      ["PROPOSAL", 3, true],
      ["CUSTOMER", 4, true]
    ])
    expect(kanban.viewFields.map((f: any) => fieldName("opportunity", f.fieldMetadataId)))
      .toEqual(["name", "amount", "createdBy", "closeDate", "company", "pointOfContact"])
  })

  test("a custom object gets its index view, named after its labelPlural even once renamed", async () => {
    const rocket = ok(await app.gql(
      `mutation { createOneObject(input: { object: { nameSingular: "rocket", namePlural: "rockets", labelSingular: "Rocket", labelPlural: "Rockets" } }) { id fieldsList { id name } } }`,
      {},
      owner.accessToken
    )).createOneObject
    const names = new Map<string, string>(rocket.fieldsList.map((f: any) => [f.id, f.name]))
    const [view] = await getViews(owner.accessToken, `(objectMetadataId: "${rocket.id}")`)
    expect(view).toMatchObject({ name: "All Rockets", type: "TABLE", key: "INDEX", icon: "IconList" })
    expect(view.viewFields.map((f: any) => [names.get(f.fieldMetadataId), f.position])).toEqual([["name", 0], ["createdBy", 1], ["createdAt", 2]])
    ok(await app.gql(
      `mutation($id: UUID!) { updateOneObject(input: { id: $id, update: { labelPlural: "Spaceships", labelSingular: "Spaceship" } }) { id } }`,
      { id: rocket.id },
      owner.accessToken
    ))
    expect((await getViews(owner.accessToken, `(objectMetadataId: "${rocket.id}")`))[0].name).toBe("All Spaceships")
  })

  test("updateManyViewGroups reorders the kanban's columns, all or none", async () => {
    const kanban = (await getViews(owner.accessToken, `(viewTypes: [KANBAN])`)).find((v) => v.name === "By Stage")
    const groups = kanban.viewGroups as Array<{ id: string; fieldValue: string }>
    const reversed = groups.map((g, i) => ({ id: g.id, update: { position: groups.length - 1 - i } }))
    const UPDATE_MANY = `mutation($inputs: [UpdateViewGroupInput!]!) { updateManyViewGroups(inputs: $inputs) { id position } }`
    // One unknown id: nothing moves.
    expect(refusal(await app.gql(UPDATE_MANY, { inputs: [...reversed, { id: crypto.randomUUID(), update: { position: 9 } }] }, owner.accessToken)))
      .toStartWith("NOT_FOUND: View group")
    expect((await getViews(owner.accessToken, `(viewTypes: [KANBAN])`)).find((v) => v.id === kanban.id).viewGroups.map((g: any) => g.fieldValue))
      .toEqual(groups.map((g) => g.fieldValue))
    ok(await app.gql(UPDATE_MANY, { inputs: reversed }, owner.accessToken))
    const [after] = (await getViews(owner.accessToken, `(viewTypes: [KANBAN])`)).filter((v) => v.id === kanban.id)
    expect(after.viewGroups.map((g: any) => g.fieldValue)).toEqual(groups.map((g) => g.fieldValue).reverse())
  })

  test("tasks' Assigned to Me: grouped by status (empty group last), filtered on the current workspace member", async () => {
    const task = objects.get("task")!
    const mine = (await getViews(owner.accessToken, `(objectMetadataId: "${task.id}")`)).find((v) => v.name === "Assigned to Me")
    expect(mine.mainGroupByFieldMetadataId).toBe(task.fields.get("status")!)
    expect(mine.viewGroups.map((g: any) => g.fieldValue)).toEqual(["TODO", "IN_PROGRESS", "DONE", ""])
    expect(mine.viewFilters.map((f: any) => [fieldName("task", f.fieldMetadataId), f.operand, JSON.parse(f.value)])).toEqual([
      ["assignee", "IS", { isCurrentWorkspaceMemberSelected: true, selectedRecordIds: [] }]
    ])
  })

  test("the seeding the migration runs for existing workspaces is idempotent and restores missing standard and custom-object views", async () => {
    const count = async () =>
      (await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core.view WHERE "workspaceId" = ${owner.workspaceId}`))[0]!.n
    const before = await count()
    await app.run(seedMissingViews(null))
    expect(await count()).toBe(before)
    await sql((s) => s`DELETE FROM core.view WHERE "workspaceId" = ${owner.workspaceId} AND (name = 'By Stage' OR key = 'INDEX' AND "isCustom" = false
      AND "objectMetadataId" IN (SELECT id FROM core."objectMetadata" WHERE "nameSingular" = 'rocket'))`)
    expect(await count()).toBe(before - 2)
    await app.run(seedMissingViews(null))
    expect(await count()).toBe(before)
    const kanban = (await getViews(owner.accessToken, `(viewTypes: [KANBAN])`)).find((v) => v.name === "By Stage")
    expect(kanban.viewGroups).toHaveLength(5)
  })
})

describe("views, fields, filters, sorts (view-v2 services)", () => {
  test("create a view, add and reorder its fields, filter and sort it, then delete and destroy", async () => {
    const person = objects.get("person")!
    const view = ok(await createView({ name: "My people", objectMetadataId: person.id, icon: "IconUser" })).createView
    expect(view).toMatchObject({ name: "My people", type: "TABLE", key: null, isCustom: true, position: 0, visibility: "WORKSPACE" })
    expect(view.viewFields).toEqual([])

    const fields = ok(await app.gql(
      `mutation($inputs: [CreateViewFieldInput!]!) { createManyViewFields(inputs: $inputs) { id fieldMetadataId position size isVisible } }`,
      {
        inputs: [
          { viewId: view.id, fieldMetadataId: person.fields.get("name"), position: 0, size: 200 },
          { viewId: view.id, fieldMetadataId: person.fields.get("jobTitle"), position: 1 }
        ]
      },
      owner.accessToken
    )).createManyViewFields
    expect(fields.map((f: any) => [f.position, f.size, f.isVisible])).toEqual([[0, 200, true], [1, 0, true]])

    // Reorder: jobTitle first.
    ok(await app.gql(
      `mutation($input: UpdateViewFieldInput!) { updateViewField(input: $input) { id position } }`,
      { input: { id: fields[1].id, update: { position: -1, isVisible: false } } },
      owner.accessToken
    ))
    const reordered = ok(await app.gql(`query($id: String!) { getViewFields(viewId: $id) { fieldMetadataId isVisible } }`, { id: view.id }, owner.accessToken))
      .getViewFields
    expect(reordered.map((f: any) => [fieldName("person", f.fieldMetadataId), f.isVisible])).toEqual([["jobTitle", false], ["name", true]])

    const group = ok(await app.gql(
      `mutation($input: CreateViewFilterGroupInput!) { createViewFilterGroup(input: $input) { id logicalOperator } }`,
      { input: { viewId: view.id, logicalOperator: "OR" } },
      owner.accessToken
    )).createViewFilterGroup
    expect(group.logicalOperator).toBe("OR")
    const filter = ok(await app.gql(
      `mutation($input: CreateViewFilterInput!) { createViewFilter(input: $input) { id operand value viewFilterGroupId } }`,
      { input: { viewId: view.id, fieldMetadataId: person.fields.get("jobTitle"), operand: "CONTAINS", value: "CEO", viewFilterGroupId: group.id } },
      owner.accessToken
    )).createViewFilter
    expect(filter).toMatchObject({ operand: "CONTAINS", value: "CEO", viewFilterGroupId: group.id })
    const sort = ok(await app.gql(
      `mutation($input: CreateViewSortInput!) { createViewSort(input: $input) { id direction } }`,
      { input: { viewId: view.id, fieldMetadataId: person.fields.get("createdAt"), direction: "DESC" } },
      owner.accessToken
    )).createViewSort
    expect(sort.direction).toBe("DESC")

    const [loaded] = (await getViews()).filter((v) => v.id === view.id)
    expect(loaded.viewFilters).toHaveLength(1)
    expect(loaded.viewFilterGroups).toHaveLength(1)
    expect(loaded.viewSorts).toHaveLength(1)

    const deleted = ok(await app.gql(
      `mutation($input: DeleteViewFilterInput!) { deleteViewFilter(input: $input) { id deletedAt } }`,
      { input: { id: filter.id } },
      owner.accessToken
    )).deleteViewFilter
    expect(deleted.deletedAt).not.toBeNull()
    expect(ok(await app.gql(`query($id: String!) { getViewFilters(viewId: $id) { id } }`, { id: view.id }, owner.accessToken)).getViewFilters)
      .toEqual([])
    expect(ok(await app.gql(`mutation($input: DestroyViewSortInput!) { destroyViewSort(input: $input) }`, { input: { id: sort.id } }, owner.accessToken)))
      .toEqual({ destroyViewSort: true })
    expect(ok(await app.gql(`query($id: String!) { getViewSort(id: $id) { id } }`, { id: sort.id }, owner.accessToken)).getViewSort).toBeNull()

    expect(ok(await app.gql(`mutation($id: String!) { deleteView(id: $id) }`, { id: view.id }, owner.accessToken))).toEqual({ deleteView: true })
    expect((await getViews()).some((v) => v.id === view.id)).toBe(false)
    expect(ok(await app.gql(`mutation($id: String!) { destroyView(id: $id) }`, { id: view.id }, owner.accessToken))).toEqual({ destroyView: true })
    const [left] = await sql<{ n: number }>((s) => s`SELECT count(*)::int AS n FROM core."viewField" WHERE "viewId" = ${view.id}`)
    expect(left!.n).toBe(0)
  })

  test("refusals: unknown ids, a field of another object, a duplicate column, a second INDEX view", async () => {
    const person = objects.get("person")!
    const company = objects.get("company")!
    const unknown = crypto.randomUUID()
    expect(refusal(await app.gql(`mutation($id: String!) { updateView(id: $id, input: { name: "x" }) { id } }`, { id: unknown }, owner.accessToken)))
      .toBe(`NOT_FOUND: View (id: ${unknown}) not found`)
    expect(ok(await app.gql(`{ getView(id: "not-a-uuid") { id } }`, {}, owner.accessToken)).getView).toBeNull()
    expect(refusal(await app.gql(
      `mutation($input: UpdateViewFieldInput!) { updateViewField(input: $input) { id } }`,
      { input: { id: unknown, update: { position: 1 } } },
      owner.accessToken
    ))).toBe(`NOT_FOUND: View field (id: ${unknown}) not found`)

    const [allPeople] = await getViews(owner.accessToken, `(objectMetadataId: "${person.id}")`)
    expect(refusal(await app.gql(
      `mutation($input: CreateViewFieldInput!) { createViewField(input: $input) { id } }`,
      { input: { viewId: allPeople.id, fieldMetadataId: company.fields.get("domainName") } },
      owner.accessToken
    ))).toBe("BAD_USER_INPUT: Field metadata not found")
    expect(refusal(await app.gql(
      `mutation($input: CreateViewFieldInput!) { createViewField(input: $input) { id } }`,
      { input: { viewId: allPeople.id, fieldMetadataId: person.fields.get("name") } },
      owner.accessToken
    ))).toBe("BAD_USER_INPUT: View field already exists")
    expect(refusal(await createView({ name: "Another index", objectMetadataId: person.id, icon: "IconList", key: "INDEX" })))
      .toBe("BAD_USER_INPUT: An INDEX view already exists for this object")
    expect(refusal(await createView({ name: "x", objectMetadataId: unknown, icon: "IconList" })))
      .toBe("BAD_USER_INPUT: Object metadata not found")
    const group = ok(await app.gql(
      `mutation($input: CreateViewFieldGroupInput!) { createViewFieldGroup(input: $input) { id name viewFields { id } isOverridden } }`,
      { input: { viewId: allPeople.id, name: "General" } },
      owner.accessToken
    )).createViewFieldGroup
    expect(group).toMatchObject({ name: "General", viewFields: [], isOverridden: false })
    expect(refusal(await app.gql(
      `mutation($input: UpdateViewFieldGroupInput!) { updateViewFieldGroup(input: $input) { id } }`,
      { input: { id: group.id, update: { deletedAt: "not a date" } } },
      owner.accessToken
    ))).toBe("BAD_USER_INPUT: Invalid view field group data")
    expect(refusal(await app.gql(
      `mutation($input: CreateViewFilterInput!) { createViewFilter(input: $input) { id } }`,
      { input: { viewId: allPeople.id, fieldMetadataId: person.fields.get("name"), operand: null, value: "x" } },
      owner.accessToken
    ))).toBe("BAD_USER_INPUT: Invalid view filter data")
  })

  test("FlatViewValidatorService rules: a kanban groups by a SELECT or many-to-one field; an object keeps one view", async () => {
    const opportunity = objects.get("opportunity")!
    expect(refusal(await createView({ name: "K", objectMetadataId: opportunity.id, icon: "IconLayoutKanban", type: "KANBAN" })))
      .toBe("BAD_USER_INPUT: Kanban view must have a main group by field")
    expect(refusal(await createView({
      name: "K",
      objectMetadataId: opportunity.id,
      icon: "IconLayoutKanban",
      type: "KANBAN",
      mainGroupByFieldMetadataId: opportunity.fields.get("name")
    }))).toBe("BAD_USER_INPUT: Kanban main group by field must be a SELECT or a many-to-one relation field")
    expect(refusal(await createView({
      name: "K",
      objectMetadataId: opportunity.id,
      icon: "IconLayoutKanban",
      type: "KANBAN",
      mainGroupByFieldMetadataId: objects.get("company")!.fields.get("name")
    }))).toBe("BAD_USER_INPUT: Kanban main group by field metadata not found")
    const byCompany = ok(await createView({
      name: "By company",
      objectMetadataId: opportunity.id,
      icon: "IconLayoutKanban",
      type: "KANBAN",
      mainGroupByFieldMetadataId: opportunity.fields.get("company")
    })).createView
    expect(byCompany.type).toBe("KANBAN")
    const [table] = await getViews(owner.accessToken, `(objectMetadataId: "${opportunity.id}", viewTypes: [TABLE])`)
    expect(refusal(await app.gql(`mutation($id: String!) { updateView(id: $id, input: { type: KANBAN }) { id } }`, { id: table.id }, owner.accessToken)))
      .toBe("BAD_USER_INPUT: Kanban view must have a main group by field")

    const rocket = objects.get("rocket") ??
      { id: ok(await app.gql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular } } } }`, {}, owner.accessToken))
        .objects.edges.map((e: any) => e.node).find((o: any) => o.nameSingular === "rocket").id }
    const [only] = await getViews(owner.accessToken, `(objectMetadataId: "${rocket.id}")`)
    expect(refusal(await app.gql(`mutation($id: String!) { deleteView(id: $id) }`, { id: only.id }, owner.accessToken)))
      .toBe("BAD_USER_INPUT: Cannot delete the only view for this object")
    expect(refusal(await app.gql(`mutation($id: String!) { destroyView(id: $id) }`, { id: only.id }, owner.accessToken)))
      .toBe("BAD_USER_INPUT: Cannot delete the only view for this object")
  })
})

describe("the Core-era names (getCoreViews, createCoreViewField, … as Twenty's front of late 2025 sends them)", () => {
  // twenty-front src/modules/views/graphql: FIND_ALL_CORE_VIEWS and its fragments on CoreView, CoreViewField, …
  const FIND_ALL_CORE_VIEWS = /* GraphQL */ `
    fragment ViewFieldFragment on CoreViewField { id fieldMetadataId viewId isVisible position size aggregateOperation createdAt updatedAt deletedAt }
    fragment ViewFilterFragment on CoreViewFilter {
      id fieldMetadataId operand value viewFilterGroupId positionInViewFilterGroup subFieldName viewId createdAt updatedAt deletedAt }
    fragment ViewFilterGroupFragment on CoreViewFilterGroup { id parentViewFilterGroupId logicalOperator positionInViewFilterGroup viewId }
    fragment ViewSortFragment on CoreViewSort { id fieldMetadataId direction viewId }
    fragment ViewGroupFragment on CoreViewGroup { id fieldMetadataId isVisible fieldValue position viewId }
    fragment ViewFragment on CoreView {
      id name objectMetadataId type key icon position isCompact openRecordIn kanbanAggregateOperation
      kanbanAggregateOperationFieldMetadataId mainGroupByFieldMetadataId shouldHideEmptyGroups anyFieldFilterValue
      calendarFieldMetadataId calendarLayout visibility createdByUserWorkspaceId
      viewFields { ...ViewFieldFragment } viewFilters { ...ViewFilterFragment } viewFilterGroups { ...ViewFilterGroupFragment }
      viewSorts { ...ViewSortFragment } viewGroups { ...ViewGroupFragment }
    }
    query FindAllCoreViews($viewTypes: [ViewType!]) { getCoreViews(viewTypes: $viewTypes) { ...ViewFragment } }`

  test("getCoreViews answers the same views as getViews", async () => {
    const core = ok(await app.gql(FIND_ALL_CORE_VIEWS, {}, owner.accessToken)).getCoreViews
    const current = await getViews()
    expect(core.map((v: any) => [v.id, v.name, v.viewFields.length])).toEqual(current.map((v) => [v.id, v.name, v.viewFields.length]))
    const kanban = ok(await app.gql(FIND_ALL_CORE_VIEWS, { viewTypes: ["KANBAN"] }, owner.accessToken)).getCoreViews
    expect(kanban.map((v: any) => v.name)).toEqual((await getViews(owner.accessToken, "(viewTypes: [KANBAN])")).map((v) => v.name))
    expect(kanban.map((v: any) => v.name)).toContain("By Stage")
  })

  test("createCoreView, createCoreViewField, updateCoreViewField and destroyCoreView", async () => {
    const company = objects.get("company")!
    const view = ok(await app.gql(
      `mutation($input: CreateViewInput!) { createCoreView(input: $input) { id name } }`,
      { input: { name: "Core era", objectMetadataId: company.id, icon: "IconList" } },
      owner.accessToken
    )).createCoreView
    const field = ok(await app.gql(
      `mutation($input: CreateViewFieldInput!) { createCoreViewField(input: $input) { id position } }`,
      { input: { viewId: view.id, fieldMetadataId: company.fields.get("name"), position: 3 } },
      owner.accessToken
    )).createCoreViewField
    const moved = ok(await app.gql(
      `mutation($input: UpdateViewFieldInput!) { updateCoreViewField(input: $input) { id position } }`,
      { input: { id: field.id, update: { position: 1 } } },
      owner.accessToken
    )).updateCoreViewField
    expect(moved.position).toBe(1)
    expect(ok(await app.gql(`mutation($id: String!) { destroyCoreView(id: $id) }`, { id: view.id }, owner.accessToken)))
      .toEqual({ destroyCoreView: true })
  })
})

describe("minimalMetadata (Twenty's minimal-metadata.service.ts, what its front boots on)", () => {
  const MINIMAL = `{ minimalMetadata {
    objectMetadataItems { id nameSingular namePlural labelSingular labelPlural icon color isActive isSystem isRemote }
    views { id type key objectMetadataId }
    collectionHashes { collectionName hash } } }`
  const minimal = async (token = owner.accessToken) => ok(await app.gql(MINIMAL, {}, token)).minimalMetadata
  const hashOf = (m: any, name: string) => m.collectionHashes.find((h: any) => h.collectionName === name)?.hash

  test("active objects, the listable views, and a hash per collection that moves when the collection changes", async () => {
    const before = await minimal()
    expect(before.objectMetadataItems.find((o: any) => o.nameSingular === "company"))
      .toMatchObject({ namePlural: "companies", labelPlural: "Companies", isActive: true, isSystem: false, isRemote: false })
    expect(before.views.map((v: any) => v.id).sort()).toEqual((await getViews()).map((v) => v.id).sort())
    const created = ok(await createView({ name: "Hash probe", objectMetadataId: objects.get("company")!.id, icon: "IconList" })).createView
    const after = await minimal()
    expect(hashOf(after, "view")).not.toBe(hashOf(before, "view"))
    expect(hashOf(after, "viewField")).toBe(hashOf(before, "viewField"))
    expect(hashOf(after, "objectMetadata")).toBe(hashOf(before, "objectMetadata"))
    expect(after.views.some((v: any) => v.id === created.id && v.type === "TABLE" && v.key === null)).toBe(true)
  })
})

describe("view permissions (Twenty's ViewAccessService)", () => {
  test("a member without VIEWS lists views but may not create or change workspace views", async () => {
    const company = objects.get("company")!
    expect((await getViews(member.token)).length).toBe((await getViews()).length)
    expect(refusal(await createView({ name: "Team view", objectMetadataId: company.id, icon: "IconList" }, member.token)))
      .toBe("FORBIDDEN: You do not have permission to create workspace-level views")
    const [allCompanies] = await getViews(member.token, `(objectMetadataId: "${company.id}")`)
    expect(refusal(await app.gql(`mutation($id: String!) { updateView(id: $id, input: { name: "Mine" }) { id } }`, { id: allCompanies.id }, member.token)))
      .toBe("FORBIDDEN: You do not have permission to modify this view")
    expect(refusal(await app.gql(
      `mutation($input: UpdateViewFieldInput!) { updateViewField(input: $input) { id } }`,
      { input: { id: allCompanies.viewFields[0].id, update: { size: 1 } } },
      member.token
    ))).toBe("FORBIDDEN: You do not have permission to modify this view")
  })

  test("a member's UNLISTED view is theirs: listed for them only, editable by them and by VIEWS holders", async () => {
    const company = objects.get("company")!
    const mine = ok(await createView({ name: "Only mine", objectMetadataId: company.id, icon: "IconList", visibility: "UNLISTED" }, member.token))
      .createView
    expect(mine.createdByUserWorkspaceId).not.toBeNull()
    expect((await getViews(member.token)).some((v) => v.id === mine.id)).toBe(true)
    expect((await getViews()).some((v) => v.id === mine.id)).toBe(false)
    // Reached by link, whatever its visibility.
    expect(ok(await app.gql(`query($id: String!) { getView(id: $id) { id name } }`, { id: mine.id }, owner.accessToken)).getView.name)
      .toBe("Only mine")
    ok(await app.gql(
      `mutation($input: CreateViewFieldInput!) { createViewField(input: $input) { id } }`,
      { input: { viewId: mine.id, fieldMetadataId: company.fields.get("name") } },
      member.token
    ))
    // Turning it into a workspace view needs VIEWS.
    expect(refusal(await app.gql(`mutation($id: String!) { updateView(id: $id, input: { visibility: WORKSPACE }) { id } }`, { id: mine.id }, member.token)))
      .toBe("FORBIDDEN: You do not have permission to create workspace-level views")
    const renamed = ok(await app.gql(`mutation($id: String!) { updateView(id: $id, input: { name: "Renamed" }) { name } }`, { id: mine.id }, owner.accessToken))
    expect(renamed.updateView.name).toBe("Renamed")
  })

  test("an API key creates workspace views with VIEWS, never UNLISTED ones", async () => {
    const key = await createApiKey(app, owner.accessToken)
    const company = objects.get("company")!
    expect(refusal(await createView({ name: "Key unlisted", objectMetadataId: company.id, icon: "IconList", visibility: "UNLISTED" }, key.token)))
      .toBe("FORBIDDEN: You do not have permission to create workspace-level views")
    const created = ok(await createView({ name: "Key view", objectMetadataId: company.id, icon: "IconList" }, key.token)).createView
    expect(created).toMatchObject({ visibility: "WORKSPACE", createdByUserWorkspaceId: null })
  })
})
