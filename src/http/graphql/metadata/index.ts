import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { createSchema, createYoga } from "graphql-yoga"
import { yogaParserCaches } from "../data/engine.js"
import { Auth } from "../../../services/auth/index.js"
import { AppConfig } from "../../../platform/config.js"
import { clientAddressOf } from "../../client-address.js"
import { documentLimitsOf, useQueryLimits } from "../limits.js"
import { bearerToken } from "../../caller.js"
import { bufferedResponse, type GraphQLContext, lazyAuth, makeRun, maskError, useInputErrorCodes, useOperationLabel } from "../yoga.js"
import { approvedAccessDomainResolvers, type ApprovedAccessDomainServices } from "./approved-access-domain-resolvers.js"
import { approvedAccessDomainTypeDefs } from "./approved-access-domain-schema.js"
import { authResolvers, type AuthResolverServices } from "./auth-resolvers.js"
import { authTypeDefs } from "./auth-schema.js"
import { auditResolvers, type AuditServices } from "./audit-resolvers.js"
import { auditTypeDefs } from "./audit-schema.js"
import { dataModelResolvers, type DataModelServices } from "./data-model-resolvers.js"
import { dataModelTypeDefs } from "./data-model-schema.js"
import { filesResolvers, type FilesServices } from "./files-resolvers.js"
import { filesTypeDefs } from "./files-schema.js"
import { renderOfflineGraphiQL } from "./graphiql.js"
import { membersResolvers, type MembersServices } from "./members-resolvers.js"
import { membersTypeDefs } from "./members-schema.js"
import { passwordResolvers, type PasswordServices } from "./password-resolvers.js"
import { passwordTypeDefs } from "./password-schema.js"
import { twoFactorResolvers, type TwoFactorServices } from "./two-factor-resolvers.js"
import { twoFactorTypeDefs } from "./two-factor-schema.js"
import { roleResolvers, type RoleServices } from "./role-resolvers.js"
import { ssoResolvers, type SsoServices } from "./sso-resolvers.js"
import { ssoTypeDefs } from "./sso-schema.js"
import { guardCredentialMutations, type SignInLimitServices } from "./sign-in-limits.js"
import { roleTypeDefs } from "./role-schema.js"
import { viewResolvers, type ViewServices } from "./view-resolvers.js"
import { viewTypeDefs } from "./view-schema.js"
import { webhookResolvers, type WebhookServices } from "./webhook-resolvers.js"
import { importResolvers, type ImportServices } from "./import-resolvers.js"
import { importTypeDefs } from "./import-schema.js"
import { applicationResolvers, type ApplicationServices } from "./application-resolvers.js"
import { applicationTypeDefs } from "./application-schema.js"
import { logicFunctionResolvers, type LogicFunctionServices } from "./logic-function-resolvers.js"
import { logicFunctionTypeDefs } from "./logic-function-schema.js"
import { webhookTypeDefs } from "./webhook-schema.js"
import { workflowResolvers, type WorkflowServices } from "./workflow-resolvers.js"
import { workflowTypeDefs } from "./workflow-schema.js"
import { messagingResolvers, type MessagingServices } from "./messaging-resolvers.js"
import { messagingTypeDefs } from "./messaging-schema.js"
import { withRequestLog } from "../../request-log.js"
import { DateTimeScalar, JSONObjectScalar, JSONScalar, UUIDScalar } from "../scalars.js"

/** The services /metadata's resolvers run (Auth also authenticates the caller). */
export type MetadataServices =
  | AuthResolverServices
  | DataModelServices
  | WebhookServices
  | ImportServices
  | RoleServices
  | MembersServices
  | PasswordServices
  | ViewServices
  | SsoServices
  | TwoFactorServices
  | SignInLimitServices
  | WorkflowServices
  | LogicFunctionServices
  | ApplicationServices
  | FilesServices
  | ApprovedAccessDomainServices
  | MessagingServices
  | AuditServices

/** `/metadata`: Twenty's core GraphQL API (auth, workspace, API keys), served by graphql-yoga. */
export const makeMetadataHandler = Effect.gen(function*() {
  const run = makeRun(yield* Effect.runtime<MetadataServices>())
  const authenticate = (token: string) => run(Effect.flatMap(Auth, (auth) => auth.authenticate(token)))
  const yoga = createYoga<GraphQLContext<MetadataServices>>({
    schema: createSchema<GraphQLContext<MetadataServices>>({
      typeDefs: [
        authTypeDefs,
        dataModelTypeDefs,
        webhookTypeDefs,
        importTypeDefs,
        roleTypeDefs,
        membersTypeDefs,
        passwordTypeDefs,
        viewTypeDefs,
        ssoTypeDefs,
        twoFactorTypeDefs,
        workflowTypeDefs,
        logicFunctionTypeDefs,
        applicationTypeDefs,
        filesTypeDefs,
        approvedAccessDomainTypeDefs,
        messagingTypeDefs,
        auditTypeDefs
      ],
      resolvers: {
        ...authResolvers,
        ...dataModelResolvers,
        ...roleResolvers,
        View: viewResolvers.View,
        CoreView: viewResolvers.CoreView,
        ViewField: viewResolvers.ViewField,
        CoreViewField: viewResolvers.CoreViewField,
        ViewFieldGroup: viewResolvers.ViewFieldGroup,
        User: { ...authResolvers.User, ...roleResolvers.User },
        Workspace: { ...authResolvers.Workspace, ...ssoResolvers.Workspace, ...filesResolvers.Workspace },
        AvailableWorkspace: ssoResolvers.AvailableWorkspace,
        UserWorkspace: { ...authResolvers.UserWorkspace, ...twoFactorResolvers.UserWorkspace },
        Query: {
          ...authResolvers.Query,
          ...dataModelResolvers.Query,
          ...webhookResolvers.Query,
          ...importResolvers.Query,
          ...roleResolvers.Query,
          ...membersResolvers.Query,
          ...passwordResolvers.Query,
          ...viewResolvers.Query,
          ...ssoResolvers.Query,
          ...twoFactorResolvers.Query,
          ...approvedAccessDomainResolvers.Query,
          ...logicFunctionResolvers.Query,
          ...applicationResolvers.Query,
          ...messagingResolvers.Query,
          ...auditResolvers.Query
        },
        Mutation: guardCredentialMutations({
          ...authResolvers.Mutation,
          ...dataModelResolvers.Mutation,
          ...webhookResolvers.Mutation,
          ...importResolvers.Mutation,
          ...roleResolvers.Mutation,
          ...membersResolvers.Mutation,
          ...passwordResolvers.Mutation,
          ...viewResolvers.Mutation,
          ...ssoResolvers.Mutation,
          ...twoFactorResolvers.Mutation,
          ...workflowResolvers.Mutation,
          ...logicFunctionResolvers.Mutation,
          ...applicationResolvers.Mutation,
          ...filesResolvers.Mutation,
          ...approvedAccessDomainResolvers.Mutation,
          ...messagingResolvers.Mutation,
          ...auditResolvers.Mutation
        }),
        Subscription: logicFunctionResolvers.Subscription,
        Upload: filesResolvers.Upload,
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
    plugins: [useOperationLabel, useInputErrorCodes, useQueryLimits(documentLimitsOf(yield* AppConfig))],
    parserAndValidationCache: yogaParserCaches()
  })

  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const source = request.source as Request
    const context: GraphQLContext<MetadataServices> = {
      run: (effect) => run(withRequestLog(source, effect)),
      auth: lazyAuth(bearerToken(request.headers["authorization"]), authenticate),
      origin: request.headers["origin"] ?? null,
      clientAddress: clientAddressOf(source)
    }
    return yield* Effect.promise(async () => {
      const response = await yoga.fetch(source, context)
      // A subscription's server-sent events stream as they come (graphql-sse's distinct connections mode).
      if (response.headers.get("content-type")?.startsWith("text/event-stream")) return HttpServerResponse.raw(response)
      return bufferedResponse(response)
    })
  })
})
