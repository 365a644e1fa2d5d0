import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { STANDARD_OBJECTS } from "../../domain/standard-objects.js"
import { fieldRow, modelDdl, objectRow, standardObjects } from "./model.js"

/**
 * Gives every existing workspace the standard objects named in `names` it lacks (tables, metadata),
 * as a new workspace gets them. The named objects' relations must stay among themselves
 * (the workflow objects': workflow ↔ versions, runs, automated triggers).
 */
export const addStandardObjects = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const definitions = STANDARD_OBJECTS.filter((o) => names.includes(o.nameSingular))
    const workspaces = yield* sql<{ workspaceId: string; schema: string }>`
      SELECT d."workspaceId", d.schema FROM core."dataSource" d
       WHERE NOT EXISTS (SELECT 1 FROM core."objectMetadata" o
                          WHERE o."workspaceId" = d."workspaceId" AND o."nameSingular" IN ${sql.in(names)})`
    for (const { workspaceId, schema } of workspaces) {
      const objects = standardObjects(workspaceId, definitions)
      // One transaction per workspace (a savepoint inside the migration's): the label identifier keys are deferred.
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql.unsafe(modelDdl(schema, objects).join(";\n"))
        yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objects.map(objectRow))}`
        yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(objects.flatMap((o) => o.fields.map(fieldRow)))}`
      }))
    }
    return workspaces.length
  })
