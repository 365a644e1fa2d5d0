/**
 * The timeline queries at size: a company of 20 people with 5,000 threads of 4 messages each (20,000
 * messages, 40,000 participants, all in one channel), read a page of 20 at a time through /graphql as
 * the channel's owner and as another member, first page and a deep one (page 200).
 *
 *   bun bench/timeline.ts            (BENCH_THREADS to change the size)
 *
 * In process, on the real application (test/support/app.ts: its own database, dropped at the end); the data
 * is inserted with set-based SQL. Prints the median latency of 30 requests per case and a `RESULT {json}` line.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { threadsSql } from "../src/services/mail-timeline/threads.js"
import { Metadata } from "../src/services/metadata/index.js"
import { addMemberWithRole, signUpWithWorkspace } from "../test/support/flows.js"
import { startTestApp } from "../test/support/app.js"

const THREADS = Number(process.env["BENCH_THREADS"] ?? 5_000)
const MESSAGES_PER_THREAD = 4
const PEOPLE = 20
const REQUESTS = 30

const app = await startTestApp({ redis: false })
try {
  const owner = await signUpWithWorkspace(app, { name: "Bench" })
  const member = await addMemberWithRole(app, owner.workspaceId, "Member")
  const schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))).schema
  const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))
  const s = `"${schema}"`
  const ownerId = (await sql<{ id: string }>(`SELECT id FROM ${s}."workspaceMember" WHERE id <> $1`, [member.memberId]))[0]!.id

  const seeding = performance.now()
  const [company] = await sql<{ id: string }>(`INSERT INTO ${s}.company (name) VALUES ('Bench Co') RETURNING id`)
  await sql(`INSERT INTO ${s}.person ("nameFirstName", "nameLastName", "companyId", "emailsPrimaryEmail")
             SELECT 'P' || i, 'Bench', $1, 'p' || i || '@bench.io' FROM generate_series(1, ${PEOPLE}) i`, [company!.id])
  const [account] = await sql<{ id: string }>(`INSERT INTO ${s}."connectedAccount" (handle, provider, "accountOwnerId")
             VALUES ('owner@bench.io', 'imap_smtp_caldav', $1) RETURNING id`, [ownerId])
  const [channel] = await sql<{ id: string }>(`INSERT INTO ${s}."messageChannel" (handle, "connectedAccountId", type, visibility)
             VALUES ('owner@bench.io', $1, 'EMAIL', 'SUBJECT') RETURNING id`, [account!.id])
  await sql(`INSERT INTO ${s}."messageThread" (id) SELECT gen_random_uuid() FROM generate_series(1, ${THREADS})`)
  await sql(`INSERT INTO ${s}.message ("headerMessageId", subject, text, "receivedAt", "messageThreadId")
             SELECT '<' || t.id || '.' || k || '@b>', 'Subject ' || t.id, repeat('body ', 200), now() - (random() * interval '365 days'), t.id
               FROM ${s}."messageThread" t, generate_series(1, ${MESSAGES_PER_THREAD}) k`)
  await sql(`INSERT INTO ${s}."messageParticipant" ("messageId", role, handle, "personId")
             SELECT m.id, 'FROM', p."emailsPrimaryEmail", p.id
               FROM (SELECT id, row_number() OVER () AS n FROM ${s}.message) m
               JOIN (SELECT id, "emailsPrimaryEmail", row_number() OVER (ORDER BY id) - 1 AS k FROM ${s}.person) p ON p.k = m.n % ${PEOPLE}`)
  await sql(`INSERT INTO ${s}."messageParticipant" ("messageId", role, handle, "workspaceMemberId")
             SELECT id, 'TO', 'owner@bench.io', $1 FROM ${s}.message`, [ownerId])
  await sql(`INSERT INTO ${s}."messageChannelMessageAssociation" ("messageId", "messageChannelId", "messageExternalId", direction)
             SELECT id, $1, id::text, 'INCOMING' FROM ${s}.message`, [channel!.id])
  await sql(`ANALYZE`)
  console.log(`seeded ${THREADS} threads, ${THREADS * MESSAGES_PER_THREAD} messages in ${((performance.now() - seeding) / 1000).toFixed(1)} s`)

  if (process.env["BENCH_EXPLAIN"]) {
    const people = `SELECT p.id FROM ${s}.person p WHERE p."companyId" = $1 AND p."deletedAt" IS NULL`
    const plan = await sql<{ "QUERY PLAN": string }>(`EXPLAIN ANALYZE ${threadsSql(schema, people)}`, [company!.id, ownerId, 20, 0])
    console.log(plan.map((row) => row["QUERY PLAN"]).join("\n"))
  }

  const query = (token: string, page: number) => app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `query($id: UUID!, $page: Int!) { getTimelineThreadsFromCompanyId(companyId: $id, page: $page, pageSize: 20) {
        totalNumberOfThreads timelineThreads { id subject lastMessageBody visibility participantCount firstParticipant { displayName } } } }`,
      variables: { id: company!.id, page }
    })
  }).then((r) => r.json() as Promise<any>)

  const results: Record<string, number> = {}
  for (const [name, token, page] of [["owner p1", owner.accessToken, 1], ["member p1", member.token, 1], ["owner p200", owner.accessToken, 200]] as const) {
    const first = await query(token, page)
    if (first.errors || first.data.getTimelineThreadsFromCompanyId.totalNumberOfThreads !== THREADS) throw new Error(JSON.stringify(first).slice(0, 500))
    const times: Array<number> = []
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now()
      await query(token, page)
      times.push(performance.now() - started)
    }
    times.sort((a, b) => a - b)
    results[name] = Number(times[Math.floor(times.length / 2)]!.toFixed(1))
    console.log(`${name}: median ${results[name]} ms over ${REQUESTS} requests`)
  }
  console.log(`RESULT ${JSON.stringify({ threads: THREADS, messages: THREADS * MESSAGES_PER_THREAD, medianMs: results })}`)
} finally {
  await app.close()
}
