import http from "node:http"
import https from "node:https"
import { Duration, Effect } from "effect"
import { AppConfig } from "../../../platform/config.js"
import { checkTarget } from "../../../platform/lib/address-guard.js"
import { pinnedLookup } from "../../../platform/lib/pinned-request.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
/** A response body larger than this fails the step rather than fill the run's state. */
const MAX_RESPONSE_BYTES = 1024 * 1024

export interface HttpAnswer {
  readonly method: string
  readonly url: string
  readonly status: number
  readonly statusText: string
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
}

type Answer = Omit<HttpAnswer, "method" | "url">

/**
 * One request to a checked target, with the webhooks' SSRF guard: the host is resolved and checked once and
 * the socket opened only to those addresses (no second DNS answer), redirects are not followed.
 */
const send = (target: string, method: string, headers: Record<string, string>, body: string | null, allowPrivate: boolean, timeoutMs: number) =>
  Effect.tryPromise({
    try: async (): Promise<Answer> => {
      const check = await checkTarget(target, allowPrivate)
      if (!check.ok) throw new Error(check.refusal === "private" ? `Request refused: ${check.reason}` : check.reason.replace("targetUrl", "url"))
      const lookup = pinnedLookup(check.addresses)
      const client = check.url.protocol === "https:" ? https : http
      return await new Promise<Answer>((resolve, reject) => {
        const outgoing = client.request(check.url, {
          method,
          headers: body === null ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
          lookup,
          agent: false,
          timeout: timeoutMs
        }, (response) => {
          const chunks: Array<Buffer> = []
          let size = 0
          response.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > MAX_RESPONSE_BYTES) response.destroy(new Error(`Response larger than ${MAX_RESPONSE_BYTES} bytes`))
            else chunks.push(chunk)
          })
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              statusText: response.statusMessage ?? "",
              headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")])),
              text: Buffer.concat(chunks).toString("utf8")
            }))
          response.on("error", reject)
        })
        outgoing.on("timeout", () => outgoing.destroy(new Error(`No answer within ${timeoutMs} ms`)))
        outgoing.on("error", reject)
        outgoing.end(body ?? undefined)
      })
    },
    catch: (error) => new StepFailed({ message: error instanceof Error ? error.message : String(error) })
  })

export const parsedBody = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Twenty's HTTP_REQUEST input `{ url, method, headers, body }` sent once. Private, loopback and link-local
 * targets are refused unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES; the request waits at most WEBHOOK_TIMEOUT.
 */
export const sendHttpRequest = (input: Readonly<Record<string, unknown>>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const url = inputString(input, "url")
    if (!url) return yield* new StepFailed({ message: "URL is required" })
    const method = (inputString(input, "method") ?? "GET").toUpperCase()
    if (!METHODS.includes(method)) return yield* new StepFailed({ message: `Method ${method} is not supported` })
    const headers = Object.fromEntries(Object.entries(inputObject(input, "headers")).map(([k, v]) => [k, String(v)]))
    const raw = input["body"]
    const body = method === "GET" || raw === undefined || raw === null ? null : typeof raw === "string" ? raw : JSON.stringify(raw)
    if (body !== null && typeof raw !== "string" && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {
      headers["content-type"] = "application/json"
    }
    const answer = yield* send(url, method, headers, body, config.webhookAllowPrivateAddresses, Duration.toMillis(config.webhookTimeout))
    const sent: HttpAnswer = { ...answer, method, url }
    return sent
  })

/** Twenty's HTTP_REQUEST step → the response body (JSON parsed when it is JSON); a status of 400 or more fails the step. */
export const httpRequestAction: ActionExecutor<AppConfig> = {
  type: "HTTP_REQUEST",
  execute: ({ input }) =>
    Effect.gen(function*() {
      const answer = yield* sendHttpRequest(input)
      if (answer.status >= 400) return yield* new StepFailed({ message: `HTTP ${answer.status}: ${answer.text.slice(0, 200)}` })
      return { result: parsedBody(answer.text) }
    })
}
