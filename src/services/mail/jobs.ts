import { Effect, Schema } from "effect"
import type { Duration } from "effect"
import { jobHandler, type QueueSpec } from "../../jobs/runner.js"
import { JobQueue } from "../../platform/queue/index.js"
import { type Mail, MailTransport } from "./transport.js"
import { deliverySent, markDeliverySent } from "./deliveries.js"
import type { SqlClient } from "@effect/sql"

/** Outgoing mail leaves through its own queue: a request never waits on an SMTP server. */
export const EMAILS_QUEUE = "emails"
export const SEND_EMAIL_JOB = "send"

export const SendEmailPayload = Schema.Struct({
  to: Schema.String,
  subject: Schema.String,
  text: Schema.String,
  html: Schema.String,
  from: Schema.optional(Schema.String),
  /** Sent once per key (deliveries.ts): skipped if already sent, marked sent after the transport accepted it. */
  deliveryKey: Schema.optional(Schema.String)
}).annotations({ identifier: "SendEmailJob" })
export type SendEmailJob = typeof SendEmailPayload.Type

/** 5 attempts, 5 s apart doubling (5, 10, 20, 40 s), then the dead-letter list. */
const DEFAULT_RETRIES = { attempts: 5, backoff: "5 seconds" as Duration.DurationInput }

export const enqueueMail = (mail: Mail, retries: { attempts: number; backoff: Duration.DurationInput } = DEFAULT_RETRIES, jobId?: string) =>
  Effect.flatMap(JobQueue, (queue) =>
    queue.enqueue(
      EMAILS_QUEUE,
      SEND_EMAIL_JOB,
      {
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        ...(mail.from ? { from: mail.from } : {}),
        ...(jobId ? { deliveryKey: jobId } : {})
      } satisfies SendEmailJob,
      jobId ? { ...retries, jobId } : retries
    ))

const sendMail = ({ deliveryKey, ...mail }: SendEmailJob) =>
  Effect.gen(function*() {
    if (deliveryKey && (yield* deliverySent(deliveryKey))) return
    yield* Effect.flatMap(MailTransport, (transport) => transport.send(mail))
    if (deliveryKey) yield* markDeliverySent(deliveryKey)
  })

export const emailsQueue: QueueSpec<MailTransport | SqlClient.SqlClient> = {
  concurrency: 5,
  timeout: "60 seconds",
  handlers: {
    [SEND_EMAIL_JOB]: jobHandler(SendEmailPayload, (mail, job) =>
      sendMail(mail).pipe(
        Effect.tapError((e) =>
          Effect.logWarning(`Mail to ${mail.to} ("${mail.subject}") failed on attempt ${job.attemptsMade + 1}: ${e.message}`))
      ))
  }
}
