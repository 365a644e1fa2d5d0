/**
 * Roles and permissions management on /metadata (Twenty's role resolver), settings flags on every
 * settings door, role assignment rules and ownership, on real PostgreSQL and Redis.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { CURRENT_WORKSPACE_MEMBER } from "../src/domain/permissions.js"
import { Cache } from "../src/platform/cache/index.js"
import { Revocations } from "../src/services/revocations/index.js"
import { workspaceCacheKey } from "../src/services/workspace/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let other: Awaited<ReturnType<typeof signUpWithWorkspace>>

type Gql = { status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: any }> } }

const ok = (result: Gql) => {
  if (result.body.errors?.length) throw new Error(JSON.stringify(result.body.errors))
  return result.body.data
}
const refusal = (result: Gql) => {
  const error = result.body.errors?.[0]
  return error ? `${error.extensions?.code}/${error.extensions?.subCode ?? "-"}` : "allowed"
}

const sql = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, any>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run))

const addMember = (workspaceId: string, roleLabel: string) => addMemberWithRole(app, workspaceId, roleLabel)

const ROLE_FIELDS = `id label isEditable canUpdateAllSettings canReadAllObjectRecords canUpdateAllObjectRecords
  canSoftDeleteAllObjectRecords canDestroyAllObjectRecords
  permissionFlags { flag } objectPermissions { objectMetadataId canReadObjectRecords canUpdateObjectRecords restrictedFields }
  fieldPermissions { fieldMetadataId canReadFieldValue canUpdateFieldValue } rowPermissions { objectMetadataId filter }
  workspaceMembers { id userEmail isOwner } apiKeys { id name }`

const roles = async (token = owner.accessToken) => ok(await app.gql(`{ getRoles { ${ROLE_FIELDS} } }`, {}, token)).getRoles as any[]
const roleNamed = async (label: string, token = owner.accessToken) => (await roles(token)).find((r) => r.label === label)

const createRole = (input: Record<string, unknown>, token = owner.accessToken) =>
  app.gql(`mutation($input: CreateRoleInput!) { createOneRole(createRoleInput: $input) { ${ROLE_FIELDS} } }`, { input }, token)

const objectId = async (name: string, token = owner.accessToken) => {
  const objects = ok(await app.gql(`{ objects(paging: { first: 100 }) { edges { node { id nameSingular fieldsList { id name } } } } }`, {}, token))
    .objects.edges.map((e: any) => e.node)
  return objects.find((o: any) => o.nameSingular === name) as { id: string; fieldsList: Array<{ id: string; name: string }> }
}

const upsertFlags = (roleId: string, flags: Array<string>, token = owner.accessToken) =>
  app.gql(
    `mutation($input: UpsertPermissionFlagsInput!) { upsertPermissionFlags(upsertPermissionFlagsInput: $input) { flag roleId } }`,
    { input: { roleId, permissionFlagKeys: flags } },
    token
  )

const setMemberRole = (workspaceMemberId: string, roleId: string, token = owner.accessToken) =>
  app.gql(
    `mutation($m: UUID!, $r: UUID!) { updateWorkspaceMemberRole(workspaceMemberId: $m, roleId: $r) { id isOwner roles { label } } }`,
    { m: workspaceMemberId, r: roleId },
    token
  )

const createObject = (nameSingular: string, token: string) =>
  app.gql(
    `mutation($o: CreateObjectInput!) { createOneObject(input: { object: $o }) { id nameSingular } }`,
    { o: { nameSingular, namePlural: `${nameSingular}s`, labelSingular: nameSingular, labelPlural: `${nameSingular}s` } },
    token
  )

beforeAll(async () => {
  app = await startTestApp()
  owner = await signUpWithWorkspace(app, { name: "Roles Inc" })
  other = await signUpWithWorkspace(app, { name: "Elsewhere" })
})
afterAll(() => app.close())

describe("getRoles", () => {
  test("lists the standard roles with their permissions, members and API keys; the owner is marked", async () => {
    const key = await createApiKey(app, owner.accessToken, "listed")
    const list = await roles()
    expect(list.map((r) => r.label).sort()).toEqual(["Admin", "Guest", "Member"])
    const admin = list.find((r) => r.label === "Admin")
    expect(admin).toMatchObject({ isEditable: false, canUpdateAllSettings: true, permissionFlags: [], objectPermissions: [] })
    expect(admin.workspaceMembers).toEqual([expect.objectContaining({ userEmail: owner.email, isOwner: true })])
    expect(admin.apiKeys.map((k: any) => k.id)).toContain(key.id)
    expect(list.find((r) => r.label === "Guest")).toMatchObject({ isEditable: false, canReadAllObjectRecords: true, canUpdateAllObjectRecords: false })
  })

  test("currentUser's workspace member carries its role and ownership", async () => {
    const me = ok(await app.gql(`{ currentUser { workspaceMember { userEmail isOwner roles { label } } } }`, {}, owner.accessToken))
    expect(me.currentUser.workspaceMember).toEqual({ userEmail: owner.email, isOwner: true, roles: [{ label: "Admin" }] })
  })
})

describe("createOneRole and updateOneRole", () => {
  test("creates a role with Twenty's defaults and refuses a taken label", async () => {
    const created = ok(await createRole({ label: "Sales", description: "Sales team", canReadAllObjectRecords: true }))
    expect(created.createOneRole).toMatchObject({
      label: "Sales",
      isEditable: true,
      canReadAllObjectRecords: true,
      canUpdateAllObjectRecords: false,
      canUpdateAllSettings: false,
      permissionFlags: [],
      workspaceMembers: []
    })
    expect(refusal(await createRole({ label: "Sales" }))).toBe("FORBIDDEN/ROLE_LABEL_ALREADY_EXISTS")
    expect(refusal(await createRole({ label: "Admin" }))).toBe("FORBIDDEN/ROLE_LABEL_ALREADY_EXISTS")
    expect(refusal(await createRole({ label: "  " }))).toBe("BAD_USER_INPUT/-")
  })

  test("update implies read, soft-delete and destroy imply update", async () => {
    expect(refusal(await createRole({ label: "Blind writer", canReadAllObjectRecords: false, canUpdateAllObjectRecords: true })))
      .toBe("BAD_USER_INPUT/CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION")
    expect(refusal(await createRole({ label: "Deleter", canReadAllObjectRecords: true, canDestroyAllObjectRecords: true })))
      .toBe("BAD_USER_INPUT/INVALID_ARG_PERMISSIONS")
    expect(await roleNamed("Blind writer")).toBeUndefined()
  })

  test("updates an editable role; Admin and Guest are not editable; unknown or foreign ids are not found", async () => {
    const sales = await roleNamed("Sales")
    const update = (id: string, patch: Record<string, unknown>, token = owner.accessToken) =>
      app.gql(
        `mutation($input: UpdateRoleInput!) { updateOneRole(updateRoleInput: $input) { id label canUpdateAllObjectRecords } }`,
        { input: { id, update: patch } },
        token
      )
    expect(ok(await update(sales.id, { label: "Sales EU", canUpdateAllObjectRecords: true })).updateOneRole)
      .toEqual({ id: sales.id, label: "Sales EU", canUpdateAllObjectRecords: true })
    expect(refusal(await update(sales.id, { canReadAllObjectRecords: false })))
      .toBe("BAD_USER_INPUT/CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION")
    expect(refusal(await update((await roleNamed("Admin")).id, { label: "Boss" }))).toBe("FORBIDDEN/ROLE_NOT_EDITABLE")
    expect(refusal(await update((await roleNamed("Guest")).id, { canUpdateAllObjectRecords: true }))).toBe("FORBIDDEN/ROLE_NOT_EDITABLE")
    expect(refusal(await update(crypto.randomUUID(), { label: "x" }))).toBe("NOT_FOUND/ROLE_NOT_FOUND")
    const foreign = (await roles(other.accessToken)).find((r) => r.label === "Member")
    expect(refusal(await update(foreign.id, { label: "Hijacked" }))).toBe("NOT_FOUND/ROLE_NOT_FOUND")
    expect((await roles(other.accessToken)).map((r) => r.label)).toContain("Member")
    expect(refusal(await update(sales.id, { label: "Member" }))).toBe("FORBIDDEN/ROLE_LABEL_ALREADY_EXISTS")
  })
})

describe("object, field, flag and row permissions", () => {
  test("upsertObjectPermissions overrides per object, with Twenty's consistency rules", async () => {
    const role = ok(await createRole({ label: "Objects", canReadAllObjectRecords: true, canUpdateAllObjectRecords: true })).createOneRole
    const company = await objectId("company")
    const upsert = (objectPermissions: Array<Record<string, unknown>>, roleId = role.id) =>
      app.gql(
        `mutation($input: UpsertObjectPermissionsInput!) { upsertObjectPermissions(upsertObjectPermissionsInput: $input) {
          objectMetadataId canReadObjectRecords canUpdateObjectRecords canSoftDeleteObjectRecords canDestroyObjectRecords } }`,
        { input: { roleId, objectPermissions } },
        owner.accessToken
      )
    expect(ok(await upsert([{ objectMetadataId: company.id, canUpdateObjectRecords: false }])).upsertObjectPermissions).toEqual([{
      objectMetadataId: company.id,
      canReadObjectRecords: null,
      canUpdateObjectRecords: false,
      canSoftDeleteObjectRecords: null,
      canDestroyObjectRecords: null
    }])
    expect(refusal(await upsert([{ objectMetadataId: company.id, canReadObjectRecords: false, canUpdateObjectRecords: true }])))
      .toBe("BAD_USER_INPUT/CANNOT_GIVE_WRITING_PERMISSION_ON_NON_READABLE_OBJECT")
    // canUpdate stays false from the stored row: destroy without update is refused.
    expect(refusal(await upsert([{ objectMetadataId: company.id, canDestroyObjectRecords: true }]))).toBe("BAD_USER_INPUT/INVALID_ARG_PERMISSIONS")
    expect(refusal(await upsert([{ objectMetadataId: crypto.randomUUID(), canReadObjectRecords: true }])))
      .toBe("NOT_FOUND/OBJECT_METADATA_NOT_FOUND_PERMISSIONS")
    expect(refusal(await upsert([{ objectMetadataId: company.id, canReadObjectRecords: true }], (await roleNamed("Admin")).id)))
      .toBe("FORBIDDEN/ROLE_NOT_EDITABLE")
    const foreignObject = await objectId("company", other.accessToken)
    expect(refusal(await upsert([{ objectMetadataId: foreignObject.id, canReadObjectRecords: true }])))
      .toBe("NOT_FOUND/OBJECT_METADATA_NOT_FOUND_PERMISSIONS")
    // A role-wide change that would make the override inconsistent is refused too.
    const update = await app.gql(
      `mutation($input: UpdateRoleInput!) { updateOneRole(updateRoleInput: $input) { id } }`,
      { input: { id: role.id, update: { canUpdateAllObjectRecords: false, canReadAllObjectRecords: true } } },
      owner.accessToken
    )
    expect(refusal(update)).toBe("allowed")
    expect((await roleNamed("Objects")).objectPermissions).toEqual([expect.objectContaining({ objectMetadataId: company.id, canUpdateObjectRecords: false })])
  })

  test("upsertFieldPermissions stores restrictions only, and null/null removes one", async () => {
    const role = await roleNamed("Objects")
    const company = await objectId("company")
    const employees = company.fieldsList.find((f) => f.name === "employees")!
    const upsert = (fieldPermissions: Array<Record<string, unknown>>) =>
      app.gql(
        `mutation($input: UpsertFieldPermissionsInput!) { upsertFieldPermissions(upsertFieldPermissionsInput: $input) {
          fieldMetadataId canReadFieldValue canUpdateFieldValue } }`,
        { input: { roleId: role.id, fieldPermissions } },
        owner.accessToken
      )
    const field = { objectMetadataId: company.id, fieldMetadataId: employees.id }
    expect(ok(await upsert([{ ...field, canReadFieldValue: false, canUpdateFieldValue: false }])).upsertFieldPermissions)
      .toEqual([{ fieldMetadataId: employees.id, canReadFieldValue: false, canUpdateFieldValue: false }])
    const listed = await roleNamed("Objects")
    expect(listed.objectPermissions[0].restrictedFields).toEqual({ [employees.id]: { canRead: false, canUpdate: false } })
    expect(refusal(await upsert([{ ...field, canReadFieldValue: true }]))).toBe("BAD_USER_INPUT/ONLY_FIELD_RESTRICTION_ALLOWED")
    expect(refusal(await upsert([{ ...field, canUpdateFieldValue: null }])))
      .toBe("BAD_USER_INPUT/CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION")
    expect(refusal(await upsert([{ objectMetadataId: company.id, fieldMetadataId: crypto.randomUUID(), canReadFieldValue: false, canUpdateFieldValue: false }])))
      .toBe("NOT_FOUND/FIELD_METADATA_NOT_FOUND")
    expect(ok(await upsert([{ ...field, canReadFieldValue: null, canUpdateFieldValue: null }])).upsertFieldPermissions).toEqual([])
    expect((await roleNamed("Objects")).fieldPermissions).toEqual([])
  })

  test("upsertPermissionFlags replaces the role's flags; an unknown flag is BAD_USER_INPUT", async () => {
    const role = await roleNamed("Objects")
    expect(ok(await upsertFlags(role.id, ["DATA_MODEL", "WORKSPACE"])).upsertPermissionFlags.map((f: any) => f.flag).sort())
      .toEqual(["DATA_MODEL", "WORKSPACE"])
    expect(ok(await upsertFlags(role.id, ["ROLES"])).upsertPermissionFlags).toEqual([{ flag: "ROLES", roleId: role.id }])
    expect(refusal(await upsertFlags(role.id, ["NOT_A_FLAG"]))).toMatch(/^BAD_USER_INPUT/)
    expect((await roleNamed("Objects")).permissionFlags).toEqual([{ flag: "ROLES" }])
    expect(refusal(await upsertFlags(crypto.randomUUID(), ["ROLES"]))).toBe("NOT_FOUND/ROLE_NOT_FOUND")
    expect(refusal(await upsertFlags((await roleNamed("Guest")).id, ["ROLES"]))).toBe("FORBIDDEN/ROLE_NOT_EDITABLE")
  })

  test("upsertRowPermissions validates the filter against the object's fields and removes with null", async () => {
    const role = await roleNamed("Objects")
    const company = await objectId("company")
    const upsert = (rowPermissions: Array<Record<string, unknown>>) =>
      app.gql(
        `mutation($input: UpsertRowPermissionsInput!) { upsertRowPermissions(upsertRowPermissionsInput: $input) { objectMetadataId filter } }`,
        { input: { roleId: role.id, rowPermissions } },
        owner.accessToken
      )
    const mine = { or: [{ accountOwnerId: { eq: CURRENT_WORKSPACE_MEMBER } }, { name: { ilike: "%acme%" } }] }
    expect(ok(await upsert([{ objectMetadataId: company.id, filter: mine }])).upsertRowPermissions)
      .toEqual([{ objectMetadataId: company.id, filter: mine }])
    expect((await roleNamed("Objects")).rowPermissions).toEqual([{ objectMetadataId: company.id, filter: mine }])
    expect(refusal(await upsert([{ objectMetadataId: company.id, filter: { nope: { eq: "x" } } }]))).toBe("BAD_USER_INPUT/-")
    expect(refusal(await upsert([{ objectMetadataId: company.id, filter: { employees: { eq: "many" } } }]))).toBe("BAD_USER_INPUT/-")
    expect(refusal(await upsert([{ objectMetadataId: crypto.randomUUID(), filter: mine }]))).toBe("NOT_FOUND/OBJECT_METADATA_NOT_FOUND_PERMISSIONS")
    expect((await roleNamed("Objects")).rowPermissions).toEqual([{ objectMetadataId: company.id, filter: mine }])
    expect(ok(await upsert([{ objectMetadataId: company.id, filter: null }])).upsertRowPermissions).toEqual([])
  })
})

describe("a Member is refused every settings door", () => {
  test("FORBIDDEN / PERMISSION_DENIED everywhere, metadata reads stay open, nothing changes", async () => {
    const member = await addMember(owner.workspaceId, "Member")
    const sales = await roleNamed("Sales EU")
    const company = await objectId("company", member.token)
    expect(company.id).toBeDefined()
    const key = await createApiKey(app, owner.accessToken, "untouchable")
    const ownerMember = (await roleNamed("Admin")).workspaceMembers[0]
    const before = JSON.stringify(await roles())
    const companyBefore = JSON.stringify(await objectId("company"))
    const doors: Array<[string, Record<string, unknown>]> = [
      [`{ getRoles { id } }`, {}],
      [`mutation { createOneRole(createRoleInput: { label: "Mine" }) { id } }`, {}],
      [`mutation($id: UUID!) { updateOneRole(updateRoleInput: { id: $id, update: { label: "Mine" } }) { id } }`, { id: sales.id }],
      [`mutation($id: UUID!) { deleteOneRole(roleId: $id) }`, { id: sales.id }],
      [`mutation($id: UUID!, $o: UUID!) { upsertObjectPermissions(upsertObjectPermissionsInput: { roleId: $id, objectPermissions: [{ objectMetadataId: $o, canReadObjectRecords: true }] }) { objectMetadataId } }`, { id: sales.id, o: company.id }],
      [`mutation($id: UUID!) { upsertPermissionFlags(upsertPermissionFlagsInput: { roleId: $id, permissionFlagKeys: [ROLES] }) { flag } }`, { id: sales.id }],
      [`mutation($id: UUID!, $o: UUID!) { upsertRowPermissions(upsertRowPermissionsInput: { roleId: $id, rowPermissions: [{ objectMetadataId: $o, filter: {} }] }) { id } }`, { id: sales.id, o: company.id }],
      [`mutation($k: UUID!, $id: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $id) }`, { k: key.id, id: sales.id }],
      [`mutation($m: UUID!, $id: UUID!) { updateWorkspaceMemberRole(workspaceMemberId: $m, roleId: $id) { id } }`, { m: ownerMember.id, id: sales.id }],
      [`mutation { createOneObject(input: { object: { nameSingular: "intruder", namePlural: "intruders", labelSingular: "I", labelPlural: "Is" } }) { id } }`, {}],
      [`mutation($id: UUID!) { updateOneObject(input: { id: $id, update: { labelPlural: "Firms" } }) { id } }`, { id: company.id }],
      [`mutation($id: UUID!) { deleteOneObject(input: { id: $id }) { id } }`, { id: company.id }],
      [`mutation($o: UUID!) { createOneField(input: { field: { objectMetadataId: $o, name: "spy", label: "Spy", type: TEXT } }) { id } }`, { o: company.id }],
      [`{ apiKeys { id } }`, {}],
      [`mutation { createApiKey(input: { name: "mine", expiresAt: "2099-01-01T00:00:00Z" }) { id } }`, {}],
      [`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id } }`, { id: key.id }],
      [`{ webhooks { id } }`, {}],
      [`mutation { createWebhook(input: { targetUrl: "https://example.com/hook" }) { id } }`, {}],
      [`mutation { updateWorkspace(data: { displayName: "Taken over" }) { id } }`, {}],
      [`mutation { activateWorkspace(data: { displayName: "Taken over" }) { id } }`, {}],
      [`mutation($m: UUID!) { transferWorkspaceOwnership(workspaceMemberId: $m) { id } }`, { m: ownerMember.id }],
      [`mutation($id: UUID!, $o: UUID!, $f: UUID!) { upsertFieldPermissions(upsertFieldPermissionsInput: { roleId: $id, fieldPermissions: [{ objectMetadataId: $o, fieldMetadataId: $f, canReadFieldValue: false, canUpdateFieldValue: false }] }) { id } }`, { id: sales.id, o: company.id, f: company.fieldsList[0]!.id }],
      [`mutation($f: UUID!) { updateOneField(input: { id: $f, update: { label: "Renamed" } }) { id } }`, { f: company.fieldsList[0]!.id }],
      [`mutation($f: UUID!) { deleteOneField(input: { id: $f }) { id } }`, { f: company.fieldsList[0]!.id }],
      [`{ getApiKeyRoles { id } }`, {}],
      [`query($id: UUID!) { apiKey(input: { id: $id }) { id } }`, { id: key.id }],
      [`mutation($id: UUID!) { updateApiKey(input: { id: $id, name: "renamed" }) { id } }`, { id: key.id }],
      [`mutation($id: UUID!) { generateApiKeyToken(apiKeyId: $id, expiresAt: "2099-01-01T00:00:00Z") { token } }`, { id: key.id }],
      [`mutation($id: UUID!) { deleteWebhook(id: $id) { id } }`, { id: crypto.randomUUID() }],
      [`query($id: UUID!) { webhookDeliveries(webhookId: $id) { id } }`, { id: crypto.randomUUID() }]
    ]
    for (const [query, variables] of doors) {
      const result = await app.gql(query, variables, member.token)
      expect({ query, refusal: refusal(result) }).toEqual({ query, refusal: "FORBIDDEN/PERMISSION_DENIED" })
      expect(result.body.errors![0]!.message).toBe("Entity performing the request does not have permission")
    }
    const rest = await app.request("/rest/metadata/objects", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${member.token}` },
      body: JSON.stringify({ nameSingular: "intruder", namePlural: "intruders", labelSingular: "I", labelPlural: "Is" })
    })
    expect(rest.status).toBe(403)
    expect(await rest.json()).toEqual({ statusCode: 403, error: "ForbiddenException", messages: ["Entity performing the request does not have permission"] })
    for (const [method, path] of [["GET", "/rest/metadata/webhooks"], ["PATCH", `/rest/metadata/objects/${company.id}`], ["DELETE", `/rest/metadata/fields/${company.fieldsList[0]!.id}`]]) {
      const response = await app.request(path!, {
        method: method!,
        headers: { "content-type": "application/json", authorization: `Bearer ${member.token}` },
        ...(method === "PATCH" ? { body: JSON.stringify({ labelPlural: "Firms" }) } : {})
      })
      expect({ path, status: response.status }).toEqual({ path, status: 403 })
    }
    const restRead = await app.request("/rest/metadata/objects?limit=1", { headers: { authorization: `Bearer ${member.token}` } })
    expect(restRead.status).toBe(200)
    expect(JSON.stringify(await roles())).toBe(before)
    expect(JSON.stringify(await objectId("company"))).toBe(companyBefore)
    expect(await objectId("intruder")).toBeUndefined()
    expect(ok(await app.gql(`{ currentWorkspace { displayName } }`, {}, owner.accessToken)).currentWorkspace.displayName).toBe("Roles Inc")
    const keys = ok(await app.gql(`{ apiKeys { id revokedAt role { label } } }`, {}, owner.accessToken)).apiKeys
    expect(keys.find((k: any) => k.id === key.id)).toMatchObject({ revokedAt: null, role: { label: "Admin" } })
  })
})

describe("flags are enforced per door and revoked at once", () => {
  test("a DATA_MODEL-only role creates objects but not API keys; removing the flag takes effect on the next request", async () => {
    const modeler = ok(await createRole({ label: "Modeler", canReadAllObjectRecords: true })).createOneRole
    ok(await upsertFlags(modeler.id, ["DATA_MODEL"]))
    const member = await addMember(owner.workspaceId, "Modeler")
    expect(refusal(await createObject("blueprint", member.token))).toBe("allowed")
    expect(refusal(await app.gql(`mutation { createApiKey(input: { name: "k", expiresAt: "2099-01-01T00:00:00Z" }) { id } }`, {}, member.token)))
      .toBe("FORBIDDEN/PERMISSION_DENIED")
    expect(refusal(await app.gql(`{ webhooks { id } }`, {}, member.token))).toBe("FORBIDDEN/PERMISSION_DENIED")
    ok(await upsertFlags(modeler.id, []))
    expect(refusal(await createObject("blueprint2", member.token))).toBe("FORBIDDEN/PERMISSION_DENIED")
    ok(await upsertFlags(modeler.id, ["DATA_MODEL"]))
    expect(refusal(await createObject("blueprint3", member.token))).toBe("allowed")
  })

  test("nobody deletes the role they act with or takes role management away from it", async () => {
    const keepers = ok(await createRole({ label: "Keepers", canReadAllObjectRecords: true, canUpdateAllSettings: true })).createOneRole
    const keeper = await addMember(owner.workspaceId, "Keepers")
    const update = (patch: Record<string, unknown>) =>
      app.gql(`mutation($input: UpdateRoleInput!) { updateOneRole(updateRoleInput: $input) { id } }`, { input: { id: keepers.id, update: patch } }, keeper.token)
    expect(refusal(await update({ canUpdateAllSettings: false }))).toBe("FORBIDDEN/CANNOT_REVOKE_OWN_SETTINGS_ACCESS")
    expect(refusal(await app.gql(`mutation($id: UUID!) { deleteOneRole(roleId: $id) }`, { id: keepers.id }, keeper.token)))
      .toBe("FORBIDDEN/CANNOT_DELETE_OWN_ROLE")
    // With an explicit ROLES flag the role keeps role management, so dropping canUpdateAllSettings is fine.
    ok(await upsertFlags(keepers.id, ["ROLES"], keeper.token))
    expect(refusal(await update({ canUpdateAllSettings: false }))).toBe("allowed")
    expect(refusal(await upsertFlags(keepers.id, ["DATA_MODEL"], keeper.token))).toBe("FORBIDDEN/CANNOT_REVOKE_OWN_SETTINGS_ACCESS")
    expect((await roleNamed("Keepers")).permissionFlags).toEqual([{ flag: "ROLES" }])
    // Another role holder (the owner) may do both.
    ok(await upsertFlags(keepers.id, [], owner.accessToken))
    expect(refusal(await app.gql(`{ getRoles { id } }`, {}, keeper.token))).toBe("FORBIDDEN/PERMISSION_DENIED")
  })

  test("another instance on the same database sees a flag removal within the revocation interval", async () => {
    const second = await startTestApp({ databaseUrl: app.databaseUrl, env: { REVOCATION_CHECK_INTERVAL: "200ms" } })
    try {
      const editor = ok(await createRole({ label: "Editor", canReadAllObjectRecords: true })).createOneRole
      ok(await upsertFlags(editor.id, ["WORKSPACE"]))
      const member = await addMember(owner.workspaceId, "Editor")
      const rename = () => second.gql(`mutation { updateWorkspace(data: { displayName: "Roles Inc" }) { id } }`, {}, member.token)
      expect(refusal(await rename())).toBe("allowed")
      ok(await upsertFlags(editor.id, []))
      await Bun.sleep(1_200)
      expect(refusal(await rename())).toBe("FORBIDDEN/PERMISSION_DENIED")
    } finally {
      await second.close()
    }
  })

  test("an API key's role decides its settings doors, REST included", async () => {
    const modeler = await roleNamed("Modeler")
    const key = await createApiKey(app, owner.accessToken, "modeler key")
    const restPost = (path: string, body: unknown) =>
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key.token}` },
        body: JSON.stringify(body)
      })
    expect(ok(await app.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: key.id, r: modeler.id }, owner.accessToken)))
      .toEqual({ assignRoleToApiKey: true })
    expect((await roleNamed("Modeler")).apiKeys.map((k: any) => k.id)).toEqual([key.id])
    const keys = ok(await app.gql(`{ apiKeys { id role { label permissionFlags { flag } objectPermissions { objectMetadataId } } } }`, {}, owner.accessToken)).apiKeys
    expect(keys.find((k: any) => k.id === key.id).role).toEqual({ label: "Modeler", permissionFlags: [{ flag: "DATA_MODEL" }], objectPermissions: [] })
    expect((await restPost("/rest/metadata/objects", { nameSingular: "gadget", namePlural: "gadgets", labelSingular: "Gadget", labelPlural: "Gadgets" })).status).toBe(201)
    expect((await restPost("/rest/metadata/webhooks", { targetUrl: "https://example.com/hook" })).status).toBe(403)
    expect(refusal(await app.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: crypto.randomUUID(), r: modeler.id }, owner.accessToken)))
      .toBe("NOT_FOUND/API_KEY_NOT_FOUND")
    const foreignRole = (await roles(other.accessToken)).find((r) => r.label === "Admin")
    expect(refusal(await app.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: key.id, r: foreignRole.id }, owner.accessToken)))
      .toBe("NOT_FOUND/ROLE_NOT_FOUND")
  })
})

describe("role assignment rules and ownership", () => {
  test("updateWorkspaceMemberRole assigns a role; nobody changes their own role or the owner's", async () => {
    const second = await addMember(owner.workspaceId, "Member")
    const guest = await roleNamed("Guest")
    const admin = await roleNamed("Admin")
    expect(ok(await setMemberRole(second.memberId, guest.id)).updateWorkspaceMemberRole).toEqual({
      id: second.memberId,
      isOwner: false,
      roles: [{ label: "Guest" }]
    })
    const me = ok(await app.gql(`{ currentUser { workspaceMember { roles { label } } } }`, {}, second.token))
    expect(me.currentUser.workspaceMember.roles).toEqual([{ label: "Guest" }])
    const ownerMemberId = admin.workspaceMembers.find((m: any) => m.isOwner).id
    expect(refusal(await setMemberRole(ownerMemberId, guest.id))).toBe("FORBIDDEN/CANNOT_UPDATE_SELF_ROLE")
    // A second admin still cannot demote the owner.
    ok(await setMemberRole(second.memberId, admin.id))
    expect(refusal(await setMemberRole(ownerMemberId, guest.id, second.token))).toBe("FORBIDDEN/CANNOT_UPDATE_OWNER_ROLE")
    expect(refusal(await setMemberRole(crypto.randomUUID(), guest.id))).toBe("NOT_FOUND/WORKSPACE_MEMBER_NOT_FOUND")
    expect(refusal(await setMemberRole(second.memberId, crypto.randomUUID()))).toBe("NOT_FOUND/ROLE_NOT_FOUND")
    const noUsers = ok(await createRole({ label: "Robots", canReadAllObjectRecords: true, canBeAssignedToUsers: false })).createOneRole
    expect(refusal(await setMemberRole(second.memberId, noUsers.id))).toBe("BAD_USER_INPUT/ROLE_CANNOT_BE_ASSIGNED_TO_USERS")
    expect((await roleNamed("Admin")).workspaceMembers.map((m: any) => m.id).sort()).toEqual([ownerMemberId, second.memberId].sort())
  })

  test("deleteOneRole moves members and API keys to the default role; default and standard roles stay", async () => {
    const temp = ok(await createRole({ label: "Temporary", canReadAllObjectRecords: true })).createOneRole
    const member = await addMember(owner.workspaceId, "Temporary")
    const key = await createApiKey(app, owner.accessToken, "temporary key")
    ok(await app.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: key.id, r: temp.id }, owner.accessToken))
    expect(ok(await app.gql(`mutation($id: UUID!) { deleteOneRole(roleId: $id) }`, { id: temp.id }, owner.accessToken))).toEqual({ deleteOneRole: temp.id })
    const memberRole = await roleNamed("Member")
    expect(memberRole.workspaceMembers.map((m: any) => m.id)).toContain(member.memberId)
    expect(memberRole.apiKeys.map((k: any) => k.id)).toContain(key.id)
    const me = ok(await app.gql(`{ currentUser { workspaceMember { roles { label } } } }`, {}, member.token))
    expect(me.currentUser.workspaceMember.roles).toEqual([{ label: "Member" }])
    const remove = async (id: string) => refusal(await app.gql(`mutation($id: UUID!) { deleteOneRole(roleId: $id) }`, { id }, owner.accessToken))
    expect(await remove(memberRole.id)).toBe("FORBIDDEN/DEFAULT_ROLE_CANNOT_BE_DELETED")
    expect(await remove((await roleNamed("Admin")).id)).toBe("FORBIDDEN/ROLE_NOT_EDITABLE")
    expect(await remove(temp.id)).toBe("NOT_FOUND/ROLE_NOT_FOUND")
  })

  test("only the owner transfers ownership; the new owner is Admin and the old one can then be demoted", async () => {
    const heir = await addMember(owner.workspaceId, "Member")
    const admin = await roleNamed("Admin")
    const guest = await roleNamed("Guest")
    const ownerMemberId = admin.workspaceMembers.find((m: any) => m.isOwner).id
    const transfer = (memberId: string, token: string) =>
      app.gql(`mutation($m: UUID!) { transferWorkspaceOwnership(workspaceMemberId: $m) { id isOwner roles { label } } }`, { m: memberId }, token)
    // An admin who is not the owner cannot take it.
    const adminMember = admin.workspaceMembers.find((m: any) => !m.isOwner)
    expect(adminMember).toBeDefined()
    expect(refusal(await transfer(heir.memberId, heir.token))).toBe("FORBIDDEN/PERMISSION_DENIED")
    expect(ok(await transfer(heir.memberId, owner.accessToken)).transferWorkspaceOwnership)
      .toEqual({ id: heir.memberId, isOwner: true, roles: [{ label: "Admin" }] })
    const heirMe = ok(await app.gql(`{ currentUser { workspaceMember { isOwner } } }`, {}, heir.token))
    expect(heirMe.currentUser.workspaceMember.isOwner).toBe(true)
    expect(refusal(await transfer(ownerMemberId, owner.accessToken))).toBe("FORBIDDEN/PERMISSION_DENIED")
    expect(ok(await setMemberRole(ownerMemberId, guest.id, heir.token)).updateWorkspaceMemberRole.roles).toEqual([{ label: "Guest" }])
    expect(refusal(await createObject("afterfall", owner.accessToken))).toBe("FORBIDDEN/PERMISSION_DENIED")
    // Give the former owner Admin back for the tests that follow.
    ok(await setMemberRole(ownerMemberId, admin.id, heir.token))
    expect(refusal(await createObject("restored", owner.accessToken))).toBe("allowed")
  })

  test("another instance sees a new default role within the revocation interval (the workspace is cached under the epoch)", async () => {
    const team = await signUpWithWorkspace(app, { name: "Defaults" })
    // Without Redis: no cache invalidation reaches this instance, only the revocation epoch (as when Redis is down).
    const second = await startTestApp({ databaseUrl: app.databaseUrl, redis: false, env: { REVOCATION_CHECK_INTERVAL: "200ms" } })
    try {
      const member = await addMember(team.workspaceId, "Member")
      // No role of their own: the member acts with the workspace's default role.
      await app.run(Effect.flatMap(Revocations, (r) =>
        r.revoking(Effect.flatMap(SqlClient.SqlClient, (s) => s`UPDATE core."userWorkspace" SET "roleId" = NULL WHERE "userId" = ${member.userId}`))))
      const create = () =>
        second.request("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${member.token}` },
          body: JSON.stringify({ query: `mutation { createCompany(data: { name: "Acme" }) { id } }` })
        }).then((r) => r.json() as Promise<any>)
      expect((await create()).errors).toBeUndefined()
      const guest = (await roles(team.accessToken)).find((r) => r.label === "Guest")
      ok(await app.gql(`mutation($r: UUID!) { updateWorkspace(data: { defaultRoleId: $r }) { id } }`, { r: guest.id }, team.accessToken))
      await Bun.sleep(1_200)
      expect((await create()).errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    } finally {
      await second.close()
    }
  })

  test("the last Admin cannot be demoted (a workspace without an owner, as before ownership existed)", async () => {
    const solo = await signUpWithWorkspace(app, { name: "Solo" })
    await sql((s) => s`UPDATE core.workspace SET "ownerUserId" = NULL WHERE id = ${solo.workspaceId}`)
    await app.run(Effect.flatMap(Cache, (c) => c.invalidate(workspaceCacheKey(solo.workspaceId))))
    await app.run(Effect.flatMap(Revocations, (r) => r.revoking(Effect.void)))
    const manager = ok(await createRole({ label: "People", canReadAllObjectRecords: true }, solo.accessToken)).createOneRole
    ok(await upsertFlags(manager.id, ["WORKSPACE_MEMBERS", "ROLES"], solo.accessToken))
    const hr = await addMember(solo.workspaceId, "People")
    const admin = (await roles(solo.accessToken)).find((r) => r.label === "Admin")
    const guest = (await roles(solo.accessToken)).find((r) => r.label === "Guest")
    const soloMember = admin.workspaceMembers[0]
    expect(soloMember.isOwner).toBe(false)
    expect(refusal(await setMemberRole(soloMember.id, guest.id, hr.token))).toBe("FORBIDDEN/CANNOT_UNASSIGN_LAST_ADMIN")
    expect((await roles(solo.accessToken)).find((r) => r.label === "Admin").workspaceMembers.map((m: any) => m.id)).toEqual([soloMember.id])
  })
})

describe("no escalation through the assignment doors", () => {
  test("WORKSPACE_MEMBERS and API_KEYS_AND_WEBHOOKS without ROLES hand out only the default role", async () => {
    const manager = ok(await createRole({ label: "Manager", canReadAllObjectRecords: true })).createOneRole
    ok(await upsertFlags(manager.id, ["WORKSPACE_MEMBERS", "API_KEYS_AND_WEBHOOKS", "WORKSPACE"]))
    const me = await addMember(owner.workspaceId, "Manager")
    const peer = await addMember(owner.workspaceId, "Member")
    const admin = await roleNamed("Admin")
    const memberRole = await roleNamed("Member")
    expect(refusal(await setMemberRole(peer.memberId, admin.id, me.token))).toBe("FORBIDDEN/PERMISSION_DENIED")
    expect(refusal(await setMemberRole(peer.memberId, memberRole.id, me.token))).toBe("allowed")
    const createKey = (roleId?: string) =>
      app.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { id role { label } } }`,
        { input: { name: "minted", expiresAt: "2099-01-01T00:00:00Z", ...(roleId ? { roleId } : {}) } },
        me.token
      )
    expect(refusal(await createKey(admin.id))).toBe("FORBIDDEN/PERMISSION_DENIED")
    const key = ok(await createKey()).createApiKey
    expect(key.role.label).toBe("Member")
    expect(refusal(await app.gql(`mutation($k: UUID!, $r: UUID!) { assignRoleToApiKey(apiKeyId: $k, roleId: $r) }`, { k: key.id, r: admin.id }, me.token)))
      .toBe("FORBIDDEN/PERMISSION_DENIED")
    expect(refusal(await app.gql(`mutation($r: UUID!) { updateWorkspace(data: { defaultRoleId: $r }) { id } }`, { r: admin.id }, me.token)))
      .toBe("FORBIDDEN/PERMISSION_DENIED")
    expect((await roleNamed("Admin")).workspaceMembers.map((m: any) => m.userEmail)).not.toContain(peer.email)
    // The owner (every flag) still mints an Admin key without naming a role, as before.
    expect((await createApiKey(app, owner.accessToken, "owner key")).id).toBeTruthy()
    const ownerKeys = ok(await app.gql(`{ apiKeys { name role { label } } }`, {}, owner.accessToken)).apiKeys
    expect(ownerKeys.find((k: any) => k.name === "owner key").role.label).toBe("Admin")
  })
})

describe("updateWorkspace", () => {
  test("needs the WORKSPACE flag and sets the name and the default role", async () => {
    const guest = await roleNamed("Guest")
    const updated = ok(await app.gql(
      `mutation($r: UUID!) { updateWorkspace(data: { displayName: "Roles Ltd", defaultRoleId: $r }) { displayName defaultRole { label } } }`,
      { r: guest.id },
      owner.accessToken
    ))
    expect(updated.updateWorkspace).toEqual({ displayName: "Roles Ltd", defaultRole: { label: "Guest" } })
    const foreign = (await roles(other.accessToken)).find((r) => r.label === "Member")
    expect(refusal(await app.gql(`mutation($r: UUID!) { updateWorkspace(data: { defaultRoleId: $r }) { id } }`, { r: foreign.id }, owner.accessToken)))
      .toBe("NOT_FOUND/ROLE_NOT_FOUND")
    const member = (await roleNamed("Member"))
    ok(await app.gql(`mutation($r: UUID!) { updateWorkspace(data: { defaultRoleId: $r }) { id } }`, { r: member.id }, owner.accessToken))
  })
})
