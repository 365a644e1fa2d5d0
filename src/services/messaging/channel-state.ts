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

/**
 * The two channel objects share one state machine (Twenty's message and calendar channels differ only by
 * their stage names): `pending` is where a channel waits for its next list fetch.
 */
export interface ChannelKind {
  readonly object: "messageChannel" | "calendarChannel"
  readonly pending: string
  /** Twenty's calendarChannel has no throttleRetryAfter: its back-off is the list-fetch cron's period. */
  readonly hasRetryAfter: boolean
}

export const MESSAGE_CHANNEL: ChannelKind = { object: "messageChannel", pending: "MESSAGE_LIST_FETCH_PENDING", hasRetryAfter: true }
export const CALENDAR_CHANNEL: ChannelKind = { object: "calendarChannel", pending: "CALENDAR_EVENT_LIST_FETCH_PENDING", hasRetryAfter: false }

/** The fields the failure handling needs, common to both channel objects. */
export interface ChannelRef {
  readonly id: string
  readonly handle: string
  readonly connectedAccountId: string
  readonly throttleFailureCount: number
}

const now = () => new Date().toISOString()

/** State transitions of one kind of channel (claim, move, synced, failed). */
export const channelStateOf = <Stage extends string>(kind: ChannelKind) => {
  const retryAfter = (at: string | null) => (kind.hasRetryAfter ? { throttleRetryAfter: at } : {})
  const updateChannel = (workspaceId: string, channelId: string, data: Record<string, unknown>) =>
    Effect.flatMap(Records, (records) => records.updateOne(emailScope(workspaceId), kind.object, channelId, data, select()))

  const toStage = (workspaceId: string, channelId: string, stage: Stage, extra: Record<string, unknown> = {}) =>
    updateChannel(workspaceId, channelId, { syncStage: stage, syncStageStartedAt: now(), ...extra })

  /** Moves the channel from one of `from` to `to`; false when another step holds it (or it is elsewhere). */
  const claimStage = (workspaceId: string, channelId: string, from: ReadonlyArray<Stage>, to: Stage, extra: Record<string, unknown> = {}) =>
    Effect.flatMap(Records, (records) =>
      records.updateMany(emailScope(workspaceId), kind.object, { id: { eq: channelId }, syncStage: { in: [...from] } },
        { syncStage: to, syncStageStartedAt: now(), ...extra }, select())).pipe(Effect.map((rows) => rows.length === 1))

  const markSynced = (workspaceId: string, channelId: string, extra: Record<string, unknown> = {}) =>
    updateChannel(workspaceId, channelId, {
      syncStage: kind.pending, syncStageStartedAt: now(), syncStatus: "ACTIVE", syncedAt: now(), throttleFailureCount: 0, ...retryAfter(null), ...extra
    })

  /** A refused login: the channel stops until the account is saved again with working credentials. */
  const markAuthFailed = (workspaceId: string, channel: ChannelRef, reason: string) =>
    Effect.gen(function*() {
      yield* updateChannel(workspaceId, channel.id, { syncStage: "FAILED", syncStageStartedAt: now(), syncStatus: "FAILED_INSUFFICIENT_PERMISSIONS" })
      yield* Effect.flatMap(Records, (records) =>
        records.updateOne(emailScope(workspaceId), "connectedAccount", channel.connectedAccountId, { authFailedAt: now() }, select()))
      yield* Effect.logWarning(`${kind.object} ${channel.id} (${channel.handle}) failed: ${reason}`)
    })

  /**
   * A temporary failure (server unreachable, connection dropped): back to the list fetch after
   * 2^n minutes; past MAX_THROTTLE_FAILURES in a row the channel is FAILED_UNKNOWN (the relaunch cron retries it).
   */
  const markTemporaryFailure = (workspaceId: string, channel: ChannelRef, reason: string) =>
    Effect.gen(function*() {
      const failures = channel.throttleFailureCount + 1
      if (failures > MAX_THROTTLE_FAILURES) {
        yield* updateChannel(workspaceId, channel.id, { syncStage: "FAILED", syncStageStartedAt: now(), syncStatus: "FAILED_UNKNOWN", throttleFailureCount: failures })
      } else {
        const at = new Date(Date.now() + 2 ** (failures - 1) * 60_000).toISOString()
        yield* updateChannel(workspaceId, channel.id, { syncStage: kind.pending, syncStageStartedAt: now(), throttleFailureCount: failures, ...retryAfter(at) })
      }
      yield* Effect.logWarning(`${kind.object} ${channel.id} (${channel.handle}) sync failed (${failures}): ${reason}`)
    })

  return { updateChannel, toStage, claimStage, markSynced, markAuthFailed, markTemporaryFailure }
}

export const loadChannel = (workspaceId: string, channelId: string) =>
  Effect.flatMap(Records, (records) => records.findOne(emailScope(workspaceId), "messageChannel", { id: { eq: channelId } }, CHANNEL_FIELDS)).pipe(
    Effect.map((row) => row as unknown as Channel | null)
  )

export const { updateChannel, toStage, claimStage, markSynced, markAuthFailed, markTemporaryFailure } = channelStateOf<SyncStage>(MESSAGE_CHANNEL)
