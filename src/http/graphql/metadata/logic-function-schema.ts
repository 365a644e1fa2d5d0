/**
 * Twenty's logic function API (metadata-modules/logic-function/logic-function.resolver.ts) exactly as the
 * metadata schema of twenty-client-sdk 2.43 has it (test/twenty-schema-diff.test.ts): create and update "from
 * source", the handler's code as a string; the `logicFunctionLogs` subscription (server-sent events).
 */
export const logicFunctionTypeDefs = /* GraphQL */ `
type LogicFunction {
  id: UUID!
  name: String!
  description: String
  runtime: String!
  timeoutSeconds: Float!
  executionMode: LogicFunctionExecutionMode!
  sourceHandlerPath: String!
  handlerName: String!
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
  toolTriggerSettings: JSON
  workflowActionTriggerSettings: JSON
  applicationId: UUID
  universalIdentifier: UUID
  createdAt: DateTime!
  updatedAt: DateTime!
}

enum LogicFunctionExecutionMode { LIVE PREBUILT }
enum LogicFunctionExecutionStatus { IDLE SUCCESS ERROR }

type LogicFunctionExecutionResult {
  data: JSON
  logs: String!
  duration: Float!
  status: LogicFunctionExecutionStatus!
  error: JSON
}

input LogicFunctionIdInput { id: ID! }
input ExecuteOneLogicFunctionInput { id: UUID! payload: JSON! }

input CreateLogicFunctionFromSourceInput {
  id: UUID
  universalIdentifier: UUID
  name: String!
  description: String
  timeoutSeconds: Float
  "Twenty's { sourceHandlerCode, toolInputSchema, handlerName }"
  source: JSON
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
  serverRouteTriggerSettings: JSON
  toolTriggerSettings: JSON
  workflowActionTriggerSettings: JSON
}

input UpdateLogicFunctionFromSourceInputUpdates {
  name: String
  description: String
  timeoutSeconds: Float
  "The handler file's new content"
  sourceHandlerCode: String
  handlerName: String
  sourceHandlerPath: String
  cronTriggerSettings: JSON
  databaseEventTriggerSettings: JSON
  httpRouteTriggerSettings: JSON
  toolTriggerSettings: JSON
  workflowActionTriggerSettings: JSON
}

input UpdateLogicFunctionFromSourceInput { id: UUID! update: UpdateLogicFunctionFromSourceInputUpdates! }

type LogicFunctionLogs {
  "Execution Logs"
  logs: String!
}

input LogicFunctionLogsInput {
  applicationId: UUID
  applicationUniversalIdentifier: UUID
  name: String
  id: UUID
  universalIdentifier: UUID
}

type Subscription {
  logicFunctionLogs(input: LogicFunctionLogsInput!): LogicFunctionLogs!
}

extend type Query {
  findOneLogicFunction(input: LogicFunctionIdInput!): LogicFunction!
  findManyLogicFunctions: [LogicFunction!]!
  getLogicFunctionSourceCode(input: LogicFunctionIdInput!): String
  getAvailablePackages(input: LogicFunctionIdInput!): JSON!
}

extend type Mutation {
  createOneLogicFunction(input: CreateLogicFunctionFromSourceInput!): LogicFunction!
  updateOneLogicFunction(input: UpdateLogicFunctionFromSourceInput!): Boolean!
  deleteOneLogicFunction(input: LogicFunctionIdInput!): LogicFunction!
  executeOneLogicFunction(input: ExecuteOneLogicFunctionInput!): LogicFunctionExecutionResult!
}
`
