import { Data, type Effect } from "effect"
import type { RecordsScope } from "../../records/types.js"
import type { WorkflowStep } from "../types.js"

/** What a step's action gets: its input with variables resolved, and a key stable across retries. */
export interface ActionContext {
  readonly workspaceId: string
  readonly workflowRunId: string
  readonly step: WorkflowStep
  readonly input: Readonly<Record<string, unknown>>
  /** The step's result from its last run (an ITERATOR's previous item), if any. */
  readonly previousResult: unknown
  /** `<runId>:<stepId>` (`:<item index>` per enclosing loop): the same on every attempt, so a write done before a crash is not done twice. */
  readonly idempotencyKey: string
  /** The workflow's writes: source WORKFLOW, no role restrictions (as Twenty's workflow actor). */
  readonly scope: RecordsScope
}

/** A finished step: its result, and, for branching actions, which next steps run (default: the step's own). */
export interface ActionSuccess {
  readonly result: unknown
  readonly nextStepIds?: ReadonlyArray<string>
  /** The step waits (Twenty's PENDING): until `resumeAt` (ISO time; the run's job is queued for it), or until submitted. */
  readonly pending?: { readonly resumeAt?: string }
}

/** The step failed; the run fails unless the step continues on failure (or a retry succeeds). */
export class StepFailed extends Data.TaggedError("StepFailed")<{ readonly message: string }> {}

/**
 * One action type (Twenty's `step.type`). A new type is one module exporting an ActionExecutor, listed
 * in registry.ts. `execute` may run more than once for one step (at least once per step): it must be
 * idempotent, using `idempotencyKey` where a write would otherwise repeat.
 */
export interface ActionExecutor<R = never> {
  readonly type: string
  readonly execute: (context: ActionContext) => Effect.Effect<ActionSuccess, StepFailed, R>
}

export const inputString = (input: Readonly<Record<string, unknown>>, key: string) => {
  const value = input[key]
  return typeof value === "string" && value.length > 0 ? value : null
}

export const inputObject = (input: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> => {
  const value = input[key]
  return value !== null && typeof value === "object" && !Array.isArray(value) ? { ...value } : {}
}
