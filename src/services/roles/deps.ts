import { SqlClient, type SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { CacheShape } from "../../platform/cache/index.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { firstRow } from "../../platform/lib/sql-rows.js"
import type { MetadataShape } from "../metadata/index.js"
import type { RevocationsShape } from "../revocations/index.js"
import type { Role, WorkspacesShape } from "../workspace/index.js"
import { roleNotFound } from "./validate.js"
import type { NotFound } from "../../domain/errors.js"

/** What the roles modules share. */
export interface RolesDeps {
  readonly sql: SqlClient.SqlClient
  readonly revocations: RevocationsShape
  readonly cache: CacheShape
  readonly workspaces: WorkspacesShape
  readonly metadata: MetadataShape
  readonly maxRelationDepth: number
}

/** Workspaces.findRole's credential entry, dropped with the role's permissions on every change. */
export const roleCacheKey = (roleId: string) => `role:${roleId}`

/** A role of this workspace; an id of another workspace (or not a UUID) is ROLE_NOT_FOUND. */
export const findRoleIn = (sql: SqlClient.SqlClient, workspaceId: string, roleId: string, lock = false): Effect.Effect<Role, NotFound | SqlError.SqlError> =>
  !isUuid(roleId)
    ? Effect.fail(roleNotFound())
    : Effect.flatMap(
      lock
        ? sql`SELECT * FROM core.role WHERE id = ${roleId} AND "workspaceId" = ${workspaceId} FOR UPDATE`
        : sql`SELECT * FROM core.role WHERE id = ${roleId} AND "workspaceId" = ${workspaceId}`,
      (rows) => {
        const role = firstRow<Role>(rows)
        return role ? Effect.succeed(role) : Effect.fail(roleNotFound())
      }
    )
