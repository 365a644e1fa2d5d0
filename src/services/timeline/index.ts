import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import { ident, qualified } from "../metadata/columns.js"
import { Metadata } from "../metadata/index.js"
import { ResultCache } from "../../platform/cache/results.js"
import { type Diff, labelOf, mergeUpdates, propertiesOf } from "./properties.js"

/** Updates of the same record by the same member within this window merge into one activity (as Twenty). */
const MERGE_WINDOW = "10 minutes"

/**
 * Where an event's activity goes: the timelineActivity object and its relation field to the event's object.
 * None for `destroyed` records, system objects, or objects the timeline has no relation to.
 */
export const timelinePlace = (metadata: WorkspaceMetadata, event: RecordEvent) => {
  if (event.action === "destroyed") return undefined
  const timeline = metadata.objects.find((o) => o.nameSingular === "timelineActivity")
  const source = metadata.objects.find((o) => o.id === event.objectMetadataId)
  if (!timeline || !source || source.isSystem) return undefined
  const target = timeline.fields.find((f) =>
    f.isActive && f.relationType === "MANY_TO_ONE" && f.relationTargetObjectMetadataId === source.id && f.name !== "workspaceMember"
  )
  return target ? { timeline, target } : undefined
}

/**
 * Writes the timelineActivity for a record event (Twenty's names and properties), on the record's own
 * timeline. Written with SQL directly, not through Records: timeline rows are not record events themselves.
 */
export const recordTimelineActivity = (event: RecordEvent) =>
  Effect.gen(function*() {
    if (event.action === "destroyed") return
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(event.workspaceId))
    const place = timelinePlace(metadata, event)
    if (!place) return
    const { timeline, target } = place
    const sql = yield* SqlClient.SqlClient
    const table = qualified(metadata.schema, timeline.tableName)
    const targetColumn = ident(`${target.name}Id`)
    const member = event.actor.workspaceMemberId
    const properties = propertiesOf(event)
    yield* sql.withTransaction(Effect.gen(function*() {
      if (event.action === "updated") {
        const [recent] = yield* sql.unsafe<{ id: string; properties: { diff?: Diff } }>(
          `SELECT id, properties FROM ${table}
           WHERE name = $1 AND ${targetColumn} = $2 AND "workspaceMemberId" IS NOT DISTINCT FROM $3
             AND "happensAt" > now() - interval '${MERGE_WINDOW}' AND "deletedAt" IS NULL
           ORDER BY "happensAt" DESC LIMIT 1 FOR UPDATE`,
          [event.name, event.recordId, member]
        )
        if (recent) {
          yield* sql.unsafe(`UPDATE ${table} SET properties = $1, "happensAt" = $2, "updatedAt" = now() WHERE id = $3`, [
            JSON.stringify(mergeUpdates(recent.properties, properties)),
            event.occurredAt,
            recent.id
          ])
          return
        }
      }
      yield* sql.unsafe(
        `INSERT INTO ${table} (name, "happensAt", properties, "workspaceMemberId", ${targetColumn}, "linkedRecordCachedName",
           "createdBySource", "createdByName", "createdByWorkspaceMemberId")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $4)`,
        [event.name, event.occurredAt, JSON.stringify(properties), member, event.recordId, labelOf(event.record), event.actor.source, event.actor.name]
      )
    }))
    yield* Effect.flatMap(ResultCache, (results) => results.bump(event.workspaceId, [timeline.tableName]))
  }).pipe(Effect.withSpan("Timeline.record", { attributes: { event: event.name } }))
