import { Context, Data, Effect, Layer, Option, Redacted } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type { Transporter } from "nodemailer"
import { AppConfig, type AppConfigShape } from "../../platform/config.js"
import { lazyModule } from "../../platform/lib/lazy-module.js"

/** nodemailer is loaded with the first mail, not at start (see README "Memory"); messaging's SMTP uses it too. */
export const loadNodemailer = lazyModule(() => import("nodemailer"))

/** One outgoing mail: both parts are always sent (multipart/alternative). */
export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
  /** `Name <address>`; EMAIL_FROM_NAME <EMAIL_FROM_ADDRESS> when absent. */
  readonly from?: string | undefined
}

/** The transport refused the mail or could not be reached: the `emails` job fails and is retried. */
export class MailSendFailed extends Data.TaggedError("MailSendFailed")<{ readonly message: string }> {}

/** Where mail actually goes: an SMTP server, or the local outbox (one .eml file per mail). */
export interface MailTransportShape {
  readonly kind: "smtp" | "outbox"
  readonly send: (mail: Mail) => Effect.Effect<void, MailSendFailed>
}

export class MailTransport extends Context.Tag("score/MailTransport")<MailTransport, MailTransportShape>() {}

const defaultFrom = (config: AppConfigShape) => `${config.email.fromName} <${config.email.fromAddress}>`

const failure = (e: unknown) => new MailSendFailed({ message: e instanceof Error ? e.message : String(e) })

/** nodemailer over SMTP, as Twenty's SmtpDriver: EMAIL_SMTP_NO_TLS sends in clear text (local relays, tests). */
export const MailTransportSmtp = (host: string) =>
  Layer.scoped(
    MailTransport,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const { email } = config
      const auth = Option.isSome(email.smtpUser) && Option.isSome(email.smtpPassword)
        ? { user: email.smtpUser.value, pass: Redacted.value(email.smtpPassword.value) }
        : undefined
      // Made with the first mail (lazyModule: a failed load is tried again); closed with the layer if it was made.
      let made: Transporter | undefined
      const transporterOf = lazyModule(() =>
        loadNodemailer().then(({ createTransport }) =>
          made = createTransport({
            host,
            port: email.smtpPort,
            ...(auth ? { auth } : {}),
            ...(email.smtpNoTls ? { secure: false, ignoreTLS: true } : { secure: email.smtpPort === 465 }),
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 30_000
          })
        )
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => made?.close()))
      yield* Effect.logInfo(`Mail: SMTP at ${host}:${email.smtpPort}`)
      return {
        kind: "smtp",
        send: (mail) =>
          Effect.tryPromise({
            try: async () =>
              (await transporterOf()).sendMail({ from: mail.from ?? defaultFrom(config), to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }),
            catch: failure
          }).pipe(Effect.asVoid)
      } satisfies MailTransportShape
    })
  )

/** The default: each mail is written to DATA_DIR/outbox as a .eml file and logged, so nothing needs a mail server. */
export const MailTransportOutbox = Layer.effect(
  MailTransport,
  Effect.gen(function*() {
    const config = yield* AppConfig
    const dir = path.resolve(config.dataDir, "outbox")
    const composer = lazyModule(() => loadNodemailer().then(({ createTransport }) => createTransport({ streamTransport: true, buffer: true, newline: "unix" })))
    yield* Effect.logInfo(`Mail: written to ${dir} (no EMAIL_SMTP_HOST)`)
    return {
      kind: "outbox",
      send: (mail) =>
        Effect.tryPromise({
          try: async () => {
            const info = await (await composer()).sendMail({ from: mail.from ?? defaultFrom(config), to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })
            await fs.mkdir(dir, { recursive: true })
            const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${crypto.randomUUID().slice(0, 8)}.eml`)
            await fs.writeFile(file, info.message as Buffer, { mode: 0o600 })
            return file
          },
          catch: failure
        }).pipe(Effect.flatMap((file) => Effect.logInfo(`Mail to ${mail.to} ("${mail.subject}") written to ${file}`)))
    } satisfies MailTransportShape
  })
)

/** SMTP when EMAIL_DRIVER=SMTP or EMAIL_SMTP_HOST is set (EMAIL_DRIVER=LOGGER forces the outbox). */
export const MailTransportLive = Layer.unwrapEffect(Effect.gen(function*() {
  const { email } = yield* AppConfig
  const driver = Option.map(email.driver, (d) => d.toUpperCase())
  if (Option.contains(driver, "LOGGER") || (Option.isNone(driver) && Option.isNone(email.smtpHost))) return MailTransportOutbox
  if (Option.isNone(email.smtpHost)) {
    return Layer.die(new Error("Invalid configuration: EMAIL_SMTP_HOST is missing (required with EMAIL_DRIVER=SMTP)"))
  }
  return MailTransportSmtp(email.smtpHost.value)
}))
