import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { trigramColumns, trigramIndexName } from "../../domain/trigram-indexes.js"
import {
  checkName,
  columnDefinition,
  columnsOf,
  type ColumnSource,
  foreignKeyName,
  ident,
  indexName,
  qualified
} from "./columns.js"

type Table = Pick<ObjectMetadata, "tableName">
type FieldDdl = ColumnSource & Pick<FieldMetadata, "onDelete">

const checkConstraint = (schema: string, table: string, column: string, expression: string) =>
  `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${ident(checkName(column))} CHECK (${expression})`

const uniqueIndex = (schema: string, table: string, columns: ReadonlyArray<string>) =>
  `CREATE UNIQUE INDEX ${ident(indexName(table, columns, "uniq"))} ON ${qualified(schema, table)} (${
    columns.map(ident).join(", ")
  }) WHERE "deletedAt" IS NULL`

/** CREATE TABLE with every column of the fields; foreign keys come later (targets may not exist yet). */
export const createTable = (schema: string, table: Table, fields: ReadonlyArray<FieldDdl>): Array<string> => {
  const columns = fields.flatMap(columnsOf)
  const statements = [
    `CREATE TABLE ${qualified(schema, table.tableName)} (${columns.map(columnDefinition).join(", ")}, PRIMARY KEY ("id"))`
  ]
  for (const column of columns) {
    if (column.check) statements.push(checkConstraint(schema, table.tableName, column.name, column.check))
  }
  for (const field of fields) statements.push(...fieldIndexes(schema, table, field))
  return statements
}

const fieldIndexes = (schema: string, table: Table, field: FieldDdl) => {
  const unique = columnsOf(field).filter((c) => c.inUniqueConstraint).map((c) => c.name)
  const statements = unique.length > 0 ? [uniqueIndex(schema, table.tableName, unique)] : []
  if (field.type === "TS_VECTOR") {
    statements.push(
      `CREATE INDEX ${ident(indexName(table.tableName, [field.name], "idx"))} ON ${qualified(schema, table.tableName)} USING GIN (${
        ident(field.name)
      })`
    )
  }
  return statements
}

/** The pg_trgm GIN indexes of an object's ilike-filtered text columns (domain/trigram-indexes.ts). */
export const trigramIndexes = (
  schema: string,
  object: Pick<ObjectMetadata, "tableName" | "nameSingular" | "isCustom">,
  fields: ReadonlyArray<FieldDdl>
): Array<string> =>
  trigramColumns(object, fields.flatMap(columnsOf).map((c) => c.name)).map((column) =>
    `CREATE INDEX IF NOT EXISTS ${ident(trigramIndexName(object.tableName, column))} ON ${qualified(schema, object.tableName)} USING GIN (${
      ident(column)
    } gin_trgm_ops)`
  )

/** The join column of a MANY_TO_ONE relation: foreign key with its on-delete rule, and an index. */
export const relationConstraint = (schema: string, table: Table, field: FieldDdl, target: Table): Array<string> => {
  const column = `${field.name}Id`
  const onDelete = field.onDelete === "CASCADE" ? "CASCADE" : field.onDelete === "RESTRICT" ? "RESTRICT" : "SET NULL"
  return [
    `ALTER TABLE ${qualified(schema, table.tableName)} ADD CONSTRAINT ${ident(foreignKeyName(column))} FOREIGN KEY (${
      ident(column)
    }) REFERENCES ${qualified(schema, target.tableName)} ("id") ON DELETE ${onDelete}`,
    `CREATE INDEX ${ident(indexName(table.tableName, [column], "idx"))} ON ${qualified(schema, table.tableName)} (${ident(column)})`
  ]
}

export const addFieldColumns = (schema: string, table: Table, field: FieldDdl): Array<string> => {
  const columns = columnsOf(field)
  const statements = columns.map((c) => `ALTER TABLE ${qualified(schema, table.tableName)} ADD COLUMN ${columnDefinition(c)}`)
  for (const column of columns) {
    if (column.check) statements.push(checkConstraint(schema, table.tableName, column.name, column.check))
  }
  return [...statements, ...fieldIndexes(schema, table, field)]
}

/** Dropping a column drops its constraints and indexes with it. */
export const dropFieldColumns = (schema: string, table: Table, field: FieldDdl): Array<string> =>
  columnsOf(field).map((c) => `ALTER TABLE ${qualified(schema, table.tableName)} DROP COLUMN IF EXISTS ${ident(c.name)}`)

export const renameFieldColumns = (schema: string, table: Table, from: FieldDdl, to: FieldDdl): Array<string> => {
  const before = columnsOf(from)
  const after = columnsOf(to)
  return before.flatMap((column, i) =>
    column.name === after[i]!.name
      ? []
      : [
        `ALTER TABLE ${qualified(schema, table.tableName)} RENAME COLUMN ${ident(column.name)} TO ${ident(after[i]!.name)}`,
        ...(column.check
          ? [`ALTER TABLE ${qualified(schema, table.tableName)} RENAME CONSTRAINT ${ident(checkName(column.name))} TO ${
            ident(checkName(after[i]!.name))
          }`]
          : [])
      ]
  )
}

/** New option list: the CHECK is replaced (values must already fit it). */
export const replaceOptionsCheck = (schema: string, table: Table, field: FieldDdl): Array<string> =>
  columnsOf(field).flatMap((column) =>
    column.check
      ? [
        `ALTER TABLE ${qualified(schema, table.tableName)} DROP CONSTRAINT IF EXISTS ${ident(checkName(column.name))}`,
        checkConstraint(schema, table.tableName, column.name, column.check)
      ]
      : []
  )

export const setColumnDefaults = (schema: string, table: Table, field: FieldDdl): Array<string> =>
  columnsOf(field).map((c) =>
    `ALTER TABLE ${qualified(schema, table.tableName)} ALTER COLUMN ${ident(c.name)} ${
      c.defaultSql ? `SET DEFAULT ${c.defaultSql}` : "DROP DEFAULT"
    }`
  )

export const lockTables = (schema: string, tables: ReadonlyArray<Table>) =>
  `LOCK TABLE ${tables.map((t) => qualified(schema, t.tableName)).join(", ")} IN ACCESS EXCLUSIVE MODE`

export const dropTable = (schema: string, table: Table) => `DROP TABLE IF EXISTS ${qualified(schema, table.tableName)} CASCADE`

export const renameTable = (schema: string, from: Table, to: Table) =>
  `ALTER TABLE ${qualified(schema, from.tableName)} RENAME TO ${ident(to.tableName)}`
