import type { FieldType, OnDeleteAction, RelationDirection, SelectOption } from "./field-types.js"

export interface FieldOption extends SelectOption {
  readonly id: string
}

/** A field as stored in core."fieldMetadata" (Twenty's FieldMetadata). */
export interface FieldMetadata {
  readonly id: string
  readonly workspaceId: string
  readonly objectMetadataId: string
  readonly name: string
  readonly label: string
  readonly type: FieldType
  readonly description: string | null
  readonly icon: string | null
  readonly isCustom: boolean
  readonly isActive: boolean
  readonly isSystem: boolean
  readonly isNullable: boolean
  readonly isUnique: boolean
  readonly isUIReadOnly: boolean
  readonly isLabelSyncedWithName: boolean
  readonly defaultValue: unknown
  readonly options: ReadonlyArray<FieldOption> | null
  readonly settings: Record<string, unknown> | null
  readonly relationType: RelationDirection | null
  readonly relationTargetObjectMetadataId: string | null
  readonly relationTargetFieldMetadataId: string | null
  readonly onDelete: OnDeleteAction | null
  readonly morphId: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** An object as stored in core."objectMetadata", with its fields. */
export interface ObjectMetadata {
  readonly id: string
  readonly workspaceId: string
  readonly nameSingular: string
  readonly namePlural: string
  readonly labelSingular: string
  readonly labelPlural: string
  readonly description: string | null
  readonly icon: string | null
  readonly shortcut: string | null
  readonly tableName: string
  readonly isCustom: boolean
  readonly isActive: boolean
  readonly isSystem: boolean
  readonly isRemote: boolean
  readonly isSearchable: boolean
  readonly isUIReadOnly: boolean
  readonly isLabelSyncedWithName: boolean
  readonly labelIdentifierFieldMetadataId: string | null
  readonly imageIdentifierFieldMetadataId: string | null
  readonly duplicateCriteria: ReadonlyArray<ReadonlyArray<string>> | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly fields: ReadonlyArray<FieldMetadata>
}

/** Everything the data APIs derive from, for one workspace at one metadata version. */
export interface WorkspaceMetadata {
  readonly workspaceId: string
  readonly version: number
  readonly schema: string
  readonly objects: ReadonlyArray<ObjectMetadata>
}

export const findObjectByName = (metadata: WorkspaceMetadata, name: string) =>
  metadata.objects.find((o) => o.nameSingular === name || o.namePlural === name)

export const findObjectById = (metadata: WorkspaceMetadata, id: string) => metadata.objects.find((o) => o.id === id)
