import { Effect } from "effect"
import type { Metadata } from "../../metadata/index.js"
import { Records } from "../../records/service.js"
import type { RecordFilter } from "../../records/types.js"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"
import { asStepFailure, recordSelection } from "./records-io.js"
import { asObject } from "../json.js"

/**
 * Twenty's FIND_RECORDS `{ objectName, limit, filter: { gqlOperationFilter } }` (the filter as the
 * GraphQL API takes it) → `{ first, all, totalCount }`.
 */
export const findRecordsAction: ActionExecutor<Records | Metadata> = {
  type: "FIND_RECORDS",
  execute: ({ input, scope, workspaceId }) =>
    Effect.gen(function*() {
      const objectName = inputString(input, "objectName")
      if (!objectName) return yield* new StepFailed({ message: "Failed to find: Object name is required" })
      const { object, selection } = yield* recordSelection(workspaceId, objectName)
      const records = yield* Records
      const limit = typeof input["limit"] === "number" ? Math.min(Math.max(1, Math.floor(input["limit"])), records.limits.maxPageSize) : records.limits.defaultPageSize
      const gql = inputObject(input, "filter")["gqlOperationFilter"]
      const filter: RecordFilter | null = Array.isArray(gql) ? { and: gql } : gql && typeof gql === "object" ? asObject(gql) : null
      const page = yield* asStepFailure(
        records.findMany(scope, object, { filter, first: limit }, selection, { totalCount: true, aggregates: [] })
      )
      const all = page.edges.map((edge) => edge.node)
      return { result: { first: all[0] ?? null, all, totalCount: page.totalCount ?? all.length } }
    })
}
