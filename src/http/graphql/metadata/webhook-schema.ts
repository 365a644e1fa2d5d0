/** Twenty's webhook management on `/metadata`, plus `webhookDeliveries` (Score: every delivery attempt). */
export const webhookTypeDefs = /* GraphQL */ `
type Webhook {
  id: UUID!
  workspaceId: UUID!
  targetUrl: String!
  operations: [String!]!
  description: String
  secret: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type WebhookDelivery {
  id: UUID!
  webhookId: UUID!
  eventName: String!
  recordId: UUID
  attempt: Int!
  success: Boolean!
  responseStatus: Int
  error: String
  durationMs: Int!
  createdAt: DateTime!
}

input CreateWebhookInput { id: UUID targetUrl: String! operations: [String!] description: String secret: String }
input UpdateWebhookInputUpdates { targetUrl: String operations: [String!] description: String secret: String }
input UpdateWebhookInput { id: UUID! update: UpdateWebhookInputUpdates! }

extend type Query {
  webhooks: [Webhook!]!
  webhook(id: UUID!): Webhook
  webhookDeliveries(webhookId: UUID!, limit: Int = 50): [WebhookDelivery!]!
}

extend type Mutation {
  createWebhook(input: CreateWebhookInput!): Webhook!
  updateWebhook(input: UpdateWebhookInput!): Webhook
  deleteWebhook(id: UUID!): Webhook
}
`
