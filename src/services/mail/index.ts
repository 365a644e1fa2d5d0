import { Context, Effect, Layer } from "effect"
import { SqlClient } from "@effect/sql"
import { JobQueue, QueueUnavailable } from "../../platform/queue/index.js"
import { claimDelivery } from "./deliveries.js"
import { enqueueMail } from "./jobs.js"
import type { Mail } from "./transport.js"

export { type Mail, MailSendFailed, MailTransport, MailTransportLive, MailTransportOutbox, MailTransportSmtp } from "./transport.js"
export * from "./templates.js"

/**
 * Outgoing mail. `send` only queues the mail (queue `emails`): the worker hands it to the transport,
 * retrying with backoff; a mail still failing after the last attempt is logged and dead-lettered.
 */
export interface MailerShape {
  /** `dedupKey`: the mail is sent once per key, durably (deliveries.ts); queueing it again does nothing. */
  readonly send: (mail: Mail, options?: { readonly dedupKey?: string }) => Effect.Effect<void, QueueUnavailable>
}

export class Mailer extends Context.Tag("score/Mailer")<Mailer, MailerShape>() {}

export const MailerLive = Layer.effect(
  Mailer,
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const sql = yield* SqlClient.SqlClient
    const enqueue = (mail: Mail, key?: string) => Effect.asVoid(Effect.provideService(enqueueMail(mail, undefined, key), JobQueue, queue))
    return {
      send: (mail, options) => {
        const key = options?.dedupKey
        if (!key) return enqueue(mail)
        return Effect.provideService(claimDelivery(key), SqlClient.SqlClient, sql).pipe(
          Effect.flatMap(({ alreadySent }) => (alreadySent ? Effect.void : enqueue(mail, key))),
          Effect.catchTag("SqlError", (e) => Effect.fail(new QueueUnavailable({ message: `Mail could not be recorded: ${e.message}` })))
        )
      }
    } satisfies MailerShape
  })
)
