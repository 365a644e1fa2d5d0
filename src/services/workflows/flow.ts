/**
 * Which step runs next, computed from the run's state alone, so a run resumed by another worker (after a
 * crash, a deferral) continues where the state says: the steps reached from the trigger through each
 * finished step's chosen next steps, and among them the first not yet finished. A step found RUNNING
 * was interrupted and runs again (at least once per step).
 */
import { asObject, asObjects, asStrings } from "./json.js"
import type { RunState, StepInfo, WorkflowStep } from "./types.js"

/** The next steps a finished step chose: an IF_ELSE's matching branch, nothing after a FILTER that did not hold. */
export const chosenNextStepIds = (step: WorkflowStep, info: StepInfo | undefined): ReadonlyArray<string> => {
  const result = asObject(info?.result)
  if (step.type === "IF_ELSE" && info?.status === "SUCCESS") {
    const branch = asObjects(asObject(step.settings.input)["branches"]).find((b) => b["id"] === result["matchingBranchId"])
    return asStrings(branch?.["nextStepIds"])
  }
  if (step.type === "FILTER" && result["shouldEndWorkflowRun"] === true) return []
  return step.nextStepIds ?? []
}

const isDone = (info: StepInfo | undefined) => info?.status === "SUCCESS" || info?.status === "FAILED" || info?.status === "SKIPPED"

export type NextStep =
  | { readonly kind: "run"; readonly step: WorkflowStep }
  | { readonly kind: "waiting"; readonly step: WorkflowStep }
  | { readonly kind: "done" }

export const nextStep = (state: RunState): NextStep => {
  const byId = new Map(state.flow.steps.map((s) => [s.id, s]))
  const queue = [...(state.flow.trigger.nextStepIds ?? [])]
  const seen = new Set<string>()
  let waiting: WorkflowStep | undefined
  while (queue.length > 0) {
    const id = queue.shift()!
    if (seen.has(id)) continue
    seen.add(id)
    const step = byId.get(id)
    if (!step) continue
    const info = state.stepInfos[id]
    if (isDone(info)) {
      queue.push(...chosenNextStepIds(step, info))
      continue
    }
    if (info?.status === "PENDING") {
      waiting ??= step
      continue
    }
    if (info?.status === "STOPPED") continue
    return { kind: "run", step }
  }
  return waiting ? { kind: "waiting", step: waiting } : { kind: "done" }
}

/** Steps an IF_ELSE did not choose, marked SKIPPED (Twenty shows the other branches so). */
export const skippedByBranch = (step: WorkflowStep, chosen: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (step.type !== "IF_ELSE") return []
  return asObjects(asObject(step.settings.input)["branches"]).flatMap((b) => asStrings(b["nextStepIds"])).filter((id) => !chosen.includes(id))
}

/** The context variables resolve against: the trigger's payload and each finished step's result. */
export const variableContext = (state: RunState): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(state.stepInfos).flatMap(([id, info]) => (info.result === undefined ? [] : [[id, info.result]]))
  )
