import type { AuditActor, AuditOutboxPayload } from "../../domain/audit.js"
import type { RecordEvent } from "../../domain/events.js"

const TWENTY_OBJECT_EVENTS: Partial<Record<RecordEvent["action"], string>> = {
  created: "Object Record Created",
  updated: "Object Record Updated",
  deleted: "Object Record Deleted"
}

/** The actor of a record write: a member (by workspace member id), an API key (by name), or the system. */
const actorOfRecordEvent = (event: RecordEvent): AuditActor =>
  event.actor.workspaceMemberId !== null
    ? { type: "user", id: event.actor.workspaceMemberId, name: event.actor.name }
    : event.actor.source === "API"
    ? { type: "apiKey", id: null, name: event.actor.name }
    : { type: "system", id: null, name: event.actor.name || event.actor.source }

/**
 * What a committed record event adds to the audit outbox (the relay writes it in the transaction that takes
 * the event): the write with its actor and the names of the fields it changed, never their values; and
 * Twenty's objectEvent row ("Object Record Created", …).
 */
export const auditOfRecordEvent = (event: RecordEvent): Array<AuditOutboxPayload> => {
  const occurredAt = Date.parse(event.occurredAt) || Date.now()
  const actor = actorOfRecordEvent(event)
  const payloads: Array<AuditOutboxPayload> = [{
    stream: "audit",
    event: {
      id: crypto.randomUUID(),
      workspaceId: event.workspaceId,
      kind: `record.${event.action}`,
      actor,
      objectName: event.objectNameSingular,
      recordId: event.recordId,
      details: { source: event.actor.source, ...(event.updatedFields ? { updatedFields: event.updatedFields } : {}) },
      occurredAt
    }
  }]
  const twentyName = TWENTY_OBJECT_EVENTS[event.action]
  if (twentyName) {
    payloads.push({
      stream: "analytics",
      event: {
        id: crypto.randomUUID(),
        table: "objectEvent",
        name: twentyName,
        workspaceId: event.workspaceId,
        userId: "",
        recordId: event.recordId,
        objectMetadataId: event.objectMetadataId,
        properties: { objectName: event.objectNameSingular, source: event.actor.source },
        occurredAt
      }
    })
  }
  return payloads
}
