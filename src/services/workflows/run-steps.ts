import { Effect } from "effect"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { asObject, asObjects } from "./json.js"
import { findRun, schemaOf, updateRun } from "./store.js"
import type { RunStatus, WorkflowStep } from "./types.js"

const EDITABLE: ReadonlyArray<RunStatus> = ["NOT_STARTED", "ENQUEUED", "RUNNING", "STOPPING", "STOPPED"]

/**
 * Twenty's updateWorkflowRunStep: the step of the run's own flow (`state.flow.steps`) with that id is
 * replaced (the front edits a FORM step's fields this way while the run waits on it); a step id the flow
 * does not hold changes nothing, as Twenty's map leaves it. A COMPLETED or FAILED run refuses; the write is
 * conditional on the status read, so a run that ends meanwhile is refused too.
 */
export const updateRunStep = (workspaceId: string, input: { readonly workflowRunId: string; readonly step: WorkflowStep }) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const run = yield* findRun(schema, input.workflowRunId)
    if (!run) return yield* new NotFound({ message: "Workflow run not found", subCode: "WORKFLOW_RUN_NOT_FOUND" })
    const refused = new BadUserInput({ message: "Cannot update steps of a completed or failed workflow run", subCode: "INVALID_OPERATION" })
    if (!EDITABLE.includes(run.status)) return yield* refused
    const state = asObject(run.state)
    const flow = asObject(state["flow"])
    const steps = asObjects(flow["steps"]).map((existing) => existing["id"] === input.step.id ? input.step : existing)
    const written = yield* updateRun(schema, input.workflowRunId, { state: { ...state, flow: { ...flow, steps } } }, [run.status])
    if (!written) return yield* refused
    return input.step
  })
