import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { SecretBox } from "../auth/secret-box.js"
import { Records } from "../records/index.js"
import {
  AccountParameters,
  checkParameters,
  ConnectionRefused,
  type Protocol,
  PROTOCOLS,
  testImap,
  testSmtp
} from "./connection.js"
import { testCaldav } from "../calendar/caldav-client.js"
import { enqueueCalendarSync } from "../calendar/jobs-queue.js"
import { enqueueChannelSync } from "./jobs-queue.js"
import { emailScope, IMAP_PROVIDER, select } from "./scope.js"

export interface SaveAccountInput {
  /** The workspace member connecting it (Twenty: the caller); an update keeps the account's owner. */
  readonly accountOwnerId: string
  readonly handle: string
  readonly connectionParameters: AccountParameters
  readonly id?: string | null
}

const sealContext = (workspaceId: string, accountId: string) => `connectedAccount:${workspaceId}:${accountId}`

/** The parameters a client may see: Twenty's buildPublicConnectionParameters, no password. */
const publicParameters = (parameters: AccountParameters) => ({
  name: parameters.name ?? null,
  ...Object.fromEntries(PROTOCOLS.flatMap((p) => {
    const params = parameters[p]
    if (!params) return []
    const { password: _, ...rest } = params
    return [[p, rest]]
  }))
})

const refused = (e: unknown) =>
  e instanceof ConnectionRefused ? new BadUserInput({ message: e.message }) : new BadUserInput({ message: String(e) })

/** Checks every protocol given, then connects to each server (IMAP, SMTP, CalDAV) as the account would. */
const testConnections = (handle: string, parameters: AccountParameters) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const given = PROTOCOLS.filter((p) => parameters[p])
    if (given.length === 0) return yield* new BadUserInput({ message: "At least one of IMAP, SMTP or CALDAV connection parameters is required" })
    const tests: Record<Protocol, (h: string, p: NonNullable<AccountParameters["IMAP"]>, a: boolean) => Promise<void>> = {
      IMAP: testImap,
      SMTP: testSmtp,
      CALDAV: testCaldav
    }
    for (const protocol of given) {
      yield* Effect.tryPromise({
        try: async () => {
          checkParameters(protocol, parameters[protocol]!)
          await tests[protocol](handle, parameters[protocol]!, config.messagingAllowPrivateAddresses)
        },
        catch: refused
      })
    }
  })

/**
 * Twenty's saveImapSmtpCaldavAccount: checks the connections, then creates (or updates) the connected
 * account, its message channel (IMAP) and calendar channel (CalDAV), stores the credentials sealed, and
 * schedules the first sync.
 */
export const saveAccount = (workspaceId: string, input: SaveAccountInput) =>
  Effect.gen(function*() {
    const records = yield* Records
    const sql = yield* SqlClient.SqlClient
    const box = yield* SecretBox
    const scope = emailScope(workspaceId)
    const handle = input.handle.trim().toLowerCase()
    if (!handle.includes("@")) return yield* new BadUserInput({ message: "handle must be an email address" })
    if (!input.id) {
      const owner = yield* records.findOne(scope, "workspaceMember", { id: { eq: input.accountOwnerId } }, select())
      if (!owner) return yield* new BadUserInput({ message: `Workspace member ${input.accountOwnerId} not found` })
    }
    yield* testConnections(handle, input.connectionParameters)

    const data = { handle, provider: IMAP_PROVIDER, connectionParameters: publicParameters(input.connectionParameters), authFailedAt: null }
    let accountId: string
    if (input.id) {
      const existing = yield* records.findOne(scope, "connectedAccount", { id: { eq: input.id }, provider: { eq: IMAP_PROVIDER } }, select())
      if (!existing) return yield* new BadUserInput({ message: `Connected mail account with ID ${input.id} not found` })
      yield* records.updateOne(scope, "connectedAccount", input.id, data, select())
      accountId = input.id
    } else {
      const [created] = yield* records.createMany(scope, "connectedAccount", [{ ...data, accountOwnerId: input.accountOwnerId }], select())
      accountId = created!["id"] as string
    }
    const sealed = box.seal(JSON.stringify(input.connectionParameters), sealContext(workspaceId, accountId))
    yield* sql`INSERT INTO core."connectedAccountCredential" ("connectedAccountId", "workspaceId", sealed)
               VALUES (${accountId}, ${workspaceId}, ${sealed})
               ON CONFLICT ("connectedAccountId") DO UPDATE SET sealed = EXCLUDED.sealed, "updatedAt" = now()`

    if (input.connectionParameters.IMAP) {
      const channel = yield* records.findOne(scope, "messageChannel", { connectedAccountId: { eq: accountId } }, select())
      const ready = { syncStage: "MESSAGE_LIST_FETCH_PENDING", syncStageStartedAt: null, throttleFailureCount: 0, throttleRetryAfter: null }
      const channelId = channel
        ? (yield* records.updateOne(scope, "messageChannel", channel["id"] as string, { ...ready, syncStatus: channel["syncStatus"] === "ACTIVE" ? "ACTIVE" : "NOT_SYNCED" }, select()))["id"] as string
        : (yield* records.createMany(scope, "messageChannel", [{ handle, connectedAccountId: accountId, type: "EMAIL", visibility: "SHARE_EVERYTHING", syncStatus: "NOT_SYNCED", ...ready }], select()))[0]!["id"] as string
      yield* enqueueChannelSync(workspaceId, channelId)
    }
    if (input.connectionParameters.CALDAV) {
      const channel = yield* records.findOne(scope, "calendarChannel", { connectedAccountId: { eq: accountId } }, select("syncStatus"))
      const ready = { syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", syncStageStartedAt: null, throttleFailureCount: 0 }
      const channelId = channel
        ? (yield* records.updateOne(scope, "calendarChannel", channel["id"] as string, { ...ready, syncStatus: channel["syncStatus"] === "ACTIVE" ? "ACTIVE" : "NOT_SYNCED" }, select()))["id"] as string
        : (yield* records.createMany(scope, "calendarChannel", [{ handle, connectedAccountId: accountId, syncStatus: "NOT_SYNCED", ...ready }], select()))[0]!["id"] as string
      yield* enqueueCalendarSync(workspaceId, channelId)
    }
    return accountId
  })

/**
 * Twenty's getConnectedImapSmtpCaldavAccount: the account with its parameters, never a password, and its
 * owner as their membership (`userWorkspaceId`).
 */
export const getAccount = (workspaceId: string, id: string) =>
  Effect.gen(function*() {
    const records = yield* Records
    const sql = yield* SqlClient.SqlClient
    const account = yield* records.findOne(emailScope(workspaceId), "connectedAccount", { id: { eq: id }, provider: { eq: IMAP_PROVIDER } },
      { fields: ["handle", "provider", "connectionParameters"], relations: [{ field: "accountOwner", key: "accountOwner", selection: select("userId") }] })
    if (!account || !account["handle"]) return yield* new BadUserInput({ message: `Connected mail account with ID ${id} not found` })
    const owner = account["accountOwner"] as { userId?: string } | null
    const [membership] = owner?.userId
      ? yield* sql<{ id: string }>`SELECT id FROM core."userWorkspace" WHERE "userId" = ${owner.userId} AND "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL`
      : []
    const parameters = Schema.decodeUnknownOption(AccountParameters)(account["connectionParameters"])
    return {
      id,
      handle: account["handle"] as string,
      provider: account["provider"] as string,
      userWorkspaceId: membership?.id ?? null,
      connectionParameters: parameters._tag === "Some" ? publicParameters(parameters.value) : null
    }
  })

/** The account's parameters with their passwords (for sync and sending), or null if none are stored or they do not open. */
export const credentialsOf = (workspaceId: string, accountId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const box = yield* SecretBox
    const [row] = yield* sql<{ sealed: string }>`
      SELECT sealed FROM core."connectedAccountCredential" WHERE "connectedAccountId" = ${accountId} AND "workspaceId" = ${workspaceId}`
    const opened = row ? box.open(row.sealed, sealContext(workspaceId, accountId)) : null
    if (!opened) return null
    const decoded = Schema.decodeUnknownOption(Schema.parseJson(AccountParameters))(opened)
    return decoded._tag === "Some" ? decoded.value : null
  })

/**
 * Twenty's startChannelSync: the account's message and calendar channels (from pending configuration, a
 * failure or idle) go to the list fetch now, their back-off cleared. Answers false for an unknown account.
 */
export const startChannelSync = (workspaceId: string, connectedAccountId: string) =>
  Effect.gen(function*() {
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const account = yield* records.findOne(scope, "connectedAccount", { id: { eq: connectedAccountId } }, select())
    if (!account) return yield* new BadUserInput({ message: `Connected account ${connectedAccountId} not found` })
    const channels = yield* records.updateMany(
      scope,
      "messageChannel",
      { connectedAccountId: { eq: connectedAccountId }, syncStage: { in: ["PENDING_CONFIGURATION", "FAILED", "MESSAGE_LIST_FETCH_PENDING"] } },
      { syncStage: "MESSAGE_LIST_FETCH_PENDING", syncStageStartedAt: null, throttleFailureCount: 0, throttleRetryAfter: null },
      select()
    )
    for (const channel of channels) yield* enqueueChannelSync(workspaceId, channel["id"] as string)
    const calendars = yield* records.updateMany(
      scope,
      "calendarChannel",
      { connectedAccountId: { eq: connectedAccountId }, syncStage: { in: ["PENDING_CONFIGURATION", "FAILED", "CALENDAR_EVENT_LIST_FETCH_PENDING"] } },
      { syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", syncStageStartedAt: null, throttleFailureCount: 0 },
      select()
    )
    for (const channel of calendars) yield* enqueueCalendarSync(workspaceId, channel["id"] as string)
    return true
  })

/** The workspace member owning the account, or null. */
export const accountOwnerOf = (workspaceId: string, connectedAccountId: string) =>
  Effect.map(
    Effect.flatMap(Records, (records) =>
      records.findOne(emailScope(workspaceId), "connectedAccount", { id: { eq: connectedAccountId } }, select("accountOwnerId"))),
    (account) => (account ? (account["accountOwnerId"] as string | null) : null)
  )
