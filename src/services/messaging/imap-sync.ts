import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import type { ImapFlow } from "imapflow"
import { AppConfig } from "../../platform/config.js"
import { Records } from "../records/index.js"
import { credentialsOf } from "./accounts.js"
import {
  type Channel,
  claimStage,
  loadChannel,
  markAuthFailed,
  markSynced,
  markTemporaryFailure,
  toStage
} from "./channel-state.js"
import { ConnectionRefused, describeFailure, imapClient } from "./connection.js"
import { blocklistOf, removeVanishedMessages, saveMessages } from "./import.js"
import { enqueueChannelImport } from "./jobs-queue.js"
import { type FetchedMessage, parseMessage } from "./parse.js"
import { emailScope, select } from "./scope.js"

/** Messages fetched, parsed and stored per import step (Twenty imports about 200 per job). */
export const IMPORT_BATCH = 200

/** Where a folder's sync stands: its UIDVALIDITY, the highest UID imported, and the MODSEQ it was last seen unchanged at. */
const FolderCursor = Schema.parseJson(Schema.Struct({
  uidValidity: Schema.String,
  highestUid: Schema.Number,
  modSeq: Schema.optional(Schema.NullOr(Schema.String))
}))
type FolderCursor = typeof FolderCursor.Type

interface FolderRow {
  readonly id: string
  readonly externalId: string
  readonly isSynced: boolean
  readonly cursor: FolderCursor | null
}

/** Folders never imported: spam, trash, drafts, and Gmail's "All Mail" (every message again). */
const SKIPPED_USES = new Set(["\\Junk", "\\Trash", "\\Drafts", "\\All"])

const withImap = <A, E, R>(handle: string, workspaceId: string, accountId: string, use: (client: ImapFlow) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const parameters = yield* credentialsOf(workspaceId, accountId)
    if (!parameters?.IMAP) return yield* Effect.fail(new ConnectionRefused("IMAP authentication failed: no stored credentials, save the account again", "auth"))
    const client = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = await imapClient(handle, parameters.IMAP!, config.messagingAllowPrivateAddresses)
          client.on("error", () => {})
          await client.connect()
          return client
        },
        catch: (e) => describeFailure("IMAP", e)
      }),
      (client) => Effect.promise(() => client.logout().catch(() => client.close()))
    )
    return yield* use(client)
  }).pipe(Effect.scoped)

const imap = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (e) => describeFailure("IMAP", e) })

const loadFolders = (workspaceId: string, channelId: string) =>
  Effect.map(
    Effect.flatMap(Records, (records) =>
      records.findMany(emailScope(workspaceId), "messageFolder", { filter: { messageChannelId: { eq: channelId } }, first: 200 },
        select("externalId", "isSynced", "syncCursor"), { totalCount: false, aggregates: [], cursors: false })),
    (page) => page.edges.map(({ node }): FolderRow => ({
      id: node["id"] as string,
      externalId: node["externalId"] as string,
      isSynced: node["isSynced"] === true,
      cursor: typeof node["syncCursor"] === "string" ? Schema.decodeUnknownOption(FolderCursor)(node["syncCursor"]).pipe((o) => (o._tag === "Some" ? o.value : null)) : null
    }))
  )

const saveCursor = (workspaceId: string, folderId: string, cursor: FolderCursor) =>
  Effect.flatMap(Records, (records) =>
    records.updateOne(emailScope(workspaceId), "messageFolder", folderId, { syncCursor: Schema.encodeSync(FolderCursor)(cursor) }, select()))

/** The server's folders become the channel's messageFolder records (new ones synced under ALL_FOLDERS; vanished ones removed). */
const syncFolderList = (workspaceId: string, channel: Channel, client: ImapFlow) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const listed = (yield* imap(() => client.list())).filter((f) => !f.flags.has("\\Noselect") && !f.flags.has("\\NonExistent") && !SKIPPED_USES.has(f.specialUse ?? ""))
    const known = yield* loadFolders(workspaceId, channel.id)
    const knownPaths = new Set(known.map((f) => f.externalId))
    const added = listed.filter((f) => !knownPaths.has(f.path))
    if (added.length > 0) {
      yield* records.createMany(scope, "messageFolder", added.map((f) => ({
        name: f.name, externalId: f.path, isSentFolder: f.specialUse === "\\Sent", isSynced: channel.messageFolderImportPolicy === "ALL_FOLDERS",
        parentFolderId: f.parentPath || null, messageChannelId: channel.id
      })), select())
    }
    const vanished = known.filter((f) => !listed.some((l) => l.path === f.externalId))
    for (const folder of vanished) {
      yield* sql`DELETE FROM core."imapMessageUid" WHERE "messageChannelId" = ${channel.id} AND folder = ${folder.externalId}`
      yield* records.destroyMany(scope, "messageFolder", { id: { eq: folder.id } }, select())
    }
    return (yield* loadFolders(workspaceId, channel.id)).filter((f) => f.isSynced)
  })

/**
 * Looks at one folder: a changed UIDVALIDITY restarts it from scratch; with CONDSTORE an unchanged
 * HIGHESTMODSEQ means nothing happened; otherwise UIDs no longer on the server are forgotten (moved or
 * deleted messages). Answers whether new messages wait.
 */
const inspectFolder = (workspaceId: string, channelId: string, client: ImapFlow, folder: FolderRow) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const box = yield* imap(() => client.mailboxOpen(folder.externalId, { readOnly: true }))
    const uidValidity = box.uidValidity.toString()
    const modSeq = box.highestModseq?.toString() ?? null
    let cursor = folder.cursor
    if (!cursor || cursor.uidValidity !== uidValidity) {
      yield* sql`DELETE FROM core."imapMessageUid" WHERE "messageChannelId" = ${channelId} AND folder = ${folder.externalId}`
      cursor = { uidValidity, highestUid: 0, modSeq: null }
      yield* saveCursor(workspaceId, folder.id, cursor)
    }
    if (modSeq !== null && cursor.modSeq === modSeq) return false
    const onServer = box.exists === 0 ? [] : (yield* imap(() => client.search({ all: true }, { uid: true }))) || []
    const present = new Set(onServer)
    const stored = yield* sql<{ uid: string }>`
      SELECT uid FROM core."imapMessageUid" WHERE "messageChannelId" = ${channelId} AND folder = ${folder.externalId}`
    const gone = stored.map((r) => Number(r.uid)).filter((uid) => !present.has(uid))
    if (gone.length > 0) {
      yield* sql`DELETE FROM core."imapMessageUid" WHERE "messageChannelId" = ${channelId} AND folder = ${folder.externalId} AND uid IN ${sql.in(gone)}`
    }
    const pending = onServer.some((uid) => uid > cursor.highestUid)
    // Remembered only once nothing waits, so an interrupted import is not mistaken for "no change".
    if (!pending) yield* saveCursor(workspaceId, folder.id, { ...cursor, modSeq })
    return pending
  })

/** Fetches and stores up to `budget` new messages of one folder; answers how many were taken and whether more wait. */
const importFolder = (workspaceId: string, channel: Channel, client: ImapFlow, folder: FolderRow, budget: number, handles: ReadonlySet<string>, blocklist: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const box = yield* imap(() => client.mailboxOpen(folder.externalId, { readOnly: true }))
    const uidValidity = box.uidValidity.toString()
    const cursor = folder.cursor
    if (!cursor || cursor.uidValidity !== uidValidity) return { taken: 0, more: true, restart: true }
    if (box.exists === 0) return { taken: 0, more: false, restart: false }
    const uids = ((yield* imap(() => client.search({ uid: `${cursor.highestUid + 1}:*` }, { uid: true }))) || [])
      .filter((uid) => uid > cursor.highestUid).sort((a, b) => a - b)
    const batch = uids.slice(0, budget)
    if (batch.length === 0) return { taken: 0, more: false, restart: false }
    const fetched = yield* imap(() => client.fetchAll(batch.join(","), { uid: true, source: true, internalDate: true }, { uid: true }))
    const messages: Array<FetchedMessage> = []
    for (const m of fetched) {
      if (!m.source) continue
      const internalDate = m.internalDate ? new Date(m.internalDate) : null
      messages.push(yield* Effect.promise(() => parseMessage(m.uid, m.source!, `${folder.externalId}:${uidValidity}:${m.uid}`, internalDate)))
    }
    yield* saveMessages(workspaceId, { channel, handles, blocklist, folder: folder.externalId, uidValidity }, messages)
    yield* saveCursor(workspaceId, folder.id, { uidValidity, highestUid: batch[batch.length - 1]!, modSeq: null })
    return { taken: batch.length, more: uids.length > batch.length, restart: false }
  })

const channelHandles = (channel: Channel) => new Set([channel.handle.toLowerCase()])

/** Errors become channel states: a refused login fails the channel, anything else is retried later. */
const onFailure = (workspaceId: string, channel: Channel) => (error: unknown) => {
  const failure = error instanceof ConnectionRefused ? error : describeFailure("IMAP", error)
  return failure.kind === "auth"
    ? markAuthFailed(workspaceId, channel, failure.message)
    : markTemporaryFailure(workspaceId, channel, failure.message)
}

/** Twenty's MessagingMessageListFetchJob for IMAP: folders, UIDVALIDITY / MODSEQ, vanished UIDs; then the import or done. */
export const fetchMessageList = (workspaceId: string, channelId: string) =>
  Effect.gen(function*() {
    const channel = yield* loadChannel(workspaceId, channelId)
    if (!channel || !channel.isSyncEnabled) return "skipped" as const
    const claimed = yield* claimStage(workspaceId, channelId, ["MESSAGE_LIST_FETCH_PENDING", "MESSAGE_LIST_FETCH_SCHEDULED"], "MESSAGE_LIST_FETCH_ONGOING", { syncStatus: "ONGOING" })
    if (!claimed) return "skipped" as const
    return yield* withImap(channel.handle, workspaceId, channel.connectedAccountId, (client) =>
      Effect.gen(function*() {
        const folders = yield* syncFolderList(workspaceId, channel, client)
        let pending = false
        for (const folder of folders) pending = (yield* inspectFolder(workspaceId, channelId, client, folder)) || pending
        if (pending) {
          yield* toStage(workspaceId, channelId, "MESSAGES_IMPORT_PENDING")
          yield* enqueueChannelImport(workspaceId, channelId, false)
          return "import" as const
        }
        yield* removeVanishedMessages(workspaceId, channelId)
        yield* markSynced(workspaceId, channelId)
        return "synced" as const
      })).pipe(Effect.catchAll((e) => Effect.as(onFailure(workspaceId, channel)(e), "failed" as const)))
  })

/** Twenty's MessagingMessagesImportJob: one batch of new messages across the synced folders, then the next batch or done. */
export const importMessages = (workspaceId: string, channelId: string) =>
  Effect.gen(function*() {
    const channel = yield* loadChannel(workspaceId, channelId)
    if (!channel || !channel.isSyncEnabled) return "skipped" as const
    const claimed = yield* claimStage(workspaceId, channelId, ["MESSAGES_IMPORT_PENDING", "MESSAGES_IMPORT_SCHEDULED"], "MESSAGES_IMPORT_ONGOING")
    if (!claimed) return "skipped" as const
    return yield* withImap(channel.handle, workspaceId, channel.connectedAccountId, (client) =>
      Effect.gen(function*() {
        const blocklist = yield* blocklistOf(workspaceId, channel.connectedAccountId)
        const folders = (yield* loadFolders(workspaceId, channelId)).filter((f) => f.isSynced)
        let budget = IMPORT_BATCH
        let more = false
        for (const folder of folders) {
          if (budget === 0) {
            more = true
            break
          }
          const step = yield* importFolder(workspaceId, channel, client, folder, budget, channelHandles(channel), blocklist)
          if (step.restart) {
            yield* toStage(workspaceId, channelId, "MESSAGE_LIST_FETCH_PENDING")
            return "restart" as const
          }
          budget -= step.taken
          more = more || step.more
        }
        if (more) {
          yield* toStage(workspaceId, channelId, "MESSAGES_IMPORT_PENDING")
          yield* enqueueChannelImport(workspaceId, channelId, false)
          return "more" as const
        }
        yield* removeVanishedMessages(workspaceId, channelId)
        yield* markSynced(workspaceId, channelId)
        return "synced" as const
      })).pipe(Effect.catchAll((e) => Effect.as(onFailure(workspaceId, channel)(e), "failed" as const)))
  })
