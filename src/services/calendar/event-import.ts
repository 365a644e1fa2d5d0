import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { Records } from "../records/index.js"
import { blocklistOf } from "../messaging/import.js"
import { createContacts, isBlocked, linkParticipantsToPerson, matchHandles, type Participant } from "../messaging/participants.js"
import { emailScope, select } from "../messaging/scope.js"
import type { CalendarChannel } from "./channel.js"
import type { EventParticipant, FetchedEvent } from "./ics.js"

/** One calendar object as fetched: its href and the events it holds (none when it no longer parses). */
export interface FetchedObject {
  readonly href: string
  readonly events: ReadonlyArray<FetchedEvent>
}

const CHUNK = 200

const chunks = <A>(items: ReadonlyArray<A>, size = CHUNK) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** Twenty's calendar contactAutoCreationPolicy: which participants may become people. */
const mayCreateContact = (channel: CalendarChannel, participant: EventParticipant) => {
  if (!channel.isContactAutoCreationEnabled) return false
  switch (channel.contactAutoCreationPolicy) {
    case "AS_PARTICIPANT_AND_ORGANIZER": return true
    case "AS_PARTICIPANT": return !participant.isOrganizer
    case "AS_ORGANIZER": return participant.isOrganizer
    case "NONE": return false
  }
}

/** Stored whole: a METADATA channel's events are masked when read (records/caller-reads.ts), as messages are. */
const contentFields = (e: FetchedEvent) => ({
  title: e.title,
  description: e.description,
  location: e.location,
  conferenceLink: { primaryLinkUrl: e.conferenceLink, primaryLinkLabel: "" }
})

const associationsOf = (workspaceId: string, channelId: string, hrefs: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const s = ident((yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema)
    // an object's events: its href, and its overridden instances `href#recurrence=…`
    return yield* sql.unsafe<{ externalId: string; eventId: string }>(
      `SELECT "eventExternalId" AS "externalId", "calendarEventId" AS "eventId" FROM ${s}."calendarChannelEventAssociation"
        WHERE "calendarChannelId" = $1 AND "deletedAt" IS NULL
          AND ("eventExternalId" = ANY($2) OR split_part("eventExternalId", '#recurrence=', 1) = ANY($2))`,
      [channelId, hrefs])
  })

/** The same meeting in two members' calendars: its iCalUID, and for an overridden instance its recurrence instant. */
const meetingKey = (e: FetchedEvent) => `${e.iCalUID}#${e.externalId.split("#recurrence=")[1] ?? ""}`

/** Events other channels of the workspace already hold for these meetings (Twenty shares one event by iCalUID). */
const sharedEvents = (workspaceId: string, channelId: string, events: ReadonlyArray<FetchedEvent>) =>
  Effect.gen(function*() {
    const uids = [...new Set(events.map((e) => e.iCalUID).filter((uid) => uid !== ""))]
    if (uids.length === 0) return new Map<string, string>()
    const sql = yield* SqlClient.SqlClient
    const s = ident((yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema)
    const rows = yield* sql.unsafe<{ key: string; eventId: string }>(
      `SELECT DISTINCT ON (key) key, "eventId" FROM (
         SELECT e."iCalUID" || '#' || split_part(a."eventExternalId", '#recurrence=', 2) AS key, e.id AS "eventId", e."createdAt"
           FROM ${s}."calendarEvent" e JOIN ${s}."calendarChannelEventAssociation" a ON a."calendarEventId" = e.id
          WHERE e."deletedAt" IS NULL AND a."deletedAt" IS NULL AND e."iCalUID" = ANY($1) AND a."calendarChannelId" <> $2
       ) m ORDER BY key, "createdAt", "eventId"`,
      [uids, channelId])
    return new Map(rows.map((r) => [r.key, r.eventId]))
  })

/** Events of objects deleted upstream (or instances no longer in their object) stay, canceled. */
const cancelEvents = (workspaceId: string, eventIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const records = yield* Records
    for (const batch of chunks(eventIds)) {
      yield* records.updateMany(emailScope(workspaceId), "calendarEvent", { id: { in: [...batch] }, isCanceled: { eq: false } }, { isCanceled: true }, select())
    }
  })

export const cancelDeletedObjects = (workspaceId: string, channelId: string, hrefs: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (hrefs.length === 0) return 0
    const known = yield* associationsOf(workspaceId, channelId, hrefs)
    yield* cancelEvents(workspaceId, known.map((a) => a.eventId))
    return known.length
  })

/**
 * Stores a batch of calendar objects: an event this channel (or, for the same iCalUID, another channel of
 * the workspace) already has is updated in place (its participants replaced), a new one is created; each gets
 * this channel's association. Skipped when a participant is on
 * the owner's blocklist. Participants are matched to people and members by email, and people created
 * per the channel's policy. Idempotent: a batch stored twice (a sync resumed after a crash) changes nothing.
 */
export const saveObjects = (workspaceId: string, channel: CalendarChannel, objects: ReadonlyArray<FetchedObject>) =>
  Effect.gen(function*() {
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const own = new Set([channel.handle.toLowerCase()])
    const blocklist = yield* blocklistOf(workspaceId, channel.connectedAccountId)
    const known = new Map((yield* associationsOf(workspaceId, channel.id, objects.map((o) => o.href))).map((a) => [a.externalId, a.eventId]))
    const events = objects.flatMap((o) => o.events)
      .filter((e) => !e.participants.some((p) => !own.has(p.handle) && isBlocked(p.handle, blocklist)))
    const kept = new Set(events.map((e) => e.externalId))
    // instances (or whole objects) that vanished from an object still present, or were blocked
    yield* cancelEvents(workspaceId, [...known].filter(([externalId]) => !kept.has(externalId)).map(([, eventId]) => eventId))

    const handles = [...new Set(events.flatMap((e) => e.participants.map((p) => p.handle)))]
    const matches = yield* matchHandles(workspaceId, handles)
    const candidates = new Map<string, Participant>()
    for (const p of events.flatMap((e) => e.participants)) {
      if (own.has(p.handle) || matches.people.has(p.handle) || matches.members.has(p.handle) || candidates.has(p.handle)) continue
      if (mayCreateContact(channel, p)) candidates.set(p.handle, { role: "TO", handle: p.handle, displayName: p.displayName })
    }
    const created = yield* createContacts(workspaceId, [...candidates.values()])
    for (const [handle, personId] of created) yield* linkParticipantsToPerson(workspaceId, personId, [handle])

    const shared = yield* sharedEvents(workspaceId, channel.id, events.filter((e) => !known.has(e.externalId)))
    const existing = new Map(events.flatMap((e) => {
      const id = known.get(e.externalId) ?? (e.iCalUID ? shared.get(meetingKey(e)) : undefined)
      return id ? [[e.externalId, id] as const] : []
    }))
    const eventIds = events.map((e) => existing.get(e.externalId) ?? crypto.randomUUID())
    const row = (e: FetchedEvent, i: number) => ({
      id: eventIds[i], ...contentFields(e), iCalUID: e.iCalUID, startsAt: e.startsAt, endsAt: e.endsAt, isFullDay: e.isFullDay,
      isCanceled: e.isCanceled, externalCreatedAt: e.externalCreatedAt, externalUpdatedAt: e.externalUpdatedAt, conferenceSolution: ""
    })
    const fresh = events.flatMap((e, i) => (existing.has(e.externalId) ? [] : [row(e, i)]))
    for (const batch of chunks(fresh)) yield* records.createMany(scope, "calendarEvent", batch, select())
    for (const [i, e] of events.entries()) {
      if (!existing.has(e.externalId)) continue
      const { id: _, ...data } = row(e, i)
      yield* records.updateOne(scope, "calendarEvent", eventIds[i]!, data, select())
    }
    const updatedIds = events.flatMap((e, i) => (existing.has(e.externalId) ? [eventIds[i]!] : []))
    for (const batch of chunks(updatedIds)) {
      yield* records.destroyMany(scope, "calendarEventParticipant", { calendarEventId: { in: [...batch] } }, select())
    }
    const participants = events.flatMap((e, i) => e.participants.map((p) => ({
      handle: p.handle, displayName: p.displayName || p.handle, isOrganizer: p.isOrganizer, responseStatus: p.responseStatus,
      calendarEventId: eventIds[i], personId: matches.people.get(p.handle) ?? created.get(p.handle) ?? null,
      workspaceMemberId: matches.members.get(p.handle) ?? null
    })))
    for (const batch of chunks(participants)) yield* records.createMany(scope, "calendarEventParticipant", batch, select())
    const associations = events.flatMap((e, i) => (known.has(e.externalId) ? [] : [{
      eventExternalId: e.externalId, recurringEventExternalId: e.recurringEventExternalId, calendarChannelId: channel.id, calendarEventId: eventIds[i]
    }]))
    for (const batch of chunks(associations)) yield* records.createMany(scope, "calendarChannelEventAssociation", batch, select())
    return { created: fresh.length, updated: updatedIds.length, contacts: created.size }
  })
