import type { FieldMetadata, FieldOption, ObjectMetadata } from "../../domain/metadata.js"
import {
  STANDARD_OBJECTS,
  type StandardField,
  type StandardObject,
  SYSTEM_FIELDS
} from "../../domain/standard-objects.js"
import { createTable, relationConstraint, trigramIndexes } from "./ddl.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export const tableNameOf = (nameSingular: string, isCustom: boolean) => (isCustom ? `_${nameSingular}` : nameSingular)

const withOptionIds = (options: StandardField["options"]): Array<FieldOption> | null =>
  options ? options.map((o) => ({ id: crypto.randomUUID(), ...o })) : null

export const fieldFromDefinition = (
  definition: StandardField,
  ids: { readonly workspaceId: string; readonly objectMetadataId: string },
  isCustom: boolean,
  now: string
): Mutable<FieldMetadata> => ({
  id: crypto.randomUUID(),
  workspaceId: ids.workspaceId,
  objectMetadataId: ids.objectMetadataId,
  name: definition.name,
  label: definition.label,
  type: definition.type,
  description: definition.description ?? null,
  icon: definition.icon ?? null,
  isCustom,
  isActive: true,
  isSystem: definition.isSystem ?? false,
  isNullable: definition.isNullable ?? true,
  isUnique: definition.isUnique ?? false,
  isUIReadOnly: definition.isUIReadOnly ?? false,
  isLabelSyncedWithName: false,
  defaultValue: definition.defaultValue ?? null,
  options: withOptionIds(definition.options),
  settings: definition.settings ?? null,
  relationType: definition.relation?.type ?? null,
  relationTargetObjectMetadataId: null,
  relationTargetFieldMetadataId: null,
  onDelete: definition.relation?.onDelete ?? null,
  morphId: definition.relation?.morphId ?? null,
  createdAt: now,
  updatedAt: now
})

export const objectFromDefinition = (
  definition: StandardObject,
  workspaceId: string,
  isCustom: boolean,
  now: string
): Mutable<Omit<ObjectMetadata, "fields">> & { fields: Array<Mutable<FieldMetadata>> } => {
  const id = crypto.randomUUID()
  const fields = [...SYSTEM_FIELDS, ...definition.fields].map((f) =>
    fieldFromDefinition(f, { workspaceId, objectMetadataId: id }, isCustom && !SYSTEM_FIELDS.includes(f), now)
  )
  const fieldId = (name: string | undefined) => fields.find((f) => f.name === name)?.id ?? null
  return {
    id,
    workspaceId,
    nameSingular: definition.nameSingular,
    namePlural: definition.namePlural,
    labelSingular: definition.labelSingular,
    labelPlural: definition.labelPlural,
    description: definition.description ?? null,
    icon: definition.icon ?? null,
    shortcut: definition.shortcut ?? null,
    tableName: tableNameOf(definition.nameSingular, isCustom),
    isCustom,
    isActive: true,
    isSystem: definition.isSystem ?? false,
    isRemote: false,
    isSearchable: definition.isSearchable ?? false,
    isUIReadOnly: false,
    isLabelSyncedWithName: false,
    labelIdentifierFieldMetadataId: fieldId(definition.labelIdentifierField),
    imageIdentifierFieldMetadataId: fieldId(definition.imageIdentifierField),
    duplicateCriteria: definition.duplicateCriteria ?? null,
    createdAt: now,
    updatedAt: now,
    fields
  }
}

/** An object outside the set being built that relations may target (an existing workspace's person). */
export interface RelationTarget {
  readonly id: string
  readonly nameSingular: string
  readonly tableName: string
  readonly fields: ReadonlyArray<Mutable<FieldMetadata>>
}

/**
 * Standard objects with ids and relations resolved; every relation's target must be among `definitions`
 * or `outside` (true of the whole model; the workflow objects on their own; the messaging objects with
 * person and workspaceMember given as `outside`, their inverse fields included).
 */
export const standardObjects = (
  workspaceId: string,
  definitions: ReadonlyArray<StandardObject>,
  outside: ReadonlyArray<RelationTarget> = []
): Array<ObjectMetadata> => {
  const now = new Date().toISOString()
  const objects = definitions.map((definition) => objectFromDefinition(definition, workspaceId, false, now))
  const byName = new Map<string, RelationTarget>([...outside, ...objects].map((o) => [o.nameSingular, o]))
  const resolve = (owner: string, field: Mutable<FieldMetadata>, fieldDef: StandardField) => {
    const target = byName.get(fieldDef.relation!.target)
    if (!target) throw new Error(`${owner}.${fieldDef.name} targets ${fieldDef.relation!.target}, not in the set`)
    field.relationTargetObjectMetadataId = target.id
    field.relationTargetFieldMetadataId = target.fields.find((f) => f.name === fieldDef.relation!.inverse)!.id
  }
  definitions.forEach((definition, i) => {
    for (const fieldDef of definition.fields) {
      if (fieldDef.relation) resolve(definition.nameSingular, objects[i]!.fields.find((f) => f.name === fieldDef.name)!, fieldDef)
    }
  })
  for (const target of outside) {
    const definition = STANDARD_OBJECTS.find((o) => o.nameSingular === target.nameSingular)!
    for (const field of target.fields) resolve(target.nameSingular, field, definition.fields.find((f) => f.name === field.name)!)
  }
  return objects
}

/** Twenty's standard data model for a new workspace, with ids and relations resolved. */
export const standardModel = (workspaceId: string): Array<ObjectMetadata> => standardObjects(workspaceId, STANDARD_OBJECTS)

/** Every statement that creates the tables of `objects` in `schema`, foreign keys last. */
export const modelDdl = (
  schema: string,
  objects: ReadonlyArray<ObjectMetadata>,
  outside: ReadonlyArray<RelationTarget> = []
): Array<string> => {
  const byId = new Map<string, { readonly tableName: string }>([...outside, ...objects].map((o) => [o.id, o]))
  const tables = objects.flatMap((o) => [...createTable(schema, o, o.fields), ...trigramIndexes(schema, o, o.fields)])
  const relations = objects.flatMap((o) =>
    o.fields
      .filter((f) => f.relationType === "MANY_TO_ONE" && f.relationTargetObjectMetadataId)
      .flatMap((f) => relationConstraint(schema, o, f, byId.get(f.relationTargetObjectMetadataId!)!))
  )
  return [...tables, ...relations]
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value))

/** Rows for core."objectMetadata" / core."fieldMetadata" (jsonb columns as JSON text). */
export const objectRow = ({ fields: _, createdAt: _c, updatedAt: _u, ...object }: ObjectMetadata) => ({
  ...object,
  duplicateCriteria: json(object.duplicateCriteria)
})

export const fieldRow = ({ createdAt: _c, updatedAt: _u, ...field }: FieldMetadata) => ({
  ...field,
  defaultValue: json(field.defaultValue),
  options: json(field.options),
  settings: json(field.settings)
})

/** The same rows with jsonb columns as JSON values, for `jsonb_populate_recordset` (one parameter for all rows). */
export const objectRecord = ({ fields: _, createdAt: _c, updatedAt: _u, ...object }: ObjectMetadata) => object

export const fieldRecord = ({ createdAt: _c, updatedAt: _u, ...field }: FieldMetadata) => field
