import { auditEvent, recordAudit, SYSTEM_ACTOR } from "../audit/outbox.js"
/** A run's end in the audit log (workflowRun.completed / failed / stopped), by the system. */
export const auditRunOutcome = (
  workspaceId: string,
  run: { readonly id: string; readonly workflowId: string | null },
  status: "COMPLETED" | "FAILED" | "STOPPED",
  error?: unknown
) =>
  recordAudit(auditEvent(
    status === "COMPLETED" ? "workflowRun.completed" : status === "FAILED" ? "workflowRun.failed" : "workflowRun.stopped",
    workspaceId,
    SYSTEM_ACTOR,
    { objectName: "workflowRun", recordId: run.id, details: { workflowId: run.workflowId, ...(typeof error === "string" ? { error: error.slice(0, 500) } : {}) } }
  ))
