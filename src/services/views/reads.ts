import type { SqlClient, Statement } from "@effect/sql"
import { Effect } from "effect"
import { NotFound } from "../../domain/errors.js"
import { OBJECT_LABEL_PLURAL_PLACEHOLDER } from "../../domain/standard-views.js"
import { jsonRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { ENTITIES, type ViewPart } from "./entities.js"
import type { PartRow, ViewRow, ViewWriter } from "./types.js"

export const notFound = (label: string, id: string) => new NotFound({ message: `${label} (id: ${id}) not found` })

export const userWorkspaceIdOf = (caller: ViewWriter) => (caller.kind === "user" ? caller.userWorkspace.id : null)

/** Reading views (names resolved with the object's labelPlural, as Twenty's `name` resolver) and their parts. */
export const makeViewReads = (sql: SqlClient.SqlClient) => {
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

  /** Twenty's getViews: the workspace's views, without other members' UNLISTED ones. */
  const listViews = (
    caller: WorkspaceCaller,
    filter: { readonly objectMetadataId?: string | null; readonly viewTypes?: ReadonlyArray<string> | null }
  ) => {
    if (filter.objectMetadataId != null && !isUuid(filter.objectMetadataId)) return Effect.succeed([])
    return selectViews(sql.and([
      sql`v."workspaceId" = ${caller.workspace.id}`,
      sql`v."deletedAt" IS NULL`,
      sql`(v.visibility = 'WORKSPACE' OR (v.visibility = 'UNLISTED' AND v."createdByUserWorkspaceId" = ${userWorkspaceIdOf(caller)}))`,
      filter.objectMetadataId != null ? sql`v."objectMetadataId" = ${filter.objectMetadataId}` : sql`true`,
      filter.viewTypes?.length ? sql`v.type IN ${sql.in(filter.viewTypes)}` : sql`true`
    ]))
  }

  const selectParts = (part: ViewPart, where: Statement.Fragment) =>
    Effect.map(
      sql`SELECT * FROM core.${sql(ENTITIES[part].table)} WHERE ${where} ORDER BY ${sql.unsafe(ENTITIES[part].orderBy)}`,
      (rows) => jsonRows<PartRow>(rows)
    )

  /** A view's parts of one kind (every view's when viewId is null), not deleted. */
  const listParts = (workspaceId: string, part: ViewPart, viewId: string | null) =>
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
  const getPart = (workspaceId: string, part: ViewPart, id: string) => findPart(workspaceId, part, id, false)

  return { findView, requireView, listViews, listParts, findPart, getPart }
}

export type ViewReads = ReturnType<typeof makeViewReads>
