/**
 * Twenty's cron and database-event triggers of logic functions (`cronTriggerSettings: { pattern }`,
 * `databaseEventTriggerSettings: { eventName, updatedFields?, batchMode? }`). The minute tick (one per tick
 * across workers, jobs/registry.ts) and each record event the outbox relay brings enqueue one run job per
 * matching function; a run's id derives from its function and tick or event, and its row in
 * core."logicFunctionRun" is written before it executes, so a tick or event handled twice runs once.
 * The settings are read from the functions' rows when a tick or event comes: an app's re-sync or uninstall
 * changes or removes its triggers with its functions.
 */
import { SqlClient } from "@effect/sql"
import { Cron, Effect, Either, Schema } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { RecordEvent } from "../../domain/events.js"
import { JobQueue } from "../../platform/queue/index.js"
import type { SqlError } from "@effect/sql"
import { idempotentUuid } from "../workflows/actions/records-io.js"
import type { ExecutionResult } from "./index.js"

export const LOGIC_FUNCTIONS_QUEUE = "logic-functions"
export const RUN_TRIGGERED_JOB = "run-triggered"
export const CRON_TICK_JOB = "cron-tick"

/** Runs are kept this long. */
const RUN_RETENTION = "7 days"

export const CronTriggerSettings = Schema.Struct({ pattern: Schema.String })

export const DatabaseEventTriggerSettings = Schema.Struct({
  eventName: Schema.String,
  updatedFields: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  batchMode: Schema.optional(Schema.NullOr(Schema.Boolean))
})

export const TriggeredRun = Schema.Struct({
  workspaceId: Schema.String,
  logicFunctionId: Schema.String,
  runId: Schema.String,
  trigger: Schema.Literal("CRON", "DATABASE_EVENT"),
  payload: Schema.Unknown
}).annotations({ identifier: "LogicFunctionTriggeredRun" })
export type TriggeredRun = typeof TriggeredRun.Type

/** `company.created` against `company.created`, `*.created`, `company.*` or `*.*`. */
export const eventNameMatches = (pattern: string, name: string) => {
  const [wantObject, wantAction] = pattern.split(".")
  const [object, action] = name.split(".")
  return (wantObject === "*" || wantObject === object) && (wantAction === "*" || wantAction === action)
}

/** Twenty's DatabaseEventPayload: the event's metadata and its ObjectRecord*Event. */
export const databaseEventPayload = (event: RecordEvent) => {
  const before = event.before ?? (event.action === "destroyed" ? event.record : undefined)
  const after = event.action === "destroyed" ? undefined : event.record
  const updatedFields = event.updatedFields ? [...event.updatedFields] : undefined
  const diff = updatedFields && before && after
    ? Object.fromEntries(updatedFields.map((field) => [field, { before: before[field] ?? null, after: after[field] ?? null }]))
    : undefined
  return {
    name: event.name,
    workspaceId: event.workspaceId,
    objectMetadata: { id: event.objectMetadataId, nameSingular: event.objectNameSingular },
    recordId: event.recordId,
    ...(event.actor.workspaceMemberId ? { workspaceMemberId: event.actor.workspaceMemberId } : {}),
    properties: {
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
      ...(updatedFields ? { updatedFields } : {}),
      ...(diff ? { diff } : {})
    }
  }
}

/** Refuses trigger settings no tick or event could match: a cron pattern that does not parse, an event name not `object.action`. */
export const checkTriggerSettings = (fields: { readonly cronTriggerSettings?: unknown; readonly databaseEventTriggerSettings?: unknown }) =>
  Effect.gen(function*() {
    const invalid = (message: string, field: string) => new BadUserInput({ message, field })
    if (fields.cronTriggerSettings !== undefined && fields.cronTriggerSettings !== null) {
      const settings = Schema.decodeUnknownOption(CronTriggerSettings)(fields.cronTriggerSettings)
      if (settings._tag === "None") return yield* invalid("cronTriggerSettings must be { pattern: string }", "cronTriggerSettings")
      const cron = Cron.parse(settings.value.pattern, "UTC")
      if (Either.isLeft(cron)) return yield* invalid(`Invalid cron pattern "${settings.value.pattern}": ${cron.left.message}`, "cronTriggerSettings")
    }
    if (fields.databaseEventTriggerSettings !== undefined && fields.databaseEventTriggerSettings !== null) {
      const settings = Schema.decodeUnknownOption(DatabaseEventTriggerSettings)(fields.databaseEventTriggerSettings)
      if (settings._tag === "None" || !/^(\*|[A-Za-z][A-Za-z0-9]*)\.(\*|created|updated|deleted|restored|destroyed|upserted)$/.test(settings.value.eventName)) {
        return yield* invalid("databaseEventTriggerSettings.eventName must be <object>.<action>, as company.created or *.updated", "databaseEventTriggerSettings")
      }
    }
  })

const enqueueRuns = (runs: ReadonlyArray<TriggeredRun>) =>
  runs.length === 0
    ? Effect.void
    : Effect.flatMap(JobQueue, (queue) =>
      queue.enqueueMany(LOGIC_FUNCTIONS_QUEUE, runs.map((run) => ({ name: RUN_TRIGGERED_JOB, data: run, options: { jobId: run.runId } }))))

/** The runs a record event starts: the workspace's functions whose database-event trigger matches it. */
export const runsForEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const functions = yield* sql<{ id: string; databaseEventTriggerSettings: unknown }>`
      SELECT id, "databaseEventTriggerSettings" FROM core."logicFunction"
       WHERE "workspaceId" = ${event.workspaceId} AND "databaseEventTriggerSettings" IS NOT NULL`
    const runs: Array<TriggeredRun> = []
    for (const fn of functions) {
      const settings = Schema.decodeUnknownOption(DatabaseEventTriggerSettings)(fn.databaseEventTriggerSettings)
      if (settings._tag === "None" || !eventNameMatches(settings.value.eventName, event.name)) continue
      const fields = settings.value.updatedFields ?? []
      if (event.action === "updated" && fields.length > 0 && !fields.some((f) => event.updatedFields?.includes(f))) continue
      const payload = databaseEventPayload(event)
      runs.push({
        workspaceId: event.workspaceId,
        logicFunctionId: fn.id,
        runId: idempotentUuid(`logic-function-run:${fn.id}:${event.name}:${event.recordId}:${event.occurredAt}`),
        trigger: "DATABASE_EVENT",
        payload: settings.value.batchMode
          ? { name: payload.name, workspaceId: payload.workspaceId, objectMetadata: payload.objectMetadata, events: [payload] }
          : payload
      })
    }
    return runs
  })

/** The events queue's step: enqueues the runs of the functions the event triggers. */
export const startFunctionsForEvent = (event: RecordEvent) => Effect.flatMap(runsForEvent(event), enqueueRuns)

/** The runs of the minute that holds `now` (UTC): every function whose cron pattern matches it. */
export const runsForMinute = (now: Date) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000)
    const functions = yield* sql<{ id: string; workspaceId: string; cronTriggerSettings: unknown }>`
      SELECT id, "workspaceId", "cronTriggerSettings" FROM core."logicFunction" WHERE "cronTriggerSettings" IS NOT NULL`
    const runs: Array<TriggeredRun> = []
    for (const fn of functions) {
      const settings = Schema.decodeUnknownOption(CronTriggerSettings)(fn.cronTriggerSettings)
      if (settings._tag === "None") continue
      const cron = Cron.parse(settings.value.pattern, "UTC")
      if (Either.isLeft(cron) || !Cron.match(cron.right, minute)) continue
      runs.push({
        workspaceId: fn.workspaceId,
        logicFunctionId: fn.id,
        runId: idempotentUuid(`logic-function-run:${fn.id}:${minute.toISOString()}`),
        trigger: "CRON",
        payload: {}
      })
    }
    return runs
  })

/** The minute tick: enqueues this minute's cron runs and sweeps runs older than a week. */
export const cronTick = (now: Date) =>
  Effect.gen(function*() {
    yield* Effect.flatMap(runsForMinute(now), enqueueRuns)
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM core."logicFunctionRun" WHERE "createdAt" < now() - ${RUN_RETENTION}::interval`
  })

/**
 * Runs one triggered execution, recorded in its row: nothing when the row exists (the run was taken) or the
 * function is gone (uninstalled, or its trigger removed since), else the function's result and logs.
 */
export const runTriggered = (
  run: TriggeredRun,
  execute: (workspaceId: string, id: string, payload: unknown) => Effect.Effect<ExecutionResult | null, SqlError.SqlError>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const claimed = yield* sql<{ id: string }>`
      INSERT INTO core."logicFunctionRun" (id, "workspaceId", "logicFunctionId", trigger)
      SELECT ${run.runId}, "workspaceId", id, ${run.trigger} FROM core."logicFunction"
       WHERE id = ${run.logicFunctionId} AND "workspaceId" = ${run.workspaceId}
         AND ${run.trigger === "CRON" ? sql`"cronTriggerSettings" IS NOT NULL` : sql`"databaseEventTriggerSettings" IS NOT NULL`}
      ON CONFLICT (id) DO NOTHING RETURNING id`
    if (claimed.length === 0) return null
    const result = yield* execute(run.workspaceId, run.logicFunctionId, run.payload)
    if (result === null) return null
    yield* sql`UPDATE core."logicFunctionRun"
                  SET status = ${result.status}, data = ${JSON.stringify(result.data ?? null)}::jsonb, logs = ${result.logs},
                      error = ${result.error ? JSON.stringify(result.error) : null}::jsonb, duration = ${result.duration}, "finishedAt" = now()
                WHERE id = ${run.runId}`
    return result
  }).pipe(Effect.withSpan("LogicFunctions.runTriggered", { attributes: { trigger: run.trigger } }))
