import { SqlClient, type SqlError, type Statement } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import { OBJECT_LABEL_PLURAL_PLACEHOLDER } from "../../domain/standard-views.js"
import { isUniqueViolation, pgErrorCode } from "../../platform/lib/pg-errors.js"
import { jsonRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Permissions } from "../permissions/index.js"
import { ENTITIES, type EntitySpec, type ViewPart } from "./entities.js"

export { ENTITIES, type ViewEntity, type ViewPart } from "./entities.js"

export interface ViewRow {
  readonly id: string
  readonly workspaceId: string
  readonly objectMetadataId: string
  readonly name: string
  readonly key: string | null
  readonly visibility: string
  readonly createdByUserWorkspaceId: string | null
  readonly deletedAt: string | null
  readonly [column: string]: unknown
}

export interface PartRow {
  readonly id: string
  readonly viewId: string
  readonly [column: string]: unknown
}

export type ViewInput = Readonly<Record<string, unknown>>
type Failure = BadUserInput | Forbidden | NotFound | SqlError.SqlError

export interface ViewsShape {
  /** Twenty's getViews: the workspace's views, without other members' UNLISTED ones. */
  readonly listViews: (
    caller: WorkspaceCaller,
    filter: { readonly objectMetadataId?: string | null; readonly viewTypes?: ReadonlyArray<string> | null }
  ) => Effect.Effect<ReadonlyArray<ViewRow>, SqlError.SqlError>
  /** One view by id, whatever its visibility (unlisted views are reached by link); null when absent. */
  readonly getView: (workspaceId: string, id: string) => Effect.Effect<ViewRow | null, SqlError.SqlError>
  readonly createView: (caller: WorkspaceCaller, input: ViewInput) => Effect.Effect<ViewRow, Failure>
  readonly updateView: (caller: WorkspaceCaller, id: string, input: ViewInput) => Effect.Effect<ViewRow, Failure>
  /** Soft delete (sets deletedAt). */
  readonly deleteView: (caller: WorkspaceCaller, id: string) => Effect.Effect<ViewRow, Failure>
  /** Removes the view and its parts. */
  readonly destroyView: (caller: WorkspaceCaller, id: string) => Effect.Effect<ViewRow, Failure>
  /** A view's parts of one kind (every view's when viewId is null), not deleted. */
  readonly listParts: (workspaceId: string, part: ViewPart, viewId: string | null) => Effect.Effect<ReadonlyArray<PartRow>, SqlError.SqlError>
  readonly getPart: (workspaceId: string, part: ViewPart, id: string) => Effect.Effect<PartRow | null, SqlError.SqlError>
  /** Creates parts (each input names its viewId), all or none. */
  readonly createParts: (caller: WorkspaceCaller, part: ViewPart, inputs: ReadonlyArray<ViewInput>) => Effect.Effect<ReadonlyArray<PartRow>, Failure>
  readonly updatePart: (caller: WorkspaceCaller, part: ViewPart, id: string, input: ViewInput) => Effect.Effect<PartRow, Failure>
  readonly deletePart: (caller: WorkspaceCaller, part: ViewPart, id: string) => Effect.Effect<PartRow, Failure>
  readonly destroyPart: (caller: WorkspaceCaller, part: ViewPart, id: string) => Effect.Effect<PartRow, Failure>
  /** Active objects, the views the caller may list, and a content hash per metadata collection. */
  readonly minimalMetadata: (caller: WorkspaceCaller) => Effect.Effect<MinimalMetadata, SqlError.SqlError>
}

/** Twenty's minimalMetadata: what its front boots on (minimal-metadata/minimal-metadata.service.ts). */
export interface MinimalMetadata {
  readonly objectMetadataItems: ReadonlyArray<Record<string, unknown>>
  readonly views: ReadonlyArray<Pick<ViewRow, "id" | "key" | "objectMetadataId"> & { readonly type: unknown }>
  readonly collectionHashes: ReadonlyArray<{ readonly collectionName: string; readonly hash: string }>
}

/** Collections (Twenty's AllMetadataName) whose content hash minimalMetadata reports, with Score's table. */
const HASHED_COLLECTIONS: ReadonlyArray<readonly [string, string]> = [
  ["objectMetadata", "objectMetadata"],
  ["fieldMetadata", "fieldMetadata"],
  ["view", "view"],
  ["viewField", "viewField"],
  ["viewFieldGroup", "viewFieldGroup"],
  ["viewGroup", "viewGroup"],
  ["viewSort", "viewSort"],
  ["viewFilterGroup", "viewFilterGroup"],
  ["viewFilter", "viewFilter"],
  ["role", "role"],
  ["objectPermission", "objectPermission"],
  ["fieldPermission", "fieldPermission"],
  ["permissionFlag", "permissionFlag"],
  ["webhook", "webhook"]
]

export class Views extends Context.Tag("score/Views")<Views, ViewsShape>() {}

// Twenty's ViewException messages (view/exceptions/view.exception.ts).
const VIEW_CREATE_DENIED = "You do not have permission to create workspace-level views"
const VIEW_MODIFY_DENIED = "You do not have permission to modify this view"

const notFound = (label: string, id: string) => new NotFound({ message: `${label} (id: ${id}) not found` })

const userWorkspaceIdOf = (caller: WorkspaceCaller) => (caller.kind === "user" ? caller.userWorkspace.id : null)

/** The input's values for `columns`, jsonb ones as JSON text; absent keys are left out. */
const recordOf = (spec: EntitySpec, columns: ReadonlyArray<string>, input: ViewInput) => {
  const out: Record<string, unknown> = {}
  for (const column of columns) {
    const value = input[column]
    if (value === undefined) continue
    out[column] = spec.json?.includes(column) ? JSON.stringify(value) : value
  }
  return out
}

export const ViewsLive = Layer.effect(
  Views,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const permissions = yield* Permissions

    const toView = (row: object): ViewRow => {
      const { objectLabelPlural, ...view } = jsonRow<ViewRow & { objectLabelPlural: string }>(row)
      return { ...view, name: view.name.replaceAll(OBJECT_LABEL_PLURAL_PLACEHOLDER, objectLabelPlural) }
    }
    const selectViews = (where: Statement.Fragment) =>
      Effect.map(
        sql`SELECT v.*, o."labelPlural" AS "objectLabelPlural"
              FROM core.view v JOIN core."objectMetadata" o ON o.id = v."objectMetadataId"
             WHERE ${where} ORDER BY v.position, v."createdAt", v.id`,
        (rows) => rows.map(toView)
      )
    const findView = (workspaceId: string, id: string, withDeleted = false) =>
      !isUuid(id) ? Effect.succeed(null) : Effect.map(
        selectViews(sql.and([
          sql`v."workspaceId" = ${workspaceId}`,
          sql`v.id = ${id}`,
          withDeleted ? sql`true` : sql`v."deletedAt" IS NULL`
        ])),
        (rows) => rows[0] ?? null
      )
    const requireView = (workspaceId: string, id: string, withDeleted = false) =>
      Effect.flatMap(findView(workspaceId, id, withDeleted), (view) => view ? Effect.succeed(view) : Effect.fail(notFound("View", id)))

    const hasViewsFlag = (caller: WorkspaceCaller) => Effect.map(permissions.flagsOf(caller), (flags) => flags.has("VIEWS"))

    /** Twenty's ViewAccessService: VIEWS, or the caller's own UNLISTED view. */
    const requireMayModify = (caller: WorkspaceCaller, view: ViewRow) =>
      Effect.flatMap(hasViewsFlag(caller), (allowed) => {
        const own = view.visibility === "UNLISTED" && view.createdByUserWorkspaceId !== null &&
          view.createdByUserWorkspaceId === userWorkspaceIdOf(caller)
        return allowed || own ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_MODIFY_DENIED }))
      })
    /** WORKSPACE views need VIEWS; UNLISTED ones need a member (not an API key). */
    const requireMayCreate = (caller: WorkspaceCaller, visibility: string) =>
      visibility === "UNLISTED"
        ? (caller.kind === "user" ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_CREATE_DENIED })))
        : Effect.flatMap(hasViewsFlag(caller), (allowed) => allowed ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_CREATE_DENIED })))

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
          const sibling = yield* getPart(view.workspaceId, part, String(id))
          if (!sibling || sibling.viewId !== view.id) {
            return yield* new BadUserInput({ message: `${ENTITIES[part].label} not found`, field: column })
          }
        }
      })

    /** Database refusals a client caused: a duplicate, or null for a required column. */
    const userInputErrors = (label: string) => <A, R>(effect: Effect.Effect<A, Failure, R>) =>
      Effect.catchIf(effect, (e): e is SqlError.SqlError => e._tag === "SqlError" && (isUniqueViolation(e) || pgErrorCode(e) === "23502"), (e) =>
        Effect.fail(new BadUserInput({
          message: isUniqueViolation(e) ? `${label} already exists` : `Invalid ${label.toLowerCase()} data: a required value is null`
        })))

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

    const listViews: ViewsShape["listViews"] = (caller, filter) => {
      if (filter.objectMetadataId != null && !isUuid(filter.objectMetadataId)) return Effect.succeed([])
      return selectViews(sql.and([
        sql`v."workspaceId" = ${caller.workspace.id}`,
        sql`v."deletedAt" IS NULL`,
        sql`(v.visibility = 'WORKSPACE' OR (v.visibility = 'UNLISTED' AND v."createdByUserWorkspaceId" = ${userWorkspaceIdOf(caller)}))`,
        filter.objectMetadataId != null ? sql`v."objectMetadataId" = ${filter.objectMetadataId}` : sql`true`,
        filter.viewTypes?.length ? sql`v.type IN ${sql.in(filter.viewTypes)}` : sql`true`
      ]))
    }

    const createView: ViewsShape["createView"] = (caller, input) =>
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

    const updateView: ViewsShape["updateView"] = (caller, id, input) =>
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

    const deleteView: ViewsShape["deleteView"] = (caller, id) =>
      Effect.gen(function*() {
        const view = yield* requireView(caller.workspace.id, id)
        yield* requireMayModify(caller, view)
        yield* checkNotOnlyView(view)
        yield* sql`UPDATE core.view SET "deletedAt" = now(), "updatedAt" = now() WHERE id = ${view.id}`
        return view
      })

    const destroyView: ViewsShape["destroyView"] = (caller, id) =>
      Effect.gen(function*() {
        const view = yield* requireView(caller.workspace.id, id, true)
        yield* requireMayModify(caller, view)
        yield* checkNotOnlyView(view)
        yield* sql`DELETE FROM core.view WHERE id = ${view.id}`
        return view
      })

    const selectParts = (part: ViewPart, where: Statement.Fragment) =>
      Effect.map(
        sql`SELECT * FROM core.${sql(ENTITIES[part].table)} WHERE ${where} ORDER BY ${sql.unsafe(ENTITIES[part].orderBy)}`,
        (rows) => jsonRows<PartRow>(rows)
      )

    const listParts: ViewsShape["listParts"] = (workspaceId, part, viewId) =>
      viewId !== null && !isUuid(viewId) ? Effect.succeed([]) : selectParts(part, sql.and([
        sql`"workspaceId" = ${workspaceId}`,
        sql`"deletedAt" IS NULL`,
        viewId !== null ? sql`"viewId" = ${viewId}` : sql`true`
      ]))

    const findPart = (workspaceId: string, part: ViewPart, id: string, withDeleted: boolean) =>
      !isUuid(id) ? Effect.succeed(null) : Effect.map(
        selectParts(part, sql.and([
          sql`"workspaceId" = ${workspaceId}`,
          sql`id = ${id}`,
          withDeleted ? sql`true` : sql`"deletedAt" IS NULL`
        ])),
        (rows) => rows[0] ?? null
      )
    const getPart: ViewsShape["getPart"] = (workspaceId, part, id) => findPart(workspaceId, part, id, false)

    /** The part and its view, once the caller may modify that view. */
    const modifiablePart = (caller: WorkspaceCaller, part: ViewPart, id: string, withDeleted = false) =>
      Effect.gen(function*() {
        const row = yield* findPart(caller.workspace.id, part, id, withDeleted)
        if (!row) return yield* notFound(ENTITIES[part].label, id)
        const view = yield* requireView(caller.workspace.id, row.viewId, true)
        yield* requireMayModify(caller, view)
        return { row, view }
      })

    const createParts: ViewsShape["createParts"] = (caller, part, inputs) =>
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

    const updatePart: ViewsShape["updatePart"] = (caller, part, id, input) =>
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

    const deletePart: ViewsShape["deletePart"] = (caller, part, id) =>
      Effect.gen(function*() {
        const { row } = yield* modifiablePart(caller, part, id)
        const [deleted] = yield* sql`UPDATE core.${sql(ENTITIES[part].table)} SET "deletedAt" = now(), "updatedAt" = now()
                                      WHERE id = ${row.id} RETURNING *`
        return jsonRow<PartRow>(deleted!)
      })

    const destroyPart: ViewsShape["destroyPart"] = (caller, part, id) =>
      Effect.gen(function*() {
        const { row } = yield* modifiablePart(caller, part, id, true)
        yield* sql`DELETE FROM core.${sql(ENTITIES[part].table)} WHERE id = ${row.id}`
        return row
      })

    const minimalMetadata: ViewsShape["minimalMetadata"] = (caller) =>
      Effect.gen(function*() {
        const workspaceId = caller.workspace.id
        const [objectMetadataItems, views, collectionHashes] = yield* Effect.all([
          sql`SELECT id, "nameSingular", "namePlural", "labelSingular", "labelPlural", icon, NULL::text AS color,
                     "isActive", "isSystem", "isRemote"
                FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} AND "isActive" ORDER BY "nameSingular"`,
          listViews(caller, {}),
          // The hash changes whenever a row of the collection is added, changed or removed.
          sql.unsafe<{ collectionName: string; hash: string }>(
            HASHED_COLLECTIONS.map(([name, table]) =>
              `SELECT '${name}' AS "collectionName", md5(coalesce(string_agg(row_to_json(t)::text, ',' ORDER BY t.id), '')) AS hash
                 FROM core."${table}" t WHERE t."workspaceId" = $1`
            ).join(" UNION ALL "),
            [workspaceId]
          )
        ], { concurrency: "unbounded" })
        return {
          objectMetadataItems: jsonRows<Record<string, unknown>>(objectMetadataItems),
          views: views.map((v) => ({ id: v.id, type: v.type, key: v.key, objectMetadataId: v.objectMetadataId })),
          collectionHashes
        }
      })

    return {
      minimalMetadata,
      listViews,
      getView: (workspaceId, id) => findView(workspaceId, id),
      createView,
      updateView,
      deleteView,
      destroyView,
      listParts,
      getPart,
      createParts,
      updatePart,
      deletePart,
      destroyPart
    } satisfies ViewsShape
  })
)
