import { Effect } from "effect"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { addFieldColumns, relationConstraint } from "./ddl.js"
import { bad, objectOf } from "./lookup.js"
import { fieldFromDefinition, type objectFromDefinition } from "./model.js"
import type { RelationCreationPayload } from "./service.js"
import { checkColumnsFree, validateLabel, validateName } from "./validate.js"

type NewField = ReturnType<typeof fieldFromDefinition>

/** "Timeline Activities" → "timelineActivities". */
export const camelCaseOf = (label: string) =>
  label.trim().replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))
    .replace(/^[^a-zA-Z]+/, "").replace(/^./, (c) => c.toLowerCase())

/**
 * As in Twenty, a custom object can be a timeline target, have notes, tasks and attachments, and be a
 * favorite: a MANY_TO_ONE field on each of those standard objects, with its ONE_TO_MANY inverse here.
 */
const STANDARD_LINKS = [
  { owner: "timelineActivity", prefix: "target", inverse: "timelineActivities", label: "Timeline Activities", onDelete: "CASCADE" },
  { owner: "noteTarget", prefix: "target", inverse: "noteTargets", label: "Notes", onDelete: "CASCADE" },
  { owner: "taskTarget", prefix: "target", inverse: "taskTargets", label: "Tasks", onDelete: "CASCADE" },
  { owner: "attachment", prefix: "target", inverse: "attachments", label: "Attachments", onDelete: "CASCADE" },
  { owner: "favorite", prefix: "", inverse: "favorites", label: "Favorites", onDelete: "CASCADE" }
] as const

/** `targetPet` on noteTarget, `pet` on favorite: a standard owner's field named after the custom object. */
const linkName = (link: (typeof STANDARD_LINKS)[number], nameSingular: string) =>
  link.prefix ? `${link.prefix}${nameSingular.charAt(0).toUpperCase()}${nameSingular.slice(1)}` : nameSingular

/** The standard objects' relations to a new custom object: each owner's field and its inverse on the object. */
export const standardLinks = (metadata: WorkspaceMetadata, object: ReturnType<typeof objectFromDefinition>) => {
  const now = new Date().toISOString()
  return STANDARD_LINKS.flatMap((link) => {
    const owner = metadata.objects.find((o) => o.nameSingular === link.owner && o.isActive)
    const name = linkName(link, object.nameSingular)
    if (!owner || name.length > 60 || owner.fields.some((f) => f.name === name || f.name === `${name}Id`)) return []
    const field = fieldFromDefinition({ name, label: object.labelSingular, type: "RELATION", icon: object.icon ?? "IconBuildingSkyscraper" }, { workspaceId: object.workspaceId, objectMetadataId: owner.id }, true, now)
    const inverse = fieldFromDefinition({ name: link.inverse, label: link.label, type: "RELATION", isSystem: true }, { workspaceId: object.workspaceId, objectMetadataId: object.id }, true, now)
    field.relationType = "MANY_TO_ONE"
    field.onDelete = link.onDelete
    field.relationTargetObjectMetadataId = object.id
    field.relationTargetFieldMetadataId = inverse.id
    inverse.relationType = "ONE_TO_MANY"
    inverse.relationTargetObjectMetadataId = owner.id
    inverse.relationTargetFieldMetadataId = field.id
    return [{ owner, field, inverse }]
  })
}

/**
 * The standard objects' fields named after a custom object that is being renamed (Twenty's
 * renameRelatedMorphFieldOnObjectNamesUpdate: `targetPet` becomes `targetDog`, its join column with it),
 * with their label following the object's singular label unless it was changed by hand. Only the fields
 * still carrying the old name; a name taken on the owner is refused.
 */
export const renamedStandardLinks = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  to: { readonly nameSingular: string; readonly labelSingular: string }
) =>
  Effect.forEach(STANDARD_LINKS, (link) =>
    Effect.gen(function*() {
      const owner = metadata.objects.find((o) => o.nameSingular === link.owner)
      const field = owner?.fields.find((f) =>
        f.name === linkName(link, object.nameSingular) && f.relationTargetObjectMetadataId === object.id && f.relationType === "MANY_TO_ONE"
      )
      if (!owner || !field) return []
      const name = linkName(link, to.nameSingular)
      const label = field.label === object.labelSingular ? to.labelSingular : field.label
      if (name === field.name && label === field.label) return []
      if (name !== field.name && owner.fields.some((f) => f.id !== field.id && (f.name === name || f.name === `${name}Id`))) {
        return yield* bad(`Name "${name}" is already used by a field of ${owner.nameSingular}`, "nameSingular")
      }
      return [{ owner, field, name, label }]
    })).pipe(Effect.map((groups) => groups.flat()))

/**
 * A new RELATION field on `object` as the payload asks: its inverse on the target object, both sides wired
 * to each other (`field` is completed in place), and the DDL adding the join column on the MANY_TO_ONE side.
 */
export const relationPair = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  field: NewField,
  payload: RelationCreationPayload,
  now: string
) =>
  Effect.gen(function*() {
    if (payload.type !== "MANY_TO_ONE" && payload.type !== "ONE_TO_MANY") {
      return yield* bad("relationCreationPayload.type must be MANY_TO_ONE or ONE_TO_MANY", "relationCreationPayload")
    }
    const target = yield* objectOf(metadata, String(payload.targetObjectMetadataId)).pipe(
      Effect.mapError(() => bad("Object targeted by field to create not found", "relationCreationPayload"))
    )
    const targetLabel = yield* validateLabel(payload.targetFieldLabel, "relationCreationPayload.targetFieldLabel")
    const targetName = yield* validateName(payload.targetFieldName ?? camelCaseOf(targetLabel), "relationCreationPayload.targetFieldName")
    const onDelete = payload.onDelete ?? "SET_NULL"
    const inverse = fieldFromDefinition({
      name: targetName,
      label: targetLabel,
      type: "RELATION",
      ...(payload.targetFieldIcon ? { icon: payload.targetFieldIcon } : {})
    }, { workspaceId: field.workspaceId, objectMetadataId: target.id }, true, now)
    field.relationType = payload.type
    inverse.relationType = payload.type === "MANY_TO_ONE" ? "ONE_TO_MANY" : "MANY_TO_ONE"
    field.relationTargetObjectMetadataId = target.id
    field.relationTargetFieldMetadataId = inverse.id
    inverse.relationTargetObjectMetadataId = object.id
    inverse.relationTargetFieldMetadataId = field.id
    const owner = field.relationType === "MANY_TO_ONE" ? field : inverse
    owner.onDelete = onDelete
    yield* checkColumnsFree(object, field)
    const targetNow = target.id === object.id ? { ...target, fields: [...target.fields, field] } : target
    yield* checkColumnsFree(targetNow, inverse)
    const ownerObject = owner === field ? object : target
    const referenced = owner === field ? target : object
    return {
      inverse,
      statements: [
        ...addFieldColumns(metadata.schema, ownerObject, owner),
        ...relationConstraint(metadata.schema, ownerObject, owner, referenced)
      ]
    }
  })
