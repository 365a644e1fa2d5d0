/**
 * Applies a sync plan (plan.ts) through the owning services: objects and fields through the metadata engine,
 * roles through the roles service, logic functions as rows of core."logicFunction" owned by the app, views
 * and their parts through the views service (written as the application: the sync's permission covers them). The
 * caller runs it in one transaction, so a manifest is applied whole or not at all.
 */
import { Effect, Schema } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { MetadataShape } from "../metadata/index.js"
import type { RolesShape } from "../roles/index.js"
import type { ViewsShape, ViewWriter } from "../views/index.js"
import { deleteFunction, insertFunction, updateFunction } from "../logic-functions/store.js"
import { checkTriggerSettings } from "../logic-functions/triggers.js"
import type { Action, MetadataName, ViewPartName } from "./plan.js"
import { ManifestField, ManifestLogicFunction, ManifestObject, ManifestRole, ManifestView, ManifestViewField, ManifestViewFilter, ManifestViewGroup, ManifestViewSort } from "./manifest.js"

/** Score ids of what the app created, per metadata name and universal identifier. */
export type Entities = Record<MetadataName, Record<string, string>>

export const emptyEntities = (): Entities => ({
  objectMetadata: {}, fieldMetadata: {}, role: {}, logicFunction: {}, view: {}, viewField: {}, viewFilter: {}, viewSort: {}, viewGroup: {}
})

export interface ApplyDeps {
  readonly workspaceId: string
  readonly applicationId: string
  readonly metadata: MetadataShape
  readonly roles: RolesShape
  readonly views: ViewsShape
  /** The built file at a path of the app's upload (a function's `builtHandlerPath`). */
  readonly builtFile: (path: string) => Effect.Effect<string, BadUserInput>
}

const roleFlags = (role: typeof ManifestRole.Type) => ({
  label: role.label,
  description: role.description ?? null,
  canReadAllObjectRecords: role.canReadAllObjectRecords ?? false,
  canUpdateAllObjectRecords: role.canUpdateAllObjectRecords ?? false,
  canSoftDeleteAllObjectRecords: role.canSoftDeleteAllObjectRecords ?? false,
  canDestroyAllObjectRecords: role.canDestroyAllObjectRecords ?? false,
  canUpdateAllSettings: role.canUpdateAllSettings ?? false,
  canAccessAllTools: role.canAccessAllTools ?? false,
  canBeAssignedToApiKeys: true
})

const functionColumns = (deps: ApplyDeps, fn: typeof ManifestLogicFunction.Type) =>
  Effect.zipRight(checkTriggerSettings(fn), Effect.map(deps.builtFile(fn.builtHandlerPath), (code) => ({
    name: fn.name,
    description: fn.description ?? null,
    timeoutSeconds: Math.min(900, Math.max(1, Math.round(fn.timeoutSeconds ?? 300))),
    handlerName: fn.handlerName,
    // The bundle runs as uploaded: its built path is the handler the sandbox imports.
    sourceHandlerPath: fn.builtHandlerPath,
    builtHandlerPath: fn.builtHandlerPath,
    cronTriggerSettings: fn.cronTriggerSettings ?? null,
    databaseEventTriggerSettings: fn.databaseEventTriggerSettings ?? null,
    httpRouteTriggerSettings: fn.httpRouteTriggerSettings ?? null,
    sources: { [fn.builtHandlerPath]: code },
    checksum: fn.builtHandlerChecksum ?? null,
    applicationId: deps.applicationId,
    universalIdentifier: fn.universalIdentifier
  })))

const idOf = (entities: Entities, name: MetadataName, uid: string) =>
  entities[name][uid] ?? null

/** The app's object or field of that universal identifier; else the identifier itself (a Score id). */
const metadataId = (entities: Entities, name: "objectMetadata" | "fieldMetadata", uid: string | undefined) =>
  uid === undefined ? undefined : entities[name][uid] ?? uid

/** Only the values the manifest states (the views service keeps its defaults for the others). */
const stated = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined))

/** Twenty's defaults for what the manifest leaves out (fromViewManifestToUniversalFlatView), so a re-sync resets them too. */
const viewInput = (entities: Entities, view: ManifestView) => ({
  name: view.name,
  objectMetadataId: metadataId(entities, "objectMetadata", view.objectUniversalIdentifier),
  type: view.type ?? "TABLE",
  icon: view.icon ?? "IconList",
  position: view.position ?? 0,
  isCompact: view.isCompact ?? false,
  visibility: view.visibility ?? "WORKSPACE",
  openRecordIn: view.openRecordIn ?? "SIDE_PANEL",
  mainGroupByFieldMetadataId: metadataId(entities, "fieldMetadata", view.mainGroupByFieldMetadataUniversalIdentifier) ?? null,
  shouldHideEmptyGroups: view.shouldHideEmptyGroups ?? false,
  anyFieldFilterValue: view.anyFieldFilterValue ?? null,
  kanbanColumnWidth: view.kanbanColumnWidth ?? null,
  kanbanAggregateOperation: view.kanbanAggregateOperation ?? null,
  kanbanAggregateOperationFieldMetadataId: metadataId(entities, "fieldMetadata", view.kanbanAggregateOperationFieldMetadataUniversalIdentifier) ?? null,
  calendarLayout: view.calendarLayout ?? null,
  calendarFieldMetadataId: metadataId(entities, "fieldMetadata", view.calendarFieldMetadataUniversalIdentifier) ?? null
})

/** A view part's columns, from its manifest entry (decoded with the schema of its kind). */
const viewPartInput = (entities: Entities, name: ViewPartName, flat: Record<string, unknown>) =>
  Effect.gen(function*() {
    const decode = <A, I>(schema: Schema.Schema<A, I>) =>
      Schema.decodeUnknown(schema)(flat).pipe(Effect.mapError(() => new BadUserInput({ message: `Invalid ${name} ${String(flat.universalIdentifier)} in the manifest` })))
    const field = (uid: string | undefined) => metadataId(entities, "fieldMetadata", uid)
    switch (name) {
      case "viewField": {
        const part = yield* decode(ManifestViewField)
        return stated({ fieldMetadataId: field(part.fieldMetadataUniversalIdentifier), isVisible: part.isVisible, size: part.size, position: part.position, aggregateOperation: part.aggregateOperation })
      }
      case "viewFilter": {
        const part = yield* decode(ManifestViewFilter)
        return stated({
          fieldMetadataId: field(part.fieldMetadataUniversalIdentifier), operand: part.operand, value: part.value, subFieldName: part.subFieldName,
          relationTargetFieldMetadataId: field(part.relationTargetFieldMetadataUniversalIdentifier)
        })
      }
      case "viewSort": {
        const part = yield* decode(ManifestViewSort)
        return stated({ fieldMetadataId: field(part.fieldMetadataUniversalIdentifier), direction: part.direction, subFieldName: part.subFieldName })
      }
      case "viewGroup": {
        const part = yield* decode(ManifestViewGroup)
        return stated({ fieldValue: part.fieldValue, isVisible: part.isVisible, position: part.position })
      }
    }
  })

const isViewPart = (name: MetadataName): name is ViewPartName => name === "viewField" || name === "viewFilter" || name === "viewSort" || name === "viewGroup"

/** Views and their parts: the app writes them as the application. */
const applyViewAction = (deps: ApplyDeps, entities: Entities, action: Action, deletedViews: ReadonlySet<string>) =>
  Effect.gen(function*() {
    const writer: ViewWriter = { kind: "application", workspace: { id: deps.workspaceId } }
    const id = idOf(entities, action.metadataName, action.universalIdentifier)
    const name = action.metadataName
    if (name === "view") {
      if (action.type === "delete") {
        if (id) yield* deps.views.destroyView(writer, id).pipe(Effect.catchTag("NotFound", () => Effect.void))
        delete entities.view[action.universalIdentifier]
        return
      }
      const view = yield* Schema.decodeUnknown(ManifestView.pipe(Schema.omit("fields", "filters", "sorts", "groups")))(action.flatEntity).pipe(
        Effect.mapError(() => new BadUserInput({ message: `Invalid view ${action.universalIdentifier} in the manifest` }))
      )
      const input = viewInput(entities, { ...view, fields: [], filters: [], sorts: [], groups: [] })
      if (action.type === "update" && id) {
        const { objectMetadataId: _object, ...update } = input
        yield* deps.views.updateView(writer, id, update)
      } else if (action.type === "create") {
        entities.view[action.universalIdentifier] = (yield* deps.views.createView(writer, input)).id
      }
      return
    }
    if (!isViewPart(name)) return
    const viewUid = String(action.flatEntity.viewUniversalIdentifier ?? "")
    if (action.type === "delete") {
      // A part of a view destroyed in the same sync went with its view.
      if (id && !deletedViews.has(viewUid)) yield* deps.views.destroyPart(writer, name, id).pipe(Effect.catchTag("NotFound", () => Effect.void))
      delete entities[name][action.universalIdentifier]
      return
    }
    const input = yield* viewPartInput(entities, name, action.flatEntity)
    if (action.type === "update" && id) {
      yield* deps.views.updatePart(writer, name, id, input)
    } else if (action.type === "create") {
      const viewId = idOf(entities, "view", viewUid)
      if (!viewId) return yield* new BadUserInput({ message: `The ${name} ${action.universalIdentifier} names no view of the app` })
      const [created] = yield* deps.views.createParts(writer, name, [{ ...input, viewId }])
      entities[name][action.universalIdentifier] = created!.id
    }
  })

export const applyAction = (deps: ApplyDeps, entities: Entities, action: Action, deletedObjects: ReadonlySet<string>, deletedViews: ReadonlySet<string> = new Set()) =>
  Effect.gen(function*() {
    if (action.metadataName === "view" || isViewPart(action.metadataName)) return yield* applyViewAction(deps, entities, action, deletedViews)
    const { workspaceId: ws, metadata, roles } = deps
    const id = idOf(entities, action.metadataName, action.universalIdentifier)
    const decode = <A, I>(schema: Schema.Schema<A, I>) =>
      Schema.decodeUnknown(schema)(action.flatEntity).pipe(Effect.mapError(() => new BadUserInput({ message: `Invalid ${action.metadataName} ${action.universalIdentifier} in the manifest` })))
    const forget = () => {
      delete entities[action.metadataName][action.universalIdentifier]
    }
    switch (`${action.type}:${action.metadataName}`) {
      case "delete:logicFunction":
        if (id) yield* deleteFunction(ws, id)
        return forget()
      case "delete:fieldMetadata": {
        const field = yield* decode(ManifestField)
        // A field of an object deleted in the same sync goes with its object.
        if (id && !deletedObjects.has(field.objectUniversalIdentifier ?? "")) yield* metadata.deleteField(ws, id)
        return forget()
      }
      case "delete:objectMetadata":
        if (id) yield* metadata.deleteObject(ws, id)
        return forget()
      case "delete:role":
        if (id) yield* roles.remove(ws, id)
        return forget()
      case "create:objectMetadata": {
        const object = yield* decode(ManifestObject.pipe(Schema.omit("fields")))
        const created = yield* metadata.createObject(ws, {
          nameSingular: object.nameSingular,
          namePlural: object.namePlural,
          labelSingular: object.labelSingular,
          labelPlural: object.labelPlural,
          description: object.description ?? null,
          icon: object.icon ?? null,
          // The manifest lists the object's name field itself.
          skipNameField: true
        })
        entities.objectMetadata[object.universalIdentifier] = created.id
        return
      }
      case "update:objectMetadata": {
        const object = yield* decode(ManifestObject.pipe(Schema.omit("fields")))
        if (id) {
          yield* metadata.updateObject(ws, id, {
            labelSingular: object.labelSingular,
            labelPlural: object.labelPlural,
            description: object.description ?? null,
            icon: object.icon ?? null
          })
        }
        return
      }
      case "create:fieldMetadata": {
        const field = yield* decode(ManifestField)
        const objectMetadataId = idOf(entities, "objectMetadata", field.objectUniversalIdentifier ?? "") ?? field.objectUniversalIdentifier
        if (!objectMetadataId) return yield* new BadUserInput({ message: `Field ${field.name} names no object` })
        const created = yield* metadata.createField(ws, {
          objectMetadataId,
          type: field.type,
          name: field.name,
          label: field.label,
          description: field.description ?? null,
          icon: field.icon ?? null,
          isNullable: field.isNullable ?? true,
          ...(field.defaultValue !== undefined ? { defaultValue: field.defaultValue } : {}),
          ...(field.options !== undefined ? { options: field.options } : {})
        })
        entities.fieldMetadata[field.universalIdentifier] = created.id
        return
      }
      case "update:fieldMetadata": {
        const field = yield* decode(ManifestField)
        if (id) yield* metadata.updateField(ws, id, { label: field.label, description: field.description ?? null, icon: field.icon ?? null })
        return
      }
      case "create:role": {
        const role = yield* decode(ManifestRole)
        const created = yield* roles.create(ws, roleFlags(role))
        entities.role[role.universalIdentifier] = created.id
        return
      }
      case "update:role": {
        const role = yield* decode(ManifestRole)
        if (id) yield* roles.update(ws, id, roleFlags(role))
        return
      }
      case "create:logicFunction": {
        const fn = yield* decode(ManifestLogicFunction)
        const row = yield* insertFunction(ws, crypto.randomUUID(), yield* functionColumns(deps, fn))
        entities.logicFunction[fn.universalIdentifier] = row.id
        return
      }
      case "update:logicFunction": {
        const fn = yield* decode(ManifestLogicFunction)
        if (id) yield* updateFunction(ws, id, yield* functionColumns(deps, fn))
        return
      }
    }
  })
