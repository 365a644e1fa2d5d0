import { startTcpProxy } from "./tcp-proxy.js"

/**
 * A relay in front of PostgreSQL that reads the frontend protocol and logs every statement the clients have
 * the server run: a simple Query's text, and an extended-protocol Execute's statement (named or unnamed, as
 * its Parse gave it). BEGIN and COMMIT count like any statement, so a test can count round trips per request.
 */
export interface PgStatementLog {
  readonly port: number
  /** The texts of the statements executed since the last `clear`, in order. */
  readonly statements: () => ReadonlyArray<string>
  readonly clear: () => void
  readonly close: () => void
}

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104

/** One connection's frontend byte stream, parsed as it arrives (messages may span chunks). */
const frontendParser = (log: (text: string) => void) => {
  let buffer = new Uint8Array(0)
  let startup = true
  const statements = new Map<string, string>()
  const portals = new Map<string, string>()
  const decoder = new TextDecoder()
  const cstring = (bytes: Uint8Array, from: number): [string, number] => {
    const end = bytes.indexOf(0, from)
    return [decoder.decode(bytes.subarray(from, end)), end + 1]
  }
  return (chunk: Uint8Array) => {
    const joined = new Uint8Array(buffer.length + chunk.length)
    joined.set(buffer)
    joined.set(chunk, buffer.length)
    let at = 0
    for (;;) {
      const view = new DataView(joined.buffer, joined.byteOffset + at)
      if (startup) {
        if (joined.length - at < 8) break
        const length = view.getInt32(0)
        if (joined.length - at < length) break
        const code = view.getInt32(4)
        startup = code === SSL_REQUEST || code === GSS_REQUEST
        at += length
        continue
      }
      if (joined.length - at < 5) break
      const length = view.getInt32(1)
      if (joined.length - at < length + 1) break
      const type = String.fromCharCode(joined[at]!)
      const body = joined.subarray(at + 5, at + 1 + length)
      if (type === "Q") log(cstring(body, 0)[0])
      else if (type === "P") {
        const [name, next] = cstring(body, 0)
        statements.set(name, cstring(body, next)[0])
      } else if (type === "B") {
        const [portal, next] = cstring(body, 0)
        portals.set(portal, cstring(body, next)[0])
      } else if (type === "E") log(statements.get(portals.get(cstring(body, 0)[0]) ?? "") ?? "?")
      at += length + 1
    }
    buffer = joined.slice(at)
  }
}

export const startPgStatementLog = (target: { host: string; port: number }): PgStatementLog => {
  let logged: Array<string> = []
  const proxy = startTcpProxy(target, { observeClient: () => frontendParser((text) => logged.push(text)) })
  return {
    port: proxy.port,
    statements: () => [...logged],
    clear: () => {
      logged = []
    },
    close: proxy.close
  }
}
