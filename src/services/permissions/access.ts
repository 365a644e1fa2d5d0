import type { WorkspaceMetadata } from "../../domain/metadata.js"
import {
  type Access,
  type ObjectAccess,
  type PermissionFlag,
  type RolePermissions,
  SETTINGS_PERMISSION_FLAGS,
  TOOL_PERMISSION_FLAGS
} from "../../domain/permissions.js"
import { flagsOfRole } from "./flags.js"

/** The owner's access (and any caller the records service does not restrict). */
export const UNRESTRICTED: Access = {
  roleId: null,
  unrestricted: true,
  flags: new Set<PermissionFlag>([...SETTINGS_PERMISSION_FLAGS, ...TOOL_PERMISSION_FLAGS]),
  objects: new Map()
}

/** A caller without any role (none assigned, no workspace default, or a deleted one): reads nothing. */
export const NO_ACCESS: Access = { roleId: null, unrestricted: false, flags: new Set(), objects: new Map() }

/**
 * A role compiled against one metadata version. Null object overrides inherit the role-wide flags;
 * defensively, nothing but reading is allowed on an object the role cannot read (the roles API also
 * refuses such roles). A role that grants every record permission without any override, field
 * restriction or row filter is `unrestricted`: the records service then checks nothing.
 */
export const compileAccess = (role: RolePermissions, metadata: WorkspaceMetadata): Access => {
  const flags = flagsOfRole(role)
  const allGranted = role.canReadAllObjectRecords && role.canUpdateAllObjectRecords &&
    role.canSoftDeleteAllObjectRecords && role.canDestroyAllObjectRecords
  const restricting = role.objectPermissions.some((p) =>
    p.canReadObjectRecords === false || p.canUpdateObjectRecords === false ||
    p.canSoftDeleteObjectRecords === false || p.canDestroyObjectRecords === false
  ) || role.fieldPermissions.some((p) => p.canReadFieldValue === false || p.canUpdateFieldValue === false) ||
    role.rowPermissions.length > 0
  if (allGranted && !restricting) return { roleId: role.roleId, unrestricted: true, flags, objects: new Map() }

  const overrides = new Map(role.objectPermissions.map((p) => [p.objectMetadataId, p]))
  const rows = new Map(role.rowPermissions.map((p) => [p.objectMetadataId, p.filter]))
  const objects = new Map<string, ObjectAccess>()
  for (const object of metadata.objects) {
    if (!object.isActive) continue
    const override = overrides.get(object.id)
    const canRead = override?.canReadObjectRecords ?? role.canReadAllObjectRecords
    if (!canRead) continue
    const restrictedFields = new Map<string, { canRead: boolean; canUpdate: boolean }>()
    for (const permission of role.fieldPermissions) {
      if (permission.objectMetadataId !== object.id) continue
      const field = object.fields.find((f) => f.id === permission.fieldMetadataId)
      if (!field) continue
      const readable = permission.canReadFieldValue !== false
      const updatable = readable && permission.canUpdateFieldValue !== false
      if (!readable || !updatable) restrictedFields.set(field.name, { canRead: readable, canUpdate: updatable })
    }
    objects.set(object.nameSingular, {
      canRead,
      canUpdate: override?.canUpdateObjectRecords ?? role.canUpdateAllObjectRecords,
      canSoftDelete: override?.canSoftDeleteObjectRecords ?? role.canSoftDeleteAllObjectRecords,
      canDestroy: override?.canDestroyObjectRecords ?? role.canDestroyAllObjectRecords,
      restrictedFields,
      rowFilter: rows.get(object.id) ?? null
    })
  }
  hideTimelineOfUnreadable(metadata, objects)
  return { roleId: role.roleId, unrestricted: false, flags, objects }
}

/**
 * Timeline activities are shown only for records the role may read: an activity whose target object is
 * unreadable, or whose target row is outside the role's row filter, is left out of every read.
 */
const hideTimelineOfUnreadable = (metadata: WorkspaceMetadata, objects: Map<string, ObjectAccess>) => {
  const timeline = metadata.objects.find((o) => o.isActive && o.nameSingular === "timelineActivity")
  const access = timeline && objects.get(timeline.nameSingular)
  if (!timeline || !access) return
  const conditions = timeline.fields.flatMap((field): Array<Record<string, unknown>> => {
    if (!field.isActive || field.relationType !== "MANY_TO_ONE" || field.name === "workspaceMember") return []
    const target = metadata.objects.find((o) => o.id === field.relationTargetObjectMetadataId)
    if (!target) return []
    const none = { [`${field.name}Id`]: { is: "NULL" } }
    const targetAccess = objects.get(target.nameSingular)
    if (!targetAccess) return [none]
    // The relation filter reads the target through the role's own row filter on it.
    return targetAccess.rowFilter ? [{ or: [none, { [field.name]: {} }] }] : []
  })
  if (conditions.length === 0) return
  const rowFilter = { and: [...(access.rowFilter ? [access.rowFilter] : []), ...conditions] }
  objects.set(timeline.nameSingular, { ...access, rowFilter })
}
