/** core."logicFunction" rows; every statement is scoped to the caller's workspace. */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export interface LogicFunctionRow {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly description: string | null
  readonly runtime: string
  readonly timeoutSeconds: number
  readonly handlerName: string
  readonly sourceHandlerPath: string
  readonly builtHandlerPath: string
  readonly toolInputSchema: unknown
  readonly isTool: boolean
  readonly cronTriggerSettings: unknown
  readonly databaseEventTriggerSettings: unknown
  readonly httpRouteTriggerSettings: unknown
  readonly sources: unknown
  readonly checksum: string | null
  /** The app that owns the function (Twenty apps), null for a workspace's own. */
  readonly applicationId: string | null
  readonly universalIdentifier: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** The columns a create or update may set (Twenty's editable properties, plus the sources). */
export interface LogicFunctionFields {
  readonly name?: string
  readonly description?: string | null
  readonly timeoutSeconds?: number
  readonly handlerName?: string
  readonly sourceHandlerPath?: string
  readonly builtHandlerPath?: string
  readonly toolInputSchema?: unknown
  readonly isTool?: boolean
  readonly cronTriggerSettings?: unknown
  readonly databaseEventTriggerSettings?: unknown
  readonly httpRouteTriggerSettings?: unknown
  readonly sources?: unknown
  readonly checksum?: string | null
  readonly applicationId?: string | null
  readonly universalIdentifier?: string | null
}

const JSON_COLUMNS = new Set(["toolInputSchema", "cronTriggerSettings", "databaseEventTriggerSettings", "httpRouteTriggerSettings", "sources"])

const columns = (fields: LogicFunctionFields) =>
  Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, JSON_COLUMNS.has(key) && value !== null ? JSON.stringify(value) : value])
  )

export const listFunctions = (workspaceId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<LogicFunctionRow>`SELECT * FROM core."logicFunction" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`)

export const findFunction = (workspaceId: string, id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<LogicFunctionRow>`SELECT * FROM core."logicFunction" WHERE "workspaceId" = ${workspaceId} AND id = ${id}`,
      (rows) => rows[0] ?? null
    ))

export const insertFunction = (workspaceId: string, id: string, fields: LogicFunctionFields & { readonly name: string; readonly sources: unknown }) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<LogicFunctionRow>`INSERT INTO core."logicFunction" ${sql.insert({ id, workspaceId, ...columns(fields) })} RETURNING *`,
      (rows) => rows[0]!
    ))

export const updateFunction = (workspaceId: string, id: string, fields: LogicFunctionFields) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<LogicFunctionRow>`UPDATE core."logicFunction" SET ${sql.update({ ...columns(fields), updatedAt: new Date() })}
                             WHERE "workspaceId" = ${workspaceId} AND id = ${id} RETURNING *`,
      (rows) => rows[0] ?? null
    ))

export const deleteFunction = (workspaceId: string, id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<LogicFunctionRow>`DELETE FROM core."logicFunction" WHERE "workspaceId" = ${workspaceId} AND id = ${id} RETURNING *`,
      (rows) => rows[0] ?? null
    ))

/**
 * A new CODE step's function (Twenty creates one with each CODE step): the default source, in the caller's
 * transaction, so the step and its function are written together.
 */
export const createCodeStepFunction = (workspaceId: string, sources: unknown) =>
  Effect.map(
    insertFunction(workspaceId, crypto.randomUUID(), { name: "A Logic Function", sources }),
    (row) => ({ logicFunctionId: row.id, logicFunctionInput: {} })
  )

/**
 * Functions with an HTTP route trigger for `method`, of one workspace or (`workspaceId` null) of every
 * workspace: the caller picks the one whose path matches (routes.ts).
 */
export const listRouteFunctions = (workspaceId: string | null, method: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<LogicFunctionRow>`SELECT * FROM core."logicFunction"
                          WHERE "httpRouteTriggerSettings" IS NOT NULL AND upper("httpRouteTriggerSettings"->>'httpMethod') = ${method}
                            AND (${workspaceId}::uuid IS NULL OR "workspaceId" = ${workspaceId}::uuid)
                          ORDER BY "createdAt", id LIMIT 1000`)
