import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { linkParticipantsToMember, linkParticipantsToPerson } from "./participants.js"

const LINKING_ACTIONS = new Set(["created", "updated", "restored"])

/**
 * Twenty's MessageParticipantMatchParticipantJob: a person created (or given a new email) later than the
 * mail that names them is linked to its participants; so is a workspace member by their email. The record
 * is read again, so a late or repeated event links what is true now.
 */
export const matchParticipantsOfRecordEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    if (!LINKING_ACTIONS.has(event.action)) return
    const isPerson = event.objectNameSingular === "person"
    if (!isPerson && event.objectNameSingular !== "workspaceMember") return
    if (event.action === "updated" && !event.updatedFields?.some((f) => f === (isPerson ? "emails" : "userEmail"))) return
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(event.workspaceId))
    if (!metadata.objects.some((o) => o.nameSingular === "messageParticipant")) return
    const sql = yield* SqlClient.SqlClient
    const s = ident(metadata.schema)
    if (isPerson) {
      const rows = yield* sql.unsafe<{ email: string }>(
        `SELECT lower("emailsPrimaryEmail") AS email FROM ${s}.person WHERE id = $1 AND "deletedAt" IS NULL AND "emailsPrimaryEmail" IS NOT NULL
         UNION SELECT lower(e) FROM ${s}.person, jsonb_array_elements_text(CASE WHEN jsonb_typeof("emailsAdditionalEmails") = 'array' THEN "emailsAdditionalEmails" ELSE '[]'::jsonb END) e
          WHERE id = $1 AND "deletedAt" IS NULL`,
        [event.recordId])
      yield* linkParticipantsToPerson(event.workspaceId, event.recordId, rows.map((r) => r.email))
    } else {
      const [member] = yield* sql.unsafe<{ email: string | null }>(
        `SELECT lower("userEmail") AS email FROM ${s}."workspaceMember" WHERE id = $1 AND "deletedAt" IS NULL`, [event.recordId])
      if (member?.email) yield* linkParticipantsToMember(event.workspaceId, event.recordId, member.email)
    }
  })
