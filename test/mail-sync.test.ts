/**
 * IMAP mail sync against a real Dovecot (started by this file on its own port and maildir): connecting an
 * account, first import, incremental sync, moves and deletions, threads, participants, contact
 * auto-creation, blocklist, a refused login and a server killed mid-sync.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { Metadata } from "../src/services/metadata/index.js"
import { fetchMessageList, importMessages } from "../src/services/messaging/imap-sync.js"
import { matchParticipantsOfRecordEvent } from "../src/services/messaging/participant-events.js"
import { cleanUpDeletedAccount } from "../src/services/messaging/account-events.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { type Dovecot, hasDovecot, rawMail, startDovecot } from "./support/dovecot.js"
import { addMemberWithRole, signUpWithWorkspace } from "./support/flows.js"
import { startTestSmtp } from "./support/smtp.js"
import { sendFromAccount } from "../src/services/messaging/send.js"
import { sendEmailAction } from "../src/services/workflows/actions/send-email.js"

const ALICE = "alice@acme.dev"
const PASSWORD = "alice-password"

let app: TestApp
let dovecot: Dovecot
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let memberId: string
let accountId: string
let channelId: string
let schema: string

const data = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${owner.accessToken}` },
    body: JSON.stringify({ query, variables })
  })
  const body = await response.json() as any
  if (body.errors) throw new Error(JSON.stringify(body.errors))
  return body.data
}

const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))

const channel = async () =>
  (await sql<{ syncStage: string; syncStatus: string; throttleFailureCount: number }>(
    `SELECT "syncStage", "syncStatus", "throttleFailureCount" FROM "${schema}"."messageChannel" WHERE id = $1`, [channelId]))[0]!

/** What the queue would do: the list fetch, then import batches while messages wait. */
const sync = async () => {
  await sql(`UPDATE "${schema}"."messageChannel" SET "throttleRetryAfter" = NULL WHERE id = $1`, [channelId])
  let step: string = await app.run(fetchMessageList(owner.workspaceId, channelId))
  while (step === "import" || step === "more") step = await app.run(importMessages(owner.workspaceId, channelId))
  return step
}

const messages = () =>
  sql<{ id: string; subject: string; headerMessageId: string; messageThreadId: string; text: string | null }>(
    `SELECT id, subject, "headerMessageId", "messageThreadId", text FROM "${schema}".message WHERE "deletedAt" IS NULL ORDER BY "receivedAt", "headerMessageId"`)

const participantsOf = (headerMessageId: string) =>
  sql<{ role: string; handle: string; personId: string | null; workspaceMemberId: string | null }>(
    `SELECT p.role, p.handle, p."personId", p."workspaceMemberId" FROM "${schema}"."messageParticipant" p
       JOIN "${schema}".message m ON m.id = p."messageId" WHERE m."headerMessageId" = $1 ORDER BY p.role, p.handle`, [headerMessageId])

const personByEmail = async (email: string) =>
  (await sql<{ id: string; companyId: string | null; createdBySource: string }>(
    `SELECT id, "companyId", "createdBySource" FROM "${schema}".person WHERE "emailsPrimaryEmail" = $1 AND "deletedAt" IS NULL`, [email]))[0] ?? null

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 9))

const save = (password: string, id?: string) =>
  app.gql<any>(
    `mutation($handle: String!, $params: EmailAccountConnectionParameters!, $id: UUID) {
      saveImapSmtpCaldavAccount(handle: $handle, connectionParameters: $params, id: $id) { success connectedAccountId } }`,
    { handle: ALICE, params: { IMAP: { host: "127.0.0.1", port: dovecot.port, connectionSecurity: "NONE", password } }, id },
    owner.accessToken
  )

beforeAll(async () => {
  app = await startTestApp({ redis: false, env: { MESSAGING_ALLOW_PRIVATE_ADDRESSES: "true" } })
  dovecot = await startDovecot({ [ALICE]: PASSWORD })
  owner = await signUpWithWorkspace(app)
  schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))).schema
  memberId = (await data(`{ workspaceMembers { edges { node { id } } } }`)).workspaceMembers.edges[0].node.id
})
afterAll(async () => {
  await dovecot?.close()
  await app?.close()
})

describe.skipIf(!hasDovecot)("IMAP account", () => {
  test("a wrong password is refused before anything is saved, with the server's verdict", async () => {
    const answer = await save("wrong")
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect(answer.body.errors?.[0]?.message).toContain("IMAP authentication failed")
    expect(await sql(`SELECT 1 FROM "${schema}"."connectedAccount"`)).toHaveLength(0)
  })

  test("a private address is refused unless allowed", async () => {
    const guarded = await startTestApp({ redis: false })
    try {
      const other = await signUpWithWorkspace(guarded)
      const me = await guarded.request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${other.accessToken}` },
        body: JSON.stringify({ query: `{ workspaceMembers { edges { node { id } } } }` })
      })
      const id = ((await me.json()) as any).data.workspaceMembers.edges[0].node.id
      expect(id).toBeString()
      const answer = await guarded.gql<any>(
        `mutation($params: EmailAccountConnectionParameters!) {
          saveImapSmtpCaldavAccount(handle: "x@acme.dev", connectionParameters: $params) { success } }`,
        { params: { IMAP: { host: "127.0.0.1", port: dovecot.port, connectionSecurity: "NONE", password: PASSWORD } } },
        other.accessToken
      )
      expect(answer.body.errors?.[0]?.message).toContain("MESSAGING_ALLOW_PRIVATE_ADDRESSES")
    } finally {
      await guarded.close()
    }
  })

  test("saved: credentials sealed, never answered; a channel waits for its first sync", async () => {
    const answer = await save(PASSWORD)
    expect(answer.body.errors).toBeUndefined()
    accountId = answer.body.data.saveImapSmtpCaldavAccount.connectedAccountId
    const read = await app.gql<any>(
      `query($id: UUID!) { getConnectedImapSmtpCaldavAccount(id: $id) { id handle provider userWorkspaceId connectionParameters { name IMAP { host port username connectionSecurity } } } }`,
      { id: accountId }, owner.accessToken)
    const [membership] = await sql<{ id: string }>(`SELECT id FROM core."userWorkspace" WHERE "workspaceId" = $1`, [owner.workspaceId])
    expect(read.body.data.getConnectedImapSmtpCaldavAccount).toEqual({
      id: accountId, handle: ALICE, provider: "imap_smtp_caldav", userWorkspaceId: membership!.id,
      connectionParameters: { name: null, IMAP: { host: "127.0.0.1", port: dovecot.port, username: null, connectionSecurity: "NONE" } }
    })
    // The caller owns it; no field of the API carries a password.
    const accounts = await data(`{ connectedAccounts { edges { node { id accountOwner { id } } } } }`)
    expect(accounts.connectedAccounts.edges[0].node).toEqual({ id: accountId, accountOwner: { id: memberId } })
    const stored = JSON.stringify(await sql(`SELECT * FROM core."connectedAccountCredential"`)) + JSON.stringify(await sql(`SELECT * FROM "${schema}"."connectedAccount"`))
    expect(stored).not.toContain(PASSWORD)
    const channels = await data(`{ messageChannels { edges { node { id handle syncStage syncStatus } } } }`)
    const node = channels.messageChannels.edges[0].node
    channelId = node.id
    expect(node).toMatchObject({ handle: ALICE, syncStage: "MESSAGE_LIST_FETCH_PENDING", syncStatus: "NOT_SYNCED" })
  })
})

describe.skipIf(!hasDovecot)("IMAP sync", () => {
  test("first import: folders, messages, threads by reply headers, participants matched, contacts created for sent mail", async () => {
    await data(`mutation { createPerson(data: { name: { firstName: "Bob" }, emails: { primaryEmail: "bob@corp.io" } }) { id } }`)
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "Bob <bob@corp.io>", to: [ALICE], cc: ["erin@corp.io"], subject: "Hello", messageId: "<m1@corp.io>", date: day(1) }))
    await dovecot.append(ALICE, "Sent", rawMail({ from: `Alice <${ALICE}>`, to: ["Carol Client <carol@client.co>"], subject: "Proposal", messageId: "<m2@acme.dev>", date: day(2) }))
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "Carol Client <carol@client.co>", to: [ALICE], subject: "Re: Proposal", messageId: "<m3@client.co>", inReplyTo: "<m2@acme.dev>", references: ["<m2@acme.dev>"], date: day(3) }))
    await dovecot.append(ALICE, "Sent", rawMail({ from: ALICE, to: ["noreply@vendor.io", "dave@gmail.com"], subject: "Unsubscribe", messageId: "<m4@acme.dev>", date: day(4) }))
    await dovecot.append(ALICE, "Trash", rawMail({ from: "x@trash.io", to: [ALICE], subject: "Trashed", messageId: "<t1@trash.io>", date: day(4) }))

    expect(await sync()).toBe("synced")
    expect(await channel()).toMatchObject({ syncStage: "MESSAGE_LIST_FETCH_PENDING", syncStatus: "ACTIVE" })
    const folders = await sql<{ name: string; isSentFolder: boolean }>(`SELECT name, "isSentFolder" FROM "${schema}"."messageFolder" ORDER BY name`)
    expect(folders).toEqual([{ name: "Archive", isSentFolder: false }, { name: "INBOX", isSentFolder: false }, { name: "Sent", isSentFolder: true }])
    const all = await messages()
    expect(all.map((m) => m.subject)).toEqual(["Hello", "Proposal", "Re: Proposal", "Unsubscribe"])
    expect(all[1]!.messageThreadId).toBe(all[2]!.messageThreadId)
    expect(all[0]!.messageThreadId).not.toBe(all[1]!.messageThreadId)
    expect(all[0]!.text).toBe("Body of Hello")

    const bob = await personByEmail("bob@corp.io")
    const hello = await participantsOf("<m1@corp.io>")
    expect(hello).toEqual([
      { role: "CC", handle: "erin@corp.io", personId: null, workspaceMemberId: null },
      { role: "FROM", handle: "bob@corp.io", personId: bob!.id, workspaceMemberId: null },
      { role: "TO", handle: ALICE, personId: null, workspaceMemberId: null }
    ])
    // Policy SENT (Twenty's default): people you wrote to, with their company; not those who only wrote to you.
    const carol = await personByEmail("carol@client.co")
    expect(carol).toMatchObject({ createdBySource: "EMAIL" })
    const company = await sql<{ name: string; domainNamePrimaryLinkUrl: string }>(`SELECT name, "domainNamePrimaryLinkUrl" FROM "${schema}".company WHERE id = $1`, [carol!.companyId])
    expect(company).toEqual([{ name: "Client", domainNamePrimaryLinkUrl: "https://client.co" }])
    expect(await personByEmail("erin@corp.io")).toBeNull()
    // Group addresses and personal mail domains make no contact (excludeGroupEmails, excludeNonProfessionalEmails).
    expect(await personByEmail("noreply@vendor.io")).toBeNull()
    expect(await personByEmail("dave@gmail.com")).toBeNull()
    const proposalParticipants = await participantsOf("<m3@client.co>")
    expect(proposalParticipants.find((p) => p.role === "FROM")!.personId).toBe(carol!.id)
    const directions = await sql<{ messageExternalId: string; direction: string }>(
      `SELECT "messageExternalId", direction FROM "${schema}"."messageChannelMessageAssociation" ORDER BY "messageExternalId"`)
    expect(directions).toEqual([
      { messageExternalId: "<m1@corp.io>", direction: "INCOMING" },
      { messageExternalId: "<m2@acme.dev>", direction: "OUTGOING" },
      { messageExternalId: "<m3@client.co>", direction: "INCOMING" },
      { messageExternalId: "<m4@acme.dev>", direction: "OUTGOING" }
    ])
  })

  test("a person created after the mail that names them is linked to its participants (the events queue's job)", async () => {
    const created = await data(`mutation { createPerson(data: { name: { firstName: "Erin" }, emails: { primaryEmail: "erin@corp.io" } }) { id } }`)
    const erin = created.createPerson.id as string
    expect((await participantsOf("<m1@corp.io>")).find((p) => p.handle === "erin@corp.io")!.personId).toBeNull()
    await app.run(matchParticipantsOfRecordEvent({
      name: "person.created", action: "created", workspaceId: owner.workspaceId, objectMetadataId: "", objectNameSingular: "person",
      recordId: erin, record: {}, actor: { source: "MANUAL", workspaceMemberId: null, name: "" }, occurredAt: new Date().toISOString()
    }))
    expect((await participantsOf("<m1@corp.io>")).find((p) => p.handle === "erin@corp.io")!.personId).toBe(erin)
  })

  test("incremental: only the new message is imported; a second run with nothing new changes nothing", async () => {
    const before = await messages()
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "Carol Client <carol@client.co>", to: [ALICE], subject: "Re: Re: Proposal", messageId: "<m5@client.co>", references: ["<m2@acme.dev>", "<m3@client.co>"], inReplyTo: "<m3@client.co>", date: day(5) }))
    expect(await sync()).toBe("synced")
    const after = await messages()
    expect(after).toHaveLength(before.length + 1)
    expect(after.slice(0, before.length)).toEqual([...before])
    expect(after.at(-1)!.messageThreadId).toBe(before[1]!.messageThreadId)
    expect(await sync()).toBe("synced")
    expect(await messages()).toEqual(after)
  })

  test("a moved message keeps its record; a deleted one is removed with its participants", async () => {
    const before = await messages()
    const imap = await dovecot.client(ALICE)
    try {
      await imap.mailboxOpen("INBOX")
      const [hello] = (await imap.search({ header: { "message-id": "<m1@corp.io>" } }, { uid: true })) || []
      await imap.messageMove(String(hello), "Archive", { uid: true })
      await imap.mailboxOpen("Sent")
      const [unsubscribe] = (await imap.search({ header: { "message-id": "<m4@acme.dev>" } }, { uid: true })) || []
      await imap.messageDelete(String(unsubscribe), { uid: true })
    } finally {
      await imap.logout()
    }
    expect(await sync()).toBe("synced")
    const after = await messages()
    expect(after.map((m) => m.headerMessageId)).toEqual(before.map((m) => m.headerMessageId).filter((id) => id !== "<m4@acme.dev>"))
    expect(after.find((m) => m.headerMessageId === "<m1@corp.io>")!.id).toBe(before.find((m) => m.headerMessageId === "<m1@corp.io>")!.id)
    expect(await participantsOf("<m4@acme.dev>")).toEqual([])
    const uids = await sql<{ folder: string }>(`SELECT folder FROM core."imapMessageUid" WHERE "messageExternalId" = '<m1@corp.io>'`)
    expect(uids).toEqual([{ folder: "Archive" }])
  })

  test("blocklisted addresses and domains are not imported", async () => {
    await data(`mutation($m: ID!) { a: createBlocklist(data: { handle: "@spam.biz", workspaceMemberId: $m }) { id } b: createBlocklist(data: { handle: "eve@corp.io", workspaceMemberId: $m }) { id } }`, { m: memberId })
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "x@spam.biz", to: [ALICE], subject: "Buy now", messageId: "<s1@spam.biz>", date: day(6) }))
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "eve@corp.io", to: [ALICE], subject: "From Eve", messageId: "<s2@corp.io>", date: day(6) }))
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "frank@corp.io", to: [ALICE], subject: "From Frank", messageId: "<s3@corp.io>", date: day(6) }))
    expect(await sync()).toBe("synced")
    const subjects = (await messages()).map((m) => m.subject)
    expect(subjects).toContain("From Frank")
    expect(subjects).not.toContain("Buy now")
    expect(subjects).not.toContain("From Eve")
  })

  test("contact auto-creation off: sent mail creates nobody; SENT_AND_RECEIVED on: senders too", async () => {
    await data(`mutation($id: UUID!) { updateMessageChannel(id: $id, data: { isContactAutoCreationEnabled: false }) { id } }`, { id: channelId })
    await dovecot.append(ALICE, "Sent", rawMail({ from: ALICE, to: ["gina@newco.io"], subject: "Intro", messageId: "<n1@acme.dev>", date: day(7) }))
    expect(await sync()).toBe("synced")
    expect((await messages()).map((m) => m.subject)).toContain("Intro")
    expect(await personByEmail("gina@newco.io")).toBeNull()

    await data(`mutation($id: UUID!) { updateMessageChannel(id: $id, data: { isContactAutoCreationEnabled: true, contactAutoCreationPolicy: SENT_AND_RECEIVED }) { id } }`, { id: channelId })
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "Hank Hill <hank@otherco.io>", to: [ALICE], subject: "Inbound", messageId: "<n2@otherco.io>", date: day(8) }))
    expect(await sync()).toBe("synced")
    expect(await personByEmail("hank@otherco.io")).toMatchObject({ createdBySource: "EMAIL" })
  })

  test("visibility SUBJECT: stored whole, the body hidden from other members when read, the owner reads it", async () => {
    await data(`mutation($id: UUID!) { updateMessageChannel(id: $id, data: { visibility: SUBJECT }) { id } }`, { id: channelId })
    await dovecot.append(ALICE, "INBOX", rawMail({ from: "frank@corp.io", to: [ALICE], subject: "Secret plan", body: "the details", messageId: "<v1@corp.io>", date: day(9) }))
    expect(await sync()).toBe("synced")
    const message = (await messages()).find((m) => m.headerMessageId === "<v1@corp.io>")!
    expect(message).toMatchObject({ subject: "Secret plan" })
    expect(message.text).toContain("the details")
    const query = `{ messages(filter: { headerMessageId: { eq: "<v1@corp.io>" } }) { edges { node { subject text } } } }`
    expect((await data(query)).messages.edges[0].node.text).toContain("the details")
    const colleague = await addMemberWithRole(app, owner.workspaceId, "Member")
    const theirs = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${colleague.token}` },
      body: JSON.stringify({ query })
    })
    expect(((await theirs.json()) as any).data.messages.edges[0].node)
      .toEqual({ subject: "Secret plan", text: "FIELD_RESTRICTED_ADDITIONAL_PERMISSIONS_REQUIRED" })
    await data(`mutation($id: UUID!) { updateMessageChannel(id: $id, data: { visibility: SHARE_EVERYTHING }) { id } }`, { id: channelId })
  })

  test("sending through the account's SMTP: delivered, stored in Sent, and threaded as OUTGOING after the next sync", async () => {
    const smtp = await startTestSmtp()
    try {
      const saved = await app.gql<any>(
        `mutation($handle: String!, $params: EmailAccountConnectionParameters!, $id: UUID) {
          saveImapSmtpCaldavAccount(handle: $handle, connectionParameters: $params, id: $id) { success } }`,
        { handle: ALICE, id: accountId, params: {
          IMAP: { host: "127.0.0.1", port: dovecot.port, connectionSecurity: "NONE", password: PASSWORD },
          SMTP: { host: "127.0.0.1", port: smtp.port, connectionSecurity: "NONE", password: PASSWORD }
        } },
        owner.accessToken)
      expect(saved.body.errors).toBeUndefined()
      const sent = await app.run(sendFromAccount(owner.workspaceId, accountId, {
        to: ["carol@client.co"], subject: "Re: Proposal", text: "Signed copy attached", inReplyTo: "<m3@client.co>",
        references: ["<m2@acme.dev>", "<m3@client.co>"], idempotencyKey: "reply-1"
      }))
      expect(smtp.received).toHaveLength(1)
      expect(smtp.received[0]!.to).toEqual(["carol@client.co"])
      expect(smtp.received[0]!.raw).toContain(`Message-ID: ${sent.messageId}`)
      expect(await sync()).toBe("synced")
      const all = await messages()
      const reply = all.find((m) => m.headerMessageId === sent.messageId)!
      expect(reply.messageThreadId).toBe(all.find((m) => m.headerMessageId === "<m2@acme.dev>")!.messageThreadId)
      const [association] = await sql<{ direction: string }>(`SELECT direction FROM "${schema}"."messageChannelMessageAssociation" WHERE "messageExternalId" = $1`, [sent.messageId])
      expect(association!.direction).toBe("OUTGOING")
      // The workflow SEND_EMAIL action given a connectedAccountId sends the same way.
      const step = await app.run(sendEmailAction.execute({
        workspaceId: owner.workspaceId, workflowRunId: crypto.randomUUID(), step: { id: "send", type: "SEND_EMAIL", name: "Send", valid: true, settings: {} } as never,
        input: { connectedAccountId: accountId, recipients: { to: "carol@client.co" }, subject: "From a workflow", body: "Hi Carol" },
        previousResult: null, idempotencyKey: "run-1:send", scope: { workspaceId: owner.workspaceId, actor: { source: "WORKFLOW", workspaceMemberId: null, name: "Workflow" } }
      }))
      expect(step.result).toEqual({ success: true })
      expect(smtp.received).toHaveLength(2)
      expect(smtp.received[1]!.raw).toContain("Subject: From a workflow")
      expect(smtp.received[1]!.raw).toContain(`From: ${ALICE}`)
      expect(await sync()).toBe("synced")
      expect((await messages()).map((m) => m.subject)).toContain("From a workflow")
    } finally {
      await smtp.close()
    }
  })

  test("the server killed mid-sync: the channel backs off, then the next run finishes without duplicates", async () => {
    const before = (await messages()).length
    await dovecot.appendMany(ALICE, "INBOX", Array.from({ length: 450 }, (_, i) =>
      rawMail({ from: "frank@corp.io", to: [ALICE], subject: `Bulk ${i}`, messageId: `<bulk-${i}@corp.io>`, date: day(10) })))
    expect(await app.run(fetchMessageList(owner.workspaceId, channelId))).toBe("import")
    expect(await app.run(importMessages(owner.workspaceId, channelId))).toBe("more")
    expect((await messages()).length).toBe(before + 200)
    await dovecot.kill()
    expect(await app.run(importMessages(owner.workspaceId, channelId))).toBe("failed")
    expect(await channel()).toMatchObject({ syncStage: "MESSAGE_LIST_FETCH_PENDING", throttleFailureCount: 1 })
    await dovecot.restart()
    expect(await sync()).toBe("synced")
    const after = await messages()
    expect(after.length).toBe(before + 450)
    expect(new Set(after.map((m) => m.headerMessageId)).size).toBe(after.length)
    expect(await channel()).toMatchObject({ syncStatus: "ACTIVE", throttleFailureCount: 0 })
  })

  test("a password changed on the server: the channel fails with insufficient permissions and a clear log, no crash", async () => {
    await dovecot.setPassword(ALICE, "changed-elsewhere")
    expect(await sync()).toBe("failed")
    expect(await channel()).toMatchObject({ syncStage: "FAILED", syncStatus: "FAILED_INSUFFICIENT_PERMISSIONS" })
    const [account] = await sql<{ authFailedAt: Date | null }>(`SELECT "authFailedAt" FROM "${schema}"."connectedAccount" WHERE id = $1`, [accountId])
    expect(account!.authFailedAt).not.toBeNull()
    // Saving the account again with the new password clears the failure and the channel syncs again.
    expect((await save("changed-elsewhere", accountId)).body.errors).toBeUndefined()
    expect(await sync()).toBe("synced")
    expect(await channel()).toMatchObject({ syncStatus: "ACTIVE" })
  })

  test("deleting the account removes its channel, messages, threads and credentials (the events queue's cleanup)", async () => {
    expect((await messages()).length).toBeGreaterThan(0)
    await data(`mutation($id: UUID!) { destroyConnectedAccount(id: $id) { id } }`, { id: accountId })
    await app.run(cleanUpDeletedAccount({
      name: "connectedAccount.destroyed", action: "destroyed", workspaceId: owner.workspaceId, objectMetadataId: "", objectNameSingular: "connectedAccount",
      recordId: accountId, record: {}, actor: { source: "MANUAL", workspaceMemberId: null, name: "" }, occurredAt: new Date().toISOString()
    }))
    expect(await messages()).toEqual([])
    expect(await sql(`SELECT 1 FROM "${schema}"."messageThread"`)).toEqual([])
    expect(await sql(`SELECT 1 FROM "${schema}"."messageParticipant"`)).toEqual([])
    expect(await sql(`SELECT 1 FROM core."connectedAccountCredential" WHERE "connectedAccountId" = $1`, [accountId])).toEqual([])
    expect(await sql(`SELECT 1 FROM core."imapMessageUid" WHERE "workspaceId" = $1`, [owner.workspaceId])).toEqual([])
  })
})
