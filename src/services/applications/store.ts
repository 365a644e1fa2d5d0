/** core.application, core."applicationRegistration" and core."applicationFile" rows, scoped to a workspace. */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export interface ApplicationRow {
  readonly id: string
  readonly workspaceId: string
  readonly universalIdentifier: string
  readonly name: string
  readonly sourceType: string
  readonly manifest: unknown
  readonly entities: unknown
  readonly apiKeyId: string | null
  readonly dependencies: unknown
}

export interface RegistrationRow {
  readonly id: string
  readonly universalIdentifier: string
  readonly name: string
  readonly oAuthClientId: string
  readonly tarballFileId?: string | null
}

export interface ApplicationFileRow {
  readonly fileId: string
  readonly folder: string
  readonly path: string
}

const first = <A>(rows: ReadonlyArray<A>) => rows[0] ?? null

export const findApplication = (workspaceId: string, universalIdentifier: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<ApplicationRow>`SELECT * FROM core.application
                                   WHERE "workspaceId" = ${workspaceId} AND "universalIdentifier"::text = ${universalIdentifier}`, first))

export const findApplicationById = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql<ApplicationRow>`SELECT * FROM core.application WHERE id = ${id}`, first))

export const insertApplication = (workspaceId: string, universalIdentifier: string, name: string, sourceType: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<ApplicationRow>`INSERT INTO core.application ${sql.insert({ id: crypto.randomUUID(), workspaceId, universalIdentifier, name, sourceType })}
                          ON CONFLICT ("workspaceId", "universalIdentifier") DO UPDATE SET name = EXCLUDED.name, "updatedAt" = now()
                          RETURNING *`,
      (rows) => rows[0]!
    ))

export const saveApplied = (id: string, manifest: unknown, entities: unknown, apiKeyId: string | null, dependencies: unknown) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE core.application SET manifest = ${JSON.stringify(manifest)}::jsonb, entities = ${JSON.stringify(entities)}::jsonb,
               "apiKeyId" = ${apiKeyId}, dependencies = ${dependencies === null ? null : JSON.stringify(dependencies)}::jsonb,
               "updatedAt" = now() WHERE id = ${id}`)

/** The registration of a published tarball: made or updated, pointing at its newest tarball. */
export const upsertTarballRegistration = (workspaceId: string, universalIdentifier: string, name: string, fileId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<RegistrationRow>`INSERT INTO core."applicationRegistration"
                             ${sql.insert({ id: crypto.randomUUID(), workspaceId, universalIdentifier, name, oAuthClientId: crypto.randomUUID(), tarballFileId: fileId })}
                           ON CONFLICT ("workspaceId", "universalIdentifier") DO UPDATE SET name = EXCLUDED.name, "tarballFileId" = EXCLUDED."tarballFileId"
                           RETURNING id, "universalIdentifier", name, "oAuthClientId", "tarballFileId"`,
      (rows) => rows[0]!
    ))

export const deleteApplication = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM core.application WHERE id = ${id}`)

export const findRegistration = (workspaceId: string, universalIdentifier: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<RegistrationRow>`SELECT id, "universalIdentifier", name, "oAuthClientId", "tarballFileId" FROM core."applicationRegistration"
                                    WHERE "workspaceId" = ${workspaceId} AND "universalIdentifier"::text = ${universalIdentifier}`, first))

/** Null when the workspace already registered this universal identifier. */
export const insertRegistration = (workspaceId: string, universalIdentifier: string, name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<RegistrationRow>`INSERT INTO core."applicationRegistration"
                             ${sql.insert({ id: crypto.randomUUID(), workspaceId, universalIdentifier, name, oAuthClientId: crypto.randomUUID() })}
                           ON CONFLICT DO NOTHING RETURNING id, "universalIdentifier", name, "oAuthClientId"`,
      first
    ))

export const insertFile = (workspaceId: string, applicationId: string, fileId: string, folder: string, path: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO core."applicationFile" ${sql.insert({ fileId, workspaceId, applicationId, folder, path })}`)

/** Marks the file complete; an older file at the same path is dropped (its bytes are then swept). */
export const completeFile = (applicationId: string, fileId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.gen(function*() {
      const row = first(yield* sql<ApplicationFileRow>`UPDATE core."applicationFile" SET complete = true
                                                       WHERE "applicationId" = ${applicationId} AND "fileId" = ${fileId}
                                                       RETURNING "fileId", folder, path`)
      if (row) yield* sql`DELETE FROM core."applicationFile" WHERE "applicationId" = ${applicationId} AND path = ${row.path} AND "fileId" <> ${fileId}`
      return row
    }))

export const findCompleteFile = (applicationId: string, path: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<ApplicationFileRow>`SELECT "fileId", folder, path FROM core."applicationFile"
                                       WHERE "applicationId" = ${applicationId} AND path = ${path} AND complete
                                       ORDER BY "createdAt" DESC LIMIT 1`, first))
