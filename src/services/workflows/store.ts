/**
 * The workflow objects' rows, read and written with SQL on the workspace's own tables: a run's state is
 * written after every step, and these bookkeeping writes emit no record events (Twenty does not audit-log
 * workflow runs either). Users' own writes to these objects go through the records API as any object's.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Actor } from "../../domain/actor.js"
import { ResultCache } from "../../platform/cache/results.js"
import { Metadata } from "../metadata/index.js"
import { workflowRunTransitions } from "../../platform/metrics/index.js"
import type { RunStatus, VersionStatus } from "./types.js"

export interface VersionRow {
  readonly id: string
  readonly workflowId: string | null
  readonly name: string | null
  readonly status: VersionStatus
  readonly trigger: unknown
  readonly steps: unknown
}

export interface RunRow {
  readonly id: string
  readonly workflowId: string | null
  readonly workflowVersionId: string | null
  readonly status: RunStatus
  readonly state: unknown
}

export interface AutomatedTriggerRow {
  readonly id: string
  readonly workflowId: string
  readonly type: "DATABASE_EVENT" | "CRON"
  readonly settings: Record<string, unknown>
}

/** The workspace's schema, from its metadata (memoized by Metadata). */
export const schemaOf = (workspaceId: string) =>
  Effect.map(Effect.flatMap(Metadata, (metadata) => metadata.get(workspaceId)), (m) => m.schema)

const WORKFLOW_TABLES = ["workflow", "workflowVersion", "workflowRun", "workflowAutomatedTrigger"]

/**
 * These writes bypass the records service, so they move the result cache's epochs themselves: a count of
 * runs by status must change when a step moves the run on. Called after the write commits.
 */
export const workflowRowsWritten = (workspaceId: string, tables: ReadonlyArray<string> = WORKFLOW_TABLES) =>
  Effect.flatMap(ResultCache, (results) => results.bump(workspaceId, tables))

const table = (sql: SqlClient.SqlClient, schema: string, name: string) => sql`${sql(schema)}.${sql(name)}`

/** With `lock`, the row stays locked until the caller's transaction ends (edits read, change and write steps). */
export const findVersion = (schema: string, id: string, lock = false) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<VersionRow>`SELECT id, "workflowId", name, status, trigger, steps FROM ${table(sql, schema, "workflowVersion")}
                       WHERE id = ${id} AND "deletedAt" IS NULL ${lock ? sql`FOR UPDATE` : sql``}`,
      (rows) => rows[0] ?? null
    ))

export const versionsOf = (schema: string, workflowId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<VersionRow>`SELECT id, "workflowId", name, status, trigger, steps FROM ${table(sql, schema, "workflowVersion")}
                     WHERE "workflowId" = ${workflowId} AND "deletedAt" IS NULL ORDER BY "createdAt"`)

export const updateVersion = (
  schema: string,
  id: string,
  patch: { readonly status?: VersionStatus; readonly trigger?: unknown; readonly steps?: unknown }
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const set: Record<string, unknown> = { updatedAt: new Date().toISOString() }
    if (patch.status) set["status"] = patch.status
    if (patch.trigger !== undefined) set["trigger"] = JSON.stringify(patch.trigger)
    if (patch.steps !== undefined) set["steps"] = JSON.stringify(patch.steps)
    return sql`UPDATE ${table(sql, schema, "workflowVersion")} SET ${sql.update(set)} WHERE id = ${id}`.pipe(Effect.asVoid)
  })

export const insertVersion = (
  schema: string,
  row: { readonly workflowId: string; readonly name: string; readonly trigger: unknown; readonly steps: unknown }
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<VersionRow>`INSERT INTO ${table(sql, schema, "workflowVersion")} ${
        sql.insert({
          workflowId: row.workflowId,
          name: row.name,
          status: "DRAFT",
          trigger: JSON.stringify(row.trigger),
          steps: JSON.stringify(row.steps),
          createdByName: "Workflow",
          createdBySource: "WORKFLOW"
        })
      } RETURNING id, "workflowId", name, status, trigger, steps`,
      (rows) => rows[0]!
    ))

export const insertWorkflow = (schema: string, name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ id: string }>`INSERT INTO ${table(sql, schema, "workflow")} ${
        sql.insert({ name, createdByName: "Workflow", createdBySource: "WORKFLOW" })
      } RETURNING id`,
      (rows) => rows[0]!.id
    ))

/** Sets the workflow's statuses from its versions' (Twenty's WorkflowStatusesUpdateJob), and its last published version. */
export const refreshWorkflowStatuses = (schema: string, workflowId: string, lastPublishedVersionId?: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE ${table(sql, schema, "workflow")} w
           SET statuses = (SELECT coalesce(array_agg(DISTINCT v.status ORDER BY v.status) FILTER (WHERE v.status IN ('DRAFT', 'ACTIVE', 'DEACTIVATED')), '{}')
                             FROM ${table(sql, schema, "workflowVersion")} v
                            WHERE v."workflowId" = w.id AND v."deletedAt" IS NULL)::text[],
               "lastPublishedVersionId" = coalesce(${lastPublishedVersionId ?? null}, w."lastPublishedVersionId"),
               "updatedAt" = now()
         WHERE w.id = ${workflowId}`.pipe(Effect.asVoid))

export const findWorkflowName = (schema: string, workflowId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ name: string | null }>`SELECT name FROM ${table(sql, schema, "workflow")} WHERE id = ${workflowId} AND "deletedAt" IS NULL`,
      (rows) => (rows[0] ? { name: rows[0].name } : null)
    ))

/** A new run, or nothing when one with this id exists (a trigger delivered twice starts one run). */
export const insertRun = (
  schema: string,
  row: {
    readonly id: string
    readonly workflowId: string | null
    readonly workflowVersionId: string
    readonly name: string
    readonly state: unknown
    readonly createdBy: Actor
  }
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ id: string }>`INSERT INTO ${table(sql, schema, "workflowRun")} ${
        sql.insert({
          id: row.id,
          workflowId: row.workflowId,
          workflowVersionId: row.workflowVersionId,
          name: row.name,
          status: "ENQUEUED",
          enqueuedAt: new Date().toISOString(),
          state: JSON.stringify(row.state),
          createdBySource: row.createdBy.source,
          createdByName: row.createdBy.name,
          createdByWorkspaceMemberId: row.createdBy.workspaceMemberId
        })
      } ON CONFLICT (id) DO NOTHING RETURNING id`,
      (rows) => {
        if (rows.length > 0) workflowRunTransitions.inc({ status: "ENQUEUED" })
        return rows.length > 0
      }
    ))

export const findRun = (schema: string, id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<RunRow>`SELECT id, "workflowId", "workflowVersionId", status, state FROM ${table(sql, schema, "workflowRun")}
                   WHERE id = ${id} AND "deletedAt" IS NULL`,
      (rows) => rows[0] ?? null
    ))

export const updateRun = (
  schema: string,
  id: string,
  patch: {
    readonly status?: RunStatus
    readonly state?: unknown
    readonly startedAt?: boolean
    readonly endedAt?: boolean
    /** The stored `state.flow` stays (the executor's writes): an updateWorkflowRunStep made meanwhile is kept. */
    readonly keepStoredFlow?: boolean
  },
  /** Only while the run is in one of these statuses (a stop request wins over a step's write). */
  onlyIf?: ReadonlyArray<RunStatus>
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const now = new Date().toISOString()
    const set: Record<string, unknown> = { updatedAt: now }
    if (patch.status) set["status"] = patch.status
    const keepFlow = patch.state !== undefined && patch.keepStoredFlow === true
    if (patch.state !== undefined && !keepFlow) set["state"] = JSON.stringify(patch.state)
    if (patch.startedAt) set["startedAt"] = now
    if (patch.endedAt) set["endedAt"] = now
    const given = JSON.stringify(patch.state)
    const state = keepFlow
      ? sql`, state = CASE WHEN state->'flow' IS NOT NULL THEN jsonb_set(${given}::jsonb, '{flow}', state->'flow') ELSE ${given}::jsonb END`
      : sql``
    const guard = onlyIf ? sql`AND status IN ${sql.in(onlyIf)}` : sql``
    return Effect.map(
      sql<{ id: string }>`UPDATE ${table(sql, schema, "workflowRun")} SET ${sql.update(set)}${state} WHERE id = ${id} ${guard} RETURNING id`,
      (rows) => {
        if (rows.length > 0 && patch.status) workflowRunTransitions.inc({ status: patch.status })
        return rows.length > 0
      }
    )
  })

/** A run with a step PENDING (a DELAY, a FORM) is paused: not stale, and not counted as running. */
export const waitingCondition = (sql: SqlClient.SqlClient) =>
  sql`EXISTS (SELECT 1 FROM jsonb_each(coalesce(state->'stepInfos', '{}'::jsonb)) s WHERE s.value->>'status' = 'PENDING')`

export const runningRunsCount = (schema: string, exceptId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ count: number }>`SELECT count(*)::int AS count FROM ${table(sql, schema, "workflowRun")}
                              WHERE status = 'RUNNING' AND id <> ${exceptId} AND "deletedAt" IS NULL
                                AND NOT ${waitingCondition(sql)}`,
      (rows) => rows[0]?.count ?? 0
    ))

export const replaceAutomatedTriggers = (
  schema: string,
  workflowId: string,
  triggers: ReadonlyArray<{ readonly type: "DATABASE_EVENT" | "CRON"; readonly settings: unknown }>
) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.gen(function*() {
      yield* sql`DELETE FROM ${table(sql, schema, "workflowAutomatedTrigger")} WHERE "workflowId" = ${workflowId}`
      if (triggers.length === 0) return
      yield* sql`INSERT INTO ${table(sql, schema, "workflowAutomatedTrigger")} ${
        sql.insert(triggers.map((t) => ({
          workflowId,
          type: t.type,
          settings: JSON.stringify(t.settings),
          createdByName: "Workflow",
          createdBySource: "WORKFLOW"
        })))
      }`
    }))

export const automatedTriggers = (schema: string, type: "DATABASE_EVENT" | "CRON", eventNames?: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const byEvent = eventNames ? sql`AND settings->>'eventName' IN ${sql.in(eventNames)}` : sql``
    return sql<AutomatedTriggerRow>`SELECT id, "workflowId", type, settings FROM ${table(sql, schema, "workflowAutomatedTrigger")}
                                     WHERE type = ${type} AND "deletedAt" IS NULL ${byEvent}`
  })
