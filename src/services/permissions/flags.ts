import {
  isPermissionFlag,
  type PermissionFlag,
  type RolePermissions,
  SETTINGS_PERMISSION_FLAGS,
  TOOL_PERMISSION_FLAGS
} from "../../domain/permissions.js"

export const ALL_FLAGS: ReadonlySet<PermissionFlag> = new Set([...SETTINGS_PERMISSION_FLAGS, ...TOOL_PERMISSION_FLAGS])

/** Flags a role holds: its own rows, plus every settings flag with canUpdateAllSettings and every tool flag with canAccessAllTools. */
export const flagsOfRole = (role: RolePermissions): ReadonlySet<PermissionFlag> => {
  const flags = new Set<PermissionFlag>(role.permissionFlags.filter(isPermissionFlag))
  if (role.canUpdateAllSettings) for (const flag of SETTINGS_PERMISSION_FLAGS) flags.add(flag)
  if (role.canAccessAllTools) for (const flag of TOOL_PERMISSION_FLAGS) flags.add(flag)
  return flags
}
