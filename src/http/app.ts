import { HttpMiddleware, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Effect } from "effect"
import { AppConfig } from "../services/config.js"
import { restError } from "./errors.js"
import { makeDataGraphQLHandler } from "./graphql-data.js"
import { healthRoutes } from "./health.js"
import { makeMetadataHandler } from "./metadata/index.js"
import { restMetadataRoutes } from "./rest/metadata.js"
import { makeOpenApiRoutes } from "./rest/open-api.js"
import { restRecordRoutes } from "./rest/records.js"

const securityHeaders = HttpMiddleware.make((app) =>
  Effect.map(app, (response) =>
    HttpServerResponse.setHeaders(response, {
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cross-origin-resource-policy": "same-site"
    }))
)

/** Bodies over MAX_BODY_SIZE are refused before anything reads them (Bun enforces it again while streaming). */
const bodyLimit = (maxBytes: number) =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const length = Number(request.headers["content-length"] ?? 0)
      return length > maxBytes
        ? Effect.succeed(restError(413, "PayloadTooLarge", `Request body exceeds ${maxBytes} bytes`))
        : app
    })
  )

/** Unknown routes answer 404 JSON; anything unexpected is logged and answered 500 without internals. */
const edgeErrors = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some" && (failure.value as { _tag?: string })._tag === "RouteNotFound") {
      return Effect.succeed(restError(404, "NotFound", "Route not found"))
    }
    return Effect.as(
      Effect.logError("Request failed", cause),
      restError(500, "InternalServerError", "Internal server error")
    )
  })

export const makeHttpApp = Effect.gen(function*() {
  const config = yield* AppConfig
  const metadata = yield* makeMetadataHandler
  const data = yield* makeDataGraphQLHandler
  const openApiRoutes = yield* makeOpenApiRoutes
  const router = HttpRouter.concatAll(healthRoutes, restMetadataRoutes, restRecordRoutes, openApiRoutes).pipe(
    HttpRouter.get("/metadata", metadata),
    HttpRouter.post("/metadata", metadata),
    HttpRouter.options("/metadata", metadata),
    HttpRouter.get("/graphql", data),
    HttpRouter.post("/graphql", data),
    HttpRouter.options("/graphql", data)
  )
  const origins = config.corsOrigins.split(",").map((o) => o.trim()).filter(Boolean)
  return edgeErrors(router).pipe(
    bodyLimit(config.maxBodyBytes),
    HttpMiddleware.cors({
      allowedOrigins: origins.includes("*") ? () => true : (origin) => origins.includes(origin),
      allowedHeaders: ["authorization", "content-type", "x-schema-version", "x-locale"],
      maxAge: 600
    }),
    securityHeaders
  )
})
