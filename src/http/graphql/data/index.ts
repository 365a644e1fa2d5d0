import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { SqlError } from "@effect/sql"
import { Cause, Effect, Exit, Option, Runtime } from "effect"
import type { GraphQLSchema } from "graphql"
import { createYoga } from "graphql-yoga"
import type { Services } from "../../../layers/index.js"
import { isUserError, type UserError } from "../../../domain/errors.js"
import { Auth } from "../../../services/auth/index.js"
import { AppConfig } from "../../../platform/config.js"
import { apiKeyScope, scopeOf } from "../../../services/records/actor.js"
import { Records } from "../../../services/records/service.js"
import { Metadata } from "../../../services/metadata/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { RecordsScope } from "../../../services/records/types.js"
import { type DataGraphQLContext, SchemaBuilder } from "./schema/index.js"
import type { TimelineReads } from "./schema/context.js"
import { timelineCalendarEvents } from "../../../services/mail-timeline/calendar-events.js"
import { timelineThreads } from "../../../services/mail-timeline/threads.js"
import { causeIsDatabaseUnavailable, toGraphQLError, unavailableGraphQLBody } from "../../errors.js"
import { documentLimitsOf, recordLimitsOf, useQueryLimits } from "../limits.js"
import { laneCounts, makeGraphQLEngine, readPost, yogaParserCaches } from "./engine.js"
import { noteOperation } from "../../metrics.js"
import { withRequestLog } from "../../request-log.js"
import type { WorkspaceCaller } from "../../../services/auth/permissions.js"
import { bearerToken, workspaceCaller } from "../../caller.js"
import { bufferedResponse, makeRun, maskError, useInputErrorCodes, useOperationLabel, withCode } from "../yoga.js"

/** What /graphql hands to yoga per request: the resolvers' context and the workspace's schema. */
interface DataServerContext extends DataGraphQLContext {
  readonly schema: GraphQLSchema
}

const errorBody = (error: UserError) => {
  const { http, ...extensions } = toGraphQLError(error).extensions as { http?: { status: number } }
  return { status: http?.status ?? 200, body: { errors: [{ message: error.message, extensions }] } }
}

/** Errors raised before execution, in GraphQL's response shape; only UNAUTHENTICATED changes the status (401). */
const errorResponse = (error: UserError) => {
  const { status, body } = errorBody(error)
  return HttpServerResponse.unsafeJson(body, { status })
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" }

const withHeaders = (response: Response, headers: Readonly<Record<string, string>>) => {
  for (const name in headers) response.headers.set(name, headers[name]!)
  return response
}

/** The lane answers clients that take JSON; other media types (multipart, event streams, …) are yoga's. */
const acceptsPlainJson = (accept: string | null) =>
  accept === null || accept === "*/*" || accept === "application/json" ||
  (accept.includes("application/json") && !/graphql-response|event-stream|multipart/.test(accept))

/**
 * `/graphql`: Twenty's workspace data API. The caller must present a workspace-bound token; the schema is
 * the caller's workspace's, fetched from SchemaBuilder (cached per metadata version).
 *
 * Two paths share that schema and context: `fast`, for POSTed JSON, runs operations compiled once per
 * document (graphql-engine.ts) straight on the web request; everything it does not take goes to one
 * shared yoga instance, which answers every other form of request and every request error.
 */
export const makeDataGraphQLHandler = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<Services>()
  const run = makeRun(runtime)
  const runExit = Runtime.runPromiseExit(runtime)
  const schemas = yield* SchemaBuilder
  const records = yield* Records
  const config = yield* AppConfig
  const documentLimits = documentLimitsOf(config)
  const recordLimits = recordLimitsOf(config)

  const yoga = createYoga<DataServerContext>({
    schema: (context) => context.schema,
    graphqlEndpoint: "/graphql",
    cors: false,
    logging: false,
    landingPage: false,
    graphiql: false,
    maskedErrors: { maskError },
    plugins: [useOperationLabel, useInputErrorCodes, useQueryLimits(documentLimits, recordLimits)],
    parserAndValidationCache: yogaParserCaches()
  })
  const engine = makeGraphQLEngine({
    formatError: (error) => withCode(maskError(error) as typeof error),
    limits: { ...documentLimits, ...recordLimits }
  })

  const timeline: TimelineReads = {
    threads: (scope, target, page, pageSize) => run(timelineThreads(scope, target, page, pageSize)),
    calendarEvents: (scope, target, page, pageSize) => run(timelineCalendarEvents(scope, target, page, pageSize))
  }

  const auth = yield* Auth
  const metadata = yield* Metadata
  const permissions = yield* Permissions

  /** An API key's scope with no lookup while its access is memoized (the usual case), else looked up. */
  const scopeOfCaller = (who: WorkspaceCaller) => {
    if (who.kind === "apiKey") {
      const current = metadata.current(who.workspace.id)
      const access = current && permissions.currentAccess(who, current)
      if (access) return Promise.resolve(apiKeyScope(who, access))
    }
    return run(scopeOf(who))
  }

  const contextFor = (who: WorkspaceCaller, schema: GraphQLSchema): DataServerContext => {
    let scope: Promise<RecordsScope> | undefined
    return { run, records, timeline, scope: () => (scope ??= scopeOfCaller(who)), schema }
  }

  /** Same caller rules as REST, then the caller's workspace schema. */
  const callerAndSchema = Effect.fnUntraced(function*(token: string | null) {
    const who = yield* workspaceCaller(token)
    return { who, schema: yield* schemas.schemaFor(who.workspace.id) }
  })

  const execute = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function*() {
      const { who, schema } = yield* callerAndSchema(bearerToken(request.headers["authorization"]))
      const context = contextFor(who, schema)
      return yield* Effect.promise(async () => bufferedResponse(await yoga.fetch(request.source as Request, context)))
    }).pipe(
      Effect.catchIf(
        (error): error is Exclude<typeof error, SqlError.SqlError> => isUserError(error),
        (error) => Effect.succeed(errorResponse(error))
      ),
      Effect.withSpan("GraphQL.data")
    )

  const handler = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.method === "OPTIONS"
      ? Effect.succeed(HttpServerResponse.empty({ status: 204, headers: { allow: "GET, POST, OPTIONS" } }))
      : execute(request))

  /**
   * POST /graphql with a JSON body, straight on the web request; every answer carries `headers` (the
   * caller's CORS and security headers). Null, before reading anything, for a request the Effect
   * handler must take.
   */
  const fast = (request: Request, headers: Readonly<Record<string, string>>): Promise<Response> | null =>
    request.headers.get("content-type")?.startsWith("application/json") && acceptsPlainJson(request.headers.get("accept"))
      ? lane(request, headers)
      : null

  /** The caller and its schema, without running anything while both are known (the usual case). */
  const knownCallerAndSchema = (token: string | null) => {
    const who = token === null ? undefined : auth.authenticated(token)
    if (!who || who.kind === "workspaceAgnostic") return undefined
    const schema = schemas.current(who.workspace.id)
    return schema && { who, schema }
  }

  const lane = async (request: Request, headers: Readonly<Record<string, string>>): Promise<Response> => {
    const token = bearerToken(request.headers.get("authorization"))
    let known = knownCallerAndSchema(token)
    if (!known) {
      const exit = await runExit(callerAndSchema(token))
      if (Exit.isFailure(exit)) return withHeaders(failure(exit.cause, request), headers)
      known = exit.value
    }
    const { who, schema } = known
    const context = contextFor(who, schema)
    const text = await request.text()
    let post = null
    try {
      post = readPost(JSON.parse(text))
    } catch {
      // not JSON: yoga says so
    }
    noteOperation(request, post?.operationName)
    const compiled = post && engine.prepare(schema, post)
    const answer = compiled && await engine.execute(compiled, context, post!.variables)
    if (answer) return new Response(answer.body, { status: answer.status, headers: { ...JSON_HEADERS, ...headers } })
    laneCounts.reference++
    return withHeaders(await yoga.fetch(new Request(request.url, { method: "POST", headers: request.headers, body: text }), context), headers)
  }

  const failure = (cause: Cause.Cause<unknown>, request: Request) => {
    const error = Cause.failureOption(cause)
    if (Option.isSome(error) && isUserError(error.value)) {
      const { status, body } = errorBody(error.value)
      return Response.json(body, { status })
    }
    if (causeIsDatabaseUnavailable(cause)) {
      Runtime.runFork(runtime)(withRequestLog(request, Effect.logWarning("Database unavailable", Cause.squash(cause))))
      return Response.json(unavailableGraphQLBody(), { status: 503 })
    }
    Runtime.runFork(runtime)(withRequestLog(request, Effect.logError("GraphQL request failed", cause)))
    return Response.json({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }, {
      status: 500
    })
  }

  return { handler, fast }
})
