import { SqlClient, SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import { BadUserInput, Conflict, NotFound } from "../../schema/errors.js"
import type { FieldMetadata, FieldOption, ObjectMetadata, WorkspaceMetadata } from "../../schema/metadata.js"
import type { OnDeleteAction, RelationDirection } from "../../schema/field-types.js"
import { Cache, derivedMemo } from "../cache/index.js"
import { inTransaction, singleFlight } from "../single-flight.js"
import { jsonRows } from "../sql-rows.js"
import { workspaceCacheKey, Workspaces } from "../workspace/index.js"
import { columnsOf, ident, indexName, literal, qualified } from "./columns.js"
import {
  addFieldColumns,
  createTable,
  dropFieldColumns,
  dropTable,
  relationConstraint,
  renameFieldColumns,
  renameTable,
  replaceOptionsCheck,
  setColumnDefaults
} from "./ddl.js"
import { fieldFromDefinition, fieldRow, objectFromDefinition, objectRow, tableNameOf } from "./model.js"
import {
  checkColumnsFree,
  validateDefaultValue,
  validateFieldType,
  validateLabel,
  validateName,
  validateOptions
} from "./validate.js"

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

export interface CreateFieldInput {
  readonly objectMetadataId: string
  readonly type: string
  readonly name: string
  readonly label: string
  readonly description?: string | null
  readonly icon?: string | null
  readonly isActive?: boolean | null
  readonly isNullable?: boolean | null
  readonly isUnique?: boolean | null
  readonly isLabelSyncedWithName?: boolean | null
  readonly defaultValue?: unknown
  readonly options?: unknown
  readonly settings?: Record<string, unknown> | null
  readonly relationCreationPayload?: RelationCreationPayload | null
}

export interface UpdateFieldInput {
  readonly name?: string | null
  readonly label?: string | null
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

type Failure = BadUserInput | NotFound | Conflict | SqlError.SqlError

export interface MetadataShape {
  /** The workspace's objects and fields at its current metadata version (cached per version). */
  readonly get: (workspaceId: string) => Effect.Effect<WorkspaceMetadata, NotFound | SqlError.SqlError>
  /** What `get` last answered for the workspace, while no cache invalidation has been seen since. */
  readonly current: (workspaceId: string) => WorkspaceMetadata | undefined
  readonly createObject: (workspaceId: string, input: CreateObjectInput) => Effect.Effect<ObjectMetadata, Failure>
  readonly updateObject: (workspaceId: string, id: string, update: UpdateObjectInput) => Effect.Effect<ObjectMetadata, Failure>
  readonly deleteObject: (workspaceId: string, id: string) => Effect.Effect<ObjectMetadata, Failure>
  readonly createField: (workspaceId: string, input: CreateFieldInput) => Effect.Effect<FieldMetadata, Failure>
  readonly updateField: (workspaceId: string, id: string, update: UpdateFieldInput) => Effect.Effect<FieldMetadata, Failure>
  readonly deleteField: (workspaceId: string, id: string) => Effect.Effect<FieldMetadata, Failure>
}

const MAX_CACHED_WORKSPACES = 500

export class Metadata extends Context.Tag("score/Metadata")<Metadata, MetadataShape>() {}

const bad = (message: string, field?: string) => new BadUserInput({ message, ...(field ? { field } : {}) })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** PostgreSQL refusing a DDL or data change is the user's input at fault, said plainly. */
const explainSqlError = (error: SqlError.SqlError): Failure => {
  const code = (error.cause as { code?: string } | undefined)?.code
  switch (code) {
    case "23505":
      return bad("Existing records have duplicate values for this field")
    case "23514":
    case "23502":
      return bad("Existing records do not fit this change")
    case "42701":
    case "42P07":
      return new Conflict({ message: "A field or object with this name already exists" })
    default:
      return error
  }
}

const camelCaseOf = (label: string) =>
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

const standardLinks = (metadata: WorkspaceMetadata, object: ReturnType<typeof objectFromDefinition>) => {
  const now = new Date().toISOString()
  return STANDARD_LINKS.flatMap((link) => {
    const owner = metadata.objects.find((o) => o.nameSingular === link.owner && o.isActive)
    const name = link.prefix ? `${link.prefix}${object.nameSingular.charAt(0).toUpperCase()}${object.nameSingular.slice(1)}` : object.nameSingular
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

export const MetadataLive = Layer.effect(
  Metadata,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const cache = yield* Cache
    const workspaces = yield* Workspaces
    /** Most recently used workspaces' metadata, bounded: about 150 KiB each. */
    const local = new Map<string, WorkspaceMetadata>()
    const loadOnce = singleFlight()
    const remember = (metadata: WorkspaceMetadata) => {
      local.delete(metadata.workspaceId)
      local.set(metadata.workspaceId, metadata)
      if (local.size > MAX_CACHED_WORKSPACES) local.delete(local.keys().next().value!)
    }

    const load = (workspaceId: string, version: number) =>
      Effect.gen(function*() {
        const [schema, objectRows, fieldRows] = yield* Effect.all([
          sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${workspaceId}`,
          sql`SELECT * FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", "nameSingular"`,
          sql`SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`
        ]) // one after the other: inside a transaction they share a connection
        const fields = jsonRows<FieldMetadata>(fieldRows)
        const byObject = new Map<string, Array<FieldMetadata>>()
        for (const field of fields) {
          const list = byObject.get(field.objectMetadataId)
          if (list) list.push(field)
          else byObject.set(field.objectMetadataId, [field])
        }
        const objects = jsonRows<Omit<ObjectMetadata, "fields">>(objectRows).map((o) => ({
          ...o,
          fields: byObject.get(o.id) ?? []
        }))
        if (!schema[0]) return yield* new NotFound({ message: "Workspace has no data source" })
        return { workspaceId, version, schema: schema[0].schema, objects } satisfies WorkspaceMetadata
      })

    const answered = derivedMemo<WorkspaceMetadata>(cache, MAX_CACHED_WORKSPACES)
    const get = (workspaceId: string) =>
      Effect.suspend(() => {
        const since = cache.epoch()
        return Effect.tap(currentVersion(workspaceId), (metadata) => answered.set(workspaceId, metadata, since))
      })

    const currentVersion = (workspaceId: string) =>
      Effect.gen(function*() {
        const workspace = yield* workspaces.findById(workspaceId)
        if (!workspace) return yield* new NotFound({ message: "Workspace not found" })
        const hit = local.get(workspaceId)
        if (hit && hit.version === workspace.metadataVersion) {
          remember(hit)
          return hit
        }
        const fresh = yield* loadOnce(`${workspaceId}:${workspace.metadataVersion}`, load(workspaceId, workspace.metadataVersion))
        if (!(yield* inTransaction)) remember(fresh) // a read in a transaction may not outlive it (see inTransaction)
        return fresh
      })

    /**
     * One metadata change: serialized per workspace, DDL and metadata rows in one transaction, the
     * version bumped, and every instance's caches invalidated once it is committed.
     */
    const change = <A, E>(workspaceId: string, body: (current: WorkspaceMetadata) => Effect.Effect<A, E>) =>
      sql.withTransaction(
        Effect.gen(function*() {
          const [row] = yield* sql<{ metadataVersion: number }>`
            SELECT "metadataVersion" FROM core.workspace WHERE id = ${workspaceId} FOR UPDATE`
          if (!row) return yield* new NotFound({ message: "Workspace not found" })
          const result = yield* body(yield* load(workspaceId, row.metadataVersion))
          yield* sql`UPDATE core.workspace SET "metadataVersion" = "metadataVersion" + 1, "updatedAt" = now()
                     WHERE id = ${workspaceId}`
          return result
        })
      ).pipe(
        Effect.catchIf(
          (e): e is SqlError.SqlError => e instanceof SqlError.SqlError,
          (e) => Effect.fail(explainSqlError(e))
        ),
        Effect.tap(() => Effect.zipRight(Effect.sync(() => local.delete(workspaceId)), cache.invalidate(workspaceCacheKey(workspaceId))))
      )

    const ddl = (statements: ReadonlyArray<string>) =>
      statements.length === 0 ? Effect.void : sql.unsafe(statements.join(";\n")).pipe(Effect.asVoid)

    const objectOf = (metadata: WorkspaceMetadata, id: string): Effect.Effect<ObjectMetadata, NotFound> => {
      const object = UUID.test(id) ? metadata.objects.find((o) => o.id === id) : undefined
      return object ? Effect.succeed(object) : Effect.fail(new NotFound({ message: "Object metadata not found" }))
    }

    const fieldOf = (
      metadata: WorkspaceMetadata,
      id: string
    ): Effect.Effect<{ object: ObjectMetadata; field: FieldMetadata }, NotFound> => {
      for (const object of metadata.objects) {
        const field = UUID.test(id) ? object.fields.find((f) => f.id === id) : undefined
        if (field) return Effect.succeed({ object, field })
      }
      return Effect.fail(new NotFound({ message: "Field metadata not found" }))
    }

    const nameTaken = (metadata: WorkspaceMetadata, names: ReadonlyArray<string>, exceptId?: string) =>
      metadata.objects.some((o) => o.id !== exceptId && names.some((n) => n === o.nameSingular || n === o.namePlural))

    const reloadObject = (workspaceId: string, id: string) =>
      Effect.flatMap(get(workspaceId), (m) => objectOf(m, id))
    const reloadField = (workspaceId: string, id: string) =>
      Effect.map(Effect.flatMap(get(workspaceId), (m) => fieldOf(m, id)), ({ field }) => field)

    const createObject = (workspaceId: string, input: CreateObjectInput) =>
      Effect.gen(function*() {
        const nameSingular = yield* validateName(input.nameSingular, "nameSingular")
        const namePlural = yield* validateName(input.namePlural, "namePlural")
        const labelSingular = yield* validateLabel(input.labelSingular, "labelSingular")
        const labelPlural = yield* validateLabel(input.labelPlural, "labelPlural")
        if (nameSingular.toLowerCase() === namePlural.toLowerCase()) {
          return yield* bad("The singular and plural names cannot be the same for an object", "namePlural")
        }
        if (labelSingular.toLowerCase() === labelPlural.toLowerCase()) {
          return yield* bad("The singular and plural labels cannot be the same for an object", "labelPlural")
        }
        if (input.isRemote) return yield* bad("Remote objects are not supported yet", "isRemote")
        const created = yield* change(workspaceId, (metadata) =>
          Effect.gen(function*() {
            if (nameTaken(metadata, [nameSingular, namePlural])) {
              return yield* new Conflict({ message: "Object already exists" })
            }
            const object = objectFromDefinition({
              nameSingular,
              namePlural,
              labelSingular,
              labelPlural,
              ...(input.description ? { description: input.description } : {}),
              ...(input.icon ? { icon: input.icon } : {}),
              ...(input.shortcut ? { shortcut: input.shortcut } : {}),
              labelIdentifierField: input.skipNameField ? "id" : "name",
              isSearchable: true,
              searchFields: input.skipNameField ? [] : ["name"],
              fields: input.skipNameField
                ? []
                : [{ name: "name", label: "Name", type: "TEXT", icon: "IconAbc", description: "Name", defaultValue: "''" }]
            }, workspaceId, true, new Date().toISOString())
            object.isLabelSyncedWithName = input.isLabelSyncedWithName ?? false
            const links = standardLinks(metadata, object)
            object.fields.push(...links.map((l) => l.inverse))
            yield* ddl([
              ...createTable(metadata.schema, object, object.fields),
              ...links.flatMap((l) => [
                ...addFieldColumns(metadata.schema, l.owner, l.field),
                ...relationConstraint(metadata.schema, l.owner, l.field, object)
              ])
            ])
            yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objectRow(object))}`
            yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert([...object.fields, ...links.map((l) => l.field)].map(fieldRow))}`
            return object.id
          }))
        return yield* reloadObject(workspaceId, created)
      }).pipe(Effect.withSpan("Metadata.createObject"))

    const updateObject = (workspaceId: string, id: string, update: UpdateObjectInput) =>
      Effect.gen(function*() {
        yield* change(workspaceId, (metadata) =>
          Effect.gen(function*() {
            const object = yield* objectOf(metadata, id)
            const patch: Record<string, unknown> = {}
            for (const key of ["description", "icon", "shortcut"] as const) {
              if (update[key] !== undefined) patch[key] = update[key]
            }
            for (const key of ["labelSingular", "labelPlural"] as const) {
              if (update[key] != null) patch[key] = yield* validateLabel(update[key], key)
            }
            for (const key of ["isActive", "isSearchable", "isLabelSyncedWithName"] as const) {
              if (update[key] != null) patch[key] = update[key]
            }
            for (const key of ["labelIdentifierFieldMetadataId", "imageIdentifierFieldMetadataId"] as const) {
              const value = update[key]
              if (value === undefined) continue
              if (value !== null && !object.fields.some((f) => f.id === value)) {
                return yield* bad(`${key} must be a field of ${object.nameSingular}`, key)
              }
              patch[key] = value
            }
            const renaming = (update.nameSingular != null && update.nameSingular !== object.nameSingular) ||
              (update.namePlural != null && update.namePlural !== object.namePlural)
            if (renaming) {
              if (!object.isCustom) return yield* bad("Standard objects cannot be renamed", "nameSingular")
              const nameSingular = yield* validateName(update.nameSingular ?? object.nameSingular, "nameSingular")
              const namePlural = yield* validateName(update.namePlural ?? object.namePlural, "namePlural")
              if (nameSingular.toLowerCase() === namePlural.toLowerCase()) {
                return yield* bad("The singular and plural names cannot be the same for an object", "namePlural")
              }
              if (nameTaken(metadata, [nameSingular, namePlural], object.id)) {
                return yield* new Conflict({ message: "Object already exists" })
              }
              const tableName = tableNameOf(nameSingular, true)
              if (tableName !== object.tableName) yield* ddl([renameTable(metadata.schema, object, { tableName })])
              Object.assign(patch, { nameSingular, namePlural, tableName })
            }
            if (Object.keys(patch).length === 0) return
            yield* sql`UPDATE core."objectMetadata" SET ${sql.update({ ...patch, updatedAt: new Date() })}
                       WHERE id = ${object.id}`
          }))
        return yield* reloadObject(workspaceId, id)
      }).pipe(Effect.withSpan("Metadata.updateObject"))

    const deleteObject = (workspaceId: string, id: string) =>
      change(workspaceId, (metadata) =>
        Effect.gen(function*() {
          const object = yield* objectOf(metadata, id)
          if (!object.isCustom || object.isSystem) return yield* bad("Standard objects cannot be deleted")
          const inbound = metadata.objects.filter((o) => o.id !== object.id).flatMap((o) =>
            o.fields
              .filter((f) => f.relationTargetObjectMetadataId === object.id && f.relationType === "MANY_TO_ONE")
              .flatMap((f) => dropFieldColumns(metadata.schema, o, f))
          )
          yield* ddl([...inbound, dropTable(metadata.schema, object)])
          yield* sql`DELETE FROM core."fieldMetadata" WHERE "relationTargetObjectMetadataId" = ${object.id}`
          yield* sql`DELETE FROM core."objectMetadata" WHERE id = ${object.id}`
          return object
        })).pipe(Effect.withSpan("Metadata.deleteObject"))

    const createField = (workspaceId: string, input: CreateFieldInput) =>
      Effect.gen(function*() {
        const type = yield* validateFieldType(input.type)
        const name = yield* validateName(input.name, "name")
        const label = yield* validateLabel(input.label, "label")
        const options = yield* validateOptions(type, input.options)
        const defaultValue = yield* validateDefaultValue({ type, options }, input.defaultValue)
        if (type === "RELATION" && !input.relationCreationPayload) {
          return yield* bad("relationCreationPayload is required for RELATION fields", "relationCreationPayload")
        }
        const createdId = yield* change(workspaceId, (metadata) =>
          Effect.gen(function*() {
            if (typeof input.objectMetadataId !== "string") return yield* bad("objectMetadataId is required", "objectMetadataId")
            const object = yield* objectOf(metadata, input.objectMetadataId)
            const now = new Date().toISOString()
            const field = fieldFromDefinition({
              name,
              label,
              type,
              ...(input.description ? { description: input.description } : {}),
              ...(input.icon ? { icon: input.icon } : {}),
              isNullable: input.isNullable ?? true,
              isUnique: input.isUnique ?? false,
              defaultValue,
              ...(input.settings ? { settings: input.settings } : {})
            }, { workspaceId, objectMetadataId: object.id }, true, now)
            field.options = options
            field.isActive = input.isActive ?? true
            field.isLabelSyncedWithName = input.isLabelSyncedWithName ?? false
            const statements: Array<string> = []
            const rows = [field]
            if (type === "RELATION") {
              const payload = input.relationCreationPayload!
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
              }, { workspaceId, objectMetadataId: target.id }, true, now)
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
              statements.push(...addFieldColumns(metadata.schema, ownerObject, owner))
              statements.push(...relationConstraint(metadata.schema, ownerObject, owner, referenced))
              rows.push(inverse)
            } else {
              yield* checkColumnsFree(object, field)
              statements.push(...addFieldColumns(metadata.schema, object, field))
            }
            yield* ddl(statements)
            yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(rows.map(fieldRow))}`
            return field.id
          }))
        return yield* reloadField(workspaceId, createdId)
      }).pipe(Effect.withSpan("Metadata.createField"))

    /** Rows holding a removed option lose it; rows holding a renamed option (same id) follow the new value. */
    const migrateOptionValues = (
      schema: string,
      object: ObjectMetadata,
      field: FieldMetadata,
      next: ReadonlyArray<FieldOption>
    ) => {
      const table = qualified(schema, object.tableName)
      const column = ident(field.name)
      const statements: Array<string> = []
      for (const option of field.options ?? []) {
        const renamed = next.find((o) => o.id === option.id && o.value !== option.value)
        const kept = next.some((o) => o.value === option.value)
        if (field.type === "SELECT") {
          if (renamed) statements.push(`UPDATE ${table} SET ${column} = ${literal(renamed.value)} WHERE ${column} = ${literal(option.value)}`)
          else if (!kept) statements.push(`UPDATE ${table} SET ${column} = NULL WHERE ${column} = ${literal(option.value)}`)
        } else if (renamed) {
          statements.push(`UPDATE ${table} SET ${column} = array_replace(${column}, ${literal(option.value)}, ${literal(renamed.value)}) WHERE ${literal(option.value)} = ANY(${column})`)
        } else if (!kept) {
          statements.push(`UPDATE ${table} SET ${column} = array_remove(${column}, ${literal(option.value)}) WHERE ${literal(option.value)} = ANY(${column})`)
        }
      }
      return statements
    }

    const updateField = (workspaceId: string, id: string, update: UpdateFieldInput) =>
      Effect.gen(function*() {
        yield* change(workspaceId, (metadata) =>
          Effect.gen(function*() {
            const { object, field } = yield* fieldOf(metadata, id)
            const patch: Record<string, unknown> = {}
            const statements: Array<string> = []
            for (const key of ["description", "icon"] as const) {
              if (update[key] !== undefined) patch[key] = update[key]
            }
            if (update.label != null) patch.label = yield* validateLabel(update.label, "label")
            for (const key of ["isActive", "isNullable", "isLabelSyncedWithName"] as const) {
              if (update[key] != null) patch[key] = update[key]
            }
            if (update.settings !== undefined) patch.settings = update.settings === null ? null : JSON.stringify(update.settings)
            let next: FieldMetadata = field
            if (update.name != null && update.name !== field.name) {
              if (!field.isCustom) return yield* bad("Standard fields cannot be renamed", "name")
              const name = yield* validateName(update.name, "name")
              next = { ...next, name }
              yield* checkColumnsFree(object, next, field.id)
              statements.push(...renameFieldColumns(metadata.schema, object, field, next))
              patch.name = name
            }
            if (update.options !== undefined) {
              if (field.type !== "SELECT" && field.type !== "MULTI_SELECT") {
                return yield* bad("options are only for SELECT and MULTI_SELECT fields", "options")
              }
              const options = (yield* validateOptions(field.type, update.options))!
              statements.push(`ALTER TABLE ${qualified(metadata.schema, object.tableName)} DROP CONSTRAINT IF EXISTS ${ident(`${next.name.slice(0, 54)}_options`)}`)
              statements.push(...migrateOptionValues(metadata.schema, object, next, options))
              next = { ...next, options }
              statements.push(...replaceOptionsCheck(metadata.schema, object, next))
              patch.options = JSON.stringify(options)
              const values = new Set(options.map((o) => o.value))
              const stale = field.type === "SELECT" && typeof next.defaultValue === "string" &&
                !values.has(next.defaultValue.slice(1, -1))
              if (stale && update.defaultValue === undefined) {
                next = { ...next, defaultValue: null }
                patch.defaultValue = null
                statements.push(...setColumnDefaults(metadata.schema, object, next))
              }
            }
            if (update.defaultValue !== undefined) {
              const defaultValue = yield* validateDefaultValue(next, update.defaultValue)
              next = { ...next, defaultValue }
              patch.defaultValue = defaultValue === null ? null : JSON.stringify(defaultValue)
              statements.push(...setColumnDefaults(metadata.schema, object, next))
            }
            if (update.isUnique != null && update.isUnique !== field.isUnique) {
              if (field.type === "RELATION" && field.relationType === "ONE_TO_MANY") {
                return yield* bad("A one-to-many relation cannot be unique", "isUnique")
              }
              next = { ...next, isUnique: update.isUnique }
              const columns = columnsOf(next).filter((c) => c.inUniqueConstraint || !update.isUnique).map((c) => c.name)
              const columnsForIndex = update.isUnique ? columns : columnsOf({ ...next, isUnique: true }).filter((c) => c.inUniqueConstraint).map((c) => c.name)
              const index = ident(indexName(object.tableName, columnsForIndex, "uniq"))
              statements.push(
                update.isUnique
                  ? `CREATE UNIQUE INDEX ${index} ON ${qualified(metadata.schema, object.tableName)} (${columns.map(ident).join(", ")}) WHERE "deletedAt" IS NULL`
                  : `DROP INDEX IF EXISTS ${ident(metadata.schema)}.${index}`
              )
              patch.isUnique = update.isUnique
            }
            yield* ddl(statements)
            if (Object.keys(patch).length > 0) {
              yield* sql`UPDATE core."fieldMetadata" SET ${sql.update({ ...patch, updatedAt: new Date() })} WHERE id = ${field.id}`
            }
          }))
        return yield* reloadField(workspaceId, id)
      }).pipe(Effect.withSpan("Metadata.updateField"))

    const deleteField = (workspaceId: string, id: string) =>
      change(workspaceId, (metadata) =>
        Effect.gen(function*() {
          const { object, field } = yield* fieldOf(metadata, id)
          if (!field.isCustom) return yield* bad("Standard fields cannot be deleted")
          if (field.isActive) return yield* bad("Active fields cannot be deleted")
          if (object.labelIdentifierFieldMetadataId === field.id) {
            return yield* bad("Cannot delete, please update the label identifier field first")
          }
          const statements = dropFieldColumns(metadata.schema, object, field)
          if (field.relationTargetFieldMetadataId) {
            const inverse = yield* fieldOf(metadata, field.relationTargetFieldMetadataId)
            statements.push(...dropFieldColumns(metadata.schema, inverse.object, inverse.field))
            yield* sql`DELETE FROM core."fieldMetadata" WHERE id = ${inverse.field.id}`
          }
          yield* ddl(statements)
          yield* sql`DELETE FROM core."fieldMetadata" WHERE id = ${field.id}`
          return field
        })).pipe(Effect.withSpan("Metadata.deleteField"))

    return { get, current: answered.get, createObject, updateObject, deleteObject, createField, updateField, deleteField }
  })
)
