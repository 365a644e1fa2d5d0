import { Effect, Schema } from "effect"
import { auditRunOutcome } from "./run-audit.js"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import type { Actor } from "../../domain/actor.js"
import { idempotentUuid } from "./actions/records-io.js"
import { enqueueRun } from "./executor.js"
import { findRun, findWorkflowName, insertRun, schemaOf, updateRun, type VersionRow } from "./store.js"
import { asObject } from "./json.js"
import { keepExtraKeys, type RunState, type RunStatus, type StepInfo, WorkflowSteps, WorkflowTrigger } from "./types.js"

const decodeTrigger = Schema.decodeUnknown(WorkflowTrigger, keepExtraKeys)
const decodeSteps = Schema.decodeUnknown(WorkflowSteps, keepExtraKeys)

/** Twenty's WorkflowTriggerExceptionCode values, as `subCode`. */
export const invalidVersion = (message: string) => new BadUserInput({ message, subCode: "INVALID_WORKFLOW_VERSION" })

/** A version's trigger and steps, decoded (a version without a trigger cannot run nor be activated). */
export const flowOf = (version: VersionRow) =>
  Effect.gen(function*() {
    if (version.trigger === null || version.trigger === undefined) return yield* invalidVersion("Workflow version has no trigger")
    const trigger = yield* Effect.mapError(decodeTrigger(version.trigger), () => invalidVersion("Workflow version trigger is invalid"))
    const steps = yield* Effect.mapError(decodeSteps(version.steps ?? []), () => invalidVersion("Workflow version steps are invalid"))
    return { trigger, steps }
  })

/** The first state of a run: the trigger done with its payload as result, every step NOT_STARTED. */
const initialState = (flow: RunState["flow"], payload: unknown): RunState => ({
  flow,
  stepInfos: {
    trigger: { status: "SUCCESS", result: payload },
    ...Object.fromEntries(flow.steps.map((s): [string, StepInfo] => [s.id, { status: "NOT_STARTED" }]))
  }
})

/**
 * Creates the run (ENQUEUED) and queues its job. `runId` makes it idempotent: a trigger delivered twice
 * (at-least-once events) derives the same id and starts one run.
 */
export const startRun = (
  workspaceId: string,
  version: VersionRow,
  payload: unknown,
  createdBy: Actor,
  runId: string = crypto.randomUUID()
) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const flow = yield* flowOf(version)
    const workflow = version.workflowId ? yield* findWorkflowName(schema, version.workflowId) : null
    yield* insertRun(schema, {
      id: runId,
      workflowId: version.workflowId,
      workflowVersionId: version.id,
      name: `Execution of ${workflow?.name ?? "workflow"}`,
      state: initialState(flow, payload),
      createdBy
    })
    yield* enqueueRun(workspaceId, runId)
    const status: RunStatus = "ENQUEUED"
    return { id: runId, status }
  })

/** A run id derived from what started it, so the same trigger firing twice makes one run. */
export const derivedRunId = (key: string) => idempotentUuid(`workflow-run:${key}`)

const STOPPABLE: ReadonlyArray<RunStatus> = ["NOT_STARTED", "ENQUEUED", "RUNNING", "STOPPING"]

/** Twenty's stopWorkflowRun: the run ends STOPPED, its unfinished steps too; a step in flight ends its write but no next step starts. */
export const stopRun = (workspaceId: string, workflowRunId: string) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const run = yield* findRun(schema, workflowRunId)
    if (!run) return yield* new NotFound({ message: "Workflow run not found", subCode: "WORKFLOW_RUN_NOT_FOUND" })
    if (!STOPPABLE.includes(run.status)) {
      return yield* new BadUserInput({ message: `Workflow run is ${run.status.toLowerCase()} and cannot be stopped`, subCode: "INVALID_WORKFLOW_RUN_STATUS" })
    }
    const state = asObject(run.state)
    const stepInfos = Object.fromEntries(Object.entries(asObject(state["stepInfos"])).map(([id, value]) => {
      const info = asObject(value)
      return [id, ["NOT_STARTED", "RUNNING", "PENDING"].includes(String(info["status"])) ? { ...info, status: "STOPPED" } : info]
    }))
    if (yield* updateRun(schema, workflowRunId, { status: "STOPPED", endedAt: true, state: { ...state, stepInfos } }, STOPPABLE)) {
      yield* auditRunOutcome(workspaceId, run, "STOPPED")
    }
    const status: RunStatus = "STOPPED"
    return { id: workflowRunId, status }
  })
