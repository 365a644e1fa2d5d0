/**
 * The parts of a twenty-sdk manifest (`.twenty/output/manifest.json`, sent whole to syncApplication) that
 * Score applies: the application, objects with their fields, standalone fields, roles, logic functions and views
 * with their fields, filters, sorts and groups. Other sections (page layouts, front components…) are accepted
 * and not applied.
 */
import { Schema } from "effect"

const Uid = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i))

export const ManifestField = Schema.Struct({
  universalIdentifier: Uid,
  type: Schema.String,
  name: Schema.String,
  label: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  icon: Schema.optional(Schema.NullOr(Schema.String)),
  isNullable: Schema.optional(Schema.Boolean),
  defaultValue: Schema.optional(Schema.Unknown),
  options: Schema.optional(Schema.Unknown),
  objectUniversalIdentifier: Schema.optional(Uid)
})
export type ManifestField = typeof ManifestField.Type

export const ManifestObject = Schema.Struct({
  universalIdentifier: Uid,
  nameSingular: Schema.String,
  namePlural: Schema.String,
  labelSingular: Schema.String,
  labelPlural: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  icon: Schema.optional(Schema.NullOr(Schema.String)),
  fields: Schema.Array(ManifestField)
})
export type ManifestObject = typeof ManifestObject.Type

export const ManifestRole = Schema.Struct({
  universalIdentifier: Uid,
  label: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  canReadAllObjectRecords: Schema.optional(Schema.Boolean),
  canUpdateAllObjectRecords: Schema.optional(Schema.Boolean),
  canSoftDeleteAllObjectRecords: Schema.optional(Schema.Boolean),
  canDestroyAllObjectRecords: Schema.optional(Schema.Boolean),
  canUpdateAllSettings: Schema.optional(Schema.Boolean),
  canAccessAllTools: Schema.optional(Schema.Boolean)
})
export type ManifestRole = typeof ManifestRole.Type

export const ManifestLogicFunction = Schema.Struct({
  universalIdentifier: Uid,
  name: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  timeoutSeconds: Schema.optional(Schema.Number),
  handlerName: Schema.String,
  sourceHandlerPath: Schema.String,
  builtHandlerPath: Schema.String,
  builtHandlerChecksum: Schema.optional(Schema.NullOr(Schema.String)),
  cronTriggerSettings: Schema.optional(Schema.Unknown),
  databaseEventTriggerSettings: Schema.optional(Schema.Unknown),
  httpRouteTriggerSettings: Schema.optional(Schema.NullOr(Schema.Struct({
    path: Schema.String,
    httpMethod: Schema.String,
    isAuthRequired: Schema.optional(Schema.Boolean)
  })))
})
export type ManifestLogicFunction = typeof ManifestLogicFunction.Type

const ViewFieldSpec = {
  universalIdentifier: Uid,
  fieldMetadataUniversalIdentifier: Uid,
  isVisible: Schema.optional(Schema.Boolean),
  size: Schema.optional(Schema.Number),
  position: Schema.Number,
  aggregateOperation: Schema.optional(Schema.NullOr(Schema.String))
}
export const ManifestViewField = Schema.Struct({ ...ViewFieldSpec, viewUniversalIdentifier: Schema.optional(Uid) })
export type ManifestViewField = typeof ManifestViewField.Type

export const ManifestViewFilter = Schema.Struct({
  universalIdentifier: Uid,
  fieldMetadataUniversalIdentifier: Uid,
  operand: Schema.String,
  value: Schema.Unknown,
  subFieldName: Schema.optional(Schema.NullOr(Schema.String)),
  relationTargetFieldMetadataUniversalIdentifier: Schema.optional(Uid),
  viewUniversalIdentifier: Schema.optional(Uid)
})

export const ManifestViewSort = Schema.Struct({
  universalIdentifier: Uid,
  fieldMetadataUniversalIdentifier: Uid,
  direction: Schema.String,
  subFieldName: Schema.optional(Schema.NullOr(Schema.String)),
  viewUniversalIdentifier: Schema.optional(Uid)
})

export const ManifestViewGroup = Schema.Struct({
  universalIdentifier: Uid,
  fieldValue: Schema.String,
  isVisible: Schema.optional(Schema.Boolean),
  position: Schema.Number,
  viewUniversalIdentifier: Schema.optional(Uid)
})

/** twenty-sdk's ViewManifest (`key` is ignored, as Twenty does: an app's views are always additional ones). */
export const ManifestView = Schema.Struct({
  universalIdentifier: Uid,
  name: Schema.String,
  objectUniversalIdentifier: Uid,
  type: Schema.optional(Schema.String),
  icon: Schema.optional(Schema.String),
  position: Schema.optional(Schema.Number),
  isCompact: Schema.optional(Schema.Boolean),
  visibility: Schema.optional(Schema.Literal("WORKSPACE", "UNLISTED")),
  openRecordIn: Schema.optional(Schema.String),
  mainGroupByFieldMetadataUniversalIdentifier: Schema.optional(Uid),
  shouldHideEmptyGroups: Schema.optional(Schema.Boolean),
  anyFieldFilterValue: Schema.optional(Schema.NullOr(Schema.String)),
  kanbanColumnWidth: Schema.optional(Schema.NullOr(Schema.Number)),
  kanbanAggregateOperation: Schema.optional(Schema.String),
  kanbanAggregateOperationFieldMetadataUniversalIdentifier: Schema.optional(Uid),
  calendarLayout: Schema.optional(Schema.String),
  calendarFieldMetadataUniversalIdentifier: Schema.optional(Uid),
  fields: Schema.optionalWith(Schema.Array(Schema.Struct(ViewFieldSpec)), { default: () => [] }),
  filters: Schema.optionalWith(Schema.Array(ManifestViewFilter), { default: () => [] }),
  sorts: Schema.optionalWith(Schema.Array(ManifestViewSort), { default: () => [] }),
  groups: Schema.optionalWith(Schema.Array(ManifestViewGroup), { default: () => [] })
})
export type ManifestView = typeof ManifestView.Type

export const Manifest = Schema.Struct({
  application: Schema.Struct({
    universalIdentifier: Uid,
    displayName: Schema.String,
    description: Schema.optional(Schema.NullOr(Schema.String)),
    defaultRoleUniversalIdentifier: Schema.optional(Schema.NullOr(Uid))
  }),
  objects: Schema.optionalWith(Schema.Array(ManifestObject), { default: () => [] }),
  fields: Schema.optionalWith(Schema.Array(ManifestField), { default: () => [] }),
  roles: Schema.optionalWith(Schema.Array(ManifestRole), { default: () => [] }),
  logicFunctions: Schema.optionalWith(Schema.Array(ManifestLogicFunction), { default: () => [] }),
  views: Schema.optionalWith(Schema.Array(ManifestView), { default: () => [] }),
  /** Fields of a view defined apart from it (`defineViewField`), naming their view. */
  viewFields: Schema.optionalWith(Schema.Array(ManifestViewField), { default: () => [] })
})
export type Manifest = typeof Manifest.Type

/** Every field of the manifest with the object it belongs to (objects' own, then standalone ones). */
export const manifestFields = (manifest: Manifest): ReadonlyArray<ManifestField & { readonly objectUniversalIdentifier: string }> => [
  ...manifest.objects.flatMap((object) => object.fields.map((field) => ({ ...field, objectUniversalIdentifier: object.universalIdentifier }))),
  ...manifest.fields.flatMap((field) => (field.objectUniversalIdentifier ? [{ ...field, objectUniversalIdentifier: field.objectUniversalIdentifier }] : []))
]

/** The parts of every view, each with the view it belongs to (views' own, then standalone view fields). */
export const manifestViewParts = (manifest: Manifest) => {
  const of = <P>(pick: (view: ManifestView) => ReadonlyArray<P>) =>
    manifest.views.flatMap((view) => pick(view).map((part) => ({ ...part, viewUniversalIdentifier: view.universalIdentifier })))
  return {
    viewField: [...of((view) => view.fields), ...manifest.viewFields.flatMap((field) => (field.viewUniversalIdentifier ? [field] : []))],
    viewFilter: of((view) => view.filters),
    viewSort: of((view) => view.sorts),
    viewGroup: of((view) => view.groups)
  }
}
