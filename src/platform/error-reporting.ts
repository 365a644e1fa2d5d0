import { Cause, Effect, HashMap, Layer, Logger, LogLevel, Redacted } from "effect"
import { RequestLogContext } from "./logging.js"

type SentryModule = typeof import("@sentry/bun")

/** What an error report may say about its request: ids and the route pattern, never headers, bodies or values. */
const requestTags = (annotations: HashMap.HashMap<string, unknown>) => {
  for (const value of HashMap.values(annotations)) {
    if (value instanceof RequestLogContext) return value
  }
  return null
}

/** The first error a cause holds (a defect or an unexpected failure), as an Error Sentry can group. */
const errorOf = (cause: Cause.Cause<unknown>, message: string): Error => {
  const squashed = Cause.squash(cause)
  if (squashed instanceof Error) return squashed
  const tag = typeof squashed === "object" && squashed !== null && "_tag" in squashed ? String(squashed._tag) : typeof squashed
  return new Error(`${message}: ${tag}`)
}

/**
 * Lines logged at Error with a cause are unexpected failures (500s, defects, failed jobs): user errors are
 * answered, not logged, and an unavailable database is a warning. Each such line goes to Sentry with the
 * request's id, workspace, user and route pattern; the SDK runs without its default integrations, so no
 * breadcrumb, header, body or local variable is collected.
 */
const reportingLogger = (sentry: SentryModule) =>
  Logger.make(({ annotations, cause, logLevel, message }) => {
    if (LogLevel.lessThan(logLevel, LogLevel.Error) || Cause.isEmpty(cause) || Cause.isInterruptedOnly(cause)) return
    const text = (Array.isArray(message) ? message : [message]).filter((part) => typeof part === "string").join(" ")
    const request = requestTags(annotations)
    const ids = request?.ids
    sentry.captureException(errorOf(cause, text), {
      level: "error",
      tags: {
        logMessage: text.slice(0, 200),
        ...(request ? { method: request.method, route: request.route } : {}),
        ...(ids?.workspaceId ? { workspaceId: ids.workspaceId } : {})
      },
      ...(ids ? { contexts: { request: { requestId: ids.requestId, workspaceId: ids.workspaceId, userId: ids.userId } } } : {}),
      ...(ids?.userId ? { user: { id: ids.userId } } : {})
    })
  })

/** SENTRY_DSN: unexpected errors reach Sentry through @sentry/bun (loaded only then); flushed at shutdown. */
export const ErrorReportingSentry = (dsn: Redacted.Redacted<string>, options: { readonly environment?: string } = {}) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const sentry = yield* Effect.promise(() => import("@sentry/bun"))
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        sentry.init({
          dsn: Redacted.value(dsn),
          environment: options.environment,
          defaultIntegrations: false,
          dataCollection: {
            userInfo: false,
            cookies: false,
            httpHeaders: false,
            httpBodies: [],
            urlQueryParams: false,
            graphQL: { document: false, variables: false },
            databaseQueryData: false
          },
          maxBreadcrumbs: 0,
          tracesSampleRate: 0,
          // No server name (a host name), no request data even if an integration would add some.
          beforeSend: (event) => ({ ...event, server_name: undefined, request: undefined, breadcrumbs: undefined, extra: undefined })
        })
      ),
      () => Effect.promise(() => sentry.close(2_000))
    )
    yield* Effect.logInfo("Error reporting: Sentry")
    return Logger.add(reportingLogger(sentry))
  }))
