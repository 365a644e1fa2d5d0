/**
 * Twenty's logic function API (metadata-modules/logic-function/logic-function.resolver.ts). Score's
 * differences: `handlerName`, `sourceHandlerPath` and `builtHandlerPath` are optional on create (defaults
 * `main`, `src/index.ts`, `src/index.mjs`), and the `logicFunctionLogs` subscription is absent.
 */
export const logicFunctionTypeDefs = /* GraphQL */ `
type LogicFunction {
  id: UUID!
  name: String!
  description: String
  runtime: String!
  timeoutSeconds: Float!
  sourceHandlerPath: String!
  builtHandlerPath: String
  handlerName: String!
  toolInputSchema: JSON
  isTool: Boolean!
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
  applicationId: UUID
  universalIdentifier: UUID
  createdAt: DateTime!
  updatedAt: DateTime!
}

enum LogicFunctionExecutionStatus { IDLE SUCCESS ERROR }

type LogicFunctionExecutionResult {
  data: JSON
  logs: String!
  duration: Float!
  status: LogicFunctionExecutionStatus!
  error: JSON
}

input LogicFunctionIdInput { id: UUID! }
input GetLogicFunctionSourceCodeInput { id: UUID! version: String }
input ExecuteLogicFunctionInput { id: UUID! payload: JSON! forceRebuild: Boolean version: String }
input TestLogicFunctionInput { id: UUID! payload: JSON! }
input UpdateLogicFunctionSourceInput { id: UUID! code: JSON! }

input CreateLogicFunctionInput {
  name: String!
  description: String
  timeoutSeconds: Float
  handlerName: String
  sourceHandlerPath: String
  builtHandlerPath: String
  toolInputSchema: JSON
  isTool: Boolean
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
}

input UpdateLogicFunctionInputUpdates {
  name: String
  description: String
  timeoutSeconds: Float
  handlerName: String
  sourceHandlerPath: String
  builtHandlerPath: String
  toolInputSchema: JSON
  isTool: Boolean
  checksum: String
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
}

input UpdateLogicFunctionInput { id: UUID! update: UpdateLogicFunctionInputUpdates! }

extend type Query {
  findOneLogicFunction(input: LogicFunctionIdInput!): LogicFunction!
  findManyLogicFunctions: [LogicFunction!]!
  getLogicFunctionSourceCode(input: GetLogicFunctionSourceCodeInput!): JSON
  getAvailablePackages(input: LogicFunctionIdInput!): JSON!
}

extend type Mutation {
  createOneLogicFunction(input: CreateLogicFunctionInput!): LogicFunction!
  updateOneLogicFunction(input: UpdateLogicFunctionInput!): LogicFunction!
  deleteOneLogicFunction(input: LogicFunctionIdInput!): LogicFunction!
  updateLogicFunctionSource(input: UpdateLogicFunctionSourceInput!): Boolean!
  executeOneLogicFunction(input: ExecuteLogicFunctionInput!): LogicFunctionExecutionResult!
  testLogicFunction(input: TestLogicFunctionInput!): LogicFunctionExecutionResult!
}
`
