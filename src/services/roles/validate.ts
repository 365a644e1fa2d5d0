import { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { CURRENT_WORKSPACE_MEMBER, PermissionsErrorCode as Code } from "../../domain/permissions.js"
import { Model, Params, QueryInputError } from "../records/build-context.js"
import { filterSql } from "../records/filters.js"

/* The consistency rules of Twenty's role, object and field permissions, as pure checks, and their errors. */

export const roleNotFound = () => new NotFound({ message: "Role not found", subCode: Code.ROLE_NOT_FOUND })
export const roleNotEditable = () => new Forbidden({ message: "Role is not editable", subCode: Code.ROLE_NOT_EDITABLE })
export const labelTaken = () =>
  new Forbidden({ message: "A role with this label already exists", subCode: Code.ROLE_LABEL_ALREADY_EXISTS })
export const objectNotFound = () =>
  new NotFound({ message: "Object metadata not found", subCode: Code.OBJECT_METADATA_NOT_FOUND })
export const fieldNotFound = () =>
  new NotFound({ message: "Field metadata not found", subCode: Code.FIELD_METADATA_NOT_FOUND })
export const memberNotFound = () =>
  new NotFound({ message: "Workspace member not found", subCode: Code.WORKSPACE_MEMBER_NOT_FOUND })
/** The caller would lose role management by this change of the role they act with (Twenty's lockout rule). */
export const ownSettingsAccess = () =>
  new Forbidden({ message: "Cannot revoke own settings access", subCode: Code.CANNOT_REVOKE_OWN_SETTINGS_ACCESS })
export const invalidArg = (message: string, field?: string) =>
  new BadUserInput({ message, subCode: Code.INVALID_ARG, ...(field ? { field } : {}) })

const writeWithoutRead = () =>
  new BadUserInput({
    message: "Cannot give writing permission without reading permission",
    subCode: Code.CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION
  })
const writeOnUnreadable = () =>
  new BadUserInput({
    message: "Cannot give update permission to non-readable object",
    subCode: Code.CANNOT_GIVE_WRITING_PERMISSION_ON_NON_READABLE_OBJECT
  })
const deleteWithoutUpdate = () =>
  invalidArg("Cannot give soft-delete or destroy permission without update permission")

export interface RecordFlags {
  readonly canReadAllObjectRecords: boolean
  readonly canUpdateAllObjectRecords: boolean
  readonly canSoftDeleteAllObjectRecords: boolean
  readonly canDestroyAllObjectRecords: boolean
}

/** Role level: any write needs read; soft-delete and destroy need update. */
export const checkRoleRecordFlags = (role: RecordFlags): BadUserInput | null => {
  const deletes = role.canSoftDeleteAllObjectRecords || role.canDestroyAllObjectRecords
  if (!role.canReadAllObjectRecords && (role.canUpdateAllObjectRecords || deletes)) return writeWithoutRead()
  if (!role.canUpdateAllObjectRecords && deletes) return deleteWithoutUpdate()
  return null
}

export interface ObjectOverride {
  readonly canReadObjectRecords: boolean | null
  readonly canUpdateObjectRecords: boolean | null
  readonly canSoftDeleteObjectRecords: boolean | null
  readonly canDestroyObjectRecords: boolean | null
}

/** Object level, on the effective values (an override, else the role-wide flag). */
export const checkObjectOverride = (role: RecordFlags, override: ObjectOverride): BadUserInput | null => {
  const read = override.canReadObjectRecords ?? role.canReadAllObjectRecords
  const update = override.canUpdateObjectRecords ?? role.canUpdateAllObjectRecords
  const deletes = (override.canSoftDeleteObjectRecords ?? role.canSoftDeleteAllObjectRecords) ||
    (override.canDestroyObjectRecords ?? role.canDestroyAllObjectRecords)
  if (!read && (update || deletes)) return writeOnUnreadable()
  if (!update && deletes) return deleteWithoutUpdate()
  return null
}

export interface FieldRestriction {
  readonly canReadFieldValue: boolean | null
  readonly canUpdateFieldValue: boolean | null
}

/** Field level: only restrictions (false) are stored, and a field that cannot be read cannot be updated. */
export const checkFieldRestriction = (input: Partial<FieldRestriction>, final: FieldRestriction): BadUserInput | null => {
  if (input.canReadFieldValue === true || input.canUpdateFieldValue === true) {
    return new BadUserInput({
      message: "Field permission can only introduce a restriction",
      subCode: Code.ONLY_FIELD_RESTRICTION_ALLOWED
    })
  }
  if (final.canReadFieldValue === false && final.canUpdateFieldValue !== false) return writeWithoutRead()
  return null
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000"

const withoutPlaceholder = (value: unknown): unknown => {
  if (value === CURRENT_WORKSPACE_MEMBER) return NIL_UUID
  if (Array.isArray(value)) return value.map(withoutPlaceholder)
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutPlaceholder(v)]))
  }
  return value
}

/**
 * A row permission's filter is checked by building it as the records service would (field names,
 * operators, value types, relation depth), with CURRENT_WORKSPACE_MEMBER standing for a UUID.
 */
export const checkRowFilter = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  filter: unknown,
  maxDepth: number
): BadUserInput | null => {
  if (!filter || typeof filter !== "object" || Array.isArray(filter)) {
    return new BadUserInput({ message: "A row permission's filter must be an object", field: "filter" })
  }
  try {
    const ctx = { model: new Model(metadata), params: new Params(), guard: null, trusted: 0, maxDepth, defaultPageSize: 1, maxPageSize: 1, aliasCounter: 0 }
    filterSql(ctx, object, "t0", withoutPlaceholder(filter) as never, 0)
    return null
  } catch (error) {
    if (error instanceof QueryInputError) {
      return new BadUserInput({ message: `Invalid row permission filter: ${error.failure.message}`, field: "filter" })
    }
    throw error
  }
}
