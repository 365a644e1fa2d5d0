import { Effect } from "effect"
import { Mailer } from "../../mail/index.js"
import { sendFromAccount } from "../../messaging/send.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"

const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/

/** Addresses from a string ("a@x.io, b@y.io") or an array of them. */
const addresses = (value: unknown): Array<string> =>
  (Array.isArray(value) ? value : typeof value === "string" ? value.split(/[,;]/) : [])
    .map((item) => String(item).trim())
    .filter((item) => item.length > 0)

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * Twenty's SEND_EMAIL: `{ email, subject, body }` (the older shape) or `{ recipients: { to, cc, bcc }, subject,
 * body }` → `{ success: true }`. With a `connectedAccountId`, one mail to every recipient through that
 * account's SMTP server (and into its Sent folder, so it joins the thread at the next sync; its Message-ID
 * derives from the step, so a re-run threads as one message). Without, through the outgoing mail service
 * (the `emails` queue, its retries), one mail per recipient, each queued under `<runId>:<stepId>:<address>`,
 * sent once per key (mail/deliveries.ts): a step re-run after its worker died — its mail waiting, or already
 * sent — sends nothing twice.
 */
export const sendEmailAction: ActionExecutor<Mailer | Effect.Effect.Context<ReturnType<typeof sendFromAccount>>> = {
  type: "SEND_EMAIL",
  execute: (context) =>
    Effect.gen(function*() {
      const { input, idempotencyKey } = context
      const recipients = inputObject(input, "recipients")
      const to = [...addresses(input["email"]), ...addresses(recipients["to"]), ...addresses(recipients["cc"]), ...addresses(recipients["bcc"])]
      if (to.length === 0) return yield* new StepFailed({ message: "Email is required" })
      const invalid = to.find((address) => !ADDRESS.test(address))
      if (invalid) return yield* new StepFailed({ message: `Email ${invalid} is invalid` })
      const subject = inputString(input, "subject") ?? ""
      const body = inputString(input, "body") ?? ""
      const html = `<div>${escapeHtml(body).replace(/\r?\n/g, "<br>")}</div>`
      const connectedAccountId = inputString(input, "connectedAccountId")
      if (connectedAccountId) {
        yield* Effect.mapError(
          sendFromAccount(context.workspaceId, connectedAccountId, {
            to: [...new Set([...addresses(input["email"]), ...addresses(recipients["to"])])],
            cc: addresses(recipients["cc"]),
            bcc: addresses(recipients["bcc"]),
            subject,
            text: body,
            html,
            idempotencyKey
          }),
          (error) => new StepFailed({ message: `Email could not be sent: ${"message" in error ? error.message : String(error)}` })
        )
        return { result: { success: true } }
      }
      const mailer = yield* Mailer
      for (const address of new Set(to)) {
        yield* Effect.mapError(
          mailer.send({ to: address, subject, text: body, html }, { dedupKey: `workflow-mail:${idempotencyKey}:${address}` }),
          (error) => new StepFailed({ message: `Email could not be queued: ${error.message}` })
        )
      }
      return { result: { success: true } }
    })
}
