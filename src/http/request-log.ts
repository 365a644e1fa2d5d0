import { Effect } from "effect"
import { REQUEST_LOG_ANNOTATION, RequestLogContext, requestIdOf } from "../platform/logging.js"
import type { AuthContext } from "../domain/auth.js"
import { bearerToken } from "./caller.js"
import { routeLabel } from "./metrics.js"

/** Each request's log identity (with LOG_FORMAT=json or SENTRY_DSN), found by the web request the handlers are given. */
const contexts = new WeakMap<Request, RequestLogContext>()

export const startRequestLog = (request: Request, path: string, authenticated: (token: string) => AuthContext | undefined): void => {
  const token = bearerToken(request.headers.get("authorization"))
  const requestId = requestIdOf(request.headers.get("x-request-id"))
  contexts.set(request, new RequestLogContext(requestId, request.method, routeLabel(path), () => token ? authenticated(token) : undefined))
}

/** A request the edge re-created keeps the original's identity. */
export const linkRequestLog = (rebuilt: Request, original: Request): void => {
  const context = contexts.get(original)
  if (context) contexts.set(rebuilt, context)
}

/** `effect` with the request's identity on its log lines (unchanged when JSON logs are off). */
export const withRequestLog = <A, E, R>(request: Request | undefined, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const context = request && contexts.get(request)
  return context ? Effect.annotateLogs(effect, REQUEST_LOG_ANNOTATION, context) : effect
}
