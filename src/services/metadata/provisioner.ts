import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import { seedStandardViews } from "../../platform/migrations/standard-views.js"
import { fieldRow, modelDdl, objectRow, standardModel } from "./model.js"

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
   * workspaceMember record. Runs inside the caller's transaction: all of it or nothing.
   */
  readonly provision: (
    workspaceId: string,
    schema: string,
    owner: WorkspaceOwner
  ) => Effect.Effect<{ readonly workspaceMemberId: string }, SqlError.SqlError>
}

export class WorkspaceProvisioner extends Context.Tag("score/WorkspaceProvisioner")<
  WorkspaceProvisioner,
  WorkspaceProvisionerShape
>() {}

export const WorkspaceProvisionerLive = Layer.effect(
  WorkspaceProvisioner,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return {
      provision: (workspaceId, schema, owner) =>
        Effect.gen(function*() {
          const objects = standardModel(workspaceId)
          const statements = [`CREATE SCHEMA "${schema}"`, ...modelDdl(schema, objects)]
          yield* sql.unsafe(statements.join(";\n"))
          yield* sql`INSERT INTO core."objectMetadata" ${sql.insert(objects.map(objectRow))}`
          yield* sql`INSERT INTO core."fieldMetadata" ${sql.insert(objects.flatMap((o) => o.fields.map(fieldRow)))}`
          yield* Effect.provideService(seedStandardViews(workspaceId), SqlClient.SqlClient, sql)
          const [member] = yield* sql<{ id: string }>`
            INSERT INTO ${sql(schema)}."workspaceMember"
              ("nameFirstName", "nameLastName", "userEmail", "userId", locale, "createdByName")
            VALUES (${owner.firstName}, ${owner.lastName}, ${owner.email}, ${owner.userId}, ${owner.locale}, 'System')
            RETURNING id`
          return { workspaceMemberId: member!.id }
        }).pipe(Effect.withSpan("WorkspaceProvisioner.provision"))
    }
  })
)
