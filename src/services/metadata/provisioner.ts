import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer, Queue } from "effect"
import { AppConfig } from "../../platform/config.js"
import { seedNewWorkspaceViews } from "../../platform/migrations/standard-views.js"
import { fieldRecord, objectRecord, standardModel } from "./model.js"
import { claimSpareSchema, runSpareSchemaFiller, standardSchemaDdl } from "./spare-schemas.js"

export interface WorkspaceOwner {
  readonly userId: string
  readonly email: string
  readonly firstName: string
  readonly lastName: string
  readonly locale: string
}

export interface WorkspaceProvisionerShape {
  /**
   * Creates the workspace's schema, the standard objects' tables and their metadata, Twenty's standard views, and the owner's
   * workspaceMember record. Runs inside the caller's transaction: all of it or nothing, in three round trips
   * (the tables' DDL as one script, the metadata rows and the member as one statement, the views as one).
   * With WORKSPACE_SPARE_SCHEMAS, a spare schema made ahead is renamed to `schema` instead of the DDL.
   */
  readonly provision: (
    workspaceId: string,
    schema: string,
    owner: WorkspaceOwner
  ) => Effect.Effect<{ readonly workspaceMemberId: string; readonly fromSpare: boolean }, SqlError.SqlError>
  /** After a provisioning committed: the spare filler makes a replacement (nothing without spares). */
  readonly replenish: Effect.Effect<void>
}

export class WorkspaceProvisioner extends Context.Tag("score/WorkspaceProvisioner")<
  WorkspaceProvisioner,
  WorkspaceProvisionerShape
>() {}

/**
 * `INSERT INTO core.<table>` of rows passed as one jsonb parameter (columns: the rows' keys, the others take
 * their defaults). The workspace's metadata, 280 rows of ~25 columns, went as 7,000 parameters.
 */
const populate = (sql: SqlClient.SqlClient, table: string, rows: ReadonlyArray<object>) => {
  const columns = sql.unsafe(Object.keys(rows[0]!).map((c) => `"${c}"`).join(", "))
  return sql`INSERT INTO core.${sql(table)} (${columns})
    SELECT ${columns} FROM jsonb_populate_recordset(NULL::core.${sql(table)}, ${JSON.stringify(rows)}::jsonb)`
}

export const WorkspaceProvisionerLive = Layer.scoped(
  WorkspaceProvisioner,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const spares = (yield* AppConfig).workspaceSpareSchemas
    const wake = yield* Queue.dropping<void>(1)
    if (spares > 0) yield* Effect.forkScoped(runSpareSchemaFiller(sql, spares, wake))
    return {
      replenish: spares > 0 ? Effect.asVoid(Queue.offer(wake, undefined)) : Effect.void,
      provision: (workspaceId, schema, owner) =>
        Effect.gen(function*() {
          const objects = standardModel(workspaceId)
          const fromSpare = spares > 0 && (yield* claimSpareSchema(sql, schema))
          if (!fromSpare) yield* sql.unsafe(standardSchemaDdl(schema))
          const objectRows = objects.map(objectRecord)
          const fieldRows = objects.flatMap((o) => o.fields.map(fieldRecord))
          const [member] = yield* sql<{ id: string }>`
            WITH objects AS (${populate(sql, "objectMetadata", objectRows)}),
                 fields AS (${populate(sql, "fieldMetadata", fieldRows)})
            INSERT INTO ${sql(schema)}."workspaceMember"
              ("nameFirstName", "nameLastName", "userEmail", "userId", locale, "createdByName")
            VALUES (${owner.firstName}, ${owner.lastName}, ${owner.email}, ${owner.userId}, ${owner.locale}, 'System')
            RETURNING id`
          yield* Effect.provideService(seedNewWorkspaceViews(workspaceId), SqlClient.SqlClient, sql)
          return { workspaceMemberId: member!.id, fromSpare }
        }).pipe(Effect.withSpan("WorkspaceProvisioner.provision"))
    }
  })
)
