import type { AddressObject } from "mailparser"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import type { Participant, ParticipantRole } from "./participants.js"

/** mailparser (with libmime, html-to-text, ...) is loaded with the first message parsed, not at start. */
const loadMailparser = lazyModule(() => import("mailparser"))

/** One message as mail sync needs it, from its raw source (RFC 5322, parsed by mailparser). */
export interface FetchedMessage {
  readonly uid: number
  readonly headerMessageId: string
  readonly subject: string
  readonly text: string
  readonly receivedAt: Date
  readonly inReplyTo: string | null
  readonly references: ReadonlyArray<string>
  readonly participants: ReadonlyArray<Participant>
}

const MESSAGE_ID = /<[^<>\s]+>/g

const ids = (value: string | ReadonlyArray<string> | undefined): Array<string> =>
  (Array.isArray(value) ? value.join(" ") : typeof value === "string" ? value : "").match(MESSAGE_ID) ?? []

const addresses = (role: ParticipantRole, value: AddressObject | Array<AddressObject> | undefined): Array<Participant> =>
  (Array.isArray(value) ? value : value ? [value] : [])
    .flatMap((o) => o.value.flatMap((a) => (a.group ? a.group : [a])))
    .filter((a) => a.address && a.address.includes("@"))
    .map((a) => ({ role, handle: a.address!.trim().toLowerCase(), displayName: a.name?.trim() ?? "" }))

/** Parses a raw message; one without a Message-ID gets a stable one from its folder and UID. */
export const parseMessage = async (uid: number, source: Buffer, fallbackId: string, internalDate: Date | null): Promise<FetchedMessage> => {
  const { simpleParser } = await loadMailparser()
  const parsed = await simpleParser(source, { skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true })
  const [messageId] = ids(parsed.messageId)
  return {
    uid,
    headerMessageId: messageId ?? `<${fallbackId}@score.invalid>`,
    subject: parsed.subject ?? "",
    text: (parsed.text ?? "").trim(),
    receivedAt: parsed.date ?? internalDate ?? new Date(),
    inReplyTo: ids(parsed.inReplyTo)[0] ?? null,
    references: ids(parsed.references),
    participants: [
      ...addresses("FROM", parsed.from),
      ...addresses("TO", parsed.to),
      ...addresses("CC", parsed.cc),
      ...addresses("BCC", parsed.bcc)
    ]
  }
}

/** The id a conversation is known by: the first message it started from (References' first, else In-Reply-To), else the message itself. */
export const threadRootOf = (message: Pick<FetchedMessage, "headerMessageId" | "inReplyTo" | "references">) =>
  message.references[0] ?? message.inReplyTo ?? message.headerMessageId
