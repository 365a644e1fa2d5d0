import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { trigramColumns, trigramIndexName } from "../../domain/trigram-indexes.js"

const quote = (name: string) => `"${name.replace(/"/g, "\"\"")}"`

/**
 * pg_trgm, and the trigram indexes new workspaces get (domain/trigram-indexes.ts) in every existing
 * workspace. Each index is built with the table locked against writes (inside the migrations' transaction):
 * on big tables, a pause at upgrade of about a second per million rows and column.
 */
export const createTrigramIndexes = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`
  const objects = yield* sql<{ schema: string; tableName: string; nameSingular: string; isCustom: boolean; columns: ReadonlyArray<string> | null }>`
    SELECT d.schema, o."tableName", o."nameSingular", o."isCustom",
           (SELECT array_agg(c.column_name::text) FROM information_schema.columns c
             WHERE c.table_schema = d.schema AND c.table_name = o."tableName") AS columns
      FROM core."objectMetadata" o
      JOIN core."dataSource" d ON d."workspaceId" = o."workspaceId"
     ORDER BY d.schema, o."tableName"`
  for (const object of objects) {
    for (const column of trigramColumns(object, object.columns ?? [])) {
      yield* sql.unsafe(
        `CREATE INDEX IF NOT EXISTS ${quote(trigramIndexName(object.tableName, column))}
           ON ${quote(object.schema)}.${quote(object.tableName)} USING GIN (${quote(column)} gin_trgm_ops)`
      )
    }
  }
})
