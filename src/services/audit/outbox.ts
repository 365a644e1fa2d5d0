import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { AnalyticsEvent, AuditActor, AuditEvent, AuditKind, AuditOutboxPayload } from "../../domain/audit.js"
import type { AuthContext } from "../../domain/auth.js"

/** The actor of a request's caller. */
export const actorOf = (auth: AuthContext | null | undefined): AuditActor => {
  if (!auth) return { type: "anonymous", id: null, name: "" }
  if (auth.kind === "apiKey") return { type: "apiKey", id: auth.apiKey.id, name: auth.apiKey.name }
  const name = [auth.user.firstName, auth.user.lastName].filter(Boolean).join(" ")
  return { type: "user", id: auth.user.id, name: name || auth.user.email }
}

export const SYSTEM_ACTOR: AuditActor = { type: "system", id: null, name: "System" }

/** A new audit event, with its id (its identity in every retry) and time made here. */
export const auditEvent = (
  kind: AuditKind,
  workspaceId: string | null,
  actor: AuditActor,
  about: { readonly objectName?: string | null; readonly recordId?: string | null; readonly details?: Record<string, unknown> } = {}
): AuditEvent => ({
  id: crypto.randomUUID(),
  workspaceId,
  kind,
  actor,
  objectName: about.objectName ?? null,
  recordId: about.recordId ?? null,
  details: about.details ?? {},
  occurredAt: Date.now()
})

/** A new analytics event (Twenty's workspaceEvent, objectEvent or pageview row). */
export const analyticsEvent = (
  table: AnalyticsEvent["table"],
  name: string,
  context: { readonly workspaceId: string; readonly userId?: string | null | undefined },
  properties: Record<string, unknown> = {},
  record: { readonly recordId: string; readonly objectMetadataId: string } = { recordId: "", objectMetadataId: "" }
): AnalyticsEvent => ({
  id: crypto.randomUUID(),
  table,
  name,
  workspaceId: context.workspaceId,
  userId: context.userId ?? "",
  ...record,
  properties,
  occurredAt: Date.now()
})

/**
 * Puts events in the audit outbox with the caller's SqlClient: inside a transaction they commit (or roll
 * back) with the change they describe. One INSERT for the batch; the worker's drain takes them from there.
 */
export const writeAuditOutbox = (payloads: ReadonlyArray<AuditOutboxPayload>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    payloads.length === 0
      ? Effect.void
      : sql`INSERT INTO core."auditOutbox" ${sql.insert(payloads.map((payload) => ({ payload: JSON.stringify(payload) })))}`
        .pipe(Effect.asVoid))

export const writeAudit = (...events: ReadonlyArray<AuditEvent>) =>
  writeAuditOutbox(events.map((event) => ({ stream: "audit" as const, event })))

export const writeAnalytics = (...events: ReadonlyArray<AnalyticsEvent>) =>
  writeAuditOutbox(events.map((event) => ({ stream: "analytics" as const, event })))

/**
 * Audit outside the request's own outcome (a failed sign-in, a denial): written on its own, and a failure
 * to write it is logged, never turned into the request's error.
 */
export const recordAudit = (...events: ReadonlyArray<AuditEvent>) =>
  writeAudit(...events).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("Audit event not written", cause))
  )

export interface AuditAbout {
  readonly objectName?: string | null
  readonly recordId?: string | null
  readonly details?: Record<string, unknown>
}

/**
 * `Effect.tap(change, auditAfter(caller, kind, about))`: once the caller's change succeeded, its audit
 * event goes to the outbox (a failure to write it is logged, never the request's error).
 */
export const auditAfter = <A>(caller: AuthContext & { readonly workspace: { readonly id: string } }, kind: AuditKind, about: (result: A) => AuditAbout = () => ({})) =>
  (result: A) => recordAudit(auditEvent(kind, caller.workspace.id, actorOf(caller), about(result)))
