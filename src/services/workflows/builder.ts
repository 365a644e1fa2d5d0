/**
 * Twenty's workflow builder mutations besides step create/update/delete (workflow-version-edge,
 * workflow-version, workflow-version-step workspace services): edges between steps, positions, and
 * duplicating a step. Each edits a DRAFT version only, and answers what changed (step-changes.ts).
 */
import { Effect } from "effect"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { copyCodeStepFunction, copyCodeStepFunctions } from "../logic-functions/code-steps.js"
import { asObject, asStrings } from "./json.js"
import { stepChanges } from "./step-changes.js"
import { invalidVersion } from "./runs.js"
import { findVersion, findWorkflowName, insertVersion, insertWorkflow, refreshWorkflowStatuses, schemaOf, updateVersion } from "./store.js"
import type { WorkflowStep } from "./types.js"
import { draftIn } from "./versions.js"

const TRIGGER = "trigger"

export interface EdgeInput {
  readonly workflowVersionId: string
  readonly source: string
  readonly target: string
  /** Twenty's `{ connectedStepType: "ITERATOR", settings: { shouldInsertToLoop } }`: the edge enters the loop. */
  readonly sourceConnectionOptions?: { readonly connectedStepType?: string; readonly settings?: { readonly shouldInsertToLoop?: boolean } } | null
}

/** Twenty's WorkflowVersionEdgeException NOT_FOUND, as the other builder refusals. */
const edgeNotFound = (message: string) => new NotFound({ message, subCode: "NOT_FOUND" })

const intoLoop = (input: EdgeInput) =>
  input.sourceConnectionOptions?.connectedStepType === "ITERATOR" && input.sourceConnectionOptions.settings?.shouldInsertToLoop === true

const withLoop = (step: WorkflowStep, loop: ReadonlyArray<string>): WorkflowStep =>
  ({ ...step, settings: { ...step.settings, input: { ...asObject(step.settings.input), initialLoopStepIds: loop } } })

/** Twenty's createWorkflowVersionEdge: `target` becomes one of `source`'s next steps (the trigger's, or an ITERATOR's loop). */
export const createEdge = (workspaceId: string, input: EdgeInput) =>
  Effect.gen(function*() {
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    if (!steps.some((s) => s.id === input.target)) {
      return yield* edgeNotFound(`Target step '${input.target}' not found in workflowVersion '${version.id}'`)
    }
    if (input.source === TRIGGER) {
      if (!trigger) return yield* edgeNotFound(`Trigger not found in workflowVersion '${version.id}'`)
      const next = asStrings(trigger["nextStepIds"])
      if (next.includes(input.target)) return stepChanges({ trigger, steps }, { trigger })
      const updated = { ...trigger, nextStepIds: [...next, input.target] }
      yield* updateVersion(schema, version.id, { trigger: updated })
      return stepChanges({ trigger, steps }, { trigger: updated })
    }
    const source = steps.find((s) => s.id === input.source)
    if (!source) return yield* edgeNotFound(`Source step '${input.source}' not found in workflowVersion '${version.id}'`)
    let updatedSource: WorkflowStep = source
    if (intoLoop(input)) {
      if (source.type !== "ITERATOR") return yield* new BadUserInput({ message: `Source step '${source.id}' is not an iterator`, subCode: "INVALID_REQUEST" })
      const loop = asStrings(asObject(source.settings.input)["initialLoopStepIds"])
      if (!loop.includes(input.target)) updatedSource = withLoop(source, [...loop, input.target])
    } else if (!(source.nextStepIds ?? []).includes(input.target)) {
      updatedSource = { ...source, nextStepIds: [...(source.nextStepIds ?? []), input.target] }
    }
    const updatedSteps = steps.map((s) => (s.id === source.id ? updatedSource : s))
    if (updatedSource !== source) yield* updateVersion(schema, version.id, { steps: updatedSteps })
    return stepChanges({ trigger, steps }, { steps: updatedSteps })
  })

/**
 * Twenty's deleteWorkflowVersionEdge: `target` is no longer a next step of `source`. When the edge runs
 * through a FILTER between them (Twenty draws a filter on an edge), that FILTER goes with it.
 */
export const deleteEdge = (workspaceId: string, input: EdgeInput) =>
  Effect.gen(function*() {
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    if (!steps.some((s) => s.id === input.target)) {
      return yield* edgeNotFound(`Target step '${input.target}' not found in workflowVersion '${version.id}'`)
    }
    const filterBetween = (next: ReadonlyArray<string>) =>
      steps.find((s) => next.includes(s.id) && s.type === "FILTER" && (s.nextStepIds ?? []).includes(input.target))
    if (input.source === TRIGGER) {
      if (!trigger) return yield* edgeNotFound(`Trigger not found in workflowVersion '${version.id}'`)
      const next = asStrings(trigger["nextStepIds"])
      const removed = next.includes(input.target) ? input.target : filterBetween(next)?.id
      if (!removed) return stepChanges({ trigger, steps }, { trigger })
      const updated = { ...trigger, nextStepIds: next.filter((id) => id !== removed) }
      const updatedSteps = removed === input.target ? steps : steps.filter((s) => s.id !== removed)
      yield* updateVersion(schema, version.id, { trigger: updated, steps: updatedSteps })
      return stepChanges({ trigger, steps }, { trigger: updated, steps: updatedSteps })
    }
    const source = steps.find((s) => s.id === input.source)
    if (!source) return yield* edgeNotFound(`Source step '${input.source}' not found in workflowVersion '${version.id}'`)
    const next = source.nextStepIds ?? []
    const loop = asStrings(asObject(source.settings.input)["initialLoopStepIds"])
    const fromLoop = intoLoop(input) && loop.includes(input.target)
    const removed = fromLoop || next.includes(input.target) ? input.target : filterBetween(next)?.id
    if (!removed) return stepChanges({ trigger, steps }, { steps })
    const updatedSource = fromLoop
      ? withLoop(source, loop.filter((id) => id !== removed))
      : { ...source, nextStepIds: next.filter((id) => id !== removed) }
    const updatedSteps = steps
      .map((s) => (s.id === source.id ? updatedSource : s))
      .filter((s) => removed === input.target || s.id !== removed)
    yield* updateVersion(schema, version.id, { steps: updatedSteps })
    return stepChanges({ trigger, steps }, { steps: updatedSteps })
  })

export interface PositionsInput {
  readonly workflowVersionId: string
  readonly positions: ReadonlyArray<{ readonly id: string; readonly position: { readonly x: number; readonly y: number } }>
}

/** Twenty's updateWorkflowVersionPositions: each step's (or, for `trigger`, the trigger's) position → true. */
export const updatePositions = (workspaceId: string, input: PositionsInput) =>
  Effect.gen(function*() {
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    const byId = new Map(input.positions.map((p) => [p.id, { x: p.position.x, y: p.position.y }]))
    const triggerPosition = byId.get(TRIGGER)
    const updatedSteps = steps.map((s) => {
      const position = byId.get(s.id)
      return position ? { ...s, position } : s
    })
    yield* updateVersion(schema, version.id, {
      steps: updatedSteps,
      ...(trigger && triggerPosition ? { trigger: { ...trigger, position: triggerPosition } } : {})
    })
    return true
  })

/** How far a duplicate is drawn from its original (Twenty's DUPLICATED_STEP_POSITION_OFFSET). */
const DUPLICATE_OFFSET = 50

const positionOf = (step: WorkflowStep) => {
  const position = asObject(step.position)
  const coordinate = (value: unknown) => (typeof value === "number" ? value : 0)
  return { x: coordinate(position["x"]), y: coordinate(position["y"]) }
}

/** Twenty's duplicateWorkflowVersionStep: a copy under a new id, named "… (Duplicate)", linked to nothing (a CODE step with its own function). */
export const duplicateStep = (workspaceId: string, input: { readonly workflowVersionId: string; readonly stepId: string }) =>
  Effect.gen(function*() {
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    const original = steps.find((s) => s.id === input.stepId)
    if (!original) return yield* new NotFound({ message: "Step not found", subCode: "NOT_FOUND" })
    const { x, y } = positionOf(original)
    const copy: WorkflowStep = {
      ...(original.type === "ITERATOR" ? withLoop(original, []) : original),
      id: crypto.randomUUID(),
      name: `${original.name ?? ""} (Duplicate)`,
      nextStepIds: [],
      position: { x: x + DUPLICATE_OFFSET, y: y + DUPLICATE_OFFSET }
    }
    const updatedSteps = [...steps, yield* copyCodeStepFunction(workspaceId, copy)]
    yield* updateVersion(schema, version.id, { steps: updatedSteps })
    return stepChanges({ trigger, steps }, { steps: updatedSteps })
  })

/** `value` with every old step id replaced by its copy's (next steps, loops, branches, `{{<stepId>.…}}` variables). */
const remapIds = (value: unknown, ids: ReadonlyMap<string, string>): unknown =>
  typeof value === "string"
    ? [...ids].reduce((text, [from, to]) => text.split(from).join(to), value)
    : Array.isArray(value)
    ? value.map((item) => remapIds(item, ids))
    : value !== null && typeof value === "object"
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapIds(v, ids)]))
    : value

/**
 * Twenty's duplicateWorkflow: a new workflow "<name> (Duplicate)" with one DRAFT version `v1` holding a copy
 * of `workflowVersionIdToCopy`, every step under a new id and every reference to a step remapped.
 */
export const duplicateWorkflow = (workspaceId: string, input: { readonly workflowIdToDuplicate: string; readonly workflowVersionIdToCopy: string }) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const source = yield* findWorkflowName(schema, input.workflowIdToDuplicate)
    if (!source) return yield* new NotFound({ message: "Source workflow not found", subCode: "NOT_FOUND" })
    const version = yield* findVersion(schema, input.workflowVersionIdToCopy)
    if (!version || version.workflowId !== input.workflowIdToDuplicate) {
      return yield* new NotFound({ message: "WorkflowVersion to copy not found", subCode: "NOT_FOUND" })
    }
    if (version.trigger === null || version.trigger === undefined) return yield* invalidVersion("Workflow version trigger is not defined")
    const steps: ReadonlyArray<unknown> = Array.isArray(version.steps) ? version.steps : []
    if (steps.length === 0) return yield* invalidVersion("Workflow version does not contain at least one step")
    const ids = new Map(steps.map((step) => [String(asObject(step)["id"]), crypto.randomUUID()]))
    const workflowId = yield* insertWorkflow(schema, `${source.name ?? ""} (Duplicate)`)
    const copiedSteps = yield* copyCodeStepFunctions(workspaceId, remapIds(steps, ids))
    const copy = yield* insertVersion(schema, { workflowId, name: "v1", trigger: remapIds(version.trigger, ids), steps: copiedSteps })
    yield* refreshWorkflowStatuses(schema, workflowId)
    return copy
  })
