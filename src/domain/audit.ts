import { Schema } from "effect"

/** What the audit log records: security events, configuration changes, outcomes of background work and record writes. */
export const AUDIT_KINDS = [
  "signIn.succeeded",
  "signIn.failed",
  "refreshToken.reused",
  "apiKey.created",
  "apiKey.revoked",
  "role.created",
  "role.updated",
  "role.deleted",
  "role.assigned",
  "object.created",
  "object.updated",
  "object.deleted",
  "field.created",
  "field.updated",
  "field.deleted",
  "permission.denied",
  "webhook.delivered",
  "webhook.failed",
  "workflowRun.completed",
  "workflowRun.failed",
  "workflowRun.stopped",
  "record.created",
  "record.updated",
  "record.deleted",
  "record.restored",
  "record.destroyed"
] as const

export const AuditKind = Schema.Literal(...AUDIT_KINDS)
export type AuditKind = typeof AuditKind.Type

/** Who acted: a workspace member's user, an API key, the system (jobs), or nobody known (a failed sign-in). */
export const AuditActor = Schema.Struct({
  type: Schema.Literal("user", "apiKey", "system", "anonymous"),
  id: Schema.NullOr(Schema.String),
  name: Schema.String
})
export type AuditActor = typeof AuditActor.Type

/**
 * One audit event. `id` is made where the event happens, so a retried insert is recognised as the same event;
 * `occurredAt` is in milliseconds (ClickHouse 18.16 has no DateTime64). `details` never holds record values
 * or secrets: ids, names and the names of changed fields.
 */
export const AuditEvent = Schema.Struct({
  id: Schema.UUID,
  workspaceId: Schema.NullOr(Schema.String),
  kind: AuditKind,
  actor: AuditActor,
  objectName: Schema.NullOr(Schema.String),
  recordId: Schema.NullOr(Schema.String),
  details: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  occurredAt: Schema.Number
})
export type AuditEvent = typeof AuditEvent.Type

/**
 * Twenty's analytics tables: `workspaceEvent` (a named event of a workspace: "Webhook Response", "Workspace
 * Entity Created", …), `objectEvent` (about a record: "Object Record Created", …) and `pageview`.
 */
export const AnalyticsEvent = Schema.Struct({
  id: Schema.UUID,
  table: Schema.Literal("workspaceEvent", "objectEvent", "pageview"),
  /** The event's name (`event` in workspaceEvent and objectEvent, `name` in pageview). */
  name: Schema.String,
  workspaceId: Schema.String,
  userId: Schema.String,
  recordId: Schema.String,
  objectMetadataId: Schema.String,
  properties: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  occurredAt: Schema.Number
})
export type AnalyticsEvent = typeof AnalyticsEvent.Type

/** What the outbox carries: one audit event or one analytics event. */
export const AuditOutboxPayload = Schema.Union(
  Schema.Struct({ stream: Schema.Literal("audit"), event: AuditEvent }),
  Schema.Struct({ stream: Schema.Literal("analytics"), event: AnalyticsEvent })
)
export type AuditOutboxPayload = typeof AuditOutboxPayload.Type

export interface AuditLogFilter {
  readonly actorId?: string | undefined
  readonly kind?: AuditKind | undefined
  readonly objectName?: string | undefined
  /** Milliseconds, inclusive. */
  readonly from?: number | undefined
  /** Milliseconds, exclusive. */
  readonly to?: number | undefined
}

/** Where a page starts: after the event at (occurredAt, id), newest first. */
export interface AuditCursor {
  readonly occurredAt: number
  readonly id: string
}

export interface AuditLogPage {
  readonly events: ReadonlyArray<AuditEvent>
  readonly hasNextPage: boolean
}
