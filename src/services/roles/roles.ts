import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import { PermissionsErrorCode as Code } from "../../domain/permissions.js"
import { isUniqueViolation } from "../../platform/lib/pg-errors.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { apiKeyCacheKey } from "../api-keys/index.js"
import { rolePermissionsKey } from "../permissions/index.js"
import { membershipCacheKey } from "../workspace/index.js"
import { findRoleIn, roleCacheKey, type RolesDeps } from "./deps.js"
import { loadRoleViews } from "./store.js"
import { checkObjectOverride, checkRoleRecordFlags, labelTaken, ownSettingsAccess, roleNotEditable, roleNotFound } from "./validate.js"

const BOOLEAN_SETTINGS = [
  "canUpdateAllSettings",
  "canAccessAllTools",
  "canReadAllObjectRecords",
  "canUpdateAllObjectRecords",
  "canSoftDeleteAllObjectRecords",
  "canDestroyAllObjectRecords",
  "canBeAssignedToUsers",
  "canBeAssignedToAgents",
  "canBeAssignedToApiKeys"
] as const
type BooleanSetting = typeof BOOLEAN_SETTINGS[number]

/** Twenty's UpdateRolePayload: absent or null leaves a value as it is. */
export type RolePatch = {
  readonly label?: string | null | undefined
  readonly description?: string | null | undefined
  readonly icon?: string | null | undefined
} & { readonly [K in BooleanSetting]?: boolean | null | undefined }

/** Twenty's CreateRoleInput. */
export type CreateRoleInput = RolePatch & { readonly id?: string | null | undefined; readonly label: string }

/** Twenty's defaults for a new role: no record or settings access, assignable to everyone. */
const CREATE_DEFAULTS: Record<BooleanSetting, boolean> = {
  canUpdateAllSettings: false,
  canAccessAllTools: false,
  canReadAllObjectRecords: false,
  canUpdateAllObjectRecords: false,
  canSoftDeleteAllObjectRecords: false,
  canDestroyAllObjectRecords: false,
  canBeAssignedToUsers: true,
  canBeAssignedToAgents: true,
  canBeAssignedToApiKeys: true
}

const validLabel = (label: unknown) =>
  typeof label === "string" && label.trim().length > 0 && label.trim().length <= 255
    ? Effect.succeed(label.trim())
    : Effect.fail(new BadUserInput({ message: "label must be 1 to 255 characters", field: "label" }))

const settingsOf = (base: Record<BooleanSetting, boolean>, patch: RolePatch) =>
  Object.fromEntries(BOOLEAN_SETTINGS.map((key) => [key, patch[key] ?? base[key]])) as Record<BooleanSetting, boolean>

export const makeRoleChanges = ({ sql, revocations }: RolesDeps) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.provideService(effect, SqlClient.SqlClient, sql)

  const view = (workspaceId: string, roleId: string) =>
    Effect.flatMap(provided(loadRoleViews(workspaceId, roleId)), ([role]) =>
      role ? Effect.succeed(role) : Effect.fail(roleNotFound()))

  const uniqueLabel = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.catchIf(effect, isUniqueViolation, () => Effect.fail(labelTaken()))

  const create = (workspaceId: string, input: CreateRoleInput) =>
    Effect.gen(function*() {
      const label = yield* validLabel(input.label)
      if (input.id != null && !isUuid(input.id)) {
        return yield* new BadUserInput({ message: "id must be a UUID", field: "id" })
      }
      const settings = settingsOf(CREATE_DEFAULTS, input)
      const inconsistent = checkRoleRecordFlags(settings)
      if (inconsistent) return yield* inconsistent
      const [row] = yield* sql<{ id: string }>`INSERT INTO core.role ${
        sql.insert({
          ...(input.id ? { id: input.id } : {}),
          workspaceId,
          label,
          description: input.description ?? null,
          icon: input.icon ?? null,
          isEditable: true,
          ...settings
        })
      } RETURNING id`.pipe(uniqueLabel)
      return yield* view(workspaceId, row!.id)
    })

  const update = (workspaceId: string, id: string, patch: RolePatch, actingRoleId: string | null = null) =>
    Effect.gen(function*() {
      const label = patch.label == null ? null : yield* validLabel(patch.label)
      yield* revocations.revoking(
        Effect.gen(function*() {
          const role = yield* findRoleIn(sql, workspaceId, id, true)
          if (!role.isEditable) return yield* roleNotEditable()
          const settings = settingsOf(role, patch)
          const inconsistent = checkRoleRecordFlags(settings)
          if (inconsistent) return yield* inconsistent
          if (actingRoleId === id && role.canUpdateAllSettings && !settings.canUpdateAllSettings) {
            const [explicit] = yield* sql`SELECT 1 FROM core."permissionFlag" WHERE "roleId" = ${id} AND flag = 'ROLES'`
            if (!explicit) return yield* ownSettingsAccess()
          }
          // Existing per-object overrides must stay consistent with the new role-wide flags.
          const overrides = yield* sql<Parameters<typeof checkObjectOverride>[1]>`
            SELECT "canReadObjectRecords", "canUpdateObjectRecords", "canSoftDeleteObjectRecords", "canDestroyObjectRecords"
              FROM core."objectPermission" WHERE "roleId" = ${id}`
          for (const override of overrides) {
            const wrong = checkObjectOverride(settings, override)
            if (wrong) return yield* wrong
          }
          yield* sql`UPDATE core.role SET ${
            sql.update({
              label: label ?? role.label,
              description: patch.description ?? role.description,
              icon: patch.icon ?? role.icon,
              ...settings,
              updatedAt: new Date()
            })
          } WHERE id = ${id}`.pipe(uniqueLabel)
        }),
        { keys: () => [rolePermissionsKey(id), roleCacheKey(id)] }
      )
      return yield* view(workspaceId, id)
    })

  /** Members and API keys holding the role fall back to the workspace's default role. */
  const remove = (workspaceId: string, id: string, actingRoleId: string | null = null) =>
    revocations.revoking(
      Effect.gen(function*() {
        const role = yield* findRoleIn(sql, workspaceId, id, true)
        if (!role.isEditable) return yield* roleNotEditable()
        if (actingRoleId === id) return yield* new Forbidden({ message: "Cannot delete own role", subCode: Code.CANNOT_DELETE_OWN_ROLE })
        const [workspace] = yield* sql<{ defaultRoleId: string | null }>`
          SELECT "defaultRoleId" FROM core.workspace WHERE id = ${workspaceId} FOR UPDATE`
        const defaultRoleId = workspace?.defaultRoleId ?? null
        if (defaultRoleId === null) {
          return yield* new NotFound({ message: "Default role not found", subCode: Code.DEFAULT_ROLE_NOT_FOUND })
        }
        if (defaultRoleId === id) {
          return yield* new Forbidden({ message: "Default role cannot be deleted", subCode: Code.DEFAULT_ROLE_CANNOT_BE_DELETED })
        }
        const members = yield* sql<{ userId: string }>`
          UPDATE core."userWorkspace" SET "roleId" = ${defaultRoleId}, "updatedAt" = now()
           WHERE "workspaceId" = ${workspaceId} AND "roleId" = ${id} RETURNING "userId"`
        const keys = yield* sql<{ id: string }>`
          UPDATE core."apiKey" SET "roleId" = ${defaultRoleId}, "updatedAt" = now()
           WHERE "workspaceId" = ${workspaceId} AND "roleId" = ${id} RETURNING id`
        yield* sql`DELETE FROM core.role WHERE id = ${id}`
        return { members, keys }
      }),
      {
        keys: ({ members, keys }) => [
          rolePermissionsKey(id),
          roleCacheKey(id),
          ...members.map((m) => membershipCacheKey(m.userId, workspaceId)),
          ...keys.map((k) => apiKeyCacheKey(k.id))
        ]
      }
    ).pipe(Effect.as(id))

  return {
    list: (workspaceId: string) => provided(loadRoleViews(workspaceId)),
    get: view,
    create,
    update,
    remove
  }
}
