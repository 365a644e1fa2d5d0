import type { RolePermissions } from "../../src/domain/permissions.js"

/** A stored role granting every record permission and nothing else, with `overrides`. */
export const testRole = (overrides: Partial<RolePermissions> = {}): RolePermissions => ({
  roleId: "r",
  canUpdateAllSettings: false,
  canAccessAllTools: false,
  canReadAllObjectRecords: true,
  canUpdateAllObjectRecords: true,
  canSoftDeleteAllObjectRecords: true,
  canDestroyAllObjectRecords: true,
  permissionFlags: [],
  objectPermissions: [],
  fieldPermissions: [],
  rowPermissions: [],
  ...overrides
})
