import { Effect } from "effect"
import type { Metadata } from "../../metadata/index.js"
import { Records } from "../../records/service.js"
import { type ActionExecutor, inputString, StepFailed } from "./action.js"
import { asStepFailure, recordSelection } from "./records-io.js"

/** Twenty's DELETE_RECORD `{ objectName, objectRecordId }`: a soft delete; run again, it finds the record already deleted. */
export const deleteRecordAction: ActionExecutor<Records | Metadata> = {
  type: "DELETE_RECORD",
  execute: ({ input, scope, workspaceId }) =>
    Effect.gen(function*() {
      const objectName = inputString(input, "objectName")
      const id = inputString(input, "objectRecordId")
      if (!objectName || !id) return yield* new StepFailed({ message: "Failed to delete: Object name and record id are required" })
      const { object, selection } = yield* recordSelection(workspaceId, objectName)
      const records = yield* Records
      const [deleted] = yield* asStepFailure(records.deleteMany(scope, object, { id: { eq: id } }, selection))
      if (deleted) return { result: deleted }
      const already = yield* asStepFailure(
        records.findOne(scope, object, { and: [{ id: { eq: id } }, { deletedAt: { is: "NOT_NULL" } }] }, selection)
      )
      if (!already) return yield* new StepFailed({ message: `Failed to delete: Record ${id} not found` })
      return { result: already }
    })
}
