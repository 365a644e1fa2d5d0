/**
 * The parts of a twenty-sdk manifest (`.twenty/output/manifest.json`, sent whole to syncApplication) that
 * Score applies: the application, objects with their fields, standalone fields, roles and logic functions.
 * Other sections (views, page layouts, front components…) are accepted and not applied.
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
  logicFunctions: Schema.optionalWith(Schema.Array(ManifestLogicFunction), { default: () => [] })
})
export type Manifest = typeof Manifest.Type

/** Every field of the manifest with the object it belongs to (objects' own, then standalone ones). */
export const manifestFields = (manifest: Manifest): ReadonlyArray<ManifestField & { readonly objectUniversalIdentifier: string }> => [
  ...manifest.objects.flatMap((object) => object.fields.map((field) => ({ ...field, objectUniversalIdentifier: object.universalIdentifier }))),
  ...manifest.fields.flatMap((field) => (field.objectUniversalIdentifier ? [{ ...field, objectUniversalIdentifier: field.objectUniversalIdentifier }] : []))
]
