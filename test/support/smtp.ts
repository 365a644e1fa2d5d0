import { SMTPServer } from "smtp-server"

/** A mail the test's SMTP server took: its recipients and the raw message. */
export interface ReceivedMail {
  readonly to: ReadonlyArray<string>
  readonly raw: string
}

/**
 * A real SMTP server (npm `smtp-server`) on a free port of 127.0.0.1, keeping every mail it takes.
 * Recipients starting with "bounce" are refused with a temporary 451, so a test can watch retries.
 */
export const startTestSmtp = async () => {
  const received: Array<ReceivedMail> = []
  const counts = { bounced: 0 }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!address.address.startsWith("bounce")) return callback()
      counts.bounced++
      callback(Object.assign(new Error("Mailbox temporarily unavailable"), { responseCode: 451 }))
    },
    onData(stream, session, callback) {
      const chunks: Array<Buffer> = []
      stream.on("data", (chunk: Buffer) => chunks.push(chunk))
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") })
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.server.address() as { port: number }).port,
    received,
    /** How many times a "bounce…" recipient was refused. */
    bounced: () => counts.bounced,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** The mail's text, whatever its transfer encoding (quoted-printable or base64 parts). */
export const decodedText = (raw: string) =>
  raw.split(/\r?\n--/).map((part) => {
    const [head = "", ...rest] = part.split(/\r?\n\r?\n/)
    const body = rest.join("\n\n")
    if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
      return body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)))
    }
    return body
  }).join("\n")
