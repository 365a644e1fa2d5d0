import { Effect } from "effect"
import type { Metadata } from "../../metadata/index.js"
import { Records } from "../../records/service.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"
import { asStepFailure, recordSelection } from "./records-io.js"

/** Twenty's UPSERT_RECORD `{ objectName, objectRecord }`: updates the record matching its id or a unique field, else creates it. */
export const upsertRecordAction: ActionExecutor<Records | Metadata> = {
  type: "UPSERT_RECORD",
  execute: ({ input, scope, workspaceId }) =>
    Effect.gen(function*() {
      const objectName = inputString(input, "objectName")
      if (!objectName) return yield* new StepFailed({ message: "Failed to upsert: Object name is required" })
      const { object, selection } = yield* recordSelection(workspaceId, objectName)
      const records = yield* Records
      const [record] = yield* asStepFailure(
        records.createMany(scope, object, [inputObject(input, "objectRecord")], selection, { upsert: true })
      )
      return { result: record }
    })
}
