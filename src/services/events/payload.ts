import { Schema } from "effect"
import type { RecordEvent } from "../../domain/events.js"

const RecordAction = Schema.Literal("created", "updated", "deleted", "restored", "destroyed")
const Row = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const Actor = Schema.Struct({
  source: Schema.Literal("MANUAL", "API", "IMPORT", "WORKFLOW", "SYSTEM", "WEBHOOK", "EMAIL", "CALENDAR"),
  workspaceMemberId: Schema.NullOr(Schema.String),
  name: Schema.String,
  context: Schema.optional(Row)
}).annotations({ identifier: "Actor" })

/**
 * A record event as it crosses the queue (outbox → `events` → `webhooks`): decoded by the job runner
 * before a handler sees it, so a malformed payload is dead-lettered instead of cast.
 */
export const RecordEventPayload = Schema.Struct({
  name: Schema.TemplateLiteral(Schema.String, ".", RecordAction),
  action: RecordAction,
  workspaceId: Schema.String,
  objectMetadataId: Schema.String,
  objectNameSingular: Schema.String,
  recordId: Schema.String,
  record: Row,
  before: Schema.optional(Row),
  updatedFields: Schema.optional(Schema.Array(Schema.String)),
  actor: Actor,
  occurredAt: Schema.String
}).annotations({ identifier: "RecordEvent" })

// The schema and the domain type must describe the same thing: this fails to compile if they drift apart.
export const recordEventFromPayload = (payload: typeof RecordEventPayload.Type): RecordEvent => payload
