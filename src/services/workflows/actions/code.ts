import { Effect } from "effect"
import { LogicFunctions } from "../../logic-functions/index.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"

/**
 * Twenty's CODE step `{ logicFunctionId, logicFunctionInput }` (older releases: `serverlessFunctionId`,
 * `serverlessFunctionInput`): runs the workspace's logic function in the sandbox; its returned value is the
 * step's result (Twenty's `data || {}`), its error the step's error.
 */
export const codeAction: ActionExecutor<LogicFunctions> = {
  type: "CODE",
  execute: ({ input, workspaceId }) =>
    Effect.gen(function*() {
      const id = inputString(input, "logicFunctionId") ?? inputString(input, "serverlessFunctionId")
      if (!id) return yield* new StepFailed({ message: "Logic function id is required" })
      const payload = "logicFunctionInput" in input ? inputObject(input, "logicFunctionInput") : inputObject(input, "serverlessFunctionInput")
      const functions = yield* LogicFunctions
      const result = yield* functions.execute(workspaceId, id, payload).pipe(
        Effect.catchTags({
          NotFound: (e) => new StepFailed({ message: e.message }),
          SqlError: (e) => new StepFailed({ message: `Could not read the logic function: ${e.message}` })
        })
      )
      if (result.error) return yield* new StepFailed({ message: result.error.errorMessage })
      return { result: result.data || {} }
    })
}
