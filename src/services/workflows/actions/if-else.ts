import { Effect } from "effect"
import { type ActionExecutor, StepFailed } from "./action.js"
import { evaluateStepFilters } from "./step-filters.js"

interface Branch {
  readonly id: string
  readonly filterGroupId?: string | null
  readonly nextStepIds?: ReadonlyArray<string>
}

/**
 * Twenty's IF_ELSE `{ stepFilterGroups, stepFilters, branches: [{ id, filterGroupId, nextStepIds }] }`: the
 * first branch whose filter group holds runs (the else branch has no group); the others' steps are skipped.
 */
export const ifElseAction: ActionExecutor = {
  type: "IF_ELSE",
  execute: ({ input }) =>
    Effect.gen(function*() {
      const branches: ReadonlyArray<Branch> = Array.isArray(input["branches"]) ? input["branches"] : []
      const matching = branches.find((branch) => !branch.filterGroupId || evaluateStepFilters(input, branch.filterGroupId))
      if (!matching) return yield* new StepFailed({ message: "No branch matched and there is no else branch" })
      return { result: { matchingBranchId: matching.id }, nextStepIds: matching.nextStepIds ?? [] }
    })
}
