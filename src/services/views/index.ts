import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Permissions } from "../permissions/index.js"
import { makeViewAccess } from "./access.js"
import type { ViewPart } from "./entities.js"
import { makeMinimalMetadata } from "./minimal-metadata.js"
import { makeViewReads } from "./reads.js"
import { makeViewRules } from "./rules.js"
import type { MinimalMetadata, PartRow, ViewFailure as Failure, ViewInput, ViewRow, ViewWriter } from "./types.js"
import { makeViewWrites } from "./writes.js"

export { ENTITIES, type ViewEntity, type ViewPart } from "./entities.js"
export type { MinimalMetadata, PartRow, ViewInput, ViewRow, ViewWriter } from "./types.js"

/** Twenty's saved views: reads (reads.ts), who may write (access.ts), its validation rules (rules.ts), writes (writes.ts). */
export interface ViewsShape {
  /** Twenty's getViews: the workspace's views, without other members' UNLISTED ones. */
  readonly listViews: (
    caller: WorkspaceCaller,
    filter: { readonly objectMetadataId?: string | null; readonly viewTypes?: ReadonlyArray<string> | null }
  ) => Effect.Effect<ReadonlyArray<ViewRow>, SqlError.SqlError>
  /** One view by id, whatever its visibility (unlisted views are reached by link); null when absent. */
  readonly getView: (workspaceId: string, id: string) => Effect.Effect<ViewRow | null, SqlError.SqlError>
  readonly createView: (caller: ViewWriter, input: ViewInput) => Effect.Effect<ViewRow, Failure>
  readonly updateView: (caller: ViewWriter, id: string, input: ViewInput) => Effect.Effect<ViewRow, Failure>
  /** Soft delete (sets deletedAt). */
  readonly deleteView: (caller: ViewWriter, id: string) => Effect.Effect<ViewRow, Failure>
  /** Removes the view and its parts. */
  readonly destroyView: (caller: ViewWriter, id: string) => Effect.Effect<ViewRow, Failure>
  /** A view's parts of one kind (every view's when viewId is null), not deleted. */
  readonly listParts: (workspaceId: string, part: ViewPart, viewId: string | null) => Effect.Effect<ReadonlyArray<PartRow>, SqlError.SqlError>
  readonly getPart: (workspaceId: string, part: ViewPart, id: string) => Effect.Effect<PartRow | null, SqlError.SqlError>
  /** Creates parts (each input names its viewId), all or none. */
  readonly createParts: (caller: ViewWriter, part: ViewPart, inputs: ReadonlyArray<ViewInput>) => Effect.Effect<ReadonlyArray<PartRow>, Failure>
  readonly updatePart: (caller: ViewWriter, part: ViewPart, id: string, input: ViewInput) => Effect.Effect<PartRow, Failure>
  /** Several updates of one kind, all or none. */
  readonly updateParts: (
    caller: ViewWriter,
    part: ViewPart,
    updates: ReadonlyArray<{ readonly id: string; readonly update: ViewInput }>
  ) => Effect.Effect<ReadonlyArray<PartRow>, Failure>
  readonly deletePart: (caller: ViewWriter, part: ViewPart, id: string) => Effect.Effect<PartRow, Failure>
  readonly destroyPart: (caller: ViewWriter, part: ViewPart, id: string) => Effect.Effect<PartRow, Failure>
  /** Active objects, the views the caller may list, and a content hash per metadata collection. */
  readonly minimalMetadata: (caller: WorkspaceCaller) => Effect.Effect<MinimalMetadata, SqlError.SqlError>
}

export class Views extends Context.Tag("score/Views")<Views, ViewsShape>() {}

export const ViewsLive = Layer.effect(
  Views,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const reads = makeViewReads(sql)
    const writes = makeViewWrites(sql, reads, makeViewAccess(yield* Permissions), makeViewRules(sql, reads))
    return {
      ...writes,
      listViews: reads.listViews,
      getView: (workspaceId, id) => reads.findView(workspaceId, id),
      listParts: reads.listParts,
      getPart: reads.getPart,
      minimalMetadata: makeMinimalMetadata(sql, reads)
    } satisfies ViewsShape
  })
)
