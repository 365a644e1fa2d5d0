import { Effect } from "effect"
import { type ActionExecutor, StepFailed } from "./action.js"

/**
 * Twenty's AI_AGENT needs an AI provider and Twenty's agents, which Score does not have: the step is
 * accepted in a draft (as Twenty's builder creates it) and fails with this error when a run reaches it.
 */
export const aiAgentAction: ActionExecutor = {
  type: "AI_AGENT",
  execute: () =>
    Effect.fail(new StepFailed({ message: "AI_AGENT steps cannot run on this server: no AI provider is configured (AI features are not available in this workspace)" }))
}
