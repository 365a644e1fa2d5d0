import type { SqlError } from "@effect/sql"
import { Context, type Effect } from "effect"
import type { BadUserInput, Conflict, NotFound } from "../../domain/errors.js"
import type { OnDeleteAction, RelationDirection } from "../../domain/field-types.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"

export interface CreateObjectInput {
  readonly nameSingular: string
  readonly namePlural: string
  readonly labelSingular: string
  readonly labelPlural: string
  readonly description?: string | null
  readonly icon?: string | null
  readonly shortcut?: string | null
  readonly isLabelSyncedWithName?: boolean | null
  readonly isRemote?: boolean | null
  readonly skipNameField?: boolean | null
}

export interface UpdateObjectInput {
  readonly nameSingular?: string | null
  readonly namePlural?: string | null
  readonly labelSingular?: string | null
  readonly labelPlural?: string | null
  readonly description?: string | null
  readonly icon?: string | null
  readonly shortcut?: string | null
  readonly isActive?: boolean | null
  readonly isSearchable?: boolean | null
  readonly isLabelSyncedWithName?: boolean | null
  readonly labelIdentifierFieldMetadataId?: string | null
  readonly imageIdentifierFieldMetadataId?: string | null
}

export interface RelationCreationPayload {
  readonly type: RelationDirection
  readonly targetObjectMetadataId: string
  readonly targetFieldLabel: string
  readonly targetFieldIcon?: string | null
  readonly targetFieldName?: string | null
  readonly onDelete?: OnDeleteAction | null
}

/** What both creating and updating a field may set. */
interface FieldProperties {
  readonly description?: string | null
  readonly icon?: string | null
  readonly isActive?: boolean | null
  readonly isNullable?: boolean | null
  readonly isUnique?: boolean | null
  readonly isLabelSyncedWithName?: boolean | null
  readonly defaultValue?: unknown
  readonly options?: unknown
  readonly settings?: Record<string, unknown> | null
}

export interface CreateFieldInput extends FieldProperties {
  readonly objectMetadataId: string
  readonly type: string
  readonly name: string
  readonly label: string
  readonly relationCreationPayload?: RelationCreationPayload | null
}

export interface UpdateFieldInput extends FieldProperties {
  readonly name?: string | null
  readonly label?: string | null
}

export type MetadataFailure = BadUserInput | NotFound | Conflict | SqlError.SqlError

export interface MetadataShape {
  /** The workspace's objects and fields at its current metadata version (cached per version). */
  readonly get: (workspaceId: string) => Effect.Effect<WorkspaceMetadata, NotFound | SqlError.SqlError>
  /** What `get` last answered for the workspace, while no cache invalidation has been seen since. */
  readonly current: (workspaceId: string) => WorkspaceMetadata | undefined
  readonly createObject: (workspaceId: string, input: CreateObjectInput) => Effect.Effect<ObjectMetadata, MetadataFailure>
  readonly updateObject: (workspaceId: string, id: string, update: UpdateObjectInput) => Effect.Effect<ObjectMetadata, MetadataFailure>
  readonly deleteObject: (workspaceId: string, id: string) => Effect.Effect<ObjectMetadata, MetadataFailure>
  readonly createField: (workspaceId: string, input: CreateFieldInput) => Effect.Effect<FieldMetadata, MetadataFailure>
  readonly updateField: (workspaceId: string, id: string, update: UpdateFieldInput) => Effect.Effect<FieldMetadata, MetadataFailure>
  readonly deleteField: (workspaceId: string, id: string) => Effect.Effect<FieldMetadata, MetadataFailure>
}

/** Workspaces' data models: objects and fields, read (cached per metadata version) and changed with their DDL. */
export class Metadata extends Context.Tag("score/Metadata")<Metadata, MetadataShape>() {}
