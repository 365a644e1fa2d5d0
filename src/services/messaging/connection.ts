import { isIP } from "node:net"
import { Schema } from "effect"
import { addressRestriction, systemResolve } from "../../platform/lib/address-guard.js"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import { loadNodemailer } from "../mail/transport.js"

/** The IMAP client is loaded with the first connection, not at start (see README "Memory"). */
const loadImapflow = lazyModule(() => import("imapflow"))

/** Twenty's EmailConnectionSecurity: TLS from the start, an upgrade that must happen, or none. */
export const ConnectionSecurity = Schema.Literal("NONE", "STARTTLS", "SSL_TLS")

/** Twenty's ConnectionParametersInput (one protocol): what a client sends and what is stored, sealed. */
export const ProtocolParameters = Schema.Struct({
  host: Schema.String,
  port: Schema.Number,
  username: Schema.optional(Schema.NullOr(Schema.String)),
  password: Schema.optional(Schema.NullOr(Schema.String)),
  connectionSecurity: Schema.optional(Schema.NullOr(ConnectionSecurity))
})
export type ProtocolParameters = typeof ProtocolParameters.Type

export const PROTOCOLS = ["IMAP", "SMTP", "CALDAV"] as const
export type Protocol = (typeof PROTOCOLS)[number]

export const AccountParameters = Schema.Struct({
  name: Schema.optional(Schema.NullOr(Schema.String)),
  IMAP: Schema.optional(Schema.NullOr(ProtocolParameters)),
  SMTP: Schema.optional(Schema.NullOr(ProtocolParameters)),
  CALDAV: Schema.optional(Schema.NullOr(ProtocolParameters))
})
export type AccountParameters = typeof AccountParameters.Type

/** A connection refused before or while talking to the server, with a message meant for the user. */
export class ConnectionRefused extends Error {
  constructor(message: string, readonly kind: "invalid" | "auth" | "network") {
    super(message)
  }
}

/**
 * The address to connect to for `host`: resolved once and checked against the special-purpose ranges
 * (unless MESSAGING_ALLOW_PRIVATE_ADDRESSES), so the connection goes where the check looked.
 */
export const pinnedAddress = async (host: string, allowPrivate: boolean): Promise<string> => {
  const bare = host.trim().replace(/^\[|\]$/g, "")
  if (!bare || /[\s/]/.test(bare)) throw new ConnectionRefused(`Invalid host "${host}"`, "invalid")
  const addresses = isIP(bare) ? [bare] : await systemResolve(bare).catch(() => [])
  if (addresses.length === 0) throw new ConnectionRefused(`Host "${bare}" does not resolve`, "network")
  if (!allowPrivate) {
    const restricted = addresses.map(addressRestriction).find((r) => r !== null)
    if (restricted) {
      throw new ConnectionRefused(`Host "${bare}" resolves to a private address (${restricted}); set MESSAGING_ALLOW_PRIVATE_ADDRESSES=true to allow it`, "invalid")
    }
  }
  return addresses[0]!
}

export const checkParameters = (protocol: Protocol, params: ProtocolParameters) => {
  if (!params.host.trim()) throw new ConnectionRefused(`${protocol} host is required`, "invalid")
  if (!Number.isInteger(params.port) || params.port < 1 || params.port > 65535) {
    throw new ConnectionRefused(`${protocol} port must be between 1 and 65535`, "invalid")
  }
  if (!params.password) throw new ConnectionRefused(`${protocol} password is required`, "invalid")
}

const TIMEOUT_MS = 15_000

/** An IMAP client for the account (not yet connected); `handle` is the login when no username is set. */
export const imapClient = async (handle: string, params: ProtocolParameters, allowPrivate: boolean) => {
  const [address, { ImapFlow }] = await Promise.all([pinnedAddress(params.host, allowPrivate), loadImapflow()])
  // Without a choice: TLS on the IMAPS port, else STARTTLS when the server offers it (imapflow's default).
  const security = params.connectionSecurity ?? (params.port === 993 ? "SSL_TLS" : null)
  return new ImapFlow({
    host: address,
    port: params.port,
    secure: security === "SSL_TLS",
    ...(security === "STARTTLS" ? { doSTARTTLS: true } : security === "NONE" ? { doSTARTTLS: false } : {}),
    ...(isIP(params.host) ? {} : { servername: params.host }),
    auth: { user: params.username || handle, pass: params.password ?? "" },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: 5 * 60_000
  })
}

/** What went wrong with an IMAP or SMTP server, for the user (the channel's error, the API's answer). */
export const describeFailure = (protocol: Protocol, error: unknown): ConnectionRefused => {
  if (error instanceof ConnectionRefused) return error
  const e = error as { authenticationFailed?: boolean; code?: string; responseCode?: number; message?: string; response?: string }
  if (e?.authenticationFailed || e?.code === "EAUTH" || e?.responseCode === 535) {
    return new ConnectionRefused(`${protocol} authentication failed: the server refused the username or password`, "auth")
  }
  const detail = e?.code ?? e?.message ?? String(error)
  return new ConnectionRefused(`${protocol} connection failed (${detail})`, "network")
}

export const testImap = async (handle: string, params: ProtocolParameters, allowPrivate: boolean) => {
  const client = await imapClient(handle, params, allowPrivate)
  client.on("error", () => {})
  try {
    await client.connect()
    await client.logout()
  } catch (error) {
    client.close()
    throw describeFailure("IMAP", error)
  }
}

export const smtpTransport = async (handle: string, params: ProtocolParameters, allowPrivate: boolean) => {
  const [address, nodemailer] = await Promise.all([pinnedAddress(params.host, allowPrivate), loadNodemailer()])
  const security = params.connectionSecurity ?? (params.port === 465 ? "SSL_TLS" : null)
  return nodemailer.createTransport({
    host: address,
    port: params.port,
    secure: security === "SSL_TLS",
    ...(security === "STARTTLS" ? { requireTLS: true } : security === "NONE" ? { ignoreTLS: true } : {}),
    tls: isIP(params.host) ? {} : { servername: params.host },
    auth: { user: params.username || handle, pass: params.password ?? "" },
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: 60_000
  })
}

export const testSmtp = async (handle: string, params: ProtocolParameters, allowPrivate: boolean) => {
  const transport = await smtpTransport(handle, params, allowPrivate)
  try {
    await transport.verify()
  } catch (error) {
    throw describeFailure("SMTP", error)
  } finally {
    transport.close()
  }
}
