import { Schema } from "effect"
import { AuditActor, type AuditEvent, AuditKind } from "../../domain/audit.js"

/** An audit row as both stores answer it (ClickHouse with '' for absent values). */
export interface AuditRow {
  readonly id: string
  readonly workspaceId: string | null
  readonly kind: string
  readonly actorType: string
  readonly actorId: string | null
  readonly actorName: string
  readonly objectName: string | null
  readonly recordId: string | null
  readonly details: unknown
  readonly occurredAt: number | string
}

const isKind = Schema.is(AuditKind)
const isActorType = Schema.is(AuditActor.fields.type)
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)
const detailsOf = (value: unknown): Record<string, unknown> => (isObject(value) ? value : {})
const orNull = (value: string | null) => (value === null || value === "" ? null : value)

/** A stored row as an audit event; both stores' rows read back the same (only Score writes them: kinds and types are known). */
export const eventOfRow = (row: AuditRow): AuditEvent => ({
  id: row.id,
  workspaceId: orNull(row.workspaceId),
  kind: isKind(row.kind) ? row.kind : "permission.denied",
  actor: {
    type: isActorType(row.actorType) ? row.actorType : "anonymous",
    id: orNull(row.actorId),
    name: row.actorName
  },
  objectName: orNull(row.objectName),
  recordId: orNull(row.recordId),
  details: detailsOf(typeof row.details === "string" ? JSON.parse(row.details || "{}") : row.details),
  occurredAt: Math.round(Number(row.occurredAt))
})
