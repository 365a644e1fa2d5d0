/**
 * Twenty's version lifecycle (workflow-trigger.workspace-service, workflow-version-step.workspace-service):
 * only a DRAFT version's steps change; activating a version archives the active one, writes the
 * workflow's automated triggers and statuses; a workflow keeps at most one draft.
 */
import { Cron, Effect, Either } from "effect"
import { NotFound } from "../../domain/errors.js"
import { copyCodeStepFunctions, deleteCodeStepFunction } from "../logic-functions/code-steps.js"
import { defaultSources } from "../logic-functions/sources.js"
import { createCodeStepFunction } from "../logic-functions/store.js"
import { STEP_TYPES } from "./actions/registry.js"
import { flowOf, invalidVersion } from "./runs.js"
import {
  findVersion,
  insertVersion,
  refreshWorkflowStatuses,
  replaceAutomatedTriggers,
  schemaOf,
  updateVersion,
  versionsOf,
  type VersionRow
} from "./store.js"
import type { WorkflowStep, WorkflowTrigger } from "./types.js"
import { cronPattern } from "./cron.js"
import { asObject, asObjects, asStrings } from "./json.js"
import { stepChanges } from "./step-changes.js"
import { BadUserInput } from "../../domain/errors.js"

const versionNotFound = () => new NotFound({ message: "Workflow version not found", subCode: "WORKFLOW_VERSION_NOT_FOUND" })

export const versionIn = (workspaceId: string, versionId: string, lock = false) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const version = yield* findVersion(schema, versionId, lock)
    if (!version) return yield* versionNotFound()
    return { schema, version }
  })

/** The automated trigger a version's trigger needs once active (DATABASE_EVENT and CRON; MANUAL and WEBHOOK need none). */
const automatedTriggerOf = (trigger: WorkflowTrigger) =>
  Effect.gen(function*() {
    if (trigger.type === "DATABASE_EVENT") {
      const eventName = trigger.settings["eventName"]
      if (typeof eventName !== "string" || !/^\w+\.(created|updated|deleted|upserted)$/.test(eventName)) {
        return yield* invalidVersion("No event name provided in database event trigger")
      }
      return [{ type: "DATABASE_EVENT" as const, settings: trigger.settings }]
    }
    if (trigger.type === "CRON") {
      const pattern = cronPattern(trigger.settings)
      if (!pattern || Either.isLeft(Cron.parse(pattern))) return yield* invalidVersion("Cron pattern is invalid")
      return [{ type: "CRON" as const, settings: { ...trigger.settings, pattern } }]
    }
    return []
  })

export const activateVersion = (workspaceId: string, versionId: string) =>
  Effect.gen(function*() {
    const { schema, version } = yield* versionIn(workspaceId, versionId, true)
    if (version.status !== "DRAFT" && version.status !== "DEACTIVATED") {
      return yield* invalidVersion("Cannot activate non-draft or non-deactivated workflow version")
    }
    if (!version.workflowId) return yield* invalidVersion("Workflow version has no workflow")
    const flow = yield* flowOf(version)
    if (flow.steps.length === 0) return yield* invalidVersion("No steps provided in workflow version")
    const triggers = yield* automatedTriggerOf(flow.trigger)
    for (const other of yield* versionsOf(schema, version.workflowId)) {
      if (other.id !== version.id && other.status === "ACTIVE") yield* updateVersion(schema, other.id, { status: "ARCHIVED" })
    }
    yield* updateVersion(schema, version.id, { status: "ACTIVE" })
    yield* replaceAutomatedTriggers(schema, version.workflowId, triggers)
    yield* refreshWorkflowStatuses(schema, version.workflowId, version.id)
    return true
  })

export const deactivateVersion = (workspaceId: string, versionId: string) =>
  Effect.gen(function*() {
    const { schema, version } = yield* versionIn(workspaceId, versionId, true)
    if (version.status !== "ACTIVE") return yield* invalidVersion("Cannot deactivate non-active workflow version")
    yield* updateVersion(schema, version.id, { status: "DEACTIVATED" })
    if (version.workflowId) {
      yield* replaceAutomatedTriggers(schema, version.workflowId, [])
      yield* refreshWorkflowStatuses(schema, version.workflowId)
    }
    return true
  })

/** The workflow's draft made a copy of `versionIdToCopy` (a new draft `v<n>` when there is none). */
export const createDraftFromVersion = (workspaceId: string, workflowId: string, versionIdToCopy: string) =>
  Effect.gen(function*() {
    const { schema, version } = yield* versionIn(workspaceId, versionIdToCopy)
    if (version.workflowId !== workflowId) return yield* invalidVersion("Workflow version does not belong to the workflow")
    const versions = yield* versionsOf(schema, workflowId)
    const draft = versions.find((v) => v.status === "DRAFT")
    let result: VersionRow
    if (draft) {
      const steps = draft.id === version.id ? version.steps : yield* copyCodeStepFunctions(workspaceId, version.steps)
      if (draft.id !== version.id) yield* updateVersion(schema, draft.id, { trigger: version.trigger, steps })
      result = { ...draft, trigger: version.trigger, steps }
    } else {
      const steps = yield* copyCodeStepFunctions(workspaceId, version.steps)
      result = yield* insertVersion(schema, { workflowId, name: `v${versions.length + 1}`, trigger: version.trigger, steps })
    }
    yield* refreshWorkflowStatuses(schema, workflowId)
    return result
  })

export const draftIn = (workspaceId: string, versionId: string) =>
  Effect.gen(function*() {
    const found = yield* versionIn(workspaceId, versionId, true)
    if (found.version.status !== "DRAFT") return yield* invalidVersion("Only draft versions can be edited")
    const steps: Array<WorkflowStep> = Array.isArray(found.version.steps) ? [...found.version.steps] : []
    const trigger = found.version.trigger !== null && typeof found.version.trigger === "object" ? asObject(found.version.trigger) : null
    return { ...found, steps, trigger }
  })

const DEFAULT_INPUTS: Readonly<Record<string, unknown>> = {
  CREATE_RECORD: { objectName: "company", objectRecord: {} },
  UPDATE_RECORD: { objectName: "company", objectRecord: {}, fieldsToUpdate: [], objectRecordId: "" },
  DELETE_RECORD: { objectName: "company", objectRecordId: "" },
  UPSERT_RECORD: { objectName: "company", objectRecord: {} },
  FIND_RECORDS: { objectName: "company", limit: 1 },
  FILTER: { stepFilterGroups: [], stepFilters: [] },
  IF_ELSE: { stepFilterGroups: [], stepFilters: [], branches: [] },
  ITERATOR: { items: [], initialLoopStepIds: [] }
}

const stepName = (type: string) => type.toLowerCase().split("_").map((w, i) => (i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w)).join(" ")

/** Where a new step hangs under its parent: Twenty's parentStepConnectionOptions (an ITERATOR's loop, an IF_ELSE's branch). */
interface ConnectionOptions {
  readonly connectedStepType?: string
  readonly settings?: { readonly shouldInsertToLoop?: boolean; readonly branchId?: string }
}

export interface CreateStepInput {
  readonly workflowVersionId: string
  readonly stepType: string
  readonly parentStepId?: string | null
  readonly nextStepId?: string | null
  readonly parentStepConnectionOptions?: ConnectionOptions | null
  readonly position?: { readonly x: number; readonly y: number } | null
  readonly id?: string | null
}

/** `ids` with `replaced` swapped for `id` where it stood, else `id` appended (Twenty's insertStep). */
const linked = (ids: ReadonlyArray<string> | null | undefined, id: string, replaced: string | null | undefined) =>
  replaced && ids?.includes(replaced) ? ids.map((x) => (x === replaced ? id : x)) : [...(ids ?? []), id]

/** The parent step after `child` is hung under it: in its loop, in one of its branches, or among its next steps. */
const withChild = (parent: WorkflowStep, child: string, next: string | null | undefined, options: ConnectionOptions | null | undefined): WorkflowStep => {
  const input = asObject(parent.settings.input)
  if (options?.connectedStepType === "ITERATOR" && options.settings?.shouldInsertToLoop && parent.type === "ITERATOR") {
    const loop = linked(asStrings(input["initialLoopStepIds"]), child, next)
    return { ...parent, settings: { ...parent.settings, input: { ...input, initialLoopStepIds: loop } } }
  }
  const branchId = options?.settings?.branchId
  if (options?.connectedStepType === "IF_ELSE" && branchId && parent.type === "IF_ELSE") {
    const branches = asObjects(input["branches"]).map((b) => (b["id"] === branchId ? { ...b, nextStepIds: linked(asStrings(b["nextStepIds"]), child, next) } : b))
    return { ...parent, settings: { ...parent.settings, input: { ...input, branches } } }
  }
  return { ...parent, nextStepIds: linked(parent.nextStepIds, child, next) }
}

/**
 * Twenty's createWorkflowVersionStep → WorkflowVersionStepChanges. Without `parentStepId` Score hangs the
 * step under the last one (or the trigger), as the builders before edges did.
 */
export const createStep = (workspaceId: string, input: CreateStepInput) =>
  Effect.gen(function*() {
    if (!STEP_TYPES.some((type) => type === input.stepType)) {
      return yield* new BadUserInput({ message: `Unknown step type ${input.stepType}`, subCode: "INVALID_ACTION_TYPE" })
    }
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    const id = input.id ?? crypto.randomUUID()
    if (steps.some((s) => s.id === id)) return yield* new BadUserInput({ message: `Step ${id} already exists`, subCode: "INVALID_REQUEST" })
    const step: WorkflowStep = {
      id,
      name: stepName(input.stepType),
      type: input.stepType,
      valid: false,
      settings: {
        input: input.stepType === "CODE"
          ? yield* createCodeStepFunction(workspaceId, defaultSources("src/index.ts", "main"))
          : DEFAULT_INPUTS[input.stepType] ?? {},
        outputSchema: {},
        errorHandlingOptions: { retryOnFailure: { value: false }, continueOnFailure: { value: false } }
      },
      nextStepIds: input.nextStepId ? [input.nextStepId] : [],
      ...(input.position ? { position: input.position } : {})
    }
    const parentId = input.parentStepId ?? (steps.length > 0 ? steps[steps.length - 1]!.id : "trigger")
    const nextSteps = steps.map((s) => (s.id === parentId ? withChild(s, step.id, input.nextStepId, input.parentStepConnectionOptions) : s))
    const nextTrigger = parentId === "trigger" && trigger ? { ...trigger, nextStepIds: linked(asStrings(trigger["nextStepIds"]), step.id, input.nextStepId) } : undefined
    const updatedSteps = [...nextSteps, step]
    yield* updateVersion(schema, version.id, { steps: updatedSteps, ...(nextTrigger ? { trigger: nextTrigger } : {}) })
    return stepChanges({ trigger, steps }, { steps: updatedSteps, ...(nextTrigger ? { trigger: nextTrigger } : {}) })
  })

export const updateStep = (workspaceId: string, input: { readonly workflowVersionId: string; readonly step: WorkflowStep }) =>
  Effect.gen(function*() {
    const { schema, version, steps } = yield* draftIn(workspaceId, input.workflowVersionId)
    if (!steps.some((s) => s.id === input.step.id)) return yield* new NotFound({ message: "Step not found", subCode: "INVALID_REQUEST" })
    yield* updateVersion(schema, version.id, { steps: steps.map((s) => (s.id === input.step.id ? input.step : s)) })
    return input.step
  })

/**
 * Twenty's deleteWorkflowVersionStep → WorkflowVersionStepChanges: the step goes, whatever led to it (next
 * steps, branches, loops) leads to its next steps instead; `trigger` as the id removes the trigger.
 */
export const deleteStep = (workspaceId: string, input: { readonly workflowVersionId: string; readonly stepId: string }) =>
  Effect.gen(function*() {
    const { schema, version, steps, trigger } = yield* draftIn(workspaceId, input.workflowVersionId)
    if (input.stepId === "trigger") {
      if (!trigger) return yield* new NotFound({ message: "Trigger not found", subCode: "INVALID_REQUEST" })
      yield* updateVersion(schema, version.id, { trigger: null })
      return stepChanges({ trigger, steps }, { trigger: null })
    }
    const removed = steps.find((s) => s.id === input.stepId)
    if (!removed) return yield* new NotFound({ message: "Step not found", subCode: "INVALID_REQUEST" })
    const relink = (ids: ReadonlyArray<string> | null | undefined) =>
      [...new Set(ids?.flatMap((id) => (id === input.stepId ? removed.nextStepIds ?? [] : [id])) ?? [])]
    const remaining = steps.filter((s) => s.id !== input.stepId).map((s) => {
      const stepInput = asObject(s.settings.input)
      const relinked = { ...s, nextStepIds: relink(s.nextStepIds) }
      if (s.type === "ITERATOR") return { ...relinked, settings: { ...s.settings, input: { ...stepInput, initialLoopStepIds: relink(asStrings(stepInput["initialLoopStepIds"])) } } }
      if (s.type === "IF_ELSE") {
        const branches = asObjects(stepInput["branches"]).map((b) => ({ ...b, nextStepIds: relink(asStrings(b["nextStepIds"])) }))
        return { ...relinked, settings: { ...s.settings, input: { ...stepInput, branches } } }
      }
      return relinked
    })
    const nextTrigger = trigger ? { ...trigger, nextStepIds: relink(asStrings(trigger["nextStepIds"])) } : undefined
    yield* updateVersion(schema, version.id, { steps: remaining, ...(nextTrigger ? { trigger: nextTrigger } : {}) })
    yield* deleteCodeStepFunction(workspaceId, removed)
    return stepChanges({ trigger, steps }, { steps: remaining, ...(nextTrigger ? { trigger: nextTrigger } : {}) })
  })
