/** Mail sync's pure parts: blocklist entries, group and personal addresses, names, thread roots, parsing. */
import { describe, expect, test } from "bun:test"
import { parseMessage, threadRootOf } from "../src/services/messaging/parse.js"
import { isBlocked, isGroupAddress, isPersonalDomain, nameOf } from "../src/services/messaging/participants.js"
import { rawMail } from "./support/dovecot.js"

describe("participants", () => {
  test("a blocklist entry is an address, or a domain written @domain or domain (subdomains included)", () => {
    expect(isBlocked("eve@corp.io", ["eve@corp.io"])).toBe(true)
    expect(isBlocked("adam@corp.io", ["eve@corp.io"])).toBe(false)
    expect(isBlocked("x@spam.biz", ["@spam.biz"])).toBe(true)
    expect(isBlocked("x@mail.spam.biz", ["spam.biz"])).toBe(true)
    expect(isBlocked("x@notspam.biz", ["@spam.biz"])).toBe(false)
    expect(isBlocked("x@spam.biz", [" @SPAM.biz "])).toBe(true)
  })

  test("group addresses and personal mail domains", () => {
    expect(isGroupAddress("noreply@vendor.io")).toBe(true)
    expect(isGroupAddress("no-reply+bounce@vendor.io")).toBe(true)
    expect(isGroupAddress("support@vendor.io")).toBe(true)
    expect(isGroupAddress("suzanne@vendor.io")).toBe(false)
    expect(isPersonalDomain("gmail.com")).toBe(true)
    expect(isPersonalDomain("client.co")).toBe(false)
  })

  test("a new contact's name comes from the display name, else the address", () => {
    expect(nameOf({ role: "TO", handle: "carol@client.co", displayName: "Carol Ann Client" })).toEqual({ firstName: "Carol", lastName: "Ann Client" })
    expect(nameOf({ role: "TO", handle: "jean-luc.picard@client.co", displayName: "" })).toEqual({ firstName: "Jean", lastName: "Luc Picard" })
  })
})

describe("parsing", () => {
  test("ids, references, participants of every role (lowercased), text", async () => {
    const raw = rawMail({ from: "Bob <Bob@Corp.io>", to: ["a@x.io", "B <b@x.io>"], cc: ["c@x.io"], subject: "Re: Plan", body: "Hi", messageId: "<3@x.io>", inReplyTo: "<2@x.io>", references: ["<1@x.io>", "<2@x.io>"] })
    const m = await parseMessage(7, Buffer.from(raw), "INBOX:1:7", null)
    expect(m).toMatchObject({ uid: 7, headerMessageId: "<3@x.io>", subject: "Re: Plan", text: "Hi", inReplyTo: "<2@x.io>", references: ["<1@x.io>", "<2@x.io>"] })
    expect(m.participants).toEqual([
      { role: "FROM", handle: "bob@corp.io", displayName: "Bob" },
      { role: "TO", handle: "a@x.io", displayName: "" },
      { role: "TO", handle: "b@x.io", displayName: "B" },
      { role: "CC", handle: "c@x.io", displayName: "" }
    ])
    expect(threadRootOf(m)).toBe("<1@x.io>")
  })

  test("a message without Message-ID gets a stable one from its folder and UID; a first message is its own root", async () => {
    const raw = rawMail({ from: "a@x.io", to: ["b@x.io"], subject: "No id", messageId: "" }).replace(/^Message-ID: \r\n/m, "")
    const m = await parseMessage(9, Buffer.from(raw), "INBOX:1:9", null)
    expect(m.headerMessageId).toBe("<INBOX:1:9@score.invalid>")
    expect(threadRootOf(m)).toBe(m.headerMessageId)
  })
})
