import { Effect } from "effect"
import type { FieldMetadata, FieldOption, ObjectMetadata } from "../../domain/metadata.js"
import type { MetadataWriter } from "./change.js"
import { columnsOf, ident, indexName, literal, qualified } from "./columns.js"
import { addFieldColumns, dropFieldColumns, renameFieldColumns, replaceOptionsCheck, setColumnDefaults } from "./ddl.js"
import { bad, fieldOf, objectOf } from "./lookup.js"
import { fieldFromDefinition, fieldRow } from "./model.js"
import { relationPair } from "./relations.js"
import type { CreateFieldInput, UpdateFieldInput } from "./service.js"
import {
  checkColumnsFree,
  validateDefaultValue,
  validateFieldType,
  validateLabel,
  validateName,
  validateOptions
} from "./validate.js"

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

/** Creating, changing and deleting fields: their columns, constraints and indexes, and a relation's inverse. */
export const makeFieldWrites = ({ change, ddl, reads, sql }: MetadataWriter) => {
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
            const relation = yield* relationPair(metadata, object, field, input.relationCreationPayload!, now)
            statements.push(...relation.statements)
            rows.push(relation.inverse)
          } else {
            yield* checkColumnsFree(object, field)
            statements.push(...addFieldColumns(metadata.schema, object, field))
          }
          yield* ddl(statements)
          yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(rows.map(fieldRow))}`
          return field.id
        }))
      return yield* reads.reloadField(workspaceId, createdId)
    }).pipe(Effect.withSpan("Metadata.createField"))

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
      return yield* reads.reloadField(workspaceId, id)
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

  return { createField, updateField, deleteField }
}
