import type { SqlError } from "@effect/sql"
import type { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import type { WorkspaceCaller } from "../auth/permissions.js"

/**
 * Who writes a view: a caller, or a Twenty app at its sync, which its DATA_MODEL permission authorized (as
 * Twenty applies an app's workspace migration): no view access check, no creator.
 */
export type ViewWriter = WorkspaceCaller | { readonly kind: "application"; readonly workspace: { readonly id: string } }

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

export type ViewFailure = BadUserInput | Forbidden | NotFound | SqlError.SqlError

/** Twenty's minimalMetadata: what its front boots on (minimal-metadata/minimal-metadata.service.ts). */
export interface MinimalMetadata {
  readonly objectMetadataItems: ReadonlyArray<Record<string, unknown>>
  readonly views: ReadonlyArray<Pick<ViewRow, "id" | "key" | "objectMetadataId"> & { readonly type: unknown }>
  readonly collectionHashes: ReadonlyArray<{ readonly collectionName: string; readonly hash: string }>
}
