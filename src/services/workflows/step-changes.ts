/**
 * Twenty's WorkflowVersionStepChanges `{ triggerDiff, stepsDiff }`: what a builder mutation changed, as
 * microdiff's differences of `{ trigger }` and `{ steps }` (paths from there, array indexes as numbers),
 * so a client patches its copy of the version instead of reading it again.
 */
export type Difference =
  | { readonly type: "CREATE"; readonly path: ReadonlyArray<string | number>; readonly value: unknown }
  | { readonly type: "REMOVE"; readonly path: ReadonlyArray<string | number>; readonly oldValue: unknown }
  | { readonly type: "CHANGE"; readonly path: ReadonlyArray<string | number>; readonly value: unknown; readonly oldValue: unknown }

const isContainer = (value: unknown): value is Record<string, unknown> | Array<unknown> => value !== null && typeof value === "object"

/** microdiff's algorithm on JSON values: removed keys, then changed (recursing into objects and arrays alike), then created. */
export const diffJson = (before: Record<string, unknown> | Array<unknown>, after: Record<string, unknown> | Array<unknown>, path: ReadonlyArray<string | number> = []): Array<Difference> => {
  const differences: Array<Difference> = []
  const beforeIsArray = Array.isArray(before)
  const entries = (value: Record<string, unknown> | Array<unknown>): Map<string, unknown> => new Map(Object.entries(value))
  const [old, next] = [entries(before), entries(after)]
  const key = (k: string) => (beforeIsArray ? Number(k) : k)
  for (const [k, oldValue] of old) {
    const at = [...path, key(k)]
    if (!next.has(k)) {
      differences.push({ type: "REMOVE", path: at, oldValue })
      continue
    }
    const value = next.get(k)
    if (isContainer(oldValue) && isContainer(value) && Array.isArray(oldValue) === Array.isArray(value)) {
      differences.push(...diffJson(oldValue, value, at))
    } else if (oldValue !== value) {
      differences.push({ type: "CHANGE", path: at, value, oldValue })
    }
  }
  for (const [k, value] of next) {
    if (!old.has(k)) differences.push({ type: "CREATE", path: [...path, key(k)], value })
  }
  return differences
}

export interface WorkflowVersionStepChanges {
  readonly triggerDiff: ReadonlyArray<Difference>
  readonly stepsDiff: ReadonlyArray<Difference>
}

/** Twenty's computeWorkflowVersionStepChanges: a part not given (`undefined`) did not change. */
export const stepChanges = (
  existing: { readonly trigger: unknown; readonly steps: unknown },
  updated: { readonly trigger?: unknown; readonly steps?: unknown }
): WorkflowVersionStepChanges => ({
  triggerDiff: updated.trigger !== undefined ? diffJson({ trigger: existing.trigger ?? null }, { trigger: updated.trigger }) : [],
  stepsDiff: updated.steps !== undefined && updated.steps !== null ? diffJson({ steps: existing.steps ?? null }, { steps: updated.steps }) : []
})
