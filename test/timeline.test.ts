/**
 * Twenty's timeline queries on /graphql (getTimelineThreadsFrom…Id, getTimelineCalendarEventsFrom…Id) and
 * read-time visibility of mail and calendar content: data inserted directly (the sync's own tests cover
 * how it gets there), read by the account's owner, another member, a role without people, an API key and
 * another workspace.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Schema } from "effect"
import type { TypedJobHandler } from "../src/jobs/runner.js"
import { Metadata } from "../src/services/metadata/index.js"
import { Records } from "../src/services/records/index.js"
import type { RecordsScope } from "../src/services/records/types.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, createApiKey, signUpWithWorkspace } from "./support/flows.js"

const RESTRICTED = "FIELD_RESTRICTED_ADDITIONAL_PERMISSIONS_REQUIRED"

let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let other: Awaited<ReturnType<typeof signUpWithWorkspace>>
let member: Awaited<ReturnType<typeof addMemberWithRole>>
let noPeople: Awaited<ReturnType<typeof addMemberWithRole>>
let ownerMemberId: string
let schema: string
const ids: Record<string, string> = {}

const sql = <A extends object = Record<string, unknown>>(text: string, params: Array<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params)))

const create = async (objectName: string, data: Record<string, unknown>) => {
  const scope: RecordsScope = { workspaceId: owner.workspaceId, actor: { source: "SYSTEM", workspaceMemberId: null, name: "System" } }
  const [record] = await app.run(Effect.flatMap(Records, (r) => r.createMany(scope, objectName, [data], { fields: [], relations: [] })))
  return record!["id"] as string
}

const data = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
  const response = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })
  return await response.json() as { data?: any; errors?: Array<{ message: string; extensions?: any }> }
}

const THREAD_FIELDS = `totalNumberOfThreads timelineThreads { id read visibility subject lastMessageBody lastMessageReceivedAt
  numberOfMessagesInThread participantCount
  firstParticipant { personId workspaceMemberId firstName lastName displayName avatarUrl handle }
  lastTwoParticipants { handle displayName } }`

const threadsOfPerson = (token: string, personId: string, page = 1, pageSize = 10) =>
  data(token, `query($id: UUID!, $page: Int!, $size: Int!) { getTimelineThreadsFromPersonId(personId: $id, page: $page, pageSize: $size) { ${THREAD_FIELDS} } }`,
    { id: personId, page, size: pageSize })

const EVENT_FIELDS = `totalNumberOfCalendarEvents timelineCalendarEvents { id title description isCanceled isFullDay startsAt endsAt location
  conferenceSolution conferenceLink { primaryLinkLabel primaryLinkUrl secondaryLinks { label url } } visibility
  participants { personId workspaceMemberId firstName lastName displayName avatarUrl handle } }`

const at = (day: number, hour = 9) => new Date(Date.UTC(2026, 10, day, hour)).toISOString()

/** A thread of messages (subject, body, day, sender handle and person) all in the owner's channel. */
const thread = async (messages: ReadonlyArray<{ subject: string; body: string; day: number; from: string; personId?: string | null }>) => {
  const threadId = await create("messageThread", {})
  for (const [i, m] of messages.entries()) {
    const messageId = await create("message", {
      headerMessageId: `<${crypto.randomUUID()}@t>`, subject: m.subject, text: m.body, receivedAt: at(m.day), messageThreadId: threadId
    })
    await create("messageParticipant", { messageId, role: "FROM", handle: m.from, displayName: m.from, personId: m.personId ?? null })
    await create("messageParticipant", { messageId, role: "TO", handle: "owner@acme.dev", workspaceMemberId: ownerMemberId })
    await create("messageChannelMessageAssociation", {
      messageId, messageChannelId: ids["channel"], messageExternalId: `${threadId}:${i}`, direction: "INCOMING"
    })
  }
  return threadId
}

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  owner = await signUpWithWorkspace(app, { name: "Timeline Co" })
  other = await signUpWithWorkspace(app, { name: "Elsewhere" })
  member = await addMemberWithRole(app, owner.workspaceId, "Member")
  schema = (await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))).schema
  ownerMemberId = (await sql<{ id: string }>(`SELECT id FROM "${schema}"."workspaceMember" WHERE id <> $1`, [member.memberId]))[0]!.id

  const metadata = await app.run(Effect.flatMap(Metadata, (m) => m.get(owner.workspaceId)))
  const [role] = await sql<{ id: string }>(
    `INSERT INTO core.role ("workspaceId", label, "canReadAllObjectRecords", "canUpdateAllObjectRecords", "canSoftDeleteAllObjectRecords",
       "canDestroyAllObjectRecords") VALUES ($1, 'No people', true, false, false, false) RETURNING id`, [owner.workspaceId])
  for (const name of ["person", "company"]) {
    await sql(`INSERT INTO core."objectPermission" ("workspaceId", "roleId", "objectMetadataId", "canReadObjectRecords", "canUpdateObjectRecords",
       "canSoftDeleteObjectRecords", "canDestroyObjectRecords") VALUES ($1, $2, $3, false, false, false, false)`,
      [owner.workspaceId, role!.id, metadata.objects.find((o) => o.nameSingular === name)!.id])
  }
  noPeople = await addMemberWithRole(app, owner.workspaceId, "No people")

  ids["company"] = await create("company", { name: "Analytical Engines" })
  ids["ada"] = await create("person", { name: { firstName: "Ada", lastName: "Lovelace" }, avatarUrl: "https://img/ada.png", companyId: ids["company"] })
  ids["charles"] = await create("person", { name: { firstName: "Charles", lastName: "Babbage" }, companyId: ids["company"] })
  ids["opportunity"] = await create("opportunity", { name: "Engine deal", companyId: ids["company"] })
  ids["account"] = await create("connectedAccount", { handle: "owner@acme.dev", provider: "imap_smtp_caldav", accountOwnerId: ownerMemberId })
  ids["channel"] = await create("messageChannel", {
    handle: "owner@acme.dev", connectedAccountId: ids["account"], type: "EMAIL", visibility: "SHARE_EVERYTHING", syncStatus: "ACTIVE"
  })
  ids["calendar"] = await create("calendarChannel", { handle: "owner@acme.dev", connectedAccountId: ids["account"], visibility: "METADATA" })

  ids["t1"] = await thread([{ subject: "Notes on the engine", body: "first draft", day: 1, from: "ada@engines.io", personId: ids["ada"] }])
  ids["t2"] = await thread([
    { subject: "Bernoulli numbers", body: "the table", day: 2, from: "ada@engines.io", personId: ids["ada"] },
    { subject: "Re: Bernoulli numbers", body: "looks right", day: 4, from: "owner@acme.dev" },
    { subject: "Re: Bernoulli numbers", body: "thanks, final", day: 5, from: "charles@engines.io", personId: ids["charles"] }
  ])
  ids["t3"] = await thread([{ subject: "Lunch", body: "Thursday?", day: 3, from: "ada@engines.io", personId: ids["ada"] }])
  ids["t4"] = await thread([{ subject: "Difference engine", body: "gears", day: 6, from: "charles@engines.io", personId: ids["charles"] }])

  for (const [title, day, people] of [["Design review", 10, ["ada"]], ["Demo", 12, ["ada", "charles"]], ["Board", 11, ["charles"]]] as const) {
    const eventId = await create("calendarEvent", {
      title, description: `${title} agenda`, startsAt: at(day), endsAt: at(day, 10), location: "London", iCalUID: `${title}@t`,
      conferenceLink: { primaryLinkUrl: "https://meet/x", primaryLinkLabel: "Meet" }
    })
    ids[title] = eventId
    await create("calendarChannelEventAssociation", { calendarEventId: eventId, calendarChannelId: ids["calendar"], eventExternalId: title })
    for (const p of people) {
      await create("calendarEventParticipant", { calendarEventId: eventId, handle: `${p}@engines.io`, displayName: p, personId: ids[p], isOrganizer: p === "ada" })
    }
    await create("calendarEventParticipant", { calendarEventId: eventId, handle: "owner@acme.dev", workspaceMemberId: ownerMemberId })
  }
})
afterAll(() => app.close())

describe("getTimelineThreadsFrom…Id", () => {
  test("a person's threads, newest last message first, paginated with their total; the owner sees everything", async () => {
    const first = await threadsOfPerson(owner.accessToken, ids["ada"]!, 1, 2)
    expect(first.errors).toBeUndefined()
    const page = first.data.getTimelineThreadsFromPersonId
    expect(page.totalNumberOfThreads).toBe(3)
    expect(page.timelineThreads.map((t: any) => t.id)).toEqual([ids["t2"], ids["t3"]])
    const [t2] = page.timelineThreads
    expect(t2).toMatchObject({
      read: true,
      visibility: "SHARE_EVERYTHING",
      subject: "Bernoulli numbers",
      lastMessageBody: "thanks, final",
      lastMessageReceivedAt: at(5),
      numberOfMessagesInThread: 3,
      participantCount: 3,
      firstParticipant: {
        personId: ids["ada"], workspaceMemberId: null, firstName: "Ada", lastName: "Lovelace", displayName: "Ada",
        avatarUrl: "https://img/ada.png", handle: "ada@engines.io"
      }
    })
    expect(t2.lastTwoParticipants).toEqual([{ handle: "charles@engines.io", displayName: "Charles" }, { handle: "owner@acme.dev", displayName: "owner@acme.dev" }])
    const second = (await threadsOfPerson(owner.accessToken, ids["ada"]!, 2, 2)).data.getTimelineThreadsFromPersonId
    expect(second.totalNumberOfThreads).toBe(3)
    expect(second.timelineThreads.map((t: any) => t.id)).toEqual([ids["t1"]])
    const beyond = (await threadsOfPerson(owner.accessToken, ids["ada"]!, 3, 2)).data.getTimelineThreadsFromPersonId
    expect(beyond).toEqual({ totalNumberOfThreads: 3, timelineThreads: [] })
  })

  test("a company's and an opportunity's threads are those of the company's people", async () => {
    const company = await data(owner.accessToken, `query($id: UUID!) { getTimelineThreadsFromCompanyId(companyId: $id, page: 1, pageSize: 10) { totalNumberOfThreads timelineThreads { id } } }`, { id: ids["company"] })
    expect(company.data.getTimelineThreadsFromCompanyId.totalNumberOfThreads).toBe(4)
    expect(company.data.getTimelineThreadsFromCompanyId.timelineThreads.map((t: any) => t.id)).toEqual([ids["t4"], ids["t2"], ids["t3"], ids["t1"]])
    const opportunity = await data(owner.accessToken, `query($id: UUID!) { getTimelineThreadsFromOpportunityId(opportunityId: $id, page: 1, pageSize: 10) { totalNumberOfThreads } }`, { id: ids["opportunity"] })
    expect(opportunity.data.getTimelineThreadsFromOpportunityId.totalNumberOfThreads).toBe(4)
  })

  test("another member sees what the channel shares: SUBJECT hides bodies, METADATA subjects too", async () => {
    expect((await threadsOfPerson(member.token, ids["ada"]!)).data.getTimelineThreadsFromPersonId.timelineThreads[0])
      .toMatchObject({ visibility: "SHARE_EVERYTHING", subject: "Bernoulli numbers", lastMessageBody: "thanks, final" })
    await sql(`UPDATE "${schema}"."messageChannel" SET visibility = 'SUBJECT' WHERE id = $1`, [ids["channel"]])
    expect((await threadsOfPerson(member.token, ids["ada"]!)).data.getTimelineThreadsFromPersonId.timelineThreads[0])
      .toMatchObject({ visibility: "SUBJECT", subject: "Bernoulli numbers", lastMessageBody: RESTRICTED })
    await sql(`UPDATE "${schema}"."messageChannel" SET visibility = 'METADATA' WHERE id = $1`, [ids["channel"]])
    const masked = (await threadsOfPerson(member.token, ids["ada"]!)).data.getTimelineThreadsFromPersonId
    expect(masked.totalNumberOfThreads).toBe(3)
    expect(masked.timelineThreads.every((t: any) => t.visibility === "METADATA" && t.subject === RESTRICTED && t.lastMessageBody === RESTRICTED)).toBe(true)
    expect(masked.timelineThreads[0].firstParticipant.handle).toBe("ada@engines.io")
    const mine = (await threadsOfPerson(owner.accessToken, ids["ada"]!)).data.getTimelineThreadsFromPersonId.timelineThreads[0]
    expect(mine).toMatchObject({ visibility: "SHARE_EVERYTHING", subject: "Bernoulli numbers", lastMessageBody: "thanks, final" })
  })

  test("bad pages, a role that cannot read people, an API key and another workspace", async () => {
    const tooBig = await threadsOfPerson(owner.accessToken, ids["ada"]!, 1, 51)
    expect(tooBig.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect((await threadsOfPerson(owner.accessToken, ids["ada"]!, 0, 10)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    const denied = await threadsOfPerson(noPeople.token, ids["ada"]!)
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    expect(denied.data).toBeNull()
    const deniedCompany = await data(noPeople.token, `query($id: UUID!) { getTimelineCalendarEventsFromCompanyId(companyId: $id, page: 1, pageSize: 10) { totalNumberOfCalendarEvents } }`, { id: ids["company"] })
    expect(deniedCompany.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    const key = await createApiKey(app, owner.accessToken)
    expect((await threadsOfPerson(key.token, ids["ada"]!)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    const elsewhere = await threadsOfPerson(other.accessToken, ids["ada"]!)
    expect(elsewhere.errors).toBeUndefined()
    expect(elsewhere.data.getTimelineThreadsFromPersonId).toEqual({ totalNumberOfThreads: 0, timelineThreads: [] })
  })
})

describe("getTimelineCalendarEventsFrom…Id", () => {
  const eventsOf = (token: string, field: string, arg: string, id: string, page = 1, pageSize = 10) =>
    data(token, `query($id: UUID!, $page: Int!, $size: Int!) { ${field}(${arg}: $id, page: $page, pageSize: $size) { ${EVENT_FIELDS} } }`,
      { id, page, size: pageSize })

  test("a person's events, latest first, paginated; the owner of the METADATA calendar sees titles", async () => {
    const answer = await eventsOf(owner.accessToken, "getTimelineCalendarEventsFromPersonId", "personId", ids["ada"]!, 1, 1)
    expect(answer.errors).toBeUndefined()
    const page = answer.data.getTimelineCalendarEventsFromPersonId
    expect(page.totalNumberOfCalendarEvents).toBe(2)
    expect(page.timelineCalendarEvents).toHaveLength(1)
    expect(page.timelineCalendarEvents[0]).toMatchObject({
      id: ids["Demo"], title: "Demo", description: "Demo agenda", visibility: "SHARE_EVERYTHING", isCanceled: false, isFullDay: false,
      startsAt: at(12), endsAt: at(12, 10), location: "London", conferenceSolution: "",
      conferenceLink: { primaryLinkLabel: "Meet", primaryLinkUrl: "https://meet/x" }
    })
    expect(page.timelineCalendarEvents[0].participants.map((p: any) => p.displayName)).toEqual(["Ada", "Charles", "owner@acme.dev"])
    const second = (await eventsOf(owner.accessToken, "getTimelineCalendarEventsFromPersonId", "personId", ids["ada"]!, 2, 1)).data
    expect(second.getTimelineCalendarEventsFromPersonId.timelineCalendarEvents.map((e: any) => e.id)).toEqual([ids["Design review"]])
  })

  test("another member sees METADATA events without title or description; a company's and an opportunity's events", async () => {
    const masked = (await eventsOf(member.token, "getTimelineCalendarEventsFromCompanyId", "companyId", ids["company"]!)).data
      .getTimelineCalendarEventsFromCompanyId
    expect(masked.totalNumberOfCalendarEvents).toBe(3)
    expect(masked.timelineCalendarEvents.map((e: any) => [e.visibility, e.title, e.description, e.location])).toEqual([
      ["METADATA", RESTRICTED, RESTRICTED, "London"],
      ["METADATA", RESTRICTED, RESTRICTED, "London"],
      ["METADATA", RESTRICTED, RESTRICTED, "London"]
    ])
    const byOpportunity = (await eventsOf(member.token, "getTimelineCalendarEventsFromOpportunityId", "opportunityId", ids["opportunity"]!)).data
    expect(byOpportunity.getTimelineCalendarEventsFromOpportunityId.totalNumberOfCalendarEvents).toBe(3)
    const elsewhere = (await eventsOf(other.accessToken, "getTimelineCalendarEventsFromPersonId", "personId", ids["ada"]!)).data
    expect(elsewhere.getTimelineCalendarEventsFromPersonId).toEqual({ totalNumberOfCalendarEvents: 0, timelineCalendarEvents: [] })
  })
})

describe("message and calendarEvent reads are masked for whoever does not own the account", () => {
  const read = (token: string) =>
    data(token, `{ messages(filter: { messageThreadId: { eq: "${ids["t3"]}" } }) { edges { node { id subject text } } }
      calendarEvent(filter: { id: { eq: "${ids["Board"]}" } }) { title description location } }`)

  test("on /graphql: the owner reads whole content, a member and an API key what the channels share", async () => {
    await sql(`UPDATE "${schema}"."messageChannel" SET visibility = 'SUBJECT' WHERE id = $1`, [ids["channel"]])
    const mine = (await read(owner.accessToken)).data
    expect(mine.messages.edges[0].node).toMatchObject({ subject: "Lunch", text: "Thursday?" })
    expect(mine.calendarEvent).toEqual({ title: "Board", description: "Board agenda", location: "London" })
    const theirs = (await read(member.token)).data
    expect(theirs.messages.edges[0].node).toMatchObject({ subject: "Lunch", text: RESTRICTED })
    expect(theirs.calendarEvent).toEqual({ title: RESTRICTED, description: RESTRICTED, location: "London" })
    const key = await createApiKey(app, owner.accessToken, "reader")
    expect((await read(key.token)).data.messages.edges[0].node).toMatchObject({ subject: "Lunch", text: RESTRICTED })
    await sql(`UPDATE "${schema}"."calendarChannel" SET visibility = 'SHARE_EVERYTHING' WHERE id = $1`, [ids["calendar"]])
    expect((await read(member.token)).data.calendarEvent.title).toBe("Board")
    await sql(`UPDATE "${schema}"."calendarChannel" SET visibility = 'METADATA' WHERE id = $1`, [ids["calendar"]])
  })

  test("on /rest: lists and single records", async () => {
    await sql(`UPDATE "${schema}"."messageChannel" SET visibility = 'METADATA' WHERE id = $1`, [ids["channel"]])
    const get = async (token: string, path: string) =>
      await (await app.request(path, { headers: { authorization: `Bearer ${token}` } })).json() as any
    const list = await get(member.token, `/rest/messages?filter=messageThreadId[eq]:${ids["t3"]}`)
    expect(list.data.messages[0]).toMatchObject({ subject: RESTRICTED, text: RESTRICTED })
    const messageId = list.data.messages[0].id
    expect((await get(member.token, `/rest/messages/${messageId}`)).data.message).toMatchObject({ subject: RESTRICTED, text: RESTRICTED })
    expect((await get(owner.accessToken, `/rest/messages/${messageId}`)).data.message).toMatchObject({ subject: "Lunch", text: "Thursday?" })
    expect((await get(member.token, `/rest/calendarEvents/${ids["Demo"]}`)).data.calendarEvent).toMatchObject({ title: RESTRICTED })
    const exported = async (token: string, plural: string) => {
      const response = await app.request(`/rest/${plural}/export?format=jsonl`, { headers: { authorization: `Bearer ${token}` } })
      expect(response.status).toBe(200)
      return (await response.text()).trim().split("\n").filter(Boolean).map((line) => JSON.parse(line))
    }
    const theirs = await exported(member.token, "messages")
    expect(theirs.length).toBe(6)
    expect(theirs.every((m: any) => m.subject === RESTRICTED && m.text === RESTRICTED)).toBe(true)
    expect((await exported(owner.accessToken, "messages")).some((m: any) => m.text === "Thursday?")).toBe(true)
    expect(await exported(member.token, "connectedAccounts")).toEqual([])
    expect((await exported(owner.accessToken, "connectedAccounts")).map((a: any) => a.id)).toEqual([ids["account"]])
  })
})

describe("connected accounts are their owner's", () => {
  const accounts = (token: string) =>
    data(token, `{ connectedAccounts { totalCount edges { node { id handle } } } messageChannels { edges { node { id } } }
      calendarChannels { edges { node { id } } } messageFolders { totalCount } }`)

  test("the owner reads their account and its channels; another member and an API key read none, on /graphql and /rest", async () => {
    await create("messageFolder", { name: "INBOX", messageChannelId: ids["channel"] })
    const mine = (await accounts(owner.accessToken)).data
    expect(mine.connectedAccounts.edges.map((e: any) => e.node.id)).toEqual([ids["account"]])
    expect(mine.messageChannels.edges.map((e: any) => e.node.id)).toEqual([ids["channel"]])
    expect(mine.calendarChannels.edges.map((e: any) => e.node.id)).toEqual([ids["calendar"]])
    expect(mine.messageFolders.totalCount).toBe(1)
    const theirs = await accounts(member.token)
    expect(theirs.errors).toBeUndefined()
    expect(theirs.data).toEqual({ connectedAccounts: { totalCount: 0, edges: [] }, messageChannels: { edges: [] }, calendarChannels: { edges: [] }, messageFolders: { totalCount: 0 } })
    const key = await createApiKey(app, owner.accessToken, "accounts")
    expect((await accounts(key.token)).data.connectedAccounts.totalCount).toBe(0)
    const rest = async (token: string, path: string) => await (await app.request(path, { headers: { authorization: `Bearer ${token}` } })).json() as any
    expect((await rest(member.token, "/rest/connectedAccounts")).data.connectedAccounts).toEqual([])
    expect((await rest(owner.accessToken, "/rest/connectedAccounts")).data.connectedAccounts.map((a: any) => a.id)).toEqual([ids["account"]])
    expect((await rest(member.token, `/rest/messageChannels/${ids["channel"]}`)).data?.messageChannel ?? null).toBeNull()
  })

  test("nested lists of accounts, channels and folders are narrowed the same way", async () => {
    const nested = (token: string) => data(token, `query($id: UUID!) { workspaceMember(filter: { id: { eq: $id } }) {
      connectedAccounts(first: 5) { totalCount edges { node { messageChannels(first: 5) { totalCount edges { node { messageFolders(first: 5) { totalCount } } } } } } } } }`,
      { id: ownerMemberId })
    const answer = await nested(owner.accessToken)
    expect(answer.errors).toBeUndefined()
    const mine = answer.data.workspaceMember.connectedAccounts
    expect(mine.totalCount).toBe(1)
    expect(mine.edges[0].node.messageChannels.edges[0].node.messageFolders.totalCount).toBe(1)
    const theirs = await nested(member.token)
    expect(theirs.errors).toBeUndefined()
    expect(theirs.data.workspaceMember.connectedAccounts).toEqual({ totalCount: 0, edges: [] })
    const twice = await nested(member.token)
    expect(twice.data.workspaceMember.connectedAccounts.totalCount).toBe(0)
  })

  test("another member cannot change or delete the owner's channel or account", async () => {
    await sql(`UPDATE "${schema}"."messageChannel" SET visibility = 'METADATA' WHERE id = $1`, [ids["channel"]])
    const update = await data(member.token, `mutation($id: UUID!) { updateMessageChannel(id: $id, data: { visibility: SHARE_EVERYTHING }) { id } }`, { id: ids["channel"] })
    expect(update.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
    const remove = await data(member.token, `mutation($id: UUID!) { deleteConnectedAccount(id: $id) { id } }`, { id: ids["account"] })
    expect(remove.errors?.[0]).toBeDefined()
    const restDelete = await app.request(`/rest/connectedAccounts/${ids["account"]}`, { method: "DELETE", headers: { authorization: `Bearer ${member.token}` } })
    expect(restDelete.status).not.toBe(200)
    expect(await sql(`SELECT 1 FROM "${schema}"."connectedAccount" WHERE id = $1 AND "deletedAt" IS NULL`, [ids["account"]])).toHaveLength(1)
    expect((await sql<{ visibility: string }>(`SELECT visibility FROM "${schema}"."messageChannel" WHERE id = $1`, [ids["channel"]]))[0]!.visibility).toBe("METADATA")
  })
})

describe("deleting a connected account", () => {
  test("the events queue's job removes its channels, their associations, and the messages, threads and events no other channel holds", async () => {
    const { relayOnce, EVENTS_QUEUE, RECORD_EVENT_JOB } = await import("../src/services/events/index.js")
    const { eventsQueue } = await import("../src/services/events/handlers.js")
    const { JobQueue } = await import("../src/platform/queue/index.js")
    const { Option } = await import("effect")
    // A second account of the member's shares thread t4's message and the "Board" event: those stay.
    const keptAccount = await create("connectedAccount", { handle: "member@acme.dev", provider: "imap_smtp_caldav", accountOwnerId: member.memberId })
    const keptChannel = await create("messageChannel", { handle: "member@acme.dev", connectedAccountId: keptAccount, type: "EMAIL", visibility: "SHARE_EVERYTHING" })
    const keptCalendar = await create("calendarChannel", { handle: "member@acme.dev", connectedAccountId: keptAccount, visibility: "SHARE_EVERYTHING" })
    const [t4Message] = await sql<{ id: string }>(`SELECT id FROM "${schema}".message WHERE "messageThreadId" = $1`, [ids["t4"]])
    await create("messageChannelMessageAssociation", { messageId: t4Message!.id, messageChannelId: keptChannel, messageExternalId: "kept", direction: "INCOMING" })
    await create("calendarChannelEventAssociation", { calendarEventId: ids["Board"], calendarChannelId: keptCalendar, eventExternalId: "kept" })
    await sql(`DELETE FROM core."eventOutbox"`)

    const deleted = await data(owner.accessToken, `mutation($id: UUID!) { destroyConnectedAccount(id: $id) { id } }`, { id: ids["account"] })
    expect(deleted.errors).toBeUndefined()
    expect(await app.run(relayOnce)).toBeGreaterThan(0)
    for (;;) {
      const job = await app.run(Effect.flatMap(JobQueue, (q) => q.take(EVENTS_QUEUE, "50 millis")))
      if (Option.isNone(job)) break
      // The worker's path for a typed handler: the payload decoded by its schema, then handled.
      const handler = eventsQueue.handlers[RECORD_EVENT_JOB] as TypedJobHandler<unknown, any>
      await app.run(handler.handle(Schema.decodeUnknownSync(handler.payload)(job.value.data), job.value) as Effect.Effect<unknown, unknown, any>)
    }

    const count = async (table: string) => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`))[0]!.n
    expect(await sql(`SELECT id FROM "${schema}"."messageChannel"`)).toEqual([{ id: keptChannel }])
    expect(await sql(`SELECT id FROM "${schema}"."calendarChannel"`)).toEqual([{ id: keptCalendar }])
    expect(await sql(`SELECT "messageThreadId" FROM "${schema}".message`)).toEqual([{ messageThreadId: ids["t4"] }])
    expect(await sql(`SELECT id FROM "${schema}"."messageThread"`)).toEqual([{ id: ids["t4"] }])
    expect(await count("messageChannelMessageAssociation")).toBe(1)
    expect(await sql(`SELECT id FROM "${schema}"."calendarEvent"`)).toEqual([{ id: ids["Board"] }])
    expect(await count("calendarChannelEventAssociation")).toBe(1)
    expect(await sql(`SELECT 1 FROM "${schema}"."messageFolder"`)).toEqual([])
    const timeline = (await threadsOfPerson(owner.accessToken, ids["charles"]!)).data.getTimelineThreadsFromPersonId
    expect(timeline.timelineThreads.map((t: any) => t.id)).toEqual([ids["t4"]])
  })
})
