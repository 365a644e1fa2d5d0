import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { Records } from "../records/index.js"
import type { Channel } from "./channel-state.js"
import { type FetchedMessage, threadRootOf } from "./parse.js"
import { createContacts, linkParticipantsToPerson, isBlocked, isGroupAddress, isPersonalDomain, domainOf, matchHandles, type Participant } from "./participants.js"
import { emailScope, select } from "./scope.js"
import { resolveThreads } from "./threads.js"

/** What one channel's import needs besides the messages: who owns it, their blocklist, the folder. */
export interface ImportContext {
  readonly channel: Channel
  readonly handles: ReadonlySet<string>
  readonly blocklist: ReadonlyArray<string>
  readonly folder: string
  readonly uidValidity: string
}

const MUTATION_CHUNK = 200

const chunks = <A>(items: ReadonlyArray<A>, size = MUTATION_CHUNK) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** The channel's blocklist: its account owner's entries (Twenty's blocklist is per workspace member). */
export const blocklistOf = (workspaceId: string, connectedAccountId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const s = ident((yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema)
    const rows = yield* sql.unsafe<{ handle: string }>(
      `SELECT b.handle FROM ${s}.blocklist b JOIN ${s}."connectedAccount" c ON c."accountOwnerId" = b."workspaceMemberId"
        WHERE c.id = $1 AND b."deletedAt" IS NULL AND b.handle IS NOT NULL`,
      [connectedAccountId]
    )
    return rows.map((r) => r.handle.toLowerCase())
  })

const contactCandidates = (context: ImportContext, messages: ReadonlyArray<FetchedMessage>, known: ReadonlySet<string>) => {
  const { channel, handles } = context
  if (!channel.isContactAutoCreationEnabled || channel.contactAutoCreationPolicy === "NONE") return []
  const found = new Map<string, Participant>()
  for (const message of messages) {
    const sent = message.participants.some((p) => p.role === "FROM" && handles.has(p.handle))
    if (channel.contactAutoCreationPolicy === "SENT" && !sent) continue
    for (const participant of message.participants) {
      const h = participant.handle
      if (handles.has(h) || known.has(h) || found.has(h)) continue
      if (channel.excludeNonProfessionalEmails && isPersonalDomain(domainOf(h))) continue
      if (channel.excludeGroupEmails && isGroupAddress(h)) continue
      found.set(h, participant)
    }
  }
  return [...found.values()]
}

/**
 * Stores a batch of one folder's messages: skips blocklisted ones and those the channel already has (a
 * re-run after a crash, a message moved between folders), reuses a message another channel imported
 * (same Message-ID), threads them, matches and creates participants, and records the folder's UIDs.
 */
export const saveMessages = (workspaceId: string, context: ImportContext, fetched: ReadonlyArray<FetchedMessage>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const schema = (yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema
    const s = ident(schema)
    const { channel } = context
    const allowed = fetched.filter((m) => !m.participants.some((p) => !context.handles.has(p.handle) && isBlocked(p.handle, context.blocklist)))
    // One message per Message-ID in the batch (a copy in the same folder is the same message).
    const unique = [...new Map(allowed.map((m) => [m.headerMessageId, m])).values()]
    const ids = unique.map((m) => m.headerMessageId)
    const associated = new Set((yield* sql.unsafe<{ id: string }>(
      `SELECT "messageExternalId" AS id FROM ${s}."messageChannelMessageAssociation"
        WHERE "messageChannelId" = $1 AND "messageExternalId" = ANY($2) AND "deletedAt" IS NULL`, [channel.id, ids])).map((r) => r.id))
    const existing = new Map((yield* sql.unsafe<{ id: string; headerMessageId: string }>(
      `SELECT DISTINCT ON ("headerMessageId") id, "headerMessageId" FROM ${s}.message
        WHERE "headerMessageId" = ANY($1) AND "deletedAt" IS NULL ORDER BY "headerMessageId", "createdAt"`, [ids])).map((r) => [r.headerMessageId, r.id]))
    const fresh = unique.filter((m) => !associated.has(m.headerMessageId))
    const toCreate = fresh.filter((m) => !existing.has(m.headerMessageId))

    const threads = yield* resolveThreads(schema, toCreate)
    const newThreadOfRoot = new Map<string, string>()
    const threadIds = toCreate.map((m, i) => {
      if (threads[i]) return threads[i]!
      const root = threadRootOf(m)
      const id = newThreadOfRoot.get(root) ?? crypto.randomUUID()
      newThreadOfRoot.set(root, id)
      return id
    })
    for (const batch of chunks([...new Set(newThreadOfRoot.values())])) {
      yield* records.createMany(scope, "messageThread", batch.map((id) => ({ id })), select())
    }

    const handles = [...new Set(toCreate.flatMap((m) => m.participants.map((p) => p.handle)))]
    const matches = yield* matchHandles(workspaceId, handles)
    const known = new Set([...matches.people.keys(), ...matches.members.keys()])
    const created = yield* createContacts(workspaceId, contactCandidates(context, toCreate, known))
    // Messages stored before these people existed (an earlier batch or folder) name them too.
    for (const [handle, personId] of created) yield* linkParticipantsToPerson(workspaceId, personId, [handle])
    const personOf = (h: string) => matches.people.get(h) ?? created.get(h) ?? null

    const messageIds = toCreate.map(() => crypto.randomUUID())
    for (const batch of chunks(toCreate.map((m, i) => ({
      id: messageIds[i], headerMessageId: m.headerMessageId, subject: m.subject, text: m.text, receivedAt: m.receivedAt.toISOString(), messageThreadId: threadIds[i]
    })))) {
      yield* records.createMany(scope, "message", batch, select())
    }
    const participants = toCreate.flatMap((m, i) => m.participants.map((p) => ({
      role: p.role, handle: p.handle, displayName: p.displayName || null, messageId: messageIds[i],
      personId: personOf(p.handle), workspaceMemberId: matches.members.get(p.handle) ?? null
    })))
    for (const batch of chunks(participants)) yield* records.createMany(scope, "messageParticipant", batch, select())

    const messageIdOf = new Map([...existing, ...toCreate.map((m, i) => [m.headerMessageId, messageIds[i]!] as const)])
    const associations = fresh.map((m) => ({
      messageExternalId: m.headerMessageId,
      messageThreadExternalId: threadRootOf(m),
      direction: m.participants.some((p) => p.role === "FROM" && context.handles.has(p.handle)) ? "OUTGOING" : "INCOMING",
      messageChannelId: channel.id,
      messageId: messageIdOf.get(m.headerMessageId)
    }))
    for (const batch of chunks(associations)) yield* records.createMany(scope, "messageChannelMessageAssociation", batch, select())

    if (allowed.length > 0) {
      yield* sql`INSERT INTO core."imapMessageUid" ${sql.insert(allowed.map((m) => ({
        workspaceId, messageChannelId: channel.id, folder: context.folder, uidValidity: context.uidValidity, uid: m.uid, messageExternalId: m.headerMessageId
      })))} ON CONFLICT DO NOTHING`
    }
    return { imported: toCreate.length, associated: fresh.length - toCreate.length, blocked: fetched.length - allowed.length }
  })

/**
 * Twenty's message cleaner: the channel's associations whose message no folder holds any more go, then
 * messages left without any association, then threads left without messages.
 */
export const removeVanishedMessages = (workspaceId: string, channelId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const s = ident((yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema)
    const gone = (yield* sql.unsafe<{ id: string; messageId: string }>(
      `SELECT a.id, a."messageId" FROM ${s}."messageChannelMessageAssociation" a
        WHERE a."messageChannelId" = $1 AND a."deletedAt" IS NULL AND NOT EXISTS (
          SELECT 1 FROM core."imapMessageUid" u WHERE u."messageChannelId" = $1 AND u."messageExternalId" = a."messageExternalId")`,
      [channelId]))
    if (gone.length === 0) return 0
    for (const batch of chunks(gone)) {
      yield* records.destroyMany(scope, "messageChannelMessageAssociation", { id: { in: batch.map((g) => g.id) } }, select())
    }
    const orphans = yield* sql.unsafe<{ id: string; threadId: string | null }>(
      `SELECT m.id, m."messageThreadId" AS "threadId" FROM ${s}.message m
        WHERE m.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM ${s}."messageChannelMessageAssociation" a WHERE a."messageId" = m.id)`,
      [gone.map((g) => g.messageId)])
    for (const batch of chunks(orphans)) yield* records.destroyMany(scope, "message", { id: { in: batch.map((o) => o.id) } }, select())
    const threads = [...new Set(orphans.flatMap((o) => (o.threadId ? [o.threadId] : [])))]
    const empty = threads.length === 0 ? [] : yield* sql.unsafe<{ id: string }>(
      `SELECT t.id FROM ${s}."messageThread" t WHERE t.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM ${s}.message m WHERE m."messageThreadId" = t.id)`,
      [threads])
    for (const batch of chunks(empty)) yield* records.destroyMany(scope, "messageThread", { id: { in: batch.map((t) => t.id) } }, select())
    return gone.length
  })
