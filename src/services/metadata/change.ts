import { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import { Conflict, NotFound } from "../../domain/errors.js"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import { pgErrorCode } from "../../platform/lib/pg-errors.js"
import { Revocations } from "../revocations/index.js"
import { workspaceCacheKey } from "../workspace/index.js"
import { bad } from "./lookup.js"
import type { MetadataReads } from "./read.js"
import type { MetadataFailure } from "./service.js"

/** PostgreSQL refusing a DDL or data change is the user's input at fault, said plainly. */
export const explainSqlError = (error: SqlError.SqlError): MetadataFailure => {
  switch (pgErrorCode(error)) {
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

/** How metadata writes run: `change` wraps one in its transaction, `ddl` sends its statements. */
export const makeMetadataChange = (reads: MetadataReads) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const revocations = yield* Revocations

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
          const result = yield* body(yield* reads.load(workspaceId, row.metadataVersion))
          yield* sql`UPDATE core.workspace SET "metadataVersion" = "metadataVersion" + 1, "updatedAt" = now()
                     WHERE id = ${workspaceId}`
          return result
        })
      ).pipe(
        // PostgreSQL broke a deadlock with a writer by aborting this change: nothing of it was applied, so again.
        Effect.retry({ times: 2, while: (e) => e instanceof SqlError.SqlError && pgErrorCode(e) === "40P01" }),
        Effect.catchIf(
          (e): e is SqlError.SqlError => e instanceof SqlError.SqlError,
          (e) => Effect.fail(explainSqlError(e))
        ),
        Effect.tap(() => Effect.zipRight(Effect.sync(() => reads.forget(workspaceId)), revocations.invalidate(workspaceCacheKey(workspaceId))))
      )

    const ddl = (statements: ReadonlyArray<string>) =>
      statements.length === 0 ? Effect.void : sql.unsafe(statements.join(";\n")).pipe(Effect.asVoid)

    return { sql, change, ddl, reads }
  })

/** What the object and field writes are given: the SQL client, `change`, `ddl` and the reads. */
export type MetadataWriter = Effect.Effect.Success<ReturnType<typeof makeMetadataChange>>
