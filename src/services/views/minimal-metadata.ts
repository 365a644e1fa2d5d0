import type { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import { jsonRows } from "../../platform/lib/sql-rows.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import type { ViewReads } from "./reads.js"
import type { MinimalMetadata } from "./types.js"

/** Collections (Twenty's AllMetadataName) whose content hash minimalMetadata reports, with Score's table. */
const HASHED_COLLECTIONS: ReadonlyArray<readonly [string, string]> = [
  ["objectMetadata", "objectMetadata"],
  ["fieldMetadata", "fieldMetadata"],
  ["view", "view"],
  ["viewField", "viewField"],
  ["viewFieldGroup", "viewFieldGroup"],
  ["viewGroup", "viewGroup"],
  ["viewSort", "viewSort"],
  ["viewFilterGroup", "viewFilterGroup"],
  ["viewFilter", "viewFilter"],
  ["role", "role"],
  ["objectPermission", "objectPermission"],
  ["fieldPermission", "fieldPermission"],
  ["permissionFlag", "permissionFlag"],
  ["webhook", "webhook"]
]

/** Active objects, the views the caller may list, and a content hash per metadata collection. */
export const makeMinimalMetadata = (sql: SqlClient.SqlClient, reads: ViewReads) =>
(caller: WorkspaceCaller): Effect.Effect<MinimalMetadata, SqlError.SqlError> =>
  Effect.gen(function*() {
    const workspaceId = caller.workspace.id
    const [objectMetadataItems, views, collectionHashes] = yield* Effect.all([
      sql`SELECT id, "nameSingular", "namePlural", "labelSingular", "labelPlural", icon, NULL::text AS color,
                 "isActive", "isSystem", "isRemote"
            FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} AND "isActive" ORDER BY "nameSingular"`,
      reads.listViews(caller, {}),
      // The hash changes whenever a row of the collection is added, changed or removed.
      sql.unsafe<{ collectionName: string; hash: string }>(
        HASHED_COLLECTIONS.map(([name, table]) =>
          `SELECT '${name}' AS "collectionName", md5(coalesce(string_agg(row_to_json(t)::text, ',' ORDER BY t.id), '')) AS hash
             FROM core."${table}" t WHERE t."workspaceId" = $1`
        ).join(" UNION ALL "),
        [workspaceId]
      )
    ], { concurrency: "unbounded" })
    return {
      objectMetadataItems: jsonRows<Record<string, unknown>>(objectMetadataItems),
      views: views.map((v) => ({ id: v.id, type: v.type, key: v.key, objectMetadataId: v.objectMetadataId })),
      collectionHashes
    }
  })
