import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { findObjectById } from "../../domain/metadata.js"
import { isPermissionFlag, PermissionsErrorCode as Code } from "../../domain/permissions.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { rolePermissionsKey } from "../permissions/index.js"
import type { Role } from "../workspace/index.js"
import { findRoleIn, roleCacheKey, type RolesDeps } from "./deps.js"
import { loadRoleViews, type RoleView } from "./store.js"
import {
  checkFieldRestriction,
  checkObjectOverride,
  checkRowFilter,
  type FieldRestriction,
  fieldNotFound,
  type ObjectOverride,
  objectNotFound,
  ownSettingsAccess,
  roleNotEditable
} from "./validate.js"

/* upsertObjectPermissions, upsertFieldPermissions, upsertPermissionFlags and Score's upsertRowPermissions. */

export type ObjectPermissionInput = { readonly objectMetadataId: string } & {
  readonly [K in keyof ObjectOverride]?: boolean | null | undefined
}
export type FieldPermissionInput = { readonly objectMetadataId: string; readonly fieldMetadataId: string } & {
  readonly [K in keyof FieldRestriction]?: boolean | null | undefined
}
export interface RowPermissionInput {
  readonly objectMetadataId: string
  /** Null removes the role's row permission on the object. */
  readonly filter: unknown
}

/** An input value when given (null included), else what is stored. */
const merged = <T>(input: T | undefined, stored: T | null): T | null => (input === undefined ? stored : input)

export const makeGrants = ({ sql, revocations, metadata, maxRelationDepth }: RolesDeps) => {
  const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.provideService(effect, SqlClient.SqlClient, sql)

  /** Runs `change` on an editable role of the workspace as a revocation of its cached permissions. */
  const changingRole = <A, E, R>(
    workspaceId: string,
    roleId: string,
    change: (role: Role) => Effect.Effect<A, E, R>
  ) =>
    Effect.zipRight(
      revocations.revoking(
        Effect.gen(function*() {
          const role = yield* findRoleIn(sql, workspaceId, roleId, true)
          if (!role.isEditable) return yield* roleNotEditable()
          return yield* change(role)
        }),
        { keys: () => [rolePermissionsKey(roleId), roleCacheKey(roleId)] }
      ),
      Effect.flatMap(provided(loadRoleViews(workspaceId, roleId)), ([role]) => Effect.succeed(role as RoleView))
    )

  const upsertObjectPermissions = (workspaceId: string, roleId: string, inputs: ReadonlyArray<ObjectPermissionInput>) =>
    Effect.gen(function*() {
      const model = yield* metadata.get(workspaceId)
      for (const input of inputs) if (!findObjectById(model, input.objectMetadataId)) return yield* objectNotFound()
      const role = yield* changingRole(workspaceId, roleId, (role) =>
        Effect.forEach(inputs, (input) =>
          Effect.gen(function*() {
            const [stored] = yield* sql<ObjectOverride>`
              SELECT "canReadObjectRecords", "canUpdateObjectRecords", "canSoftDeleteObjectRecords", "canDestroyObjectRecords"
                FROM core."objectPermission" WHERE "roleId" = ${roleId} AND "objectMetadataId" = ${input.objectMetadataId}`
            const next: ObjectOverride = {
              canReadObjectRecords: merged(input.canReadObjectRecords, stored?.canReadObjectRecords ?? null),
              canUpdateObjectRecords: merged(input.canUpdateObjectRecords, stored?.canUpdateObjectRecords ?? null),
              canSoftDeleteObjectRecords: merged(input.canSoftDeleteObjectRecords, stored?.canSoftDeleteObjectRecords ?? null),
              canDestroyObjectRecords: merged(input.canDestroyObjectRecords, stored?.canDestroyObjectRecords ?? null)
            }
            const wrong = checkObjectOverride(role, next)
            if (wrong) return yield* wrong
            yield* sql`
              INSERT INTO core."objectPermission" ${sql.insert({ workspaceId, roleId, objectMetadataId: input.objectMetadataId, ...next })}
              ON CONFLICT ("roleId", "objectMetadataId") DO UPDATE SET
                "canReadObjectRecords" = EXCLUDED."canReadObjectRecords",
                "canUpdateObjectRecords" = EXCLUDED."canUpdateObjectRecords",
                "canSoftDeleteObjectRecords" = EXCLUDED."canSoftDeleteObjectRecords",
                "canDestroyObjectRecords" = EXCLUDED."canDestroyObjectRecords",
                "updatedAt" = now()`
          }), { discard: true }))
      return role.objectPermissions
    })

  const upsertFieldPermissions = (workspaceId: string, roleId: string, inputs: ReadonlyArray<FieldPermissionInput>) =>
    Effect.gen(function*() {
      const model = yield* metadata.get(workspaceId)
      for (const input of inputs) {
        const object = findObjectById(model, input.objectMetadataId)
        if (!object) return yield* objectNotFound()
        if (!object.fields.some((f) => f.id === input.fieldMetadataId)) return yield* fieldNotFound()
      }
      const role = yield* changingRole(workspaceId, roleId, () =>
        Effect.forEach(inputs, (input) =>
          Effect.gen(function*() {
            const [stored] = yield* sql<FieldRestriction>`
              SELECT "canReadFieldValue", "canUpdateFieldValue" FROM core."fieldPermission"
               WHERE "roleId" = ${roleId} AND "fieldMetadataId" = ${input.fieldMetadataId}`
            const next: FieldRestriction = {
              canReadFieldValue: merged(input.canReadFieldValue, stored?.canReadFieldValue ?? null),
              canUpdateFieldValue: merged(input.canUpdateFieldValue, stored?.canUpdateFieldValue ?? null)
            }
            const wrong = checkFieldRestriction(input, next)
            if (wrong) return yield* wrong
            if (next.canReadFieldValue === null && next.canUpdateFieldValue === null) {
              yield* sql`DELETE FROM core."fieldPermission" WHERE "roleId" = ${roleId} AND "fieldMetadataId" = ${input.fieldMetadataId}`
              return
            }
            yield* sql`
              INSERT INTO core."fieldPermission" ${
              sql.insert({ workspaceId, roleId, objectMetadataId: input.objectMetadataId, fieldMetadataId: input.fieldMetadataId, ...next })
            }
              ON CONFLICT ("roleId", "fieldMetadataId") DO UPDATE SET
                "canReadFieldValue" = EXCLUDED."canReadFieldValue",
                "canUpdateFieldValue" = EXCLUDED."canUpdateFieldValue",
                "updatedAt" = now()`
          }), { discard: true }))
      const objects = new Set(inputs.map((i) => i.objectMetadataId))
      return role.fieldPermissions.filter((p) => objects.has(p.objectMetadataId))
    })

  /** Replaces the role's flag set. */
  const upsertPermissionFlags = (workspaceId: string, roleId: string, flags: ReadonlyArray<string>, actingRoleId: string | null = null) =>
    Effect.gen(function*() {
      const unknown = flags.find((flag) => !isPermissionFlag(flag))
      if (unknown !== undefined) {
        return yield* new BadUserInput({
          message: `Invalid permission setting (unknown value): ${unknown}`,
          field: "permissionFlagKeys",
          subCode: Code.INVALID_SETTING
        })
      }
      const wanted = [...new Set(flags)]
      const role = yield* changingRole(workspaceId, roleId, (role) =>
        Effect.gen(function*() {
          if (actingRoleId === roleId && !role.canUpdateAllSettings && !wanted.includes("ROLES")) return yield* ownSettingsAccess()
          yield* sql`DELETE FROM core."permissionFlag" WHERE "roleId" = ${roleId} AND NOT (flag = ANY(${wanted}::text[]))`
          if (wanted.length > 0) {
            yield* sql`INSERT INTO core."permissionFlag" ${sql.insert(wanted.map((flag) => ({ workspaceId, roleId, flag })))}
                       ON CONFLICT ("roleId", flag) DO NOTHING`
          }
        }))
      return role.permissionFlags
    })

  const upsertRowPermissions = (workspaceId: string, roleId: string, inputs: ReadonlyArray<RowPermissionInput>) =>
    Effect.gen(function*() {
      const model = yield* metadata.get(workspaceId)
      for (const input of inputs) {
        const object = isUuid(input.objectMetadataId) ? findObjectById(model, input.objectMetadataId) : undefined
        if (!object) return yield* objectNotFound()
        if (input.filter === null || input.filter === undefined) continue
        const wrong = checkRowFilter(model, object, input.filter, maxRelationDepth)
        if (wrong) return yield* wrong
      }
      const role = yield* changingRole(workspaceId, roleId, () =>
        Effect.forEach(inputs, (input) =>
          input.filter === null || input.filter === undefined
            ? sql`DELETE FROM core."rowPermission" WHERE "roleId" = ${roleId} AND "objectMetadataId" = ${input.objectMetadataId}`
            : sql`INSERT INTO core."rowPermission" ("workspaceId", "roleId", "objectMetadataId", filter)
                  VALUES (${workspaceId}, ${roleId}, ${input.objectMetadataId}, ${JSON.stringify(input.filter)}::jsonb)
                  ON CONFLICT ("roleId", "objectMetadataId") DO UPDATE SET filter = EXCLUDED.filter, "updatedAt" = now()`,
          { discard: true }))
      return role.rowPermissions
    })

  return { upsertObjectPermissions, upsertFieldPermissions, upsertPermissionFlags, upsertRowPermissions }
}
