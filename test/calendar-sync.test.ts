/**
 * CalDAV calendar sync against a real Radicale (started by this file on its own port and storage):
 * connecting the account, first import, incremental sync by sync-token (and by ETags when the token is
 * refused), events created, updated and deleted upstream, participants matched, contact auto-creation on
 * and off, a refused login and a server killed mid-sync.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { Metadata } from "../src/services/metadata/index.js"
import { syncCalendarChannel, type SyncOptions } from "../src/services/calendar/caldav-sync.js"
import { caldavUrl } from "../src/services/calendar/caldav-client.js"
import { parseCalendarObject } from "../src/services/calendar/ics.js"
import { startChannelSync } from "../src/services/messaging/accounts.js"
import { cleanUpDeletedAccount } from "../src/services/messaging/account-events.js"
import { relaunchFailedCalendarChannels, resetStaleCalendarChannels, scheduleCalendarSyncs } from "../src/services/calendar/crons.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { hasRadicale, icsCalendar, icsEvent, type Radicale, startRadicale } from "./support/radicale.js"
import { signUpWithWorkspace } from "./support/flows.js"

const PASSWORD = "alice-password"

let app: TestApp
let radicale: Radicale
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let accountId: string
let channelId: string
let schema: string

const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))

const channel = async () =>
  (await sql<{ syncStage: string; syncStatus: string; throttleFailureCount: number; syncCursor: string | null }>(
    `SELECT "syncStage", "syncStatus", "throttleFailureCount", "syncCursor" FROM "${schema}"."calendarChannel" WHERE id = $1`, [channelId]))[0]!

const sync = (options: SyncOptions = {}) => app.run(syncCalendarChannel(owner.workspaceId, channelId, options))

const events = () =>
  sql<{ id: string; title: string; iCalUID: string; isCanceled: boolean; isFullDay: boolean; startsAt: Date; endsAt: Date; location: string; description: string; conferenceLinkPrimaryLinkUrl: string | null; externalId: string; recurringEventExternalId: string | null }>(
    `SELECT e.id, e.title, e."iCalUID", e."isCanceled", e."isFullDay", e."startsAt", e."endsAt", e.location, e.description, e."conferenceLinkPrimaryLinkUrl",
            a."eventExternalId" AS "externalId", a."recurringEventExternalId"
       FROM "${schema}"."calendarEvent" e JOIN "${schema}"."calendarChannelEventAssociation" a ON a."calendarEventId" = e.id
      WHERE e."deletedAt" IS NULL ORDER BY a."eventExternalId"`)

const eventByUid = async (uid: string) => (await events()).find((e) => e.iCalUID === uid && e.recurringEventExternalId === null)

const participantsOf = (eventId: string) =>
  sql<{ handle: string; displayName: string; isOrganizer: boolean; responseStatus: string; personId: string | null; workspaceMemberId: string | null }>(
    `SELECT handle, "displayName", "isOrganizer", "responseStatus", "personId", "workspaceMemberId" FROM "${schema}"."calendarEventParticipant"
      WHERE "calendarEventId" = $1 AND "deletedAt" IS NULL ORDER BY handle`, [eventId])

const personByEmail = async (email: string) =>
  (await sql<{ id: string; companyId: string | null; nameFirstName: string }>(
    `SELECT id, "companyId", "nameFirstName" FROM "${schema}".person WHERE "emailsPrimaryEmail" = $1 AND "deletedAt" IS NULL`, [email]))[0] ?? null

const hour = (day: number, h: number) => new Date(Date.UTC(2026, 11, day, h))

const save = (password: string) =>
  app.gql<any>(
    `mutation($handle: String!, $params: EmailAccountConnectionParameters!) {
      saveImapSmtpCaldavAccount(handle: $handle, connectionParameters: $params) { success connectedAccountId } }`,
    { handle: owner.email, params: { CALDAV: { host: radicale.url, port: radicale.port, username: "alice", password } } },
    owner.accessToken
  )

const kickoff = { uid: "kickoff", summary: "Kickoff", start: hour(7, 9), end: hour(7, 10) }

beforeAll(async () => {
  if (!hasRadicale) return
  app = await startTestApp({ redis: false, env: { MESSAGING_ALLOW_PRIVATE_ADDRESSES: "true" } })
  radicale = await startRadicale({ alice: PASSWORD, bob: PASSWORD })
  owner = await signUpWithWorkspace(app)
  schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))).schema
  await sql(`INSERT INTO "${schema}".person ("nameFirstName", "emailsPrimaryEmail") VALUES ('Dave', 'dave@known.io')`)
})
afterAll(async () => {
  await radicale?.close()
  await app?.close()
})

describe.skipIf(!hasRadicale)("CalDAV calendar sync", () => {
  test("a wrong password is refused before anything is saved, with the server's verdict", async () => {
    await radicale.makeCalendar("alice", "work")
    const answer = await save("wrong")
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect(answer.body.errors?.[0]?.message).toContain("CALDAV authentication failed")
    expect(await sql(`SELECT 1 FROM "${schema}"."connectedAccount"`)).toHaveLength(0)
  })

  test("a private address is refused unless allowed", async () => {
    const guarded = await startTestApp({ redis: false })
    try {
      const other = await signUpWithWorkspace(guarded)
      const answer = await guarded.gql<any>(
        `mutation($params: EmailAccountConnectionParameters!) {
          saveImapSmtpCaldavAccount(handle: "x@acme.dev", connectionParameters: $params) { success } }`,
        { params: { CALDAV: { host: radicale.url, port: radicale.port, username: "alice", password: PASSWORD } } },
        other.accessToken
      )
      expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      expect(answer.body.errors?.[0]?.message).toContain("MESSAGING_ALLOW_PRIVATE_ADDRESSES")
    } finally {
      await guarded.close()
    }
  })

  test("saved: a calendar channel waits for its first sync", async () => {
    const answer = await save(PASSWORD)
    expect(answer.body.errors).toBeUndefined()
    accountId = answer.body.data.saveImapSmtpCaldavAccount.connectedAccountId
    const [row] = await sql<{ id: string; handle: string; syncStage: string; syncStatus: string }>(
      `SELECT id, handle, "syncStage", "syncStatus" FROM "${schema}"."calendarChannel" WHERE "connectedAccountId" = $1`, [accountId])
    expect(row).toMatchObject({ handle: owner.email, syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", syncStatus: "NOT_SYNCED" })
    channelId = row!.id
    expect(await sql(`SELECT 1 FROM "${schema}"."messageChannel"`)).toHaveLength(0)
  })

  test("first import: events, full-day, recurrence overrides, cancellations, participants matched, contacts created", async () => {
    await radicale.putEvent("alice", "work", "kickoff.ics", icsCalendar(icsEvent({
      ...kickoff, location: "Room 1", description: "Agenda: scope", url: "https://zoom.us/j/123",
      organizer: { email: "bob@partner.io", name: "Bob Stone" },
      attendees: [
        { email: owner.email, partstat: "ACCEPTED" }, { email: "carol@partner.io", name: "Carol Reed", partstat: "TENTATIVE" },
        { email: "dave@known.io", partstat: "DECLINED" }
      ]
    })))
    await radicale.putEvent("alice", "work", "offsite.ics", icsCalendar(icsEvent({ uid: "offsite", summary: "Offsite", start: hour(10, 0), end: hour(11, 0), allDay: true })))
    await radicale.putEvent("alice", "work", "weekly.ics", icsCalendar(
      icsEvent({ uid: "weekly", summary: "Weekly", start: hour(8, 14), end: hour(8, 15), rrule: "FREQ=WEEKLY;COUNT=4" }),
      icsEvent({ uid: "weekly", summary: "Weekly (moved)", start: hour(15, 16), end: hour(15, 17), recurrenceId: hour(15, 14) })
    ))
    await radicale.putEvent("alice", "work", "dropped.ics", icsCalendar(icsEvent({ uid: "dropped", summary: "Dropped", start: hour(9, 9), end: hour(9, 10), status: "CANCELLED" })))

    expect(await sync()).toBe("synced")
    const all = await events()
    expect(all.map((e) => [e.title, e.isCanceled])).toEqual([
      ["Dropped", true], ["Kickoff", false], ["Offsite", false], ["Weekly", false], ["Weekly (moved)", false]
    ])
    const k = all.find((e) => e.iCalUID === "kickoff")!
    expect(k).toMatchObject({ location: "Room 1", description: "Agenda: scope", conferenceLinkPrimaryLinkUrl: "https://zoom.us/j/123", isFullDay: false, externalId: "/alice/work/kickoff.ics" })
    expect(new Date(k.startsAt).toISOString()).toBe(hour(7, 9).toISOString())
    expect(new Date(k.endsAt).toISOString()).toBe(hour(7, 10).toISOString())
    expect(all.find((e) => e.iCalUID === "offsite")!.isFullDay).toBe(true)
    const moved = all.find((e) => e.title === "Weekly (moved)")!
    expect(moved).toMatchObject({ externalId: `/alice/work/weekly.ics#recurrence=${hour(15, 14).toISOString()}`, recurringEventExternalId: "/alice/work/weekly.ics" })

    const members = await sql<{ id: string }>(`SELECT id FROM "${schema}"."workspaceMember"`)
    const dave = await personByEmail("dave@known.io")
    const bob = await personByEmail("bob@partner.io")
    const carol = await personByEmail("carol@partner.io")
    expect(bob).toMatchObject({ nameFirstName: "Bob" })
    expect(bob!.companyId).toBeString()
    expect(carol!.companyId).toBe(bob!.companyId)
    expect(await participantsOf(k.id)).toEqual([
      { handle: "bob@partner.io", displayName: "Bob Stone", isOrganizer: true, responseStatus: "ACCEPTED", personId: bob!.id, workspaceMemberId: null },
      { handle: "carol@partner.io", displayName: "Carol Reed", isOrganizer: false, responseStatus: "TENTATIVE", personId: carol!.id, workspaceMemberId: null },
      { handle: "dave@known.io", displayName: "dave@known.io", isOrganizer: false, responseStatus: "DECLINED", personId: dave!.id, workspaceMemberId: null },
      { handle: owner.email, displayName: owner.email, isOrganizer: false, responseStatus: "ACCEPTED", personId: null, workspaceMemberId: members[0]!.id }
    ].sort((a, b) => a.handle.localeCompare(b.handle)))
    expect(await personByEmail(owner.email)).toBeNull()
    const state = await channel()
    expect(state).toMatchObject({ syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", syncStatus: "ACTIVE", throttleFailureCount: 0 })
    expect(JSON.parse(state.syncCursor!).calendars["/alice/work/"].syncToken).toStartWith("http://radicale.org/ns/sync/")

    // a second run finds nothing new and changes nothing
    const seen: Array<unknown> = []
    expect(await sync({ onCalendar: (path, summary) => seen.push([path, summary]) })).toBe("synced")
    expect(seen).toEqual([["/alice/work/", { mode: "sync-token", changed: 0, deleted: 0 }]])
    expect(await events()).toEqual(all)
  })

  test("incremental: an event created, one updated in place, one deleted upstream (canceled)", async () => {
    const before = await events()
    const kickoffId = before.find((e) => e.iCalUID === "kickoff")!.id
    await radicale.putEvent("alice", "work", "review.ics", icsCalendar(icsEvent({ uid: "review", summary: "Review", start: hour(12, 9), end: hour(12, 10) })))
    await radicale.putEvent("alice", "work", "kickoff.ics", icsCalendar(icsEvent({
      ...kickoff, summary: "Kickoff (final)", start: hour(7, 11), end: hour(7, 12), sequence: 1,
      organizer: { email: "bob@partner.io", name: "Bob Stone" }, attendees: [{ email: "carol@partner.io", name: "Carol Reed", partstat: "ACCEPTED" }]
    })))
    await radicale.deleteEvent("alice", "work", "offsite.ics")
    const seen: Array<unknown> = []
    expect(await sync({ onCalendar: (path, summary) => seen.push([path, summary]) })).toBe("synced")
    expect(seen).toEqual([["/alice/work/", { mode: "sync-token", changed: 2, deleted: 1 }]])
    const after = await events()
    expect(after.length).toBe(before.length + 1)
    const k = after.find((e) => e.iCalUID === "kickoff")!
    expect(k).toMatchObject({ id: kickoffId, title: "Kickoff (final)" })
    expect(new Date(k.startsAt).toISOString()).toBe(hour(7, 11).toISOString())
    expect((await participantsOf(kickoffId)).map((p) => [p.handle, p.responseStatus])).toEqual([["bob@partner.io", "ACCEPTED"], ["carol@partner.io", "ACCEPTED"]])
    expect(after.find((e) => e.iCalUID === "offsite")!.isCanceled).toBe(true)
    expect(after.find((e) => e.iCalUID === "review")!.isCanceled).toBe(false)
  })

  test("a sync-token the server refuses: the ETags are compared instead, and nothing is missed (a series canceled)", async () => {
    const state = await channel()
    const cursor = JSON.parse(state.syncCursor!)
    cursor.calendars["/alice/work/"].syncToken = "http://radicale.org/ns/sync/forgotten"
    await sql(`UPDATE "${schema}"."calendarChannel" SET "syncCursor" = $1 WHERE id = $2`, [JSON.stringify(cursor), channelId])
    await radicale.putEvent("alice", "work", "review.ics", icsCalendar(icsEvent({ uid: "review", summary: "Review (moved)", start: hour(13, 9), end: hour(13, 10) })))
    await radicale.deleteEvent("alice", "work", "dropped.ics")
    // the series canceled upstream, its moved instance gone from the object
    await radicale.putEvent("alice", "work", "weekly.ics", icsCalendar(
      icsEvent({ uid: "weekly", summary: "Weekly", start: hour(8, 14), end: hour(8, 15), rrule: "FREQ=WEEKLY;COUNT=4", status: "CANCELLED" })))
    const count = (await events()).length
    const seen: Array<unknown> = []
    expect(await sync({ onCalendar: (path, summary) => seen.push([path, summary]) })).toBe("synced")
    expect(seen).toEqual([["/alice/work/", { mode: "etags", changed: 2, deleted: 1 }]])
    const after = await events()
    expect(after.length).toBe(count)
    expect((await eventByUid("review"))!.title).toBe("Review (moved)")
    expect(after.filter((e) => e.iCalUID === "weekly").map((e) => [e.title, e.isCanceled])).toEqual([["Weekly", true], ["Weekly (moved)", true]])
    expect(JSON.parse((await channel()).syncCursor!).calendars["/alice/work/"].syncToken).not.toBe("http://radicale.org/ns/sync/forgotten")
  })

  test("contact auto-creation off, then only organizers", async () => {
    await sql(`UPDATE "${schema}"."calendarChannel" SET "isContactAutoCreationEnabled" = false WHERE id = $1`, [channelId])
    await radicale.putEvent("alice", "work", "demo.ics", icsCalendar(icsEvent({
      uid: "demo", summary: "Demo", start: hour(14, 9), end: hour(14, 10), organizer: { email: "erin@other.io" }, attendees: [{ email: "fay@other.io" }]
    })))
    expect(await sync()).toBe("synced")
    expect(await personByEmail("erin@other.io")).toBeNull()
    expect((await participantsOf((await eventByUid("demo"))!.id)).map((p) => [p.handle, p.personId, p.responseStatus])).toEqual([
      ["erin@other.io", null, "ACCEPTED"], ["fay@other.io", null, "NEEDS_ACTION"]
    ])

    await sql(`UPDATE "${schema}"."calendarChannel" SET "isContactAutoCreationEnabled" = true, "contactAutoCreationPolicy" = 'AS_ORGANIZER' WHERE id = $1`, [channelId])
    await radicale.putEvent("alice", "work", "pitch.ics", icsCalendar(icsEvent({
      uid: "pitch", summary: "Pitch", start: hour(16, 9), end: hour(16, 10), organizer: { email: "gus@third.io" }, attendees: [{ email: "hal@third.io" }]
    })))
    expect(await sync()).toBe("synced")
    const gus = await personByEmail("gus@third.io")
    expect(gus).not.toBeNull()
    expect(await personByEmail("hal@third.io")).toBeNull()
    expect((await participantsOf((await eventByUid("pitch"))!.id)).map((p) => [p.handle, p.personId])).toEqual([["gus@third.io", gus!.id], ["hal@third.io", null]])
  })

  test("the owner's blocklist keeps events out; a METADATA channel's events are stored whole (masked when read: timeline.test.ts)", async () => {
    const [member] = await sql<{ id: string }>(`SELECT id FROM "${schema}"."workspaceMember"`)
    await sql(`INSERT INTO "${schema}".blocklist (handle, "workspaceMemberId") VALUES ('@spam.io', $1)`, [member!.id])
    await sql(`UPDATE "${schema}"."calendarChannel" SET visibility = 'METADATA' WHERE id = $1`, [channelId])
    await radicale.putEvent("alice", "work", "spam.ics", icsCalendar(icsEvent({
      uid: "spam", summary: "Spam", start: hour(17, 9), end: hour(17, 10), attendees: [{ email: "x@spam.io" }]
    })))
    await radicale.putEvent("alice", "work", "secret.ics", icsCalendar(icsEvent({
      uid: "secret", summary: "Secret", location: "HQ", start: hour(18, 9), end: hour(18, 10), attendees: [{ email: "ok@fine.io" }]
    })))
    expect(await sync()).toBe("synced")
    expect(await eventByUid("spam")).toBeUndefined()
    const secret = await eventByUid("secret")
    expect(secret).toMatchObject({ title: "Secret", location: "HQ" })
    expect(new Date(secret!.startsAt).toISOString()).toBe(hour(18, 9).toISOString())
    expect((await participantsOf(secret!.id)).map((p) => p.handle)).toEqual(["ok@fine.io"])
    await sql(`UPDATE "${schema}"."calendarChannel" SET visibility = 'SHARE_EVERYTHING' WHERE id = $1`, [channelId])
  })

  test("a refused login fails the channel with a clear state, and startChannelSync resumes it", async () => {
    radicale.setPassword("alice", "changed")
    expect(await sync()).toBe("failed")
    expect(await channel()).toMatchObject({ syncStage: "FAILED", syncStatus: "FAILED_INSUFFICIENT_PERMISSIONS" })
    const [account] = await sql<{ authFailedAt: Date | null }>(`SELECT "authFailedAt" FROM "${schema}"."connectedAccount" WHERE id = $1`, [accountId])
    expect(account!.authFailedAt).not.toBeNull()
    // the cron leaves it alone until the account is fixed
    expect(await sync()).toBe("skipped")
    radicale.setPassword("alice", PASSWORD)
    expect(await app.run(startChannelSync(owner.workspaceId, accountId))).toBe(true)
    expect(await sync()).toBe("synced")
    expect(await channel()).toMatchObject({ syncStatus: "ACTIVE" })
  })

  test("the server killed mid-sync: the channel backs off, then the next run finishes without duplicates", async () => {
    const before = (await events()).length
    for (let i = 0; i < 60; i++) {
      await radicale.putEvent("alice", "work", `bulk-${i}.ics`, icsCalendar(icsEvent({ uid: `bulk-${i}`, summary: `Bulk ${i}`, start: hour(20, 9), end: hour(20, 10) })))
    }
    let batches = 0
    expect(await sync({ batch: 20, afterBatch: async () => { if (++batches === 1) await radicale.kill() } })).toBe("failed")
    expect((await events()).length).toBe(before + 20)
    expect(await channel()).toMatchObject({ syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", throttleFailureCount: 1 })
    await radicale.restart()
    expect(await sync({ batch: 20 })).toBe("synced")
    const after = await events()
    expect(after.length).toBe(before + 60)
    expect(new Set(after.map((e) => e.externalId)).size).toBe(after.length)
    expect(await channel()).toMatchObject({ syncStatus: "ACTIVE", throttleFailureCount: 0 })
  })

  test("crons: a waiting channel is queued, a stale ONGOING one and a FAILED_UNKNOWN one go back to pending", async () => {
    expect(await app.run(scheduleCalendarSyncs)).toBe(1)
    await sql(`UPDATE "${schema}"."calendarChannel" SET "syncStage" = 'CALENDAR_EVENTS_IMPORT_ONGOING', "syncStageStartedAt" = now() - interval '2 hours' WHERE id = $1`, [channelId])
    expect(await app.run(scheduleCalendarSyncs)).toBe(0)
    expect(await sync()).toBe("skipped")
    expect(await app.run(resetStaleCalendarChannels())).toBe(1)
    expect((await channel()).syncStage).toBe("CALENDAR_EVENT_LIST_FETCH_PENDING")
    await sql(`UPDATE "${schema}"."calendarChannel" SET "syncStage" = 'FAILED', "syncStatus" = 'FAILED_UNKNOWN', "throttleFailureCount" = 5 WHERE id = $1`, [channelId])
    expect(await app.run(relaunchFailedCalendarChannels)).toBe(1)
    expect(await channel()).toMatchObject({ syncStage: "CALENDAR_EVENT_LIST_FETCH_PENDING", throttleFailureCount: 0 })
    expect(await sync()).toBe("synced")
  })

  test("the same meeting in a second account's calendar is one event with two associations", async () => {
    await radicale.makeCalendar("bob", "main")
    await radicale.putEvent("bob", "main", "k.ics", icsCalendar(icsEvent({
      ...kickoff, summary: "Kickoff (final)", start: hour(7, 11), end: hour(7, 12), organizer: { email: "bob@partner.io" }, attendees: [{ email: "carol@partner.io" }]
    })))
    await radicale.putEvent("bob", "main", "solo.ics", icsCalendar(icsEvent({ uid: "solo", summary: "Solo", start: hour(21, 9), end: hour(21, 10) })))
    const answer = await app.gql<any>(
      `mutation($params: EmailAccountConnectionParameters!) {
        saveImapSmtpCaldavAccount(handle: "bob.calendar@acme.dev", connectionParameters: $params) { connectedAccountId } }`,
      { params: { CALDAV: { host: radicale.url, port: radicale.port, username: "bob", password: PASSWORD } } }, owner.accessToken)
    expect(answer.body.errors).toBeUndefined()
    const [bobChannel] = await sql<{ id: string }>(`SELECT id FROM "${schema}"."calendarChannel" WHERE "connectedAccountId" = $1`,
      [answer.body.data.saveImapSmtpCaldavAccount.connectedAccountId])
    const before = await sql<{ id: string }>(`SELECT id FROM "${schema}"."calendarEvent"`)
    expect(await app.run(syncCalendarChannel(owner.workspaceId, bobChannel!.id))).toBe("synced")
    expect((await sql(`SELECT id FROM "${schema}"."calendarEvent"`)).length).toBe(before.length + 1)
    const kickoffEvent = (await eventByUid("kickoff"))!
    expect((await sql<{ channel: string }>(`SELECT "calendarChannelId" AS channel FROM "${schema}"."calendarChannelEventAssociation" WHERE "calendarEventId" = $1 ORDER BY "createdAt"`,
      [kickoffEvent.id])).map((a) => a.channel)).toEqual([channelId, bobChannel!.id])
  })

  test("deleting the account removes its channel, events and participants (the events queue's cleanup)", async () => {
    expect((await events()).length).toBeGreaterThan(0)
    const answer = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${owner.accessToken}` },
      body: JSON.stringify({ query: `mutation($id: UUID!) { destroyConnectedAccount(id: $id) { id } }`, variables: { id: accountId } })
    })
    expect(((await answer.json()) as { errors?: unknown }).errors).toBeUndefined()
    await app.run(cleanUpDeletedAccount({
      name: "connectedAccount.destroyed", action: "destroyed", workspaceId: owner.workspaceId, objectMetadataId: "", objectNameSingular: "connectedAccount",
      recordId: accountId, record: {}, actor: { source: "MANUAL", workspaceMemberId: null, name: "" }, occurredAt: new Date().toISOString()
    }))
    // what the other account's calendar holds stays: its own event and the shared meeting
    expect(await sql(`SELECT 1 FROM "${schema}"."calendarChannel" WHERE "connectedAccountId" = $1`, [accountId])).toEqual([])
    expect((await sql<{ iCalUID: string }>(`SELECT "iCalUID" FROM "${schema}"."calendarEvent" ORDER BY "iCalUID"`)).map((e) => e.iCalUID)).toEqual(["kickoff", "solo"])
    expect((await sql<{ handle: string }>(`SELECT handle FROM "${schema}"."calendarEventParticipant" ORDER BY handle`)).map((p) => p.handle)).toEqual(["bob@partner.io", "carol@partner.io"])
    expect(await sql(`SELECT 1 FROM core."connectedAccountCredential" WHERE "connectedAccountId" = $1`, [accountId])).toEqual([])
  })
})

describe("ICS and server URLs", () => {
  test("ical.js reads folded lines, escapes, TZID times, CN and PARTSTAT; the organizer once", () => {
    const ics = [
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN",
      "BEGIN:VTIMEZONE", "TZID:Europe/Paris",
      "BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
      "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
      "END:VTIMEZONE",
      "BEGIN:VEVENT", "UID:u1", "DTSTAMP:20261201T000000Z",
      "DTSTART;TZID=Europe/Paris:20261207T100000", "DTEND;TZID=Europe/Paris:20261207T110000",
      "SUMMARY:Budget\\, Q1 \\; review", "DESCRIPTION:Line one\\nJoin: https://meet.google.com/abc-defg-hij now",
      "ORGANIZER;CN=\"Stone, Bob\":MAILTO:Bob@Partner.io",
      "ATTENDEE;CN=Carol;PARTSTAT=DECLINED;ROLE=REQ-PARTICIPANT:mailto:carol@partner.io",
      "ATTENDEE;PARTSTAT=DELEGATED:mailto:dan@partner.io",
      "ATTENDEE:mailto:bob@partner.io",
      "END:VEVENT",
      "END:VCALENDAR", ""
    ].join("\r\n").replace("Line one", "Line\r\n  one")
    const [event] = parseCalendarObject(ics, "/a/cal/u1.ics")
    expect(event).toMatchObject({
      externalId: "/a/cal/u1.ics", recurringEventExternalId: null, iCalUID: "u1", title: "Budget, Q1 ; review",
      description: "Line one\nJoin: https://meet.google.com/abc-defg-hij now", conferenceLink: "https://meet.google.com/abc-defg-hij",
      startsAt: "2026-12-07T09:00:00.000Z", endsAt: "2026-12-07T10:00:00.000Z", isFullDay: false, isCanceled: false
    })
    expect(event!.participants).toEqual([
      { handle: "bob@partner.io", displayName: "Stone, Bob", isOrganizer: true, responseStatus: "ACCEPTED" },
      { handle: "carol@partner.io", displayName: "Carol", isOrganizer: false, responseStatus: "DECLINED" },
      { handle: "dan@partner.io", displayName: "", isOrganizer: false, responseStatus: "NEEDS_ACTION" }
    ])
  })

  test("what does not parse yields no events", () => {
    expect(parseCalendarObject("BEGIN:VCALENDAR\r\nnot ics", "/x.ics")).toEqual([])
  })

  test("the server URL from a bare host or a full URL", () => {
    expect(caldavUrl({ host: "dav.example.com", port: 443 })).toBe("https://dav.example.com/")
    expect(caldavUrl({ host: "dav.example.com", port: 5232, connectionSecurity: "NONE" })).toBe("http://dav.example.com:5232/")
    expect(caldavUrl({ host: "https://dav.example.com/remote.php/dav", port: 8443 })).toBe("https://dav.example.com:8443/remote.php/dav/")
  })
})
