import { Effect } from "effect"
import type { Metadata } from "../../metadata/index.js"
import { Records } from "../../records/service.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"
import { asStepFailure, recordSelection } from "./records-io.js"

/** Twenty's UPDATE_RECORD `{ objectName, objectRecordId, objectRecord, fieldsToUpdate }`: only the listed fields change. */
export const updateRecordAction: ActionExecutor<Records | Metadata> = {
  type: "UPDATE_RECORD",
  execute: ({ input, scope, workspaceId }) =>
    Effect.gen(function*() {
      const objectName = inputString(input, "objectName")
      const id = inputString(input, "objectRecordId")
      if (!objectName || !id) return yield* new StepFailed({ message: "Failed to update: Object name and record id are required" })
      const { object, selection } = yield* recordSelection(workspaceId, objectName)
      const record = inputObject(input, "objectRecord")
      const fields = Array.isArray(input["fieldsToUpdate"]) ? input["fieldsToUpdate"].map(String) : Object.keys(record)
      const data = Object.fromEntries(Object.entries(record).filter(([key]) => key !== "id" && fields.includes(key)))
      const records = yield* Records
      if (Object.keys(data).length === 0) {
        const current = yield* asStepFailure(records.findOne(scope, object, { id: { eq: id } }, selection))
        if (!current) return yield* new StepFailed({ message: `Failed to update: Record ${id} not found` })
        return { result: current }
      }
      return { result: yield* asStepFailure(records.updateOne(scope, object, id, data, selection)) }
    })
}
