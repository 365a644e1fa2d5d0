import { createHash } from "node:crypto"
import { Data, Effect } from "effect"
import { AppConfig } from "../../platform/config.js"
import { Records } from "../records/index.js"
import { credentialsOf } from "./accounts.js"
import { loadNodemailer } from "../mail/transport.js"
import { describeFailure, imapClient, smtpTransport } from "./connection.js"
import { emailScope, select } from "./scope.js"

export class SendFailed extends Data.TaggedError("SendFailed")<{ readonly message: string }> {}

export interface OutgoingMessage {
  readonly to: ReadonlyArray<string>
  readonly cc?: ReadonlyArray<string>
  readonly bcc?: ReadonlyArray<string>
  readonly subject: string
  readonly text: string
  readonly html?: string
  readonly inReplyTo?: string
  readonly references?: ReadonlyArray<string>
  /** Same key, same Message-ID: a retried send threads as one message once synced. */
  readonly idempotencyKey: string
}

/**
 * Sends through the account's own SMTP server (Twenty's IMAP/SMTP sending), then stores the same bytes in
 * the account's Sent folder over IMAP, so the mail joins its thread at the next sync as an OUTGOING message.
 */
export const sendFromAccount = (workspaceId: string, connectedAccountId: string, message: OutgoingMessage) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const records = yield* Records
    const account = yield* records.findOne(emailScope(workspaceId), "connectedAccount", { id: { eq: connectedAccountId } }, select("handle"))
    if (!account) return yield* new SendFailed({ message: `Connected account ${connectedAccountId} not found` })
    const handle = account["handle"] as string
    const parameters = yield* credentialsOf(workspaceId, connectedAccountId)
    if (!parameters?.SMTP) return yield* new SendFailed({ message: `Connected account ${handle} has no SMTP settings` })
    const domain = handle.slice(handle.lastIndexOf("@") + 1)
    const messageId = `<${createHash("sha256").update(`${connectedAccountId}:${message.idempotencyKey}`).digest("hex").slice(0, 32)}@${domain}>`
    const { createTransport } = yield* Effect.promise(loadNodemailer)
    const compiled = yield* Effect.promise(() =>
      createTransport({ streamTransport: true, buffer: true, newline: "windows" }).sendMail({
        from: handle, to: [...message.to], cc: [...(message.cc ?? [])], bcc: [...(message.bcc ?? [])], subject: message.subject,
        text: message.text, ...(message.html ? { html: message.html } : {}), messageId,
        ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}), ...(message.references?.length ? { references: [...message.references] } : {})
      }))
    const raw = compiled.message as Buffer
    const recipients = [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])]
    yield* Effect.tryPromise({
      try: async () => {
        const smtp = await smtpTransport(handle, parameters.SMTP!, config.messagingAllowPrivateAddresses)
        try {
          await smtp.sendMail({ envelope: { from: handle, to: recipients }, raw })
        } finally {
          smtp.close()
        }
      },
      catch: (e) => new SendFailed({ message: describeFailure("SMTP", e).message })
    })
    if (parameters.IMAP) {
      // The copy in Sent is a convenience: a failure is logged, the mail is sent already.
      yield* Effect.tryPromise(async () => {
        const imap = await imapClient(handle, parameters.IMAP!, config.messagingAllowPrivateAddresses)
        imap.on("error", () => {})
        await imap.connect()
        try {
          const sent = (await imap.list()).find((f) => f.specialUse === "\\Sent")
          if (sent) await imap.append(sent.path, raw, ["\\Seen"])
        } finally {
          await imap.logout().catch(() => imap.close())
        }
      }).pipe(Effect.catchAll((e) => Effect.logWarning(`Sent mail from ${handle} not stored in its Sent folder: ${describeFailure("IMAP", e).message}`)))
    }
    return { messageId }
  })
