import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { GraphQLSchema } from "graphql"
import { createYoga } from "graphql-yoga"
import type { Services } from "../layers/index.js"
import { type UserError, isUserError } from "../schema/errors.js"
import { scopeOf } from "../services/records/actor.js"
import { Records } from "../services/records/service.js"
import type { RecordsScope } from "../services/records/types.js"
import { type DataGraphQLContext, SchemaBuilder } from "../services/schema-builder/index.js"
import { toGraphQLError } from "./errors.js"
import { bufferedResponse, makeRun, maskError, useInputErrorCodes } from "./graphql.js"
import { restCaller } from "./rest/auth.js"

/** What /graphql hands to yoga per request: the resolvers' context and the workspace's schema. */
interface DataServerContext extends DataGraphQLContext {
  readonly schema: GraphQLSchema
}

/** Errors raised before execution, in GraphQL's response shape; only UNAUTHENTICATED changes the status (401). */
const errorResponse = (error: UserError) => {
  const { http, ...extensions } = toGraphQLError(error).extensions as { http?: { status: number } }
  return HttpServerResponse.unsafeJson(
    { errors: [{ message: error.message, extensions }] },
    { status: http?.status ?? 200 }
  )
}

/**
 * `/graphql`: Twenty's workspace data API. The caller must present a workspace-bound token; the schema is
 * the caller's workspace's, fetched from SchemaBuilder (cached per metadata version) and given to one
 * shared yoga instance through its schema factory, so parsing is cached across workspaces and
 * validation per schema.
 */
export const makeDataGraphQLHandler = Effect.gen(function*() {
  const run = makeRun(yield* Effect.runtime<Services>())
  const schemas = yield* SchemaBuilder
  const records = yield* Records

  const yoga = createYoga<DataServerContext>({
    schema: (context) => context.schema,
    graphqlEndpoint: "/graphql",
    cors: false,
    logging: false,
    landingPage: false,
    graphiql: false,
    maskedErrors: { maskError },
    plugins: [useInputErrorCodes]
  })

  // Same caller rules as REST: a bearer token bound to a workspace (401 without one, FORBIDDEN if agnostic).
  const execute = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function*() {
      const who = yield* restCaller
      yield* Effect.annotateCurrentSpan("workspaceId", who.workspace.id)
      const schema = yield* schemas.schemaFor(who.workspace.id)
      let scope: Promise<RecordsScope> | undefined
      const context: DataServerContext = { run, records, scope: () => (scope ??= run(scopeOf(who))), schema }
      const response = yield* Effect.promise(async () => bufferedResponse(await yoga.fetch(request.source as Request, context)))
      return response
    }).pipe(
      Effect.catchIf(
        (error): error is Exclude<typeof error, SqlError.SqlError> => isUserError(error),
        (error) => Effect.succeed(errorResponse(error))
      ),
      Effect.withSpan("GraphQL.data")
    )

  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.method === "OPTIONS"
      ? Effect.succeed(HttpServerResponse.empty({ status: 204, headers: { allow: "GET, POST, OPTIONS" } }))
      : execute(request))
})
