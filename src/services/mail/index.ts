import { Context, Effect, Layer } from "effect"
import { JobQueue, type QueueUnavailable } from "../../platform/queue/index.js"
import { enqueueMail } from "./jobs.js"
import type { Mail } from "./transport.js"

export { type Mail, MailSendFailed, MailTransport, MailTransportLive, MailTransportOutbox, MailTransportSmtp } from "./transport.js"
export * from "./templates.js"

/**
 * Outgoing mail. `send` only queues the mail (queue `emails`): the worker hands it to the transport,
 * retrying with backoff; a mail still failing after the last attempt is logged and dead-lettered.
 */
export interface MailerShape {
  /** `dedupKey`: while a mail queued with this key waits or is being sent, queueing it again does nothing. */
  readonly send: (mail: Mail, options?: { readonly dedupKey?: string }) => Effect.Effect<void, QueueUnavailable>
}

export class Mailer extends Context.Tag("score/Mailer")<Mailer, MailerShape>() {}

export const MailerLive = Layer.effect(
  Mailer,
  Effect.map(JobQueue, (queue) => ({
    send: (mail, options) => Effect.asVoid(Effect.provideService(enqueueMail(mail, undefined, options?.dedupKey), JobQueue, queue))
  }) satisfies MailerShape)
)
