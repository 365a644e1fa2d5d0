import { HttpApp, HttpMiddleware, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Option } from "effect"
import type { Services } from "../layers/index.js"
import { AppConfig } from "../platform/config.js"
import { RateLimits } from "../services/rate-limits/index.js"
import { makeApiRateLimit } from "./api-rate-limit.js"
import { makeFileRoutes } from "./file-routes.js"
import { refuseKnownFlood } from "./graphql/metadata/sign-in-limits.js"
import { boundRequestBody, IMPORT_PATH, limitedUpload, tooLargeBody } from "./body-limit.js"
import { causeIsDatabaseUnavailable, restError, restUnavailable } from "./errors.js"
import { makeDataGraphQLHandler } from "./graphql/data/index.js"
import { healthRoutes } from "./health.js"
import { workflowWebhookRoutes } from "./workflow-webhook-routes.js"
import { routeTriggerRoutes } from "./route-trigger-routes.js"
import { makeMetadataHandler } from "./graphql/metadata/index.js"
import { restMetadataRoutes } from "./rest/metadata.js"
import { makeOpenApiRoutes } from "./rest/open-api.js"
import { makeRestReadLane } from "./rest/lane.js"
import { makeRestWriteLane } from "./rest/write-lane.js"
import { restRecordRoutes } from "./rest/records.js"
import { restBulkRoutes } from "./rest/bulk.js"
import { ssoRoutes } from "./sso-routes.js"
import { registry as jobRegistry } from "../jobs/registry.js"
import { linkRebuiltRequest, makeMetricsEndpoint, measured } from "./metrics.js"
import { linkRequestLog, startRequestLog, withRequestLog } from "./request-log.js"
import { Auth } from "../services/auth/index.js"

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-site"
}

const securityHeaders = HttpMiddleware.make((app) =>
  Effect.map(app, (response) => HttpServerResponse.setHeaders(response, SECURITY_HEADERS))
)

/** Bodies declared over MAX_BODY_SIZE are refused (the web handler also bounds chunked bodies, body-limit.ts). */
const bodyLimit = (maxBytes: number, importMaxBytes: number) =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const length = Number(request.headers["content-length"] ?? 0)
      const limit = request.method === "POST" && IMPORT_PATH.test(new URL(request.url, "http://localhost").pathname) ? importMaxBytes : maxBytes
      return length > limit
        ? Effect.succeed(restError(413, "PayloadTooLargeException", `Request body exceeds ${limit} bytes`))
        : app
    })
  )

/** Unknown routes answer 404 JSON; anything unexpected is logged and answered 500 without internals. */
const edgeErrors = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some" && (failure.value as { _tag?: string })._tag === "RouteNotFound") {
      return Effect.succeed(restError(404, "NotFoundException", "Route not found"))
    }
    // The client went away (the server interrupts the request's fiber): nothing failed, nobody to answer.
    if (Cause.isInterruptedOnly(cause)) return Effect.succeed(restError(499, "ClientClosedRequest", "Client closed request"))
    if (causeIsDatabaseUnavailable(cause)) {
      return Effect.as(Effect.logWarning("Database unavailable", Cause.squash(cause)), restUnavailable())
    }
    return Effect.as(
      Effect.logError("Request failed", cause),
      restError(500, "InternalServerErrorException", "Internal server error")
    )
  })

/** LOG_FORMAT=json: the Effect routes' log lines carry the request's id and caller (request-log.ts). */
const requestLogs = HttpMiddleware.make((app) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => withRequestLog(request.source as Request, app))
)

const allowedOrigin = (corsOrigins: string) => {
  const origins = corsOrigins.split(",").map((o) => o.trim()).filter(Boolean)
  return origins.includes("*") ? () => true : (origin: string) => origins.includes(origin)
}

const makeApp = Effect.gen(function*() {
  const config = yield* AppConfig
  const metadata = yield* makeMetadataHandler
  const { handler: data, fast } = yield* makeDataGraphQLHandler
  const openApiRoutes = yield* makeOpenApiRoutes
  const router = HttpRouter.concatAll(healthRoutes, restMetadataRoutes, restBulkRoutes, restRecordRoutes, openApiRoutes, ssoRoutes, workflowWebhookRoutes, routeTriggerRoutes).pipe(
    HttpRouter.get("/metadata", metadata),
    HttpRouter.post("/metadata", metadata),
    HttpRouter.options("/metadata", metadata),
    HttpRouter.get("/graphql", data),
    HttpRouter.post("/graphql", data),
    HttpRouter.options("/graphql", data)
  )
  const app = edgeErrors(router).pipe(
    requestLogs,
    bodyLimit(config.maxBodyBytes, config.importMaxBodyBytes),
    HttpMiddleware.cors({
      allowedOrigins: allowedOrigin(config.corsOrigins),
      allowedHeaders: ["authorization", "content-type", "x-schema-version", "x-locale"],
      maxAge: 600
    }),
    securityHeaders
  )
  return { app, fast }
})

export const makeHttpApp = Effect.map(makeApp, ({ app }) => app)

const pathOf = (url: string) => {
  const start = url.indexOf("/", url.indexOf("//") + 2)
  const end = url.indexOf("?", start)
  return start === -1 ? "/" : url.slice(start, end === -1 ? undefined : end)
}

/**
 * The server's request handler: the Effect app, except the hot paths answered directly on the web
 * request when they can be (each sets the same CORS and security headers as the Effect app): POST
 * /graphql with a JSON body (graphql-data.ts), GET /rest/{plural} lists and records by id (rest/lane.ts), and REST creates,
 * updates, soft deletes and restores of one record (rest/write-lane.ts). MAX_BODY_SIZE
 * is enforced here, before either, for declared lengths and chunked bodies alike (body-limit.ts), then
 * API keys' request budgets (api-rate-limit.ts) and the refusal of addresses that flood sign-in
 * (graphql/metadata/sign-in-limits.ts). File bytes (`/file/…`, file-routes.ts) come first: they stream past
 * MAX_BODY_SIZE under the file limits.
 */
export const makeWebHandler = Effect.gen(function*() {
  const config = yield* AppConfig
  const { app, fast } = yield* makeApp
  const restRead = yield* makeRestReadLane
  const restWrite = yield* makeRestWriteLane
  const fileRoutes = yield* makeFileRoutes
  const apiRateLimit = yield* makeApiRateLimit
  const limits = yield* RateLimits
  const metrics = yield* makeMetricsEndpoint(Object.keys(jobRegistry.queues))
  const effectHandler = HttpApp.toWebHandlerRuntime(yield* Effect.runtime<Services>())(app)
  const isAllowed = allowedOrigin(config.corsOrigins)
  /** What the Effect app's CORS and security middleware would add to an answer to this origin. */
  const headersFor = (origin: string | null): Readonly<Record<string, string>> =>
    origin !== null && isAllowed(origin)
      ? { ...SECURITY_HEADERS, "access-control-allow-origin": origin, vary: "Origin" }
      : SECURITY_HEADERS
  const lanes = (request: Request): Promise<Response> | null => {
    const method = request.method
    if (method === "GET") return restRead(request, pathOf(request.url), headersFor(request.headers.get("origin")), () => effectHandler(request))
    const path = pathOf(request.url)
    if (method === "POST" && path === "/graphql") {
      return Number(request.headers.get("content-length") ?? 0) <= config.maxBodyBytes ? fast(request, headersFor(request.headers.get("origin"))) : null
    }
    return path.startsWith("/rest/") ? restWrite(request, path, headersFor(request.headers.get("origin")), effectHandler) : null
  }
  const serve = (request: Request): Promise<Response> => lanes(request) ?? effectHandler(request)
  const route = (request: Request): Promise<Response> => {
    const path = pathOf(request.url)
    if (request.method === "POST" && path === "/metadata") {
      return refuseKnownFlood(request, limits, headersFor(request.headers.get("origin"))).then((early) => {
        if (early === null) return serve(request)
        if ("refused" in early) return early.refused
        relink(early.rebuilt, request)
        return serve(early.rebuilt)
      })
    }
    const throttled = apiRateLimit(request, path, headersFor(request.headers.get("origin")))
    return throttled === null ? serve(request) : throttled.then((refused) => refused ?? serve(request))
  }
  const relink = (rebuilt: Request, original: Request) => {
    linkRebuiltRequest(rebuilt, original)
    linkRequestLog(rebuilt, original)
  }
  const tooLarge = (request: Request) => tooLargeBody(config.maxBodyBytes, headersFor(request.headers.get("origin")))
  const tooLargeUpload = (request: Request) => tooLargeBody(config.importMaxBodyBytes, headersFor(request.headers.get("origin")))
  const handle = (request: Request, path: string): Promise<Response> => {
    // File bytes stream past MAX_BODY_SIZE: the file routes enforce the file limits themselves.
    const file = fileRoutes(request, path, headersFor(request.headers.get("origin")))
    if (file !== null) return file
    // Most requests declare their length (or have no body): judged without an extra await.
    const declared = request.headers.get("content-length")
    if (request.method === "POST" && IMPORT_PATH.test(path)) {
      if (declared !== null) return Number(declared) > config.importMaxBodyBytes ? Promise.resolve(tooLargeUpload(request)) : route(request)
      return route(limitedUpload(request, config.importMaxBodyBytes))
    }
    if (declared !== null) return Number(declared) > config.maxBodyBytes ? Promise.resolve(tooLarge(request)) : route(request)
    if (request.method === "GET" || request.method === "HEAD") return route(request)
    return boundRequestBody(request, config.maxBodyBytes).then((bounded) => {
      if (!bounded) return tooLarge(request)
      relink(bounded, request)
      return route(bounded)
    })
  }
  const auth = yield* Auth
  const logged = config.logFormat === "json" || Option.isSome(config.sentryDsn)
    ? (request: Request, path: string) => {
      startRequestLog(request, path, auth.authenticated)
      return handle(request, path)
    }
    : handle
  // Metrics off (no METRICS_TOKEN nor METRICS_PORT): the handler is exactly the unmeasured one.
  if (!metrics.enabled) return (request: Request): Promise<Response> => logged(request, pathOf(request.url))
  const measuredHandle = measured(logged)
  const scrape = metrics.onApiPort
  return (request: Request): Promise<Response> => {
    const path = pathOf(request.url)
    if (scrape !== null && path === "/metrics") return scrape(request)
    return measuredHandle(request, path)
  }
})
