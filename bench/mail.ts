/**
 * Mail sync: the first import of a mailbox (messages/s, peak RSS) and an incremental sync picking up 100 new
 * messages, against a real Dovecot; beside it, the floor: the same messages only fetched over IMAP and parsed
 * (no database), so the difference is what storing costs. Calendar sync: the first import of a CalDAV
 * calendar (events/s) and an incremental sync of 10 changed events (sync-token), against a real Radicale.
 *
 *   bun bench/mail.ts            (BENCH_MESSAGES=10000, 40 correspondents, a reply in every thread of 4;
 *                                 BENCH_EVENTS=1000, 3 attendees each among 40; BENCH_ONLY=mail|calendar)
 *
 * In-process Score on a fresh PostgreSQL database (pool of 4), the list fetch and import steps run as the
 * queue would run them. Everything started is stopped, the database dropped.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Metadata } from "../src/services/metadata/index.js"
import { fetchMessageList, importMessages } from "../src/services/messaging/imap-sync.js"
import { parseMessage } from "../src/services/messaging/parse.js"
import { startTestApp } from "../test/support/app.js"
import { rawMail, startDovecot } from "../test/support/dovecot.js"
import { icsCalendar, icsEvent, startRadicale } from "../test/support/radicale.js"
import { syncCalendarChannel } from "../src/services/calendar/caldav-sync.js"
import { signUpWithWorkspace } from "../test/support/flows.js"

const COUNT = Number(process.env["BENCH_MESSAGES"] ?? 10_000)
const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 1_000)
const ONLY = process.env["BENCH_ONLY"]
const USER = "bench@acme.dev"
const PASSWORD = "bench-password"

const mails = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => {
    const i = from + k
    const thread = Math.floor(i / 4)
    const correspondent = `person${i % 40}@client${i % 10}.io`
    const outgoing = i % 4 === 1
    return rawMail({
      from: outgoing ? USER : correspondent,
      to: [outgoing ? correspondent : USER],
      subject: `Thread ${thread}`,
      body: `Message ${i} of thread ${thread}.\n${"Lorem ipsum dolor sit amet. ".repeat(20)}`,
      messageId: `<bench-${i}@client.io>`,
      ...(i % 4 === 0 ? {} : { inReplyTo: `<bench-${thread * 4}@client.io>`, references: [`<bench-${thread * 4}@client.io>`] }),
      date: new Date(Date.UTC(2026, 0, 1) + i * 60_000)
    })
  })

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

const sampleRss = () => {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  return () => (clearInterval(timer), peak)
}

const calendarEvent = (i: number, version = 0) =>
  icsCalendar(icsEvent({
    uid: `bench-event-${i}`, summary: `Meeting ${i}${version ? ` v${version}` : ""}`, description: "Lorem ipsum dolor sit amet. ".repeat(10),
    start: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000), end: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000 + 1_800_000),
    organizer: { email: USER }, attendees: [0, 1, 2].map((k) => ({ email: `person${(i + k) % 40}@client${(i + k) % 10}.io`, partstat: "ACCEPTED" }))
  }))

/** Radicale holding EVENTS events; the first sync of a CalDAV account, then 10 events changed upstream. */
const benchCalendar = async () => {
  const radicale = await startRadicale({ bench: PASSWORD })
  const app = await startTestApp({ redis: false, env: { MESSAGING_ALLOW_PRIVATE_ADDRESSES: "true", DATABASE_POOL_SIZE: "4", LOG_LEVEL: "Error" } })
  try {
    await radicale.makeCalendar("bench", "work")
    let started = performance.now()
    radicale.seedEvents("bench", "work", Object.fromEntries(Array.from({ length: EVENTS }, (_, i) => [`e${i}.ics`, calendarEvent(i)])))
    console.log(`stored ${EVENTS} events into Radicale in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const owner = await signUpWithWorkspace(app)
    const saved = await app.gql<any>(
      `mutation($p: EmailAccountConnectionParameters!) { saveImapSmtpCaldavAccount(handle: "${USER}", connectionParameters: $p) { connectedAccountId } }`,
      { p: { CALDAV: { host: radicale.url, port: radicale.port, username: "bench", password: PASSWORD } } }, owner.accessToken)
    if (saved.body.errors) throw new Error(JSON.stringify(saved.body.errors))
    const channelId = (await app.run(Effect.gen(function*() {
      const { Records } = yield* Effect.promise(() => import("../src/services/records/index.js"))
      const records = yield* Records
      const row = yield* records.findOne({ workspaceId: owner.workspaceId, actor: { source: "SYSTEM", workspaceMemberId: null, name: "System" } }, "calendarChannel", {}, { fields: [], relations: [] })
      return row!["id"] as string
    })))
    const sync = async () => {
      const step = await app.run(syncCalendarChannel(owner.workspaceId, channelId))
      if (step !== "synced") throw new Error(`calendar sync ended ${step}`)
    }
    const stopSampling = sampleRss()
    const rssBefore = process.memoryUsage().rss
    started = performance.now()
    await sync()
    const importSeconds = (performance.now() - started) / 1000
    const peakRss = stopSampling()
    const counted = await app.run(Effect.gen(function*() {
      const schema = (yield* Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId))).schema
      return yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ count: number }>(`SELECT count(*)::int AS count FROM "${schema}"."calendarEvent"`))
    }))
    if (counted[0]?.count !== EVENTS) throw new Error(`imported ${counted[0]?.count} events, not ${EVENTS}`)
    for (let i = 0; i < 10; i++) await radicale.putEvent("bench", "work", `e${i}.ics`, calendarEvent(i, 1))
    started = performance.now()
    await sync()
    const incrementalSeconds = (performance.now() - started) / 1000
    const result = {
      events: EVENTS,
      firstImportSeconds: +importSeconds.toFixed(1),
      firstImportEventsPerSecond: Math.round(EVENTS / importSeconds),
      incremental10Seconds: +incrementalSeconds.toFixed(2),
      rssBeforeMb: mb(rssBefore),
      peakRssMb: mb(peakRss)
    }
    console.log(`calendar first import ${result.firstImportEventsPerSecond} events/s (${result.firstImportSeconds} s), peak RSS ${result.peakRssMb} MB (${result.rssBeforeMb} MB before)`)
    console.log(`calendar incremental 10 changed  ${result.incremental10Seconds} s`)
    console.log(`RESULT ${JSON.stringify(result)}`)
  } finally {
    await app.close()
    await radicale.close()
  }
}

const benchMail = async () => {
  const dovecot = await startDovecot({ [USER]: PASSWORD })
  const app = await startTestApp({ redis: false, env: { MESSAGING_ALLOW_PRIVATE_ADDRESSES: "true", DATABASE_POOL_SIZE: "4", LOG_LEVEL: "Error" } })
  try {
    let started = performance.now()
    await dovecot.appendMany(USER, "INBOX", mails(0, COUNT))
    console.log(`delivered ${COUNT} messages into Dovecot in ${((performance.now() - started) / 1000).toFixed(1)} s`)

    // Floor: fetch every message over IMAP and parse it, storing nothing.
    const imap = await dovecot.client(USER)
    started = performance.now()
    await imap.mailboxOpen("INBOX", { readOnly: true })
    let parsed = 0
    for (let uid = 1; uid <= COUNT; uid += 200) {
      for (const m of await imap.fetchAll(`${uid}:${uid + 199}`, { uid: true, source: true, internalDate: true }, { uid: true })) {
        await parseMessage(m.uid, m.source!, String(m.uid), null)
        parsed++
      }
    }
    const floorSeconds = (performance.now() - started) / 1000
    await imap.logout()

    const owner = await signUpWithWorkspace(app)
    const saved = await app.gql<any>(
      `mutation($p: EmailAccountConnectionParameters!) { saveImapSmtpCaldavAccount(handle: "${USER}", connectionParameters: $p) { connectedAccountId } }`,
      { p: { IMAP: { host: "127.0.0.1", port: dovecot.port, connectionSecurity: "NONE", password: PASSWORD } } }, owner.accessToken)
    if (saved.body.errors) throw new Error(JSON.stringify(saved.body.errors))
    const channelId = (await app.run(Effect.gen(function*() {
      const { Records } = yield* Effect.promise(() => import("../src/services/records/index.js"))
      const records = yield* Records
      const row = yield* records.findOne({ workspaceId: owner.workspaceId, actor: { source: "SYSTEM", workspaceMemberId: null, name: "System" } }, "messageChannel", {}, { fields: [], relations: [] })
      return row!["id"] as string
    })))
    const sync = async () => {
      let step: string = await app.run(fetchMessageList(owner.workspaceId, channelId))
      while (step === "import" || step === "more") step = await app.run(importMessages(owner.workspaceId, channelId))
      if (step !== "synced") throw new Error(`sync ended ${step}`)
    }

    const stopSampling = sampleRss()
    const rssBefore = process.memoryUsage().rss
    started = performance.now()
    await sync()
    const importSeconds = (performance.now() - started) / 1000
    const peakRss = stopSampling()

    await dovecot.appendMany(USER, "INBOX", mails(COUNT, 100))
    started = performance.now()
    await sync()
    const incrementalSeconds = (performance.now() - started) / 1000

    const result = {
      messages: COUNT,
      firstImportSeconds: +importSeconds.toFixed(1),
      firstImportMessagesPerSecond: Math.round(COUNT / importSeconds),
      floorFetchParseMessagesPerSecond: Math.round(parsed / floorSeconds),
      incremental100Seconds: +incrementalSeconds.toFixed(2),
      rssBeforeMb: mb(rssBefore),
      peakRssMb: mb(peakRss)
    }
    console.log(`first import      ${result.firstImportMessagesPerSecond} messages/s (${result.firstImportSeconds} s), peak RSS ${result.peakRssMb} MB (${result.rssBeforeMb} MB before)`)
    console.log(`floor (IMAP+parse) ${result.floorFetchParseMessagesPerSecond} messages/s`)
    console.log(`incremental +100  ${result.incremental100Seconds} s`)
    console.log(`RESULT ${JSON.stringify(result)}`)
  } finally {
    await app.close()
    await dovecot.close()
  }
}

if (ONLY !== "calendar") await benchMail()
if (ONLY !== "mail") await benchCalendar()
