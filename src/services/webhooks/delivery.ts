import http from "node:http"
import https from "node:https"
import type { LookupAddress } from "node:dns"
import { checkTarget, type Resolve, systemResolve } from "./address-guard.js"

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

type PinnedLookup = (
  host: string,
  options: { readonly all?: boolean },
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void
) => void

/**
 * One POST to a webhook target. The host is resolved and checked once, and the socket is opened to
 * that very address (node's `lookup` hook, honoured by Bun for http and https) while the Host header and
 * the TLS name stay the URL's: a second DNS answer is never asked for. Redirects are never followed.
 */
export const sendWebhook = async (request: WebhookRequest, options: SendOptions): Promise<DeliveryOutcome> => {
  const check = await checkTarget(request.url, options.allowPrivate, options.resolve ?? systemResolve)
  if (!check.ok) {
    const error = check.refusal === "private" ? "refused: private address" : check.refusal === "invalid" ? "refused: invalid URL" : "connection failed"
    return failed(error, check.reason)
  }
  const { address, family } = check
  const lookup: PinnedLookup = (_host, lookupOptions, callback) =>
    lookupOptions.all ? callback(null, [{ address, family }]) : callback(null, address, family)
  const client = check.url.protocol === "https:" ? https : http
  return new Promise((resolve) => {
    let timedOut = false
    const outgoing = client.request(check.url, {
      method: "POST",
      headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
      lookup,
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
    }, options.timeoutMs)
    outgoing.on("error", (error) => {
      clearTimeout(timer)
      resolve(failed(timedOut ? "timeout" : "connection failed", `${check.url.host} (${address}): ${error.message}`))
    })
    outgoing.end(request.body)
  })
}
