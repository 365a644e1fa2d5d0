import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { STANDARD_OBJECTS } from "../../domain/standard-objects.js"
import { fieldFromDefinition, fieldRow, modelDdl, objectRow, type RelationTarget, standardObjects } from "./model.js"

/**
 * Gives every existing workspace the standard objects named in `names` it lacks (tables, metadata),
 * as a new workspace gets them. Relations to objects the workspace already has (the messaging objects'
 * person and workspaceMember) get their inverse fields added on those objects.
 */
export const addStandardObjects = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const definitions = STANDARD_OBJECTS.filter((o) => names.includes(o.nameSingular))
    const outsideNames = [...new Set(definitions.flatMap((d) => d.fields.flatMap((f) => f.relation && !names.includes(f.relation.target) ? [f.relation.target] : [])))]
    const workspaces = yield* sql<{ workspaceId: string; schema: string }>`
      SELECT d."workspaceId", d.schema FROM core."dataSource" d
       WHERE NOT EXISTS (SELECT 1 FROM core."objectMetadata" o
                          WHERE o."workspaceId" = d."workspaceId" AND o."nameSingular" IN ${sql.in(names)})`
    for (const { workspaceId, schema } of workspaces) {
      const existing = outsideNames.length === 0 ? [] : yield* sql<{ id: string; nameSingular: string; tableName: string }>`
        SELECT id, "nameSingular", "tableName" FROM core."objectMetadata"
         WHERE "workspaceId" = ${workspaceId} AND "nameSingular" IN ${sql.in(outsideNames)}`
      const now = new Date().toISOString()
      const outside: Array<RelationTarget> = existing.map((o) => ({
        ...o,
        fields: STANDARD_OBJECTS.find((d) => d.nameSingular === o.nameSingular)!.fields
          .filter((f) => f.relation && names.includes(f.relation.target))
          .map((f) => fieldFromDefinition(f, { workspaceId, objectMetadataId: o.id }, false, now))
      }))
      const objects = standardObjects(workspaceId, definitions, outside)
      const fields = [...objects.flatMap((o) => o.fields), ...outside.flatMap((o) => o.fields)]
      // One transaction per workspace (a savepoint inside the migration's): the label identifier keys are deferred.
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql.unsafe(modelDdl(schema, objects, outside).join(";\n"))
        yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objects.map(objectRow))}`
        yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(fields.map(fieldRow))}`
        if (outside.length > 0) {
          yield* sql`UPDATE core.workspace SET "metadataVersion" = "metadataVersion" + 1 WHERE id = ${workspaceId}`
        }
      }))
    }
    return workspaces.length
  })
