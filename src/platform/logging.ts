import { Cause, HashMap, Layer, Logger } from "effect"
import type { AuthContext } from "../domain/auth.js"

/**
 * One request's identity on its log lines. The caller is read when a line is written (a verified caller
 * is memoised by Auth by then), so the hot paths pay nothing per request but this object.
 */
export class RequestLogContext {
  constructor(
    readonly requestId: string,
    readonly method: string,
    /** The route pattern (`/rest/:plural/:id`), never the path: paths carry ids and tokens. */
    readonly route: string,
    private readonly caller: () => AuthContext | undefined
  ) {}

  /** Effect's text logger prints annotations as JSON. */
  toJSON() {
    return { ...this.ids, method: this.method, route: this.route }
  }

  get ids(): { readonly requestId: string; readonly workspaceId: string | null; readonly userId: string | null } {
    const caller = this.caller()
    return {
      requestId: this.requestId,
      workspaceId: caller && caller.kind !== "workspaceAgnostic" ? caller.workspace.id : null,
      userId: caller && caller.kind !== "apiKey" ? caller.user.id : null
    }
  }
}

/** The log annotation holding a request's RequestLogContext. */
export const REQUEST_LOG_ANNOTATION = "request"

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((part) => typeof part === "string" ? part : safeJson(part)).join(" ")
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * LOG_FORMAT=json: one JSON object a line with timestamp, level, message, requestId, workspaceId and
 * userId (null outside a request), the other annotations, and the cause when there is one.
 */
export const jsonLogger = Logger.make(({ annotations, cause, date, logLevel, message }) => {
  const line: Record<string, unknown> = {
    timestamp: date.toISOString(),
    level: logLevel.label,
    message: messageText(message),
    requestId: null,
    workspaceId: null,
    userId: null
  }
  for (const [key, value] of HashMap.toEntries(annotations)) {
    if (value instanceof RequestLogContext) Object.assign(line, value.ids)
    else line[key] = value
  }
  if (!Cause.isEmpty(cause)) line["cause"] = Cause.pretty(cause, { renderErrorCause: true })
  globalThis.console.log(safeJson(line))
})

/** The process's logger for LOG_FORMAT. */
export const loggerFor = (format: "text" | "json") =>
  format === "json" ? Logger.replace(Logger.defaultLogger, jsonLogger) : Layer.empty

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

/** The client's `x-request-id` when it is a plain token, otherwise a new one. */
export const requestIdOf = (header: string | null): string =>
  header !== null && REQUEST_ID.test(header) ? header : crypto.randomUUID()
