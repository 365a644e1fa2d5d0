import { Effect } from "effect"
import type { Metadata } from "../../metadata/index.js"
import { Records } from "../../records/service.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"
import { asStepFailure, idempotentUuid, recordSelection } from "./records-io.js"

/**
 * Twenty's CREATE_RECORD `{ objectName, objectRecord }`. The record's id derives from the step's
 * idempotency key (unless the input names one), so a step run again after a crash finds its record
 * instead of creating a second one.
 */
export const createRecordAction: ActionExecutor<Records | Metadata> = {
  type: "CREATE_RECORD",
  execute: ({ input, idempotencyKey, scope, workspaceId }) =>
    Effect.gen(function*() {
      const objectName = inputString(input, "objectName")
      if (!objectName) return yield* new StepFailed({ message: "Failed to create: Object name is required" })
      const { object, selection } = yield* recordSelection(workspaceId, objectName)
      const data = inputObject(input, "objectRecord")
      const id = typeof data["id"] === "string" ? data["id"] : idempotentUuid(idempotencyKey)
      const records = yield* Records
      const existing = yield* asStepFailure(records.findOne(scope, object, { id: { eq: id } }, selection))
      if (existing) return { result: existing }
      const [created] = yield* asStepFailure(records.createMany(scope, object, [{ ...data, id }], selection))
      return { result: created }
    })
}
