import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { UserError } from "../../domain/errors.js"
import { Cache } from "../../platform/cache/index.js"
import { AppConfig } from "../../platform/config.js"
import { Metadata } from "../metadata/index.js"
import { Revocations } from "../revocations/index.js"
import { Workspaces } from "../workspace/index.js"
import { makeAssignments } from "./assignments.js"
import { type FieldPermissionInput, makeGrants, type ObjectPermissionInput, type RowPermissionInput } from "./grants.js"
import { type CreateRoleInput, makeRoleChanges, type RolePatch } from "./roles.js"
import type {
  ApiKeyForRole,
  FieldPermissionRow,
  ObjectPermissionRow,
  PermissionFlagRow,
  RoleView,
  RowPermissionRow,
  WorkspaceMemberView
} from "./store.js"

export type { CreateRoleInput, FieldPermissionInput, ObjectPermissionInput, RolePatch, RowPermissionInput }
export type { ApiKeyForRole, FieldPermissionRow, ObjectPermissionRow, PermissionFlagRow, RoleView, RowPermissionRow, WorkspaceMemberView }

type Result<A> = Effect.Effect<A, UserError | SqlError.SqlError>

/**
 * Managing roles, their permissions and who holds them (Twenty's role resolver). Every operation is scoped
 * to `workspaceId`: an id of another workspace is not found. Every change that affects a caller's access
 * runs through `Revocations.revoking`, so every instance sees it within REVOCATION_CHECK_INTERVAL.
 * Callers check the settings flag (ROLES, WORKSPACE_MEMBERS, API_KEYS_AND_WEBHOOKS) before calling.
 */
export interface RolesShape {
  readonly list: (workspaceId: string) => Result<ReadonlyArray<RoleView>>
  readonly get: (workspaceId: string, roleId: string) => Result<RoleView>
  readonly create: (workspaceId: string, input: CreateRoleInput) => Result<RoleView>
  /**
   * `actingRoleId`: the role the caller acts with (Permissions.roleIdOf); they may not delete it nor take
   * role management away from it (Twenty's CANNOT_DELETE_OWN_ROLE, CANNOT_REVOKE_OWN_SETTINGS_ACCESS).
   */
  readonly update: (workspaceId: string, roleId: string, patch: RolePatch, actingRoleId?: string | null) => Result<RoleView>
  /** Returns the deleted role's id. */
  readonly remove: (workspaceId: string, roleId: string, actingRoleId?: string | null) => Result<string>
  readonly upsertObjectPermissions: (workspaceId: string, roleId: string, inputs: ReadonlyArray<ObjectPermissionInput>) => Result<ReadonlyArray<ObjectPermissionRow>>
  readonly upsertFieldPermissions: (workspaceId: string, roleId: string, inputs: ReadonlyArray<FieldPermissionInput>) => Result<ReadonlyArray<FieldPermissionRow>>
  /** Replaces the role's set of flags. */
  readonly upsertPermissionFlags: (workspaceId: string, roleId: string, flags: ReadonlyArray<string>, actingRoleId?: string | null) => Result<ReadonlyArray<PermissionFlagRow>>
  readonly upsertRowPermissions: (workspaceId: string, roleId: string, inputs: ReadonlyArray<RowPermissionInput>) => Result<ReadonlyArray<RowPermissionRow>>
  readonly membersOfRole: (workspaceId: string, roleId: string) => Result<ReadonlyArray<WorkspaceMemberView>>
  readonly memberOfUser: (workspaceId: string, userId: string) => Result<WorkspaceMemberView | null>
  readonly apiKeysOfRole: (workspaceId: string, roleId: string) => Result<ReadonlyArray<ApiKeyForRole>>
  readonly updateWorkspaceMemberRole: (workspaceId: string, callerUserId: string, workspaceMemberId: string, roleId: string) => Result<WorkspaceMemberView>
  readonly assignRoleToApiKey: (workspaceId: string, apiKeyId: string, roleId: string) => Result<boolean>
  readonly setDefaultRole: (workspaceId: string, roleId: string) => Result<void>
  readonly transferOwnership: (workspaceId: string, callerUserId: string, workspaceMemberId: string) => Result<WorkspaceMemberView>
}

export class Roles extends Context.Tag("score/Roles")<Roles, RolesShape>() {}

export const RolesLive = Layer.effect(
  Roles,
  Effect.gen(function*() {
    const deps = {
      sql: yield* SqlClient.SqlClient,
      revocations: yield* Revocations,
      cache: yield* Cache,
      workspaces: yield* Workspaces,
      metadata: yield* Metadata,
      maxRelationDepth: (yield* AppConfig).maxRelationDepth
    }
    return {
      ...makeRoleChanges(deps),
      ...makeGrants(deps),
      ...makeAssignments(deps)
    } satisfies RolesShape
  })
)
