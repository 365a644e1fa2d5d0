import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ident } from "../metadata/columns.js"
import { claimStage, type SyncStage } from "./channel-state.js"
import { enqueueChannelImport, enqueueChannelSync } from "./jobs-queue.js"

/** A stage left ONGOING this long belongs to a worker that died (Twenty's MessagingOngoingStaleJob: 1 hour). */
export const STALE_AFTER_MS = 60 * 60_000

/** Every workspace having the messaging objects, with its schema. */
const workspaces = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ workspaceId: string; schema: string }>`
    SELECT d."workspaceId", d.schema FROM core."dataSource" d
     WHERE EXISTS (SELECT 1 FROM core."objectMetadata" o WHERE o."workspaceId" = d."workspaceId" AND o."nameSingular" = 'messageChannel')`)

export const channelsWhere = (schema: string, condition: string, params: ReadonlyArray<unknown>, object: "messageChannel" | "calendarChannel" = "messageChannel") =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ id: string }>(`SELECT id FROM ${ident(schema)}.${ident(object)} WHERE "deletedAt" IS NULL AND "isSyncEnabled" AND ${condition}`, [...params]))

export const eachWorkspace = <E, R>(run: (workspaceId: string, schema: string) => Effect.Effect<number, E, R>) =>
  Effect.gen(function*() {
    let total = 0
    for (const { workspaceId, schema } of yield* workspaces) {
      total += yield* run(workspaceId, schema).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning(`Messaging cron failed for workspace ${workspaceId}: ${String(e)}`), 0))
      )
    }
    return total
  })

/** Twenty's MessagingMessageListFetchCronJob: channels waiting for a list fetch, unless backing off. */
export const scheduleListFetches = eachWorkspace((workspaceId, schema) =>
  Effect.gen(function*() {
    const channels = yield* channelsWhere(schema, `"syncStage" = 'MESSAGE_LIST_FETCH_PENDING' AND ("throttleRetryAfter" IS NULL OR "throttleRetryAfter" <= now())`, [])
    for (const { id } of channels) yield* enqueueChannelSync(workspaceId, id)
    return channels.length
  }))

/** Twenty's MessagingMessagesImportCronJob: channels with messages waiting to be imported. */
export const scheduleImports = eachWorkspace((workspaceId, schema) =>
  Effect.gen(function*() {
    const channels = yield* channelsWhere(schema, `"syncStage" = 'MESSAGES_IMPORT_PENDING'`, [])
    for (const { id } of channels) yield* enqueueChannelImport(workspaceId, id)
    return channels.length
  }))

const STALE: ReadonlyArray<readonly [SyncStage, SyncStage]> = [
  ["MESSAGE_LIST_FETCH_ONGOING", "MESSAGE_LIST_FETCH_PENDING"],
  ["MESSAGE_LIST_FETCH_SCHEDULED", "MESSAGE_LIST_FETCH_PENDING"],
  ["MESSAGES_IMPORT_ONGOING", "MESSAGES_IMPORT_PENDING"],
  ["MESSAGES_IMPORT_SCHEDULED", "MESSAGES_IMPORT_PENDING"]
]

/** Twenty's MessagingOngoingStaleCronJob: a step ONGOING for over an hour goes back to its PENDING stage. */
export const resetStaleChannels = (staleAfterMs = STALE_AFTER_MS) =>
  eachWorkspace((workspaceId, schema) =>
    Effect.gen(function*() {
      let reset = 0
      for (const [from, to] of STALE) {
        const channels = yield* channelsWhere(schema, `"syncStage" = $1 AND "syncStageStartedAt" < $2`, [from, new Date(Date.now() - staleAfterMs).toISOString()])
        for (const { id } of channels) if (yield* claimStage(workspaceId, id, [from], to)) reset++
      }
      return reset
    }))

/** Twenty's MessagingRelaunchFailedMessageChannelsCronJob: FAILED_UNKNOWN channels start over (a refused login does not). */
export const relaunchFailedChannels = eachWorkspace((workspaceId, schema) =>
  Effect.gen(function*() {
    const channels = yield* channelsWhere(schema, `"syncStage" = 'FAILED' AND "syncStatus" = 'FAILED_UNKNOWN'`, [])
    let relaunched = 0
    for (const { id } of channels) {
      if (yield* claimStage(workspaceId, id, ["FAILED"], "MESSAGE_LIST_FETCH_PENDING", { throttleFailureCount: 0, throttleRetryAfter: null })) relaunched++
    }
    return relaunched
  }))
