/**
 * Mail sync: the first import of a mailbox (messages/s, peak RSS) and an incremental sync picking up 100 new
 * messages, against a real Dovecot; beside it, the floor: the same messages only fetched over IMAP and parsed
 * (no database), so the difference is what storing costs.
 *
 *   bun bench/mail.ts            (BENCH_MESSAGES=10000, 40 correspondents, a reply in every thread of 4)
 *
 * In-process Score on a fresh PostgreSQL database (pool of 4), the list fetch and import steps run as the
 * queue would run them. Everything started is stopped, the database dropped.
 */
import { Effect } from "effect"
import { fetchMessageList, importMessages } from "../src/services/messaging/imap-sync.js"
import { parseMessage } from "../src/services/messaging/parse.js"
import { startTestApp } from "../test/support/app.js"
import { rawMail, startDovecot } from "../test/support/dovecot.js"
import { signUpWithWorkspace } from "../test/support/flows.js"

const COUNT = Number(process.env["BENCH_MESSAGES"] ?? 10_000)
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
