import { PERMISSION_FLAGS } from "../../../domain/permissions.js"

/**
 * Roles and permissions on `/metadata` (Twenty's role.resolver.ts and its DTOs), plus Score's row
 * permissions and workspace ownership. `Role` itself is declared with the auth types and extended here.
 */
export const roleTypeDefs = /* GraphQL */ `
enum PermissionFlagType { ${PERMISSION_FLAGS.join(" ")} }

"A role's permission flag, as Twenty's RolePermissionFlag (flag: one of PermissionFlagType's values)."
type RolePermissionFlag { id: UUID! roleId: UUID! flag: String! }

type ObjectPermission {
  id: UUID
  roleId: UUID
  objectMetadataId: UUID!
  canReadObjectRecords: Boolean
  canUpdateObjectRecords: Boolean
  canSoftDeleteObjectRecords: Boolean
  canDestroyObjectRecords: Boolean
  restrictedFields: JSON
}

type FieldPermission {
  id: UUID!
  objectMetadataId: UUID!
  fieldMetadataId: UUID!
  roleId: UUID!
  canReadFieldValue: Boolean
  canUpdateFieldValue: Boolean
}

"Score: a record filter (the /graphql filter language) ANDed into every read and write of the object by the role."
type RowPermission { id: UUID! roleId: UUID! objectMetadataId: UUID! filter: JSON! }

type ApiKeyForRole { id: UUID! name: String! expiresAt: DateTime! revokedAt: DateTime }

type FullName { firstName: String! lastName: String! }

type WorkspaceMember {
  id: UUID!
  name: FullName!
  userEmail: String!
  colorScheme: String!
  avatarUrl: String
  locale: String
  userWorkspaceId: UUID
  roles: [Role!]
  "Score: the workspace's owner (full access, cannot be removed or demoted; see transferWorkspaceOwnership)."
  isOwner: Boolean!
}

extend type Role {
  workspaceMembers: [WorkspaceMember!]!
  apiKeys: [ApiKeyForRole!]!
  permissionFlags: [RolePermissionFlag!]
  objectPermissions: [ObjectPermission!]
  fieldPermissions: [FieldPermission!]
  rowPermissions: [RowPermission!]
}

extend type User { workspaceMember: WorkspaceMember }

input CreateRoleInput {
  id: UUID
  label: String!
  description: String
  icon: String
  canUpdateAllSettings: Boolean
  canAccessAllTools: Boolean
  canReadAllObjectRecords: Boolean
  canUpdateAllObjectRecords: Boolean
  canSoftDeleteAllObjectRecords: Boolean
  canDestroyAllObjectRecords: Boolean
  canBeAssignedToUsers: Boolean
  canBeAssignedToAgents: Boolean
  canBeAssignedToApiKeys: Boolean
}

input UpdateRolePayload {
  label: String
  description: String
  icon: String
  canUpdateAllSettings: Boolean
  canAccessAllTools: Boolean
  canReadAllObjectRecords: Boolean
  canUpdateAllObjectRecords: Boolean
  canSoftDeleteAllObjectRecords: Boolean
  canDestroyAllObjectRecords: Boolean
  canBeAssignedToUsers: Boolean
  canBeAssignedToAgents: Boolean
  canBeAssignedToApiKeys: Boolean
}

input UpdateRoleInput { update: UpdateRolePayload! id: UUID! }

input ObjectPermissionInput {
  objectMetadataId: UUID!
  canReadObjectRecords: Boolean
  canUpdateObjectRecords: Boolean
  canSoftDeleteObjectRecords: Boolean
  canDestroyObjectRecords: Boolean
}
input UpsertObjectPermissionsInput { roleId: UUID! objectPermissions: [ObjectPermissionInput!]! }

input FieldPermissionInput {
  objectMetadataId: UUID!
  fieldMetadataId: UUID!
  canReadFieldValue: Boolean
  canUpdateFieldValue: Boolean
}
input UpsertFieldPermissionsInput { roleId: UUID! fieldPermissions: [FieldPermissionInput!]! }

input UpsertPermissionFlagsInput { roleId: UUID! permissionFlagKeys: [PermissionFlagType!]! }

"A null filter removes the role's row permission on the object."
input RowPermissionInput { objectMetadataId: UUID! filter: JSON }
input UpsertRowPermissionsInput { roleId: UUID! rowPermissions: [RowPermissionInput!]! }

extend type Query {
  getRoles: [Role!]!
}

extend type Mutation {
  createOneRole(createRoleInput: CreateRoleInput!): Role!
  updateOneRole(updateRoleInput: UpdateRoleInput!): Role!
  deleteOneRole(roleId: UUID!): String!
  updateWorkspaceMemberRole(workspaceMemberId: UUID!, roleId: UUID!): WorkspaceMember!
  upsertObjectPermissions(upsertObjectPermissionsInput: UpsertObjectPermissionsInput!): [ObjectPermission!]!
  upsertFieldPermissions(upsertFieldPermissionsInput: UpsertFieldPermissionsInput!): [FieldPermission!]!
  upsertPermissionFlags(upsertPermissionFlagsInput: UpsertPermissionFlagsInput!): [RolePermissionFlag!]!
  upsertRowPermissions(upsertRowPermissionsInput: UpsertRowPermissionsInput!): [RowPermission!]!
  assignRoleToApiKey(apiKeyId: UUID!, roleId: UUID!): Boolean!
  transferWorkspaceOwnership(workspaceMemberId: UUID!): WorkspaceMember!
}
`
