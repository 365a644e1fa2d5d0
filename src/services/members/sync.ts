import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { userCacheKey } from "../auth/users.js"
import { Revocations } from "../revocations/index.js"
import { membershipCacheKey, Workspaces } from "../workspace/index.js"

const SYNCED_FIELDS = new Set(["name", "locale"])

/**
 * A member's name and locale are edited on their workspaceMember record (as in Twenty's front end); the
 * user row and the membership follow. The record is read again, so events handled out of order or twice
 * still leave the latest values.
 */
export const syncUserFromWorkspaceMember = (event: RecordEvent) =>
  Effect.gen(function*() {
    if (event.objectNameSingular !== "workspaceMember" || event.action !== "updated") return
    if (event.updatedFields && !event.updatedFields.some((field) => SYNCED_FIELDS.has(field))) return
    const schema = yield* Effect.flatMap(Workspaces, (w) => w.schemaOf(event.workspaceId))
    if (!schema) return
    const sql = yield* SqlClient.SqlClient
    const [member] = yield* sql<{ userId: string; nameFirstName: string | null; nameLastName: string | null; locale: string | null }>`
      SELECT "userId", "nameFirstName", "nameLastName", locale FROM ${sql(schema)}."workspaceMember"
      WHERE id = ${event.recordId} AND "deletedAt" IS NULL`
    if (!member) return
    yield* sql`UPDATE core."user" SET "firstName" = ${member.nameFirstName ?? ""}, "lastName" = ${member.nameLastName ?? ""},
                 locale = COALESCE(${member.locale}, locale), "updatedAt" = now()
               WHERE id = ${member.userId}`
    yield* sql`UPDATE core."userWorkspace" SET locale = COALESCE(${member.locale}, locale), "updatedAt" = now()
               WHERE "userId" = ${member.userId} AND "workspaceId" = ${event.workspaceId} AND "deletedAt" IS NULL`
    const revocations = yield* Revocations
    // Both at once: a reader between two invalidations saw the new name with the old locale.
    yield* revocations.invalidate(userCacheKey(member.userId), membershipCacheKey(member.userId, event.workspaceId))
  })
