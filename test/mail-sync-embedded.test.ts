/** Embedded mode (PGlite, in-memory queue, jobs in the server's process): saving an account syncs its mailbox through the messaging queue. */
import { afterAll, beforeAll, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestApp } from "./support/app.js"
import { type Dovecot, hasDovecot, rawMail, startDovecot } from "./support/dovecot.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"

const dataDir = mkdtempSync(join(tmpdir(), "score-embedded-mail-"))
const USER = "owner@acme.dev"
let server: ServerProcess
let dovecot: Dovecot

beforeAll(async () => {
  if (!hasDovecot) return
  dovecot = await startDovecot({ [USER]: "mail-password" })
  server = await startServer({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "3s", LOG_LEVEL: "Error", MESSAGING_ALLOW_PRIVATE_ADDRESSES: "true", ...UNTHROTTLED }, 60_000)
}, 90_000)
afterAll(async () => {
  await server?.stop()
  await dovecot?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const remote = (url: string) => {
  const request = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init)
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
    const response = await request("/metadata", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return { status: response.status, body: (await response.json()) as any }
  }
  return { request, gql } as unknown as TestApp
}

test.skipIf(!hasDovecot)("the first sync runs by itself after the account is saved: messages, thread, sender matched", async () => {
  const app = remote(server.url)
  const account = await signUpWithWorkspace(app)
  const data = async (query: string) => {
    const response = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${account.accessToken}` },
      body: JSON.stringify({ query })
    })
    return ((await response.json()) as any).data
  }
  await data(`mutation { createPerson(data: { name: { firstName: "Bob" }, emails: { primaryEmail: "bob@corp.io" } }) { id } }`)
  await dovecot.append(USER, "INBOX", rawMail({ from: "Bob <bob@corp.io>", to: [USER], subject: "Kickoff", messageId: "<k1@corp.io>", date: new Date(Date.UTC(2026, 10, 1, 9)) }))
  await dovecot.append(USER, "Sent", rawMail({ from: USER, to: ["bob@corp.io"], subject: "Re: Kickoff", messageId: "<k2@acme.dev>", inReplyTo: "<k1@corp.io>", references: ["<k1@corp.io>"], date: new Date(Date.UTC(2026, 10, 1, 10)) }))
  const saved = await app.gql(
    `mutation($p: EmailAccountConnectionParameters!) { saveImapSmtpCaldavAccount(handle: "${USER}", connectionParameters: $p) { success } }`,
    { p: { IMAP: { host: "127.0.0.1", port: dovecot.port, connectionSecurity: "NONE", password: "mail-password" } } },
    account.accessToken
  )
  expect(saved.body.errors).toBeUndefined()
  let answer: any
  for (let i = 0; i < 200; i++) {
    answer = await data(`{ messageChannels { edges { node { syncStatus syncStage } } }
      messages(orderBy: { subject: AscNullsFirst }) { edges { node { subject messageThread { id } messageParticipants { edges { node { role handle person { name { firstName } } } } } } } } }`)
    if (answer.messageChannels.edges[0].node.syncStatus === "ACTIVE") break
    await Bun.sleep(100)
  }
  expect(answer.messageChannels.edges[0].node).toEqual({ syncStatus: "ACTIVE", syncStage: "MESSAGE_LIST_FETCH_PENDING" })
  const nodes = answer.messages.edges.map((e: any) => e.node)
  expect(nodes.map((n: any) => n.subject)).toEqual(["Kickoff", "Re: Kickoff"])
  expect(nodes[0].messageThread.id).toBe(nodes[1].messageThread.id)
  const from = nodes[0].messageParticipants.edges.map((e: any) => e.node).find((p: any) => p.role === "FROM")
  expect(from).toEqual({ role: "FROM", handle: "bob@corp.io", person: { name: { firstName: "Bob" } } })

  // The synced thread on Bob's timeline, on PGlite: one thread of two messages, its first subject and senders.
  const bob = (await data(`{ people(filter: { emails: { primaryEmail: { eq: "bob@corp.io" } } }) { edges { node { id } } } }`)).people.edges[0].node.id
  const timeline = (await data(`{ getTimelineThreadsFromPersonId(personId: "${bob}", page: 1, pageSize: 10) {
    totalNumberOfThreads timelineThreads { subject numberOfMessagesInThread participantCount visibility firstParticipant { displayName handle } } } }`))
    .getTimelineThreadsFromPersonId
  expect(timeline).toEqual({
    totalNumberOfThreads: 1,
    timelineThreads: [{
      subject: "Kickoff", numberOfMessagesInThread: 2, participantCount: 2, visibility: "SHARE_EVERYTHING",
      firstParticipant: { displayName: "Bob", handle: "bob@corp.io" }
    }]
  })
}, 120_000)
