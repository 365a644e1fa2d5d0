/**
 * The audit log on `/metadata` (Score's: Twenty has no audit-log query), and Twenty's analytics mutations
 * (`trackAnalytics`, `createObjectEvent`) answering Twenty's `Analytics`.
 */
export const auditTypeDefs = /* GraphQL */ `
type AuditLogActor { type: String! id: String name: String! }
type AuditLogEvent {
  id: UUID!
  kind: String!
  workspaceId: UUID
  actor: AuditLogActor!
  objectName: String
  recordId: String
  details: JSON!
  occurredAt: DateTime!
}
type AuditLogEdge { node: AuditLogEvent! cursor: ConnectionCursor! }
type AuditLogConnection { edges: [AuditLogEdge!]! pageInfo: PageInfo! }
input AuditLogFilter { actorId: String kind: String objectName: String from: DateTime to: DateTime }

enum AnalyticsType { PAGEVIEW TRACK }
type Analytics { success: Boolean! }

extend type Query {
  auditLogs(filter: AuditLogFilter, first: Int, after: ConnectionCursor): AuditLogConnection!
}

extend type Mutation {
  trackAnalytics(type: AnalyticsType!, name: String, event: String, properties: JSON): Analytics!
  createObjectEvent(event: String!, recordId: UUID!, objectMetadataId: UUID!, properties: JSON): Analytics!
}
`
