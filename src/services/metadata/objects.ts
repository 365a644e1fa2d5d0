import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Conflict } from "../../domain/errors.js"
import { seedObjectIndexView } from "../../platform/migrations/standard-views.js"
import type { MetadataWriter } from "./change.js"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { addFieldColumns, createTable, dropFieldColumns, dropTable, lockTables, relationConstraint, renameFieldColumns, renameTable, trigramIndexes } from "./ddl.js"
import { bad, nameTaken, objectOf } from "./lookup.js"
import { fieldRow, objectFromDefinition, objectRow, tableNameOf } from "./model.js"
import { renamedStandardLinks, standardLinks } from "./relations.js"
import type { CreateObjectInput, UpdateObjectInput } from "./service.js"
import { validateLabel, validateName } from "./validate.js"

/** Creating, changing and deleting objects: their tables, and the standard objects' relations to them. */
export const makeObjectWrites = ({ change, ddl, reads, sql }: MetadataWriter) => {
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
            ...trigramIndexes(metadata.schema, object, object.fields),
            ...links.flatMap((l) => [
              ...addFieldColumns(metadata.schema, l.owner, l.field),
              ...relationConstraint(metadata.schema, l.owner, l.field, object)
            ])
          ])
          yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objectRow(object))}`
          yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert([...object.fields, ...links.map((l) => l.field)].map(fieldRow))}`
          yield* Effect.provideService(seedObjectIndexView(object.id), SqlClient.SqlClient, sql)
          return object.id
        }))
      return yield* reads.reloadObject(workspaceId, created)
    }).pipe(Effect.withSpan("Metadata.createObject"))

  /** The standard objects' `target<Name>` fields follow a custom object's new name and label. */
  const renameStandardLinks = (
    metadata: WorkspaceMetadata,
    object: ObjectMetadata,
    to: { readonly nameSingular: string; readonly labelSingular: string }
  ) =>
    Effect.gen(function*() {
      const renamed = yield* renamedStandardLinks(metadata, object, to)
      yield* ddl(renamed.flatMap(({ owner, field, name }) => renameFieldColumns(metadata.schema, owner, field, { ...field, name })))
      for (const { field, name, label } of renamed) {
        yield* sql`UPDATE core."fieldMetadata" SET ${sql.update({ name, label, updatedAt: new Date() })} WHERE id = ${field.id}`
      }
    })

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
          if (renaming || (patch["labelSingular"] !== undefined && patch["labelSingular"] !== object.labelSingular)) {
            yield* renameStandardLinks(metadata, object, {
              nameSingular: (patch["nameSingular"] as string | undefined) ?? object.nameSingular,
              labelSingular: (patch["labelSingular"] as string | undefined) ?? object.labelSingular
            })
          }
          if (Object.keys(patch).length === 0) return
          yield* sql`UPDATE core."objectMetadata" SET ${sql.update({ ...patch, updatedAt: new Date() })}
                     WHERE id = ${object.id}`
        }))
      return yield* reads.reloadObject(workspaceId, id)
    }).pipe(Effect.withSpan("Metadata.updateObject"))

  const deleteObject = (workspaceId: string, id: string) =>
    change(workspaceId, (metadata) =>
      Effect.gen(function*() {
        const object = yield* objectOf(metadata, id)
        if (!object.isCustom || object.isSystem) return yield* bad("Standard objects cannot be deleted")
        const referencing = metadata.objects.filter((o) =>
          o.id !== object.id && o.fields.some((f) => f.relationTargetObjectMetadataId === object.id && f.relationType === "MANY_TO_ONE")
        )
        const inbound = referencing.flatMap((o) =>
          o.fields
            .filter((f) => f.relationTargetObjectMetadataId === object.id && f.relationType === "MANY_TO_ONE")
            .flatMap((f) => dropFieldColumns(metadata.schema, o, f))
        )
        // Locked in the order a writer takes them (a row of a referencing table, then its FK check on this
        // table): dropping each FK would otherwise hold this table while waiting for the next referencing one.
        yield* ddl([lockTables(metadata.schema, [...referencing, object]), ...inbound, dropTable(metadata.schema, object)])
        yield* sql`DELETE FROM core."fieldMetadata" WHERE "relationTargetObjectMetadataId" = ${object.id}`
        yield* sql`DELETE FROM core."objectMetadata" WHERE id = ${object.id}`
        return object
      })).pipe(Effect.withSpan("Metadata.deleteObject"))

  return { createObject, updateObject, deleteObject }
}
