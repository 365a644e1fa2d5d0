import http from "node:http"
import https from "node:https"
import { checkTarget, type Resolve, systemResolve } from "../../platform/lib/address-guard.js"
import { pinnedLookup } from "../../platform/lib/pinned-request.js"

export interface WebhookRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface SendOptions {
  readonly allowPrivate: boolean
  readonly timeoutMs: number
  readonly resolve?: Resolve
  /** Extra trusted certificate authority (tests with a self-signed receiver). */
  readonly ca?: string
}

/**
 * What a delivery attempt recorded. `error` is a class ("timeout", "connection failed", "refused: private
 * address", "HTTP 500") and is shown to the workspace; the system's text, which would turn
 * webhookDeliveries into a port scanner, stays in `detail` for the server log.
 */
export interface DeliveryOutcome {
  readonly success: boolean
  readonly status: number | null
  readonly error: string | null
  readonly detail: string | null
}

const failed = (error: string, detail: string): DeliveryOutcome => ({ success: false, status: null, error, detail })

const answered = (status: number): DeliveryOutcome =>
  status >= 200 && status < 300
    ? { success: true, status, error: null, detail: null }
    : { success: false, status, error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`, detail: null }

/** Settles with `fallback` once `ms` have passed, unless `promise` settles first. */
const within = <A>(promise: Promise<A>, ms: number, fallback: A) =>
  new Promise<A>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, ms))
    promise.then((value) => {
      clearTimeout(timer)
      resolve(value)
    })
  })

/**
 * One POST to a webhook target, within `timeoutMs` from DNS to the response's status. The host is
 * resolved and checked once, and the socket is opened only to those addresses (pinnedLookup): a second
 * DNS answer is never asked for. Redirects are never followed.
 */
export const sendWebhook = async (request: WebhookRequest, options: SendOptions): Promise<DeliveryOutcome> => {
  const deadline = performance.now() + options.timeoutMs
  const check = await within(
    checkTarget(request.url, options.allowPrivate, options.resolve ?? systemResolve),
    options.timeoutMs,
    null
  )
  if (check === null) return failed("timeout", `no DNS answer within ${options.timeoutMs} ms`)
  if (!check.ok) {
    const error = check.refusal === "private" ? "refused: private address" : check.refusal === "invalid" ? "refused: invalid URL" : "connection failed"
    return failed(error, check.reason)
  }
  const client = check.url.protocol === "https:" ? https : http
  return new Promise((resolve) => {
    let timedOut = false
    const outgoing = client.request(check.url, {
      method: "POST",
      headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
      lookup: pinnedLookup(check.addresses),
      agent: false,
      ...(options.ca ? { ca: options.ca } : {})
    }, (response) => {
      clearTimeout(timer)
      response.resume()
      resolve(answered(response.statusCode ?? 0))
      response.destroy()
    })
    const timer = setTimeout(() => {
      timedOut = true
      outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`))
    }, Math.max(0, deadline - performance.now()))
    outgoing.on("error", (error) => {
      clearTimeout(timer)
      resolve(failed(timedOut ? "timeout" : "connection failed", `${check.url.host} (${check.addresses.join(", ")}): ${error.message}`))
    })
    outgoing.end(request.body)
  })
}
