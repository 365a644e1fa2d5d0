import { HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"
import { createSchema, createYoga } from "graphql-yoga"
import type { Services } from "../../../layers/index.js"
import { Auth } from "../../../services/auth/index.js"
import { AppConfig } from "../../../platform/config.js"
import { clientAddressOf } from "../../client-address.js"
import { documentLimitsOf, useQueryLimits } from "../limits.js"
import { bearerToken } from "../../caller.js"
import { bufferedResponse, type GraphQLContext, lazyAuth, makeRun, maskError, useInputErrorCodes } from "../yoga.js"
import { authResolvers } from "./auth-resolvers.js"
import { authTypeDefs } from "./auth-schema.js"
import { dataModelResolvers } from "./data-model-resolvers.js"
import { dataModelTypeDefs } from "./data-model-schema.js"
import { renderOfflineGraphiQL } from "./graphiql.js"
import { membersResolvers } from "./members-resolvers.js"
import { membersTypeDefs } from "./members-schema.js"
import { webhookResolvers } from "./webhook-resolvers.js"
import { webhookTypeDefs } from "./webhook-schema.js"
import { DateTimeScalar, JSONObjectScalar, JSONScalar, UUIDScalar } from "./scalars.js"

/** `/metadata`: Twenty's core GraphQL API (auth, workspace, API keys), served by graphql-yoga. */
export const makeMetadataHandler = Effect.gen(function*() {
  const run = makeRun(yield* Effect.runtime<Services>())
  const authenticate = (token: string) => run(Effect.flatMap(Auth, (auth) => auth.authenticate(token)))
  const yoga = createYoga<GraphQLContext<Services>>({
    schema: createSchema({
      typeDefs: [authTypeDefs, dataModelTypeDefs, webhookTypeDefs, membersTypeDefs],
      resolvers: {
        ...authResolvers,
        ...dataModelResolvers,
        Query: { ...authResolvers.Query, ...dataModelResolvers.Query, ...webhookResolvers.Query, ...membersResolvers.Query },
        Mutation: {
          ...authResolvers.Mutation,
          ...dataModelResolvers.Mutation,
          ...webhookResolvers.Mutation,
          ...membersResolvers.Mutation
        },
        UUID: UUIDScalar,
        DateTime: DateTimeScalar,
        JSON: JSONScalar,
        JSONObject: JSONObjectScalar
      }
    }),
    graphqlEndpoint: "/metadata",
    cors: false,
    logging: false,
    landingPage: false,
    graphiql: { title: "Score /metadata" },
    renderGraphiQL: renderOfflineGraphiQL,
    maskedErrors: { maskError },
    plugins: [useInputErrorCodes, useQueryLimits(documentLimitsOf(yield* AppConfig))]
  })

  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const context: GraphQLContext<Services> = {
      run,
      auth: lazyAuth(bearerToken(request.headers["authorization"]), authenticate),
      origin: request.headers["origin"] ?? null,
      clientAddress: clientAddressOf(request.source as Request)
    }
    const response = yield* Effect.promise(async () => bufferedResponse(await yoga.fetch(request.source as Request, context)))
    return response
  })
})
