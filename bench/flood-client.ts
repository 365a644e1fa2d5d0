/**
 * The sign-in flood's client, kept cheap so the flood's own CPU stays small beside the server's: raw
 * HTTP/1.1 over `inFlight` kept-alive sockets (node:net, bound to `localAddress` so each flood is a new
 * client address), one prebuilt request, answers classified from the status line and a byte search of the
 * body, no JSON parsing. `floodOverNodeHttp` is the earlier client (node:http agent, JSON.parse per answer),
 * kept for `--old`.
 */
import http from "node:http"
import net from "node:net"

export interface FloodCounts {
  sent: number
  /** 429 TOO_MANY_REQUESTS: refused before any password was hashed. */
  refused429: number
  /** A GraphQL FORBIDDEN: the wrong password was checked (hashed). */
  checked: number
  other: number
  seconds: number
}

const newCounts = (): FloodCounts => ({ sent: 0, refused429: 0, checked: 0, other: 0, seconds: 0 })

const classify = (counts: FloodCounts, status: number, body: string) => {
  if (status === 429) counts.refused429++
  else if (body.includes('"code":"FORBIDDEN"')) counts.checked++
  else counts.other++
}

/** Where one HTTP/1.1 answer ends in `buffer` (Content-Length or chunked), or -1 while incomplete. */
const answerEnd = (buffer: string) => {
  const headersEnd = buffer.indexOf("\r\n\r\n")
  if (headersEnd < 0) return -1
  const headers = buffer.slice(0, headersEnd).toLowerCase()
  const length = /\r\ncontent-length: *(\d+)/.exec(headers)
  if (length) {
    const end = headersEnd + 4 + Number(length[1])
    return buffer.length >= end ? end : -1
  }
  if (headers.includes("transfer-encoding: chunked")) {
    const last = buffer.indexOf("\r\n0\r\n\r\n", headersEnd)
    return last < 0 ? -1 : last + 7
  }
  return headersEnd + 4
}

/** `count` POSTs of `body` to `url`, `inFlight` at a time, from `localAddress`. */
export const floodRaw = (url: URL, localAddress: string, body: string, count: number, inFlight: number): Promise<FloodCounts> => {
  const request = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`
  const counts = newCounts()
  const started = performance.now()
  const connection = () =>
    new Promise<void>((resolve, reject) => {
      if (counts.sent >= count) return resolve()
      let buffer = ""
      let answered = true
      const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress })
      const next = () => {
        if (counts.sent >= count) return socket.end()
        counts.sent++
        answered = false
        socket.write(request)
      }
      socket.setEncoding("latin1")
      socket.on("connect", next)
      socket.on("data", (chunk: string) => {
        buffer += chunk
        for (let end = answerEnd(buffer); end > 0; end = answerEnd(buffer)) {
          classify(counts, Number(buffer.slice(9, 12)), buffer.slice(0, end))
          buffer = buffer.slice(end)
          answered = true
          next()
        }
      })
      socket.on("error", reject)
      // The server may close a kept-alive socket: an unanswered request is sent again on a new one.
      socket.on("close", () => {
        if (!answered) counts.sent--
        resolve(counts.sent < count ? connection() : undefined)
      })
    })
  return Promise.all(Array.from({ length: inFlight }, connection)).then(() => {
    counts.seconds = (performance.now() - started) / 1000
    return counts
  })
}

/** The earlier client: node:http's agent and a JSON.parse per answer. */
export const floodOverNodeHttp = async (url: URL, localAddress: string, body: string, count: number, inFlight: number) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight, localAddress })
  const counts = newCounts()
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
      }, (response) => {
        let text = ""
        response.on("data", (chunk) => (text += chunk))
        response.on("end", () => {
          if (response.statusCode === 429) counts.refused429++
          else if (JSON.parse(text).errors?.[0]?.extensions?.code === "FORBIDDEN") counts.checked++
          else counts.other++
          resolve()
        })
      })
      request.on("error", reject)
      request.end(body)
    })
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (counts.sent < count) {
      counts.sent++
      await one()
    }
  }))
  counts.seconds = (performance.now() - started) / 1000
  agent.destroy()
  return counts
}
