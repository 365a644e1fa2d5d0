import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { jsonRow } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { ViewAccess } from "./access.js"
import { ENTITIES, type ViewPart } from "./entities.js"
import { notFound, userWorkspaceIdOf, type ViewReads } from "./reads.js"
import { recordOf, type ViewRules } from "./rules.js"
import type { PartRow, ViewInput, ViewWriter } from "./types.js"

/** Every write to views and their parts: access first, then Twenty's rules, then the row. */
export const makeViewWrites = (
  sql: SqlClient.SqlClient,
  { findPart, requireView }: ViewReads,
  { requireMayCreate, requireMayModify }: ViewAccess,
  { checkKanban, checkNotOnlyView, checkReferences, userInputErrors }: ViewRules
) => {
  const createView = (caller: ViewWriter, input: ViewInput) =>
    Effect.gen(function*() {
      const workspaceId = caller.workspace.id
      const visibility = typeof input.visibility === "string" ? input.visibility : "WORKSPACE"
      yield* requireMayCreate(caller, visibility)
      const objectId = input.objectMetadataId
      const [object] = isUuid(objectId)
        ? yield* sql<{ id: string }>`SELECT id FROM core."objectMetadata" WHERE id = ${objectId} AND "workspaceId" = ${workspaceId}`
        : []
      if (!object) return yield* new BadUserInput({ message: "Object metadata not found", field: "objectMetadataId" })
      const values = recordOf(ENTITIES.view, ENTITIES.view.create, input)
      yield* checkReferences(ENTITIES.view, values, { id: "", workspaceId, objectMetadataId: object.id })
      yield* checkKanban(values, null)
      if (values.key === "INDEX") {
        const existing = yield* sql`SELECT 1 FROM core.view WHERE "objectMetadataId" = ${object.id} AND key = 'INDEX' AND "deletedAt" IS NULL`
        if (existing.length > 0) return yield* new BadUserInput({ message: "An INDEX view already exists for this object", field: "key" })
      }
      const [row] = yield* sql<{ id: string }>`INSERT INTO core.view ${
        sql.insert({
          ...values,
          ...(isUuid(input.id) ? { id: input.id } : {}),
          workspaceId,
          visibility,
          isCustom: true,
          createdByUserWorkspaceId: userWorkspaceIdOf(caller)
        })
      } RETURNING id`
      return yield* requireView(workspaceId, row!.id)
    }).pipe(userInputErrors("View"))

  const updateView = (caller: ViewWriter, id: string, input: ViewInput) =>
    Effect.gen(function*() {
      const view = yield* requireView(caller.workspace.id, id)
      yield* requireMayModify(caller, view)
      const values = recordOf(ENTITIES.view, ENTITIES.view.update, input)
      if (typeof values.visibility === "string" && values.visibility !== view.visibility) yield* requireMayCreate(caller, values.visibility)
      yield* checkReferences(ENTITIES.view, values, view)
      yield* checkKanban(values, view)
      if (Object.keys(values).length > 0) {
        yield* sql`UPDATE core.view SET ${sql.update({ ...values, updatedAt: new Date() })} WHERE id = ${view.id}`
      }
      return yield* requireView(caller.workspace.id, view.id)
    }).pipe(userInputErrors("View"))

  const deleteView = (caller: ViewWriter, id: string) =>
    Effect.gen(function*() {
      const view = yield* requireView(caller.workspace.id, id)
      yield* requireMayModify(caller, view)
      yield* checkNotOnlyView(view)
      yield* sql`UPDATE core.view SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${view.id}`
      return view
    })

  const destroyView = (caller: ViewWriter, id: string) =>
    Effect.gen(function*() {
      const view = yield* requireView(caller.workspace.id, id, true)
      yield* requireMayModify(caller, view)
      yield* checkNotOnlyView(view)
      yield* sql`DELETE FROM core.view WHERE id = ${view.id}`
      return view
    })

  /** The part and its view, once the caller may modify that view. */
  const modifiablePart = (caller: ViewWriter, part: ViewPart, id: string, withDeleted = false) =>
    Effect.gen(function*() {
      const row = yield* findPart(caller.workspace.id, part, id, withDeleted)
      if (!row) return yield* notFound(ENTITIES[part].label, id)
      const view = yield* requireView(caller.workspace.id, row.viewId, true)
      yield* requireMayModify(caller, view)
      return { row, view }
    })

  /** Parts (each input names its viewId), all or none. */
  const createParts = (caller: ViewWriter, part: ViewPart, inputs: ReadonlyArray<ViewInput>) =>
    Effect.forEach(inputs, (input) =>
      Effect.gen(function*() {
        const spec = ENTITIES[part]
        const viewId = String(input.viewId ?? "")
        const view = yield* requireView(caller.workspace.id, viewId)
        yield* requireMayModify(caller, view)
        const values = recordOf(spec, spec.create, input)
        yield* checkReferences(spec, values, view)
        const [row] = yield* sql`INSERT INTO core.${sql(spec.table)} ${
          sql.insert({ ...values, ...(isUuid(input.id) ? { id: input.id } : {}), workspaceId: view.workspaceId, viewId: view.id })
        } RETURNING *`
        return jsonRow<PartRow>(row!)
      })).pipe(sql.withTransaction, userInputErrors(ENTITIES[part].label))

  const updatePart = (caller: ViewWriter, part: ViewPart, id: string, input: ViewInput) =>
    Effect.gen(function*() {
      const spec = ENTITIES[part]
      const { row, view } = yield* modifiablePart(caller, part, id)
      const values = recordOf(spec, spec.update, input)
      yield* checkReferences(spec, values, view)
      if (Object.keys(values).length === 0) return row
      const [updated] = yield* sql`UPDATE core.${sql(spec.table)} SET ${sql.update({ ...values, updatedAt: new Date() })}
                                    WHERE id = ${row.id} RETURNING *`
      return jsonRow<PartRow>(updated!)
    }).pipe(userInputErrors(ENTITIES[part].label))

  const deletePart = (caller: ViewWriter, part: ViewPart, id: string) =>
    Effect.gen(function*() {
      const { row } = yield* modifiablePart(caller, part, id)
      const [deleted] = yield* sql`UPDATE core.${sql(ENTITIES[part].table)} SET "deletedAt" = now(), "updatedAt" = now()
                                    WHERE id = ${row.id} RETURNING *`
      return jsonRow<PartRow>(deleted!)
    })

  const destroyPart = (caller: ViewWriter, part: ViewPart, id: string) =>
    Effect.gen(function*() {
      const { row } = yield* modifiablePart(caller, part, id, true)
      yield* sql`DELETE FROM core.${sql(ENTITIES[part].table)} WHERE id = ${row.id}`
      return row
    })

  /** Several updates of one kind, all or none (Twenty's updateManyViewGroups). */
  const updateParts = (
    caller: ViewWriter,
    part: ViewPart,
    updates: ReadonlyArray<{ readonly id: string; readonly update: ViewInput }>
  ) => sql.withTransaction(Effect.forEach(updates, ({ id, update }) => updatePart(caller, part, id, update)))

  return { createView, updateView, deleteView, destroyView, createParts, updatePart, updateParts, deletePart, destroyPart }
}
