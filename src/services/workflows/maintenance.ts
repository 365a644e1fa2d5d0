import { SqlClient } from "@effect/sql"
import { Duration, Effect } from "effect"
import { pruneDeliveries } from "../mail/deliveries.js"
import { waitingCondition, workflowRowsWritten } from "./store.js"

export interface MaintenanceSettings {
  /** A run ENQUEUED or RUNNING without any write for this long, and not paused on a PENDING step, is marked FAILED. */
  readonly staleAfter: Duration.Duration
  /** Finished runs kept per workflow, newest first (Twenty's clean-workflow-runs). */
  readonly runsKeptPerWorkflow: number
}

/**
 * Once a minute: stale runs failed, then old finished runs deleted beyond the newest N per workflow, and
 * mail delivery records older than 30 days.
 * A run whose worker died is not stale: its job comes back when the lease expires and resumes it.
 */
export const sweepRuns = (settings: MaintenanceSettings) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const schemas = yield* sql<{ workspaceId: string; schema: string }>`
      SELECT d."workspaceId", d.schema FROM core."dataSource" d
        JOIN core."objectMetadata" o ON o."workspaceId" = d."workspaceId" AND o."nameSingular" = 'workflowRun'`
    const staleBefore = new Date(Date.now() - Duration.toMillis(settings.staleAfter)).toISOString()
    for (const { workspaceId, schema } of schemas) {
      const runs = sql`${sql(schema)}."workflowRun"`
      yield* sql`
        UPDATE ${runs} SET status = 'FAILED', "endedAt" = now(), "updatedAt" = now(),
               state = jsonb_set(coalesce(state, '{}'::jsonb), '{workflowRunError}', '"Workflow run is stale"')
         WHERE status IN ('ENQUEUED', 'RUNNING', 'NOT_STARTED') AND "updatedAt" < ${staleBefore}
           AND NOT ${waitingCondition(sql)}`
      yield* sql`
        DELETE FROM ${runs} WHERE id IN (
          SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY "workflowId" ORDER BY "createdAt" DESC) AS n
              FROM ${runs} WHERE status IN ('COMPLETED', 'FAILED', 'STOPPED')
          ) ranked WHERE n > ${settings.runsKeptPerWorkflow})`
      yield* workflowRowsWritten(workspaceId, ["workflowRun"])
    }
    // SEND_EMAIL's once-per-key records, long after any run could re-run its step.
    yield* pruneDeliveries
  }).pipe(Effect.withSpan("Workflows.sweepRuns"))
