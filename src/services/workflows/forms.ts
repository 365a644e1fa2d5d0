import { Effect } from "effect"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { enqueueRun } from "./executor.js"
import { asObject, asObjects } from "./json.js"
import { findRun, schemaOf, updateRun } from "./store.js"

export interface SubmitFormInput {
  readonly stepId: string
  readonly workflowRunId: string
  readonly response: unknown
}

/**
 * Twenty's submitFormStep: a FORM step waiting (PENDING) in a RUNNING run ends SUCCESS with the response as
 * its result, and the run's job is queued again, once that write is committed, to go on from it. The write
 * is conditional on the run still being RUNNING (a stop wins).
 */
export const submitForm = (workspaceId: string, input: SubmitFormInput) =>
  Effect.gen(function*() {
    if (input.response === null || typeof input.response !== "object" || Array.isArray(input.response)) {
      return yield* new BadUserInput({ message: "Form response must be an object", subCode: "INVALID_INPUT" })
    }
    const schema = yield* schemaOf(workspaceId)
    const run = yield* findRun(schema, input.workflowRunId)
    if (!run) return yield* new NotFound({ message: "Workflow run not found", subCode: "WORKFLOW_RUN_NOT_FOUND" })
    const state = asObject(run.state)
    const step = asObjects(asObject(state["flow"])["steps"]).find((s) => s["id"] === input.stepId)
    if (!step) return yield* new NotFound({ message: "Step not found in the workflow run", subCode: "STEP_NOT_FOUND" })
    if (step["type"] !== "FORM") return yield* new BadUserInput({ message: "Step is not a form", subCode: "INVALID_STEP_TYPE" })
    const stepInfos = asObject(state["stepInfos"])
    const info = asObject(stepInfos[input.stepId])
    if (run.status !== "RUNNING" || info["status"] !== "PENDING") {
      return yield* new BadUserInput({ message: "Form step is not waiting for a response", subCode: "INVALID_WORKFLOW_RUN_STATUS" })
    }
    const next = { ...state, stepInfos: { ...stepInfos, [input.stepId]: { ...info, status: "SUCCESS", result: input.response } } }
    const written = yield* updateRun(schema, input.workflowRunId, { state: next }, ["RUNNING"])
    if (!written) return yield* new BadUserInput({ message: "Form step is not waiting for a response", subCode: "INVALID_WORKFLOW_RUN_STATUS" })
    yield* enqueueRun(workspaceId, input.workflowRunId, { suffix: `-form-${input.stepId}-${Date.now()}` })
    return true
  })
