/**
 * Twenty's workflow shapes (twenty-shared/src/workflow/schemas, modules/workflow/*), decoded with Effect
 * Schema where they cross a boundary (a version's `trigger` / `steps`, a run's `state`). Unknown keys are
 * kept: clients store their own (`position`, `outputSchema`, …) and read them back.
 */
import { Schema } from "effect"

export const TRIGGER_TYPES = ["DATABASE_EVENT", "MANUAL", "CRON", "WEBHOOK"] as const
export type TriggerType = typeof TRIGGER_TYPES[number]

export const WorkflowTrigger = Schema.Struct({
  name: Schema.optional(Schema.String),
  type: Schema.Literal(...TRIGGER_TYPES),
  settings: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  nextStepIds: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})
export type WorkflowTrigger = typeof WorkflowTrigger.Type

const Flag = Schema.Struct({ value: Schema.Boolean })

export const ErrorHandlingOptions = Schema.Struct({
  retryOnFailure: Schema.optional(Flag),
  continueOnFailure: Schema.optional(Flag)
})

export const WorkflowStep = Schema.Struct({
  id: Schema.String,
  name: Schema.optional(Schema.String),
  type: Schema.String,
  valid: Schema.optional(Schema.Boolean),
  settings: Schema.Struct({
    input: Schema.optional(Schema.Unknown),
    outputSchema: Schema.optional(Schema.Unknown),
    errorHandlingOptions: Schema.optional(ErrorHandlingOptions)
  }),
  nextStepIds: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  /** Where the builder draws it (Twenty's `{ x, y }`); the executor ignores it. */
  position: Schema.optional(Schema.Unknown)
})
export type WorkflowStep = typeof WorkflowStep.Type

export const WorkflowSteps = Schema.Array(WorkflowStep)

/** Twenty's StepStatus. */
export const STEP_STATUSES = ["NOT_STARTED", "RUNNING", "SUCCESS", "PENDING", "FAILED", "SKIPPED", "STOPPED"] as const
export type StepStatus = typeof STEP_STATUSES[number]

export const StepInfo = Schema.Struct({
  status: Schema.Literal(...STEP_STATUSES),
  result: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.Unknown),
  /** Score's: attempts made, so a retried step stops at its limit across worker restarts. */
  attempts: Schema.optional(Schema.Number),
  /** Score's: when a PENDING DELAY step resumes (ISO time). */
  resumeAt: Schema.optional(Schema.String)
})
export type StepInfo = typeof StepInfo.Type

export const RunState = Schema.Struct({
  flow: Schema.Struct({ trigger: WorkflowTrigger, steps: WorkflowSteps }),
  stepInfos: Schema.Record({ key: Schema.String, value: StepInfo }),
  workflowRunError: Schema.optional(Schema.Unknown)
})
export type RunState = typeof RunState.Type

export const RUN_STATUSES = ["NOT_STARTED", "ENQUEUED", "RUNNING", "COMPLETED", "FAILED", "STOPPING", "STOPPED"] as const
export type RunStatus = typeof RUN_STATUSES[number]

export const VERSION_STATUSES = ["DRAFT", "ACTIVE", "DEACTIVATED", "ARCHIVED"] as const
export type VersionStatus = typeof VERSION_STATUSES[number]

/** Decoding keeps the keys the schema does not name (a step's `position`, a trigger's extras). */
export const keepExtraKeys = { onExcessProperty: "preserve", errors: "all" } as const
