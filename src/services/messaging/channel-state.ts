import { Effect } from "effect"
import { Records } from "../records/index.js"
import { emailScope, select } from "./scope.js"

/**
 * Twenty's message channel state machine (syncStage / syncStatus):
 * MESSAGE_LIST_FETCH_PENDING → MESSAGE_LIST_FETCH_ONGOING → MESSAGES_IMPORT_PENDING → MESSAGES_IMPORT_ONGOING
 * → (more to import: MESSAGES_IMPORT_PENDING) → MESSAGE_LIST_FETCH_PENDING with syncStatus ACTIVE.
 * A refused login ends in FAILED / FAILED_INSUFFICIENT_PERMISSIONS; other errors are retried with back-off
 * (throttleFailureCount, throttleRetryAfter) and end in FAILED / FAILED_UNKNOWN after MAX_THROTTLE_FAILURES.
 */
export type SyncStage =
  | "MESSAGE_LIST_FETCH_PENDING" | "MESSAGE_LIST_FETCH_SCHEDULED" | "MESSAGE_LIST_FETCH_ONGOING"
  | "MESSAGES_IMPORT_PENDING" | "MESSAGES_IMPORT_SCHEDULED" | "MESSAGES_IMPORT_ONGOING" | "FAILED" | "PENDING_CONFIGURATION"

export interface Channel {
  readonly id: string
  readonly handle: string
  readonly connectedAccountId: string
  readonly syncStage: SyncStage
  readonly syncStatus: string | null
  readonly isSyncEnabled: boolean
  readonly visibility: "METADATA" | "SUBJECT" | "SHARE_EVERYTHING"
  readonly isContactAutoCreationEnabled: boolean
  readonly contactAutoCreationPolicy: "SENT_AND_RECEIVED" | "SENT" | "NONE"
  readonly excludeNonProfessionalEmails: boolean
  readonly excludeGroupEmails: boolean
  readonly messageFolderImportPolicy: "ALL_FOLDERS" | "SELECTED_FOLDERS"
  readonly throttleFailureCount: number
}

export const CHANNEL_FIELDS = select(
  "handle", "connectedAccountId", "syncStage", "syncStatus", "isSyncEnabled", "visibility", "isContactAutoCreationEnabled",
  "contactAutoCreationPolicy", "excludeNonProfessionalEmails", "excludeGroupEmails", "messageFolderImportPolicy", "throttleFailureCount"
)

export const MAX_THROTTLE_FAILURES = 4

export const loadChannel = (workspaceId: string, channelId: string) =>
  Effect.flatMap(Records, (records) => records.findOne(emailScope(workspaceId), "messageChannel", { id: { eq: channelId } }, CHANNEL_FIELDS)).pipe(
    Effect.map((row) => row as unknown as Channel | null)
  )

export const updateChannel = (workspaceId: string, channelId: string, data: Record<string, unknown>) =>
  Effect.flatMap(Records, (records) => records.updateOne(emailScope(workspaceId), "messageChannel", channelId, data, select()))

const now = () => new Date().toISOString()

export const toStage = (workspaceId: string, channelId: string, stage: SyncStage, extra: Record<string, unknown> = {}) =>
  updateChannel(workspaceId, channelId, { syncStage: stage, syncStageStartedAt: now(), ...extra })

/** Moves the channel from one of `from` to `to`; false when another step holds it (or it is elsewhere). */
export const claimStage = (workspaceId: string, channelId: string, from: ReadonlyArray<SyncStage>, to: SyncStage, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(Records, (records) =>
    records.updateMany(emailScope(workspaceId), "messageChannel", { id: { eq: channelId }, syncStage: { in: [...from] } },
      { syncStage: to, syncStageStartedAt: now(), ...extra }, select())).pipe(Effect.map((rows) => rows.length === 1))

export const markSynced = (workspaceId: string, channelId: string) =>
  toStage(workspaceId, channelId, "MESSAGE_LIST_FETCH_PENDING", {
    syncStatus: "ACTIVE", syncedAt: now(), throttleFailureCount: 0, throttleRetryAfter: null
  })

/** A refused login: the channel stops until the account is saved again with working credentials. */
export const markAuthFailed = (workspaceId: string, channel: Channel, reason: string) =>
  Effect.gen(function*() {
    yield* toStage(workspaceId, channel.id, "FAILED", { syncStatus: "FAILED_INSUFFICIENT_PERMISSIONS" })
    yield* Effect.flatMap(Records, (records) =>
      records.updateOne(emailScope(workspaceId), "connectedAccount", channel.connectedAccountId, { authFailedAt: now() }, select()))
    yield* Effect.logWarning(`Message channel ${channel.id} (${channel.handle}) failed: ${reason}`)
  })

/**
 * A temporary failure (server unreachable, connection dropped): back to the list fetch after
 * 2^n minutes; past MAX_THROTTLE_FAILURES in a row the channel is FAILED_UNKNOWN (the relaunch cron retries it).
 */
export const markTemporaryFailure = (workspaceId: string, channel: Channel, reason: string) =>
  Effect.gen(function*() {
    const failures = channel.throttleFailureCount + 1
    if (failures > MAX_THROTTLE_FAILURES) {
      yield* toStage(workspaceId, channel.id, "FAILED", { syncStatus: "FAILED_UNKNOWN", throttleFailureCount: failures })
    } else {
      const retryAfter = new Date(Date.now() + 2 ** (failures - 1) * 60_000).toISOString()
      yield* toStage(workspaceId, channel.id, "MESSAGE_LIST_FETCH_PENDING", { throttleFailureCount: failures, throttleRetryAfter: retryAfter })
    }
    yield* Effect.logWarning(`Message channel ${channel.id} (${channel.handle}) sync failed (${failures}): ${reason}`)
  })
