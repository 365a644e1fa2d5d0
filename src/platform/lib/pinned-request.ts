import type { LookupAddress } from "node:dns"
import http from "node:http"
import https from "node:https"
import { isIP } from "node:net"
import { checkTarget, type Resolve, systemResolve } from "./address-guard.js"

type Lookup = (
  host: string,
  options: { readonly all?: boolean },
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void
) => void

/**
 * node's `lookup` hook (honoured by Bun for http and https) answering only the addresses already checked:
 * the socket goes to one of them, tried in turn, and no second DNS answer is ever asked for (rebinding),
 * while the Host header and the TLS name stay the URL's.
 */
export const pinnedLookup = (addresses: ReadonlyArray<string>): Lookup => {
  const checked = addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }))
  return (_host, options, callback) =>
    options.all ? callback(null, checked) : callback(null, checked[0]!.address, checked[0]!.family)
}

/** What openid-client hands its customFetch (a subset of fetch's init). */
export interface GuardedFetchInit {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null | undefined
  readonly signal?: AbortSignal | null | undefined
}

const bytesOf = async (body: NonNullable<GuardedFetchInit["body"]>) =>
  typeof body === "string" || body instanceof URLSearchParams
    ? Buffer.from(body.toString())
    : body instanceof ReadableStream
    ? Buffer.from(await new Response(body).arrayBuffer())
    : Buffer.from(body instanceof ArrayBuffer ? new Uint8Array(body) : body)

const NO_BODY = new Set([101, 103, 204, 205, 304])

/**
 * A fetch for outbound calls to addresses someone else chose (a workspace's identity provider): the host
 * is resolved and checked once (address-guard.ts), then connected to at exactly those addresses. A refused
 * host throws before any socket opens. Redirects are not followed (the caller sees the 3xx). A body past
 * `maxBytes` fails the call.
 */
export const guardedFetch = (allowPrivate: boolean, resolve: Resolve = systemResolve, maxBytes = Number.POSITIVE_INFINITY) =>
async (url: string, init: GuardedFetchInit = {}): Promise<Response> => {
  const check = await checkTarget(url, allowPrivate, resolve)
  if (!check.ok) throw new Error(`request refused: ${check.reason}`)
  const body = init.body == null ? null : await bytesOf(init.body)
  const client = check.url.protocol === "https:" ? https : http
  return new Promise<Response>((settle, fail) => {
    const outgoing = client.request(check.url, {
      method: init.method ?? "GET",
      headers: { ...init.headers, ...(body ? { "content-length": String(body.length) } : {}) },
      lookup: pinnedLookup(check.addresses),
      agent: false,
      ...(init.signal ? { signal: init.signal } : {})
    }, (incoming) => {
      const chunks: Array<Buffer> = []
      let received = 0
      incoming.on("data", (chunk: Buffer) => {
        received += chunk.length
        if (received > maxBytes) {
          incoming.destroy()
          fail(new Error(`response larger than ${maxBytes} bytes`))
        } else chunks.push(chunk)
      })
      incoming.on("error", fail)
      incoming.on("end", () => {
        const status = incoming.statusCode ?? 502
        const headers = new Headers()
        for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!)
        settle(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage ?? "", headers }))
      })
    })
    outgoing.on("error", fail)
    outgoing.end(body ?? undefined)
  })
}
