import { Effect } from "effect"
import type { ActionExecutor } from "./action.js"
import { evaluateStepFilters } from "./step-filters.js"

/** Twenty's FILTER: the branch goes on when the filters hold, and ends here (no next steps) when they do not. */
export const filterAction: ActionExecutor = {
  type: "FILTER",
  execute: ({ input, step }) =>
    Effect.sync(() => {
      const matches = evaluateStepFilters(input)
      return matches
        ? { result: { shouldEndWorkflowRun: false }, nextStepIds: step.nextStepIds ?? [] }
        : { result: { shouldEndWorkflowRun: true }, nextStepIds: [] }
    })
}
