import { type AuditActor, type AuditEvent, type AuditKind, AUDIT_KINDS } from "../../domain/audit.js"

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

const KINDS: ReadonlySet<string> = new Set(AUDIT_KINDS)
const ACTOR_TYPES: ReadonlySet<string> = new Set(["user", "apiKey", "system", "anonymous"])
const orNull = (value: string | null) => (value === null || value === "" ? null : value)

/** A stored row as an audit event; both stores' rows read back the same. */
export const eventOfRow = (row: AuditRow): AuditEvent => ({
  id: row.id,
  workspaceId: orNull(row.workspaceId),
  kind: (KINDS.has(row.kind) ? row.kind : "permission.denied") as AuditKind,
  actor: {
    type: (ACTOR_TYPES.has(row.actorType) ? row.actorType : "anonymous") as AuditActor["type"],
    id: orNull(row.actorId),
    name: row.actorName
  },
  objectName: orNull(row.objectName),
  recordId: orNull(row.recordId),
  details: typeof row.details === "string" ? JSON.parse(row.details || "{}") : (row.details as Record<string, unknown>) ?? {},
  occurredAt: Math.round(Number(row.occurredAt))
})
