import { Effect } from "effect"
import { findObjectByName, type ObjectMetadata } from "../../domain/metadata.js"
import { Metadata } from "../metadata/index.js"

/** Twenty's output schema leaf per field: what the variable picker offers (`{{<stepId>.<field>}}`). */
const recordSchema = (object: ObjectMetadata) =>
  Object.fromEntries(
    object.fields.filter((f) => f.isActive && f.type !== "TS_VECTOR" && f.relationType !== "ONE_TO_MANY").map((f) => [
      f.relationType === "MANY_TO_ONE" ? `${f.name}Id` : f.name,
      { isLeaf: true, type: f.relationType === "MANY_TO_ONE" ? "UUID" : f.type, label: f.label, value: null }
    ])
  )

const asRecord = (value: unknown): Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {}

/**
 * A trigger's or step's output, as Twenty's computeStepOutputSchema describes it for the builder: the
 * record's fields for record events and record steps (under `properties.after` for events, under
 * `first` for FIND_RECORDS), the filter flags for FILTER and IF_ELSE, nothing known otherwise.
 */
export const computeStepOutputSchema = (workspaceId: string, step: unknown) =>
  Effect.gen(function*() {
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))
    const { type, settings } = asRecord(step)
    const input = asRecord(asRecord(settings)["input"])
    const objectNamed = (name: unknown) => (typeof name === "string" ? findObjectByName(metadata, name) : undefined)
    if (type === "DATABASE_EVENT") {
      const eventName = asRecord(settings)["eventName"]
      const object = objectNamed(typeof eventName === "string" ? eventName.split(".")[0] : undefined)
      return object ? { recordId: { isLeaf: true, type: "UUID", label: "Record Id", value: null }, "properties.after": { isLeaf: false, label: "Record", value: recordSchema(object) } } : {}
    }
    const object = objectNamed(input["objectName"])
    if (["CREATE_RECORD", "UPDATE_RECORD", "DELETE_RECORD", "UPSERT_RECORD"].includes(String(type))) return object ? recordSchema(object) : {}
    if (type === "FIND_RECORDS") {
      return object
        ? {
          first: { isLeaf: false, label: "First Record", value: recordSchema(object) },
          all: { isLeaf: true, type: "array", label: "All Records", value: null },
          totalCount: { isLeaf: true, type: "number", label: "Total Count", value: null }
        }
        : {}
    }
    if (type === "FILTER") return { shouldEndWorkflowRun: { isLeaf: true, type: "boolean", label: "Should end workflow run", value: null } }
    if (type === "IF_ELSE") return { matchingBranchId: { isLeaf: true, type: "string", label: "Matching branch", value: null } }
    return {}
  })
