import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { Records } from "../records/index.js"
import { emailScope, select } from "./scope.js"

export type ParticipantRole = "FROM" | "TO" | "CC" | "BCC"

export interface Participant {
  readonly role: ParticipantRole
  readonly handle: string
  readonly displayName: string
}

export interface Matches {
  readonly people: ReadonlyMap<string, string>
  readonly members: ReadonlyMap<string, string>
}

/** Personal mail providers: their addresses make no company (Twenty's excludeNonProfessionalEmails). */
const PERSONAL_DOMAINS = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk", "hotmail.com", "hotmail.fr", "outlook.com",
  "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
  "proton.me", "protonmail.com", "pm.me", "yandex.com", "yandex.ru", "mail.ru", "orange.fr", "free.fr", "laposte.net",
  "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com", "126.com", "naver.com"
])

/** Local parts of addresses that are lists or robots, not people (Twenty's excludeGroupEmails). */
const GROUP_LOCAL_PARTS = /^(no-?reply|do-?not-?reply|notifications?|info|contact|hello|support|help|sales|team|admin|billing|marketing|news(letter)?|jobs|careers|office|press|hr|accounts?|mailer-daemon|postmaster|bounces?)([+.\-_].*)?$/

export const domainOf = (handle: string) => handle.slice(handle.lastIndexOf("@") + 1)
export const isPersonalDomain = (domain: string) => PERSONAL_DOMAINS.has(domain)
export const isGroupAddress = (handle: string) => GROUP_LOCAL_PARTS.test(handle.slice(0, handle.lastIndexOf("@")))

/** Is `handle` blocked by one of the blocklist's entries (an address, or a domain written `@domain` or `domain`)? */
export const isBlocked = (handle: string, blocklist: ReadonlyArray<string>) => {
  const domain = domainOf(handle)
  return blocklist.some((entry) => {
    const item = entry.trim().toLowerCase()
    if (item.startsWith("@")) return domain === item.slice(1) || domain.endsWith(`.${item.slice(1)}`)
    return item.includes("@") ? item === handle : domain === item || domain.endsWith(`.${item}`)
  })
}

/** People (primary or additional email) and workspace members (their user's email) having these addresses. */
export const matchHandles = (workspaceId: string, handles: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (handles.length === 0) return { people: new Map(), members: new Map() } satisfies Matches
    const sql = yield* SqlClient.SqlClient
    const schema = ident((yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))).schema)
    const people = yield* sql.unsafe<{ id: string; email: string }>(
      `SELECT DISTINCT ON (email) id, email FROM (
         SELECT id, lower("emailsPrimaryEmail") AS email, "createdAt" FROM ${schema}.person
          WHERE "deletedAt" IS NULL AND lower("emailsPrimaryEmail") = ANY($1)
         UNION ALL
         SELECT id, lower(e) AS email, "createdAt" FROM ${schema}.person, jsonb_array_elements_text(coalesce("emailsAdditionalEmails", '[]'::jsonb)) e
          WHERE "deletedAt" IS NULL AND jsonb_typeof("emailsAdditionalEmails") = 'array' AND lower(e) = ANY($1)
       ) m ORDER BY email, "createdAt", id`,
      [handles]
    )
    const members = yield* sql.unsafe<{ id: string; email: string }>(
      `SELECT id, lower("userEmail") AS email FROM ${schema}."workspaceMember" WHERE "deletedAt" IS NULL AND lower("userEmail") = ANY($1)`,
      [handles]
    )
    return { people: new Map(people.map((p) => [p.email, p.id])), members: new Map(members.map((m) => [m.email, m.id])) } satisfies Matches
  })

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)

/** "Ada Lovelace" → first and last name; without a display name, the local part split on `.`, `_` or `-`. */
export const nameOf = (participant: Participant) => {
  const words = participant.displayName.trim()
    ? participant.displayName.trim().replace(/^"|"$/g, "").split(/\s+/)
    : participant.handle.slice(0, participant.handle.lastIndexOf("@")).split(/[._-]+/).filter(Boolean).map(capitalize)
  return { firstName: words[0] ?? "", lastName: words.slice(1).join(" ") }
}

/**
 * Twenty's contact auto-creation: a person for each address given (and a company for its domain unless
 * personal), created by the EMAIL actor; answers the new people by address.
 */
export const createContacts = (workspaceId: string, participants: ReadonlyArray<Participant>) =>
  Effect.gen(function*() {
    if (participants.length === 0) return new Map<string, string>()
    const records = yield* Records
    const scope = emailScope(workspaceId)
    const domains = [...new Set(participants.map((p) => domainOf(p.handle)).filter((d) => !isPersonalDomain(d)))]
    const companies = new Map<string, string>()
    for (const domain of domains) {
      const url = `https://${domain}`
      const found = yield* records.findOne(scope, "company", { domainName: { primaryLinkUrl: { in: [url, `http://${domain}`, domain] } } }, select())
      const id = found
        ? found["id"] as string
        : (yield* records.createMany(scope, "company", [{ name: capitalize(domain.split(".")[0] ?? domain), domainName: { primaryLinkUrl: url } }], select()))[0]!["id"] as string
      companies.set(domain, id)
    }
    const created = yield* records.createMany(
      scope,
      "person",
      participants.map((p) => ({ name: nameOf(p), emails: { primaryEmail: p.handle }, companyId: companies.get(domainOf(p.handle)) ?? null })),
      select("emails")
    )
    return new Map(created.map((row, i) => [participants[i]!.handle, row["id"] as string]))
  })

/** Participants (mail and calendar) with no person yet whose address is one of `handles` get `personId`. */
export const linkParticipantsToPerson = (workspaceId: string, personId: string, handles: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (handles.length === 0) return
    const records = yield* Records
    for (const object of ["messageParticipant", "calendarEventParticipant"]) {
      yield* records.updateMany(emailScope(workspaceId), object, { handle: { in: [...handles] }, personId: { is: "NULL" } }, { personId }, select())
    }
  })

/** The same for workspace members (matched by their user's email). */
export const linkParticipantsToMember = (workspaceId: string, workspaceMemberId: string, handle: string) =>
  Effect.gen(function*() {
    const records = yield* Records
    for (const object of ["messageParticipant", "calendarEventParticipant"]) {
      yield* records.updateMany(emailScope(workspaceId), object, { handle: { eq: handle }, workspaceMemberId: { is: "NULL" } }, { workspaceMemberId }, select())
    }
  })
