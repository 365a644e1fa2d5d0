import { describe, expect, test } from "bun:test"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../src/domain/metadata.js"
import { compileAccess } from "../src/services/permissions/access.js"
import { testRole } from "./support/roles.js"

/** compileAccess on a small hand-made model: inheritance, defensive rules, restrictions, the timeline's filter. */

const field = (id: string, name: string, extra: Partial<FieldMetadata> = {}) =>
  ({ id, name, isActive: true, type: "TEXT", relationType: null, relationTargetObjectMetadataId: null, ...extra }) as FieldMetadata
const object = (id: string, nameSingular: string, fields: Array<FieldMetadata>) =>
  ({ id, nameSingular, namePlural: `${nameSingular}s`, isActive: true, fields }) as unknown as ObjectMetadata

const metadata: WorkspaceMetadata = {
  workspaceId: "w",
  version: 1,
  schema: "s",
  objects: [
    object("o-company", "company", [field("f-name", "name"), field("f-employees", "employees"), field("f-site", "domainName")]),
    object("o-deal", "opportunity", [field("f-deal-name", "name")]),
    object("o-timeline", "timelineActivity", [
      field("f-t-company", "targetCompany", { type: "RELATION", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: "o-company" }),
      field("f-t-deal", "targetOpportunity", { type: "RELATION", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: "o-deal" })
    ])
  ]
}

const role = testRole


describe("compileAccess", () => {
  test("every record permission and no restriction is unrestricted; null overrides inherit", () => {
    expect(compileAccess(role(), metadata).unrestricted).toBe(true)
    const inherited = compileAccess(role({
      objectPermissions: [{ objectMetadataId: "o-deal", canReadObjectRecords: null, canUpdateObjectRecords: null, canSoftDeleteObjectRecords: null, canDestroyObjectRecords: null }]
    }), metadata)
    expect(inherited.unrestricted).toBe(true)
    const guest = compileAccess(role({ canUpdateAllObjectRecords: false, canSoftDeleteAllObjectRecords: false, canDestroyAllObjectRecords: false }), metadata)
    expect(guest.unrestricted).toBe(false)
    expect(guest.objects.get("company")).toMatchObject({ canRead: true, canUpdate: false, canSoftDelete: false, canDestroy: false, rowFilter: null })
  })

  test("an unreadable object is absent whatever else its overrides grant; overrides win over role-wide flags", () => {
    const access = compileAccess(role({
      canReadAllObjectRecords: false,
      objectPermissions: [
        { objectMetadataId: "o-company", canReadObjectRecords: true, canUpdateObjectRecords: false, canSoftDeleteObjectRecords: null, canDestroyObjectRecords: null }
      ]
    }), metadata)
    expect(access.objects.has("opportunity")).toBe(false)
    expect(access.objects.get("company")).toMatchObject({ canRead: true, canUpdate: false, canSoftDelete: true })
  })

  test("field restrictions by name: unreadable implies not updatable", () => {
    const access = compileAccess(role({
      fieldPermissions: [
        { objectMetadataId: "o-company", fieldMetadataId: "f-employees", canReadFieldValue: false, canUpdateFieldValue: null },
        { objectMetadataId: "o-company", fieldMetadataId: "f-site", canReadFieldValue: null, canUpdateFieldValue: false },
        { objectMetadataId: "o-company", fieldMetadataId: "f-name", canReadFieldValue: true, canUpdateFieldValue: true }
      ]
    }), metadata)
    const company = access.objects.get("company")!
    expect([...company.restrictedFields]).toEqual([
      ["employees", { canRead: false, canUpdate: false }],
      ["domainName", { canRead: true, canUpdate: false }]
    ])
  })

  test("the timeline hides activities of unreadable objects and of rows outside a row filter", () => {
    const filter = { accountOwnerId: { eq: "{{currentWorkspaceMember.id}}" } }
    const access = compileAccess(role({
      objectPermissions: [
        { objectMetadataId: "o-deal", canReadObjectRecords: false, canUpdateObjectRecords: false, canSoftDeleteObjectRecords: false, canDestroyObjectRecords: false }
      ],
      rowPermissions: [{ objectMetadataId: "o-company", filter }]
    }), metadata)
    expect(access.objects.get("company")!.rowFilter).toEqual(filter)
    expect(access.objects.get("timelineActivity")!.rowFilter).toEqual({
      and: [
        { or: [{ targetCompanyId: { is: "NULL" } }, { targetCompany: {} }] },
        { targetOpportunityId: { is: "NULL" } }
      ]
    })
  })
})
