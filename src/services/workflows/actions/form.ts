import { Effect } from "effect"
import type { ActionExecutor } from "./action.js"

/**
 * Twenty's FORM (`input`: the form's fields): the step ends PENDING and the run waits, its job done, until
 * `submitFormStep` (runs.ts) gives the step its result, the response, and queues the run again.
 */
export const formAction: ActionExecutor = {
  type: "FORM",
  execute: () => Effect.succeed({ result: undefined, pending: {} })
}
