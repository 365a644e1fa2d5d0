/**
 * Roles and permissions, as Twenty names them (role.entity.ts, object-permission, field-permission,
 * permission-flag), plus Score's row permissions. Stored in core."role", core."objectPermission",
 * core."fieldPermission", core."permissionFlag" and core."rowPermission" (migration 7).
 *
 * `RolePermissions` is what is stored for one role, as plain JSON (it may be cached in Redis).
 * `Access` is that role compiled against one metadata version: what the records service checks.
 */

/** Twenty's PermissionFlagType. Settings flags are granted by canUpdateAllSettings, tool flags by canAccessAllTools. */
export const SETTINGS_PERMISSION_FLAGS = [
  "API_KEYS_AND_WEBHOOKS",
  "WORKSPACE",
  "WORKSPACE_MEMBERS",
  "ROLES",
  "DATA_MODEL",
  "SECURITY",
  "WORKFLOWS",
  "IMPERSONATE",
  "SSO_BYPASS",
  "APPLICATIONS",
  "LAYOUTS",
  "BILLING",
  "AI_SETTINGS",
  "VIEWS"
] as const

export const TOOL_PERMISSION_FLAGS = [
  "AI",
  "UPLOAD_FILE",
  "DOWNLOAD_FILE",
  "SEND_EMAIL_TOOL",
  "HTTP_REQUEST_TOOL",
  "CODE_INTERPRETER_TOOL",
  "IMPORT_CSV",
  "EXPORT_CSV",
  "CONNECTED_ACCOUNTS",
  "PROFILE_INFORMATION"
] as const

export type SettingsPermissionFlag = typeof SETTINGS_PERMISSION_FLAGS[number]
export type ToolPermissionFlag = typeof TOOL_PERMISSION_FLAGS[number]
export type PermissionFlag = SettingsPermissionFlag | ToolPermissionFlag

export const PERMISSION_FLAGS: ReadonlyArray<PermissionFlag> = [...SETTINGS_PERMISSION_FLAGS, ...TOOL_PERMISSION_FLAGS]

export const isPermissionFlag = (u: unknown): u is PermissionFlag =>
  typeof u === "string" && (PERMISSION_FLAGS as ReadonlyArray<string>).includes(u)

/**
 * In a row permission's filter, this string stands for the caller's workspaceMember id
 * (e.g. `{ accountOwnerId: { eq: "{{currentWorkspaceMember.id}}" } }`). A caller with no
 * workspaceMember (an API key) matches no row through it.
 */
export const CURRENT_WORKSPACE_MEMBER = "{{currentWorkspaceMember.id}}"

/** One role as stored. Null object-permission values inherit the role-wide flag. */
export interface RolePermissions {
  readonly roleId: string
  readonly canUpdateAllSettings: boolean
  readonly canAccessAllTools: boolean
  readonly canReadAllObjectRecords: boolean
  readonly canUpdateAllObjectRecords: boolean
  readonly canSoftDeleteAllObjectRecords: boolean
  readonly canDestroyAllObjectRecords: boolean
  readonly permissionFlags: ReadonlyArray<string>
  readonly objectPermissions: ReadonlyArray<{
    readonly objectMetadataId: string
    readonly canReadObjectRecords: boolean | null
    readonly canUpdateObjectRecords: boolean | null
    readonly canSoftDeleteObjectRecords: boolean | null
    readonly canDestroyObjectRecords: boolean | null
  }>
  readonly fieldPermissions: ReadonlyArray<{
    readonly objectMetadataId: string
    readonly fieldMetadataId: string
    readonly canReadFieldValue: boolean | null
    readonly canUpdateFieldValue: boolean | null
  }>
  readonly rowPermissions: ReadonlyArray<{
    readonly objectMetadataId: string
    /** Twenty's record filter language (`/graphql` filter input), may use CURRENT_WORKSPACE_MEMBER. */
    readonly filter: Readonly<Record<string, unknown>>
  }>
}

/** What a role may do with one object's records. */
export interface ObjectAccess {
  readonly canRead: boolean
  readonly canUpdate: boolean
  readonly canSoftDelete: boolean
  readonly canDestroy: boolean
  /** Field name → restriction; only restricted fields appear (a relation's join column goes with its field). */
  readonly restrictedFields: ReadonlyMap<string, { readonly canRead: boolean; readonly canUpdate: boolean }>
  /** ANDed into every read and write of this object; null when the role sees every row. */
  readonly rowFilter: Readonly<Record<string, unknown>> | null
}

/**
 * A role compiled for one metadata version. `unrestricted` (the owner, Admin-like roles with no
 * override) lets every check short-circuit: the hot paths pay nothing for it.
 */
export interface Access {
  readonly roleId: string | null
  readonly unrestricted: boolean
  readonly flags: ReadonlySet<PermissionFlag>
  /** By object nameSingular; an object missing here is not readable. */
  readonly objects: ReadonlyMap<string, ObjectAccess>
}

export const PERMISSION_DENIED_MESSAGE = "Entity performing the request does not have permission"

/** Twenty's PermissionsExceptionCode values (the `subCode` clients see), as far as Score raises them. */
export const PermissionsErrorCode = {
  PERMISSION_DENIED: "PERMISSION_DENIED",
  ROLE_NOT_FOUND: "ROLE_NOT_FOUND",
  ROLE_NOT_EDITABLE: "ROLE_NOT_EDITABLE",
  ROLE_LABEL_ALREADY_EXISTS: "ROLE_LABEL_ALREADY_EXISTS",
  DEFAULT_ROLE_CANNOT_BE_DELETED: "DEFAULT_ROLE_CANNOT_BE_DELETED",
  DEFAULT_ROLE_NOT_FOUND: "DEFAULT_ROLE_NOT_FOUND",
  OBJECT_METADATA_NOT_FOUND: "OBJECT_METADATA_NOT_FOUND_PERMISSIONS",
  FIELD_METADATA_NOT_FOUND: "FIELD_METADATA_NOT_FOUND",
  WORKSPACE_MEMBER_NOT_FOUND: "WORKSPACE_MEMBER_NOT_FOUND",
  API_KEY_NOT_FOUND: "API_KEY_NOT_FOUND",
  CANNOT_UPDATE_SELF_ROLE: "CANNOT_UPDATE_SELF_ROLE",
  CANNOT_UNASSIGN_LAST_ADMIN: "CANNOT_UNASSIGN_LAST_ADMIN",
  CANNOT_DELETE_OWN_ROLE: "CANNOT_DELETE_OWN_ROLE",
  CANNOT_REVOKE_OWN_SETTINGS_ACCESS: "CANNOT_REVOKE_OWN_SETTINGS_ACCESS",
  /** Score: the owner keeps the Admin role until ownership is transferred. */
  CANNOT_UPDATE_OWNER_ROLE: "CANNOT_UPDATE_OWNER_ROLE",
  INVALID_ARG: "INVALID_ARG_PERMISSIONS",
  INVALID_SETTING: "INVALID_SETTING_PERMISSIONS",
  CANNOT_GIVE_WRITING_PERMISSION_ON_NON_READABLE_OBJECT: "CANNOT_GIVE_WRITING_PERMISSION_ON_NON_READABLE_OBJECT",
  CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION: "CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION",
  ONLY_FIELD_RESTRICTION_ALLOWED: "ONLY_FIELD_RESTRICTION_ALLOWED",
  ROLE_CANNOT_BE_ASSIGNED_TO_USERS: "ROLE_CANNOT_BE_ASSIGNED_TO_USERS"
} as const
