import type { SqlClient, SqlError, Statement } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { isUniqueViolation, pgErrorCode } from "../../platform/lib/pg-errors.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { ENTITIES, type EntitySpec } from "./entities.js"
import type { ViewReads } from "./reads.js"
import type { ViewFailure, ViewInput, ViewRow } from "./types.js"

/** The input's values for `columns`, jsonb ones as JSON text; absent keys are left out. */
export const recordOf = (spec: EntitySpec, columns: ReadonlyArray<string>, input: ViewInput) => {
  const out: Record<string, unknown> = {}
  for (const column of columns) {
    const value = input[column]
    if (value === undefined) continue
    out[column] = spec.json?.includes(column) ? JSON.stringify(value) : value
  }
  return out
}

/** A required value left null, or a value its column cannot take (a malformed date: ViewFieldGroup.deletedAt). */
const INVALID_VALUE_CODES = new Set(["23502", "22007", "22008", "22P02"])

/** What a view and its parts must satisfy before a write (Twenty's view validators). */
export const makeViewRules = (sql: SqlClient.SqlClient, reads: ViewReads) => {
  const fieldExists = (id: unknown, where: Statement.Fragment) =>
    !isUuid(id) ? Effect.succeed(false) : Effect.map(sql`SELECT 1 FROM core."fieldMetadata" WHERE id = ${id} AND ${where}`, (rows) => rows.length > 0)

  /** Every reference the values make: fields of the view's object or workspace, parts of the same view. */
  const checkReferences = (
    spec: EntitySpec,
    values: Record<string, unknown>,
    view: Pick<ViewRow, "id" | "workspaceId" | "objectMetadataId">
  ) =>
    Effect.gen(function*() {
      for (const [column, message] of Object.entries(spec.objectFields ?? {})) {
        if (values[column] == null) continue
        if (!(yield* fieldExists(values[column], sql`"objectMetadataId" = ${view.objectMetadataId}`))) {
          return yield* new BadUserInput({ message, field: column })
        }
      }
      for (const column of spec.workspaceFields ?? []) {
        if (values[column] == null) continue
        if (!(yield* fieldExists(values[column], sql`"workspaceId" = ${view.workspaceId}`))) {
          return yield* new BadUserInput({ message: "Field metadata not found", field: column })
        }
      }
      for (const [column, part] of Object.entries(spec.siblings ?? {})) {
        const id = values[column]
        if (id == null) continue
        const sibling = yield* reads.getPart(view.workspaceId, part, String(id))
        if (!sibling || sibling.viewId !== view.id) {
          return yield* new BadUserInput({ message: `${ENTITIES[part].label} not found`, field: column })
        }
      }
    })

  /** Database refusals a client caused: a duplicate, or null for a required column. */
  const userInputErrors = (label: string) => <A, R>(effect: Effect.Effect<A, ViewFailure, R>) =>
    Effect.catchIf(
      effect,
      (e): e is SqlError.SqlError => e._tag === "SqlError" && (isUniqueViolation(e) || INVALID_VALUE_CODES.has(pgErrorCode(e) ?? "")),
      (e) =>
        Effect.fail(new BadUserInput({
          message: isUniqueViolation(e) ? `${label} already exists` : `Invalid ${label.toLowerCase()} data`
        }))
    )

  /**
   * Twenty's FlatViewValidatorService kanban rule: a KANBAN view groups by a SELECT or many-to-one relation
   * field, checked when the view is created as one, becomes one, or changes its grouping field.
   */
  const checkKanban = (values: Record<string, unknown>, existing: ViewRow | null) =>
    Effect.gen(function*() {
      const type = values.type ?? existing?.type ?? "TABLE"
      const groupBy = values.mainGroupByFieldMetadataId !== undefined ? values.mainGroupByFieldMetadataId : existing?.mainGroupByFieldMetadataId
      const becomesKanban = type === "KANBAN" && existing?.type !== "KANBAN"
      const groupByChanged = values.mainGroupByFieldMetadataId != null && values.mainGroupByFieldMetadataId !== existing?.mainGroupByFieldMetadataId
      if (!becomesKanban && !groupByChanged) return
      if (groupBy == null) {
        if (becomesKanban) return yield* new BadUserInput({ message: "Kanban view must have a main group by field", field: "mainGroupByFieldMetadataId" })
        return
      }
      const [field] = yield* sql<{ type: string; relationType: string | null }>`
        SELECT type, "relationType" FROM core."fieldMetadata" WHERE id = ${String(groupBy)}`
      if (field && !(field.type === "SELECT" || (field.type === "RELATION" && field.relationType === "MANY_TO_ONE"))) {
        return yield* new BadUserInput({
          message: "Kanban main group by field must be a SELECT or a many-to-one relation field",
          field: "mainGroupByFieldMetadataId"
        })
      }
    })

  /** Twenty's FlatViewValidatorService: an object keeps at least one view. */
  const checkNotOnlyView = (view: ViewRow) =>
    Effect.gen(function*() {
      const [row] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM core.view
         WHERE "objectMetadataId" = ${view.objectMetadataId} AND ("deletedAt" IS NULL OR id = ${view.id})`
      if ((row?.n ?? 0) <= 1) return yield* new BadUserInput({ message: "Cannot delete the only view for this object" })
    })

  return { checkReferences, userInputErrors, checkKanban, checkNotOnlyView }
}

export type ViewRules = ReturnType<typeof makeViewRules>
