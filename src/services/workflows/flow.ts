/**
 * Which step runs next, computed from the run's state alone, so a run resumed by another worker (after a
 * crash, a deferral) continues where the state says: among the steps reached from the trigger, the first
 * whose parents are all finished and one of which chose it (see `nextStep`). A step found RUNNING was
 * interrupted and runs again (at least once per step). An ITERATOR runs again (its next item) once
 * nothing in its loop is left to run.
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
  if (step.type === "ITERATOR" && info?.status === "SUCCESS" && result["hasProcessedAllItems"] === false) {
    return asStrings(asObject(step.settings.input)["initialLoopStepIds"])
  }
  return step.nextStepIds ?? []
}

/** An ITERATOR between two items: its loop's steps are under way, and the loop's last step leads back to it. */
const iterating = (step: WorkflowStep, info: StepInfo | undefined) =>
  step.type === "ITERATOR" && info?.status === "SUCCESS" && asObject(info.result)["hasProcessedAllItems"] === false

/** Every step a step may lead to: its next steps, an IF_ELSE's branches, an ITERATOR's loop. */
const successors = (step: WorkflowStep): ReadonlyArray<string> => {
  const input = asObject(step.settings.input)
  return [
    ...(step.nextStepIds ?? []),
    ...asObjects(input["branches"]).flatMap((b) => asStrings(b["nextStepIds"])),
    ...(step.type === "ITERATOR" ? asStrings(input["initialLoopStepIds"]) : [])
  ]
}

/** An ITERATOR's loop: the steps reached from its `initialLoopStepIds` without going back through it. */
export const loopBody = (state: RunState, iterator: WorkflowStep): ReadonlyArray<string> => {
  const byId = new Map(state.flow.steps.map((s) => [s.id, s]))
  const body = new Set<string>()
  const queue = [...asStrings(asObject(iterator.settings.input)["initialLoopStepIds"])]
  while (queue.length > 0) {
    const id = queue.shift()!
    if (id === iterator.id || body.has(id)) continue
    const step = byId.get(id)
    if (!step) continue
    body.add(id)
    queue.push(...successors(step))
  }
  return [...body]
}

/** The item indexes of the loops a step is in, outermost first: part of its idempotency key (one write per item). */
export const loopIndexes = (state: RunState, stepId: string): ReadonlyArray<number> =>
  state.flow.steps.flatMap((s) => {
    const info = state.stepInfos[s.id]
    if (!iterating(s, info) || !loopBody(state, s).includes(stepId)) return []
    const index = asObject(info?.result)["currentItemIndex"]
    return typeof index === "number" ? [index] : []
  })

const isDone = (info: StepInfo | undefined) => info?.status === "SUCCESS" || info?.status === "FAILED" || info?.status === "SKIPPED"

export type NextStep =
  | { readonly kind: "run"; readonly step: WorkflowStep }
  | { readonly kind: "skip"; readonly step: WorkflowStep }
  | { readonly kind: "waiting"; readonly step: WorkflowStep }
  | { readonly kind: "done" }

/** Each step's parents: the trigger and the steps that may lead to it (next steps, branches, loops). */
const parentsOf = (state: RunState): Map<string, Array<string>> => {
  const parents = new Map<string, Array<string>>()
  const add = (child: string, parent: string) => parents.set(child, [...(parents.get(child) ?? []), parent])
  for (const id of state.flow.trigger.nextStepIds ?? []) add(id, "trigger")
  for (const step of state.flow.steps) for (const id of new Set(successors(step))) add(id, step.id)
  return parents
}

/**
 * Twenty's canExecuteStep: a step runs once every parent is finished (a join waits for all its branches)
 * and one of them chose it. An ITERATOR does not wait for its own loop's steps (they lead back to it). A
 * step no finished parent chose, under an IF_ELSE or a SKIPPED parent, is SKIPPED: a branch not taken is
 * skipped to its end, and a join after an IF_ELSE runs after the branch taken (even one the other branch
 * leads to directly). Under a FILTER that did not hold it stays NOT_STARTED, as Twenty leaves it.
 */
export const nextStep = (state: RunState): NextStep => {
  const byId = new Map(state.flow.steps.map((s) => [s.id, s]))
  const parents = parentsOf(state)
  const chose = (parentId: string, childId: string) => {
    if (parentId === "trigger") return true
    const parent = byId.get(parentId)
    const info = state.stepInfos[parentId]
    return parent !== undefined && info?.status !== "SKIPPED" && chosenNextStepIds(parent, info).includes(childId)
  }
  const finished = (id: string) => id === "trigger" || isDone(state.stepInfos[id])
  // A SKIPPED step, or an IF_ELSE, passes "not taken" on to a child it did not choose.
  const skipsChildren = (id: string) => state.stepInfos[id]?.status === "SKIPPED" || byId.get(id)?.type === "IF_ELSE"
  const queue = [...(state.flow.trigger.nextStepIds ?? [])]
  const seen = new Set<string>()
  let waiting: WorkflowStep | undefined
  let loopingBack: WorkflowStep | undefined
  while (queue.length > 0) {
    const id = queue.shift()!
    const step = byId.get(id)
    if (!step || seen.has(id)) continue
    seen.add(id)
    queue.push(...successors(step))
    const info = state.stepInfos[id]
    if (isDone(info)) {
      // Between two items: the next one, once nothing in the loop is left to run.
      if (iterating(step, info)) loopingBack ??= step
      continue
    }
    if (info?.status === "PENDING") {
      waiting ??= step
      continue
    }
    if (info?.status === "STOPPED") continue
    const own = step.type === "ITERATOR" ? new Set(loopBody(state, step)) : new Set<string>()
    const stepParents = (parents.get(id) ?? []).filter((p) => !own.has(p))
    if (!stepParents.every(finished)) continue
    if (stepParents.some((p) => chose(p, id))) return { kind: "run", step }
    if (stepParents.some(skipsChildren)) return { kind: "skip", step }
  }
  if (waiting) return { kind: "waiting", step: waiting }
  return loopingBack ? { kind: "run", step: loopingBack } : { kind: "done" }
}

/** The context variables resolve against: the trigger's payload and each finished step's result. */
export const variableContext = (state: RunState): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(state.stepInfos).flatMap(([id, info]) => (info.result === undefined ? [] : [[id, info.result]]))
  )
