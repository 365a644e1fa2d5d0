/**
 * Applies a sync plan (plan.ts) through the owning services: objects and fields through the metadata engine,
 * roles through the roles service, logic functions as rows of core."logicFunction" owned by the app. The
 * caller runs it in one transaction, so a manifest is applied whole or not at all.
 */
import { Effect, Schema } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { MetadataShape } from "../metadata/index.js"
import type { RolesShape } from "../roles/index.js"
import { deleteFunction, insertFunction, updateFunction } from "../logic-functions/store.js"
import { checkTriggerSettings } from "../logic-functions/triggers.js"
import type { Action, MetadataName } from "./plan.js"
import { ManifestField, ManifestLogicFunction, ManifestObject, ManifestRole } from "./manifest.js"

/** Score ids of what the app created, per metadata name and universal identifier. */
export type Entities = Record<MetadataName, Record<string, string>>

export const emptyEntities = (): Entities => ({ objectMetadata: {}, fieldMetadata: {}, role: {}, logicFunction: {} })

export interface ApplyDeps {
  readonly workspaceId: string
  readonly applicationId: string
  readonly metadata: MetadataShape
  readonly roles: RolesShape
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

export const applyAction = (deps: ApplyDeps, entities: Entities, action: Action, deletedObjects: ReadonlySet<string>) =>
  Effect.gen(function*() {
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
