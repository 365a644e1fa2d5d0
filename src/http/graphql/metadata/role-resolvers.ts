import type { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { User } from "../../../domain/auth.js"
import type { UserError } from "../../../domain/errors.js"
import type { PermissionFlag } from "../../../domain/permissions.js"
import type { WorkspaceCaller } from "../../../services/auth/permissions.js"
import type { AuditKind } from "../../../domain/audit.js"
import { type AuditAbout, auditAfter } from "../../../services/audit/outbox.js"
import { Permissions } from "../../../services/permissions/index.js"
import { type FieldPermissionRow, Roles, type RolesShape, type RoleView, type WorkspaceMemberView } from "../../../services/roles/index.js"
import { type Role, Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { userOf, workspaceOf } from "./auth-resolvers.js"

/** The services role resolvers run. */
export type RoleServices = Permissions | Roles | Workspaces | SqlClient.SqlClient

type Context = GraphQLContext<RoleServices>
type Args = Record<string, any>

/** Runs a role operation for a caller holding `flag` (Twenty's SettingsPermissionsGuard). */
const withFlag = async <A>(
  ctx: Context,
  flag: PermissionFlag,
  run: (roles: RolesShape, caller: WorkspaceCaller, actingRoleId: string | null) => Effect.Effect<A, UserError | SqlError.SqlError, Permissions>,
  caller?: WorkspaceCaller,
  audit?: { readonly kind: AuditKind; readonly about: (result: A) => AuditAbout }
) => {
  const auth = caller ?? await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    const permissions = yield* Permissions
    yield* permissions.requireFlag(auth, flag)
    const result = yield* run(yield* Roles, auth, permissions.roleIdOf(auth))
    if (audit) yield* auditAfter(auth, audit.kind, audit.about)(result)
    return result
  }))
}

const roleChange = (kind: AuditKind, roleId: (result: any) => string, change?: string) => ({
  kind,
  about: (result: unknown) => ({ recordId: roleId(result), details: change ? { change } : {} })
})

/** A Role reached from elsewhere (an API key's role, the default role) has no permission lists yet. */
const roleView = (role: Role | RoleView, ctx: Context): Promise<RoleView> =>
  "permissionFlags" in role ? Promise.resolve(role) : ctx.run(Effect.flatMap(Roles, (r) => r.get(role.workspaceId, role.id)))

const restrictedFields = (fields: ReadonlyArray<FieldPermissionRow>, objectMetadataId: string) =>
  Object.fromEntries(
    fields.filter((f) => f.objectMetadataId === objectMetadataId).map((f) => [
      f.fieldMetadataId,
      { canRead: f.canReadFieldValue, canUpdate: f.canUpdateFieldValue }
    ])
  )

export const roleResolvers = {
  Role: {
    permissionFlags: async (role: Role, _: Args, ctx: Context) => (await roleView(role, ctx)).permissionFlags,
    objectPermissions: async (role: Role, _: Args, ctx: Context) => {
      const view = await roleView(role, ctx)
      return view.objectPermissions.map((p) => ({ ...p, restrictedFields: restrictedFields(view.fieldPermissions, p.objectMetadataId) }))
    },
    fieldPermissions: async (role: Role, _: Args, ctx: Context) => (await roleView(role, ctx)).fieldPermissions,
    rowPermissions: async (role: Role, _: Args, ctx: Context) => (await roleView(role, ctx)).rowPermissions,
    workspaceMembers: (role: Role, _: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(Roles, (r) => r.membersOfRole(role.workspaceId, role.id))),
    apiKeys: (role: Role, _: Args, ctx: Context) => ctx.run(Effect.flatMap(Roles, (r) => r.apiKeysOfRole(role.workspaceId, role.id)))
  },
  WorkspaceMember: {
    roles: async (member: WorkspaceMemberView, _: Args, ctx: Context) => {
      if (member.roleId === null) return []
      const role = await ctx.run(Effect.flatMap(Workspaces, (w) => w.findRole(member.roleId!)))
      return role ? [role] : []
    }
  },
  User: {
    workspaceMember: async (user: User, _: Args, ctx: Context) => {
      const auth = await ctx.auth()
      if (auth.kind !== "user") return null
      return ctx.run(Effect.flatMap(Roles, (r) => r.memberOfUser(auth.workspace.id, user.id)))
    }
  },
  Query: {
    getRoles: (_: unknown, _args: Args, ctx: Context) => withFlag(ctx, "ROLES", (r, a) => r.list(a.workspace.id))
  },
  Mutation: {
    createOneRole: (_: unknown, args: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a) => r.create(a.workspace.id, args.createRoleInput), undefined, roleChange("role.created", (role) => role.id)),
    updateOneRole: (_: unknown, args: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a, acting) => r.update(a.workspace.id, args.updateRoleInput.id, args.updateRoleInput.update, acting), undefined, roleChange("role.updated", () => args.updateRoleInput.id)),
    deleteOneRole: (_: unknown, args: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a, acting) => r.remove(a.workspace.id, args.roleId, acting), undefined, roleChange("role.deleted", () => args.roleId)),
    upsertObjectPermissions: (_: unknown, { upsertObjectPermissionsInput: input }: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a) => r.upsertObjectPermissions(a.workspace.id, input.roleId, input.objectPermissions), undefined, roleChange("role.updated", () => input.roleId, "objectPermissions")),
    upsertFieldPermissions: (_: unknown, { upsertFieldPermissionsInput: input }: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a) => r.upsertFieldPermissions(a.workspace.id, input.roleId, input.fieldPermissions), undefined, roleChange("role.updated", () => input.roleId, "fieldPermissions")),
    upsertPermissionFlags: (_: unknown, { upsertPermissionFlagsInput: input }: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a, acting) => r.upsertPermissionFlags(a.workspace.id, input.roleId, input.permissionFlagKeys, acting), undefined, roleChange("role.updated", () => input.roleId, "permissionFlags")),
    upsertRowPermissions: (_: unknown, { upsertRowPermissionsInput: input }: Args, ctx: Context) =>
      withFlag(ctx, "ROLES", (r, a) => r.upsertRowPermissions(a.workspace.id, input.roleId, input.rowPermissions), undefined, roleChange("role.updated", () => input.roleId, "rowPermissions")),
    assignRoleToApiKey: (_: unknown, args: Args, ctx: Context) =>
      withFlag(ctx, "API_KEYS_AND_WEBHOOKS", (r, a) =>
        Effect.zipRight(
          Effect.flatMap(Permissions, (p) => p.requireMayAssign(a, args.roleId)),
          r.assignRoleToApiKey(a.workspace.id, args.apiKeyId, args.roleId)
        ), undefined, { kind: "role.assigned", about: () => ({ recordId: args.roleId, details: { apiKeyId: args.apiKeyId } }) }),
    updateWorkspaceMemberRole: async (_: unknown, args: Args, ctx: Context) => {
      const caller = await userOf(ctx)
      return withFlag(
        ctx,
        "WORKSPACE_MEMBERS",
        (r) =>
          Effect.zipRight(
            Effect.flatMap(Permissions, (p) => p.requireMayAssign(caller, args.roleId)),
            r.updateWorkspaceMemberRole(caller.workspace.id, caller.user.id, args.workspaceMemberId, args.roleId)
          ),
        caller,
        { kind: "role.assigned", about: () => ({ recordId: args.roleId, details: { workspaceMemberId: args.workspaceMemberId } }) }
      )
    },
    transferWorkspaceOwnership: async (_: unknown, args: Args, ctx: Context) => {
      const caller = await userOf(ctx)
      return ctx.run(Effect.flatMap(Roles, (r) => r.transferOwnership(caller.workspace.id, caller.user.id, args.workspaceMemberId)))
    }
  }
}
