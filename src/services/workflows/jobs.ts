import { Effect, Schema } from "effect"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { RUN_WORKFLOW_JOB, WORKFLOWS_QUEUE } from "./executor.js"
import { Workflows } from "./index.js"

export { WORKFLOWS_QUEUE }
export const CRON_TICK_JOB = "cron-tick"
export const SWEEP_RUNS_JOB = "sweep-runs"

export const RunWorkflowPayload = Schema.Struct({
  workspaceId: Schema.String,
  workflowRunId: Schema.String
}).annotations({ identifier: "RunWorkflowJob" })

/**
 * The workflows queue. A short lease (renewed while a run executes) so a run whose worker died is
 * taken by another within seconds; many stalls allowed, since each one resumes rather than repeats.
 */
export const workflowsQueue: QueueSpec<Workflows> = {
  concurrency: 5,
  lease: "5 seconds",
  maxStalls: 20,
  handlers: {
    [RUN_WORKFLOW_JOB]: jobHandler(RunWorkflowPayload, (payload) =>
      Effect.flatMap(Workflows, (w) => w.executeRun(payload.workspaceId, payload.workflowRunId))),
    [CRON_TICK_JOB]: jobHandler(Schema.Unknown, () => Effect.flatMap(Workflows, (w) => w.startRunsForCron(new Date()))),
    [SWEEP_RUNS_JOB]: jobHandler(Schema.Unknown, () => Effect.flatMap(Workflows, (w) => w.sweepRuns))
  }
}

export const workflowSchedules = [
  schedule(WORKFLOWS_QUEUE, CRON_TICK_JOB, { cron: "* * * * *" }),
  schedule(WORKFLOWS_QUEUE, SWEEP_RUNS_JOB, { every: "1 minute" })
]
