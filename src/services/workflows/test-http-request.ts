import { Effect } from "effect"
import { parsedBody, sendHttpRequest } from "./actions/http-request.js"

/** Twenty's TestHttpRequest answer (test-http-request.dto.ts). */
export interface TestHttpRequestAnswer {
  readonly success: boolean
  readonly message: string
  readonly result?: unknown
  readonly error?: unknown
  readonly status?: number
  readonly statusText?: string
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * Twenty's testHttpRequest (the builder's "Test" of an HTTP_REQUEST step, HttpTool.execute): one request
 * through the same SSRF guard and limits as the step. A status of 400 or more, a refused target or a
 * network error answer `success: false` with the error (the body, else the reason), never a GraphQL error.
 */
export const testHttpRequest = (input: Readonly<Record<string, unknown>>) => {
  const target = `${String(input["method"] ?? "GET").toUpperCase()} request to ${String(input["url"] ?? "")}`
  const failed = (error: unknown): TestHttpRequestAnswer => ({ success: false, message: `HTTP ${target} failed`, error })
  return sendHttpRequest(input).pipe(
    Effect.map((answer): TestHttpRequestAnswer =>
      answer.status >= 400
        ? failed(answer.text.length > 0 ? parsedBody(answer.text) : `Request failed with status code ${answer.status}`)
        : {
          success: true,
          message: `HTTP ${target} completed successfully`,
          result: parsedBody(answer.text),
          status: answer.status,
          statusText: answer.statusText,
          headers: answer.headers
        }),
    Effect.catchTag("StepFailed", (error) => Effect.succeed(failed(error.message)))
  )
}
