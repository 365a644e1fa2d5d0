/**
 * What starts runs besides runWorkflowVersion: record events (DATABASE_EVENT, fed by the events queue),
 * the webhook route (WEBHOOK), and the minute tick (CRON). Each run's id derives from what started it,
 * so an event or tick handled twice starts one run.
 */
import { SqlClient } from "@effect/sql"
import { Cron, Effect, Either } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { BadUserInput, NotFound, Unauthenticated } from "../../domain/errors.js"
import { derivedRunId, startRun } from "./runs.js"
import { Cache } from "../../platform/cache/index.js"
import { automatedTriggers, findVersion, schemaOf, type VersionRow, workflowRowsWritten } from "./store.js"

const TRIGGER_ACTOR = { source: "WORKFLOW", workspaceMemberId: null, name: "Workflow" } as const

/** The workflow's active version (its last published one, still ACTIVE), or null. */
const activeVersionOf = (schema: string, workflowId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [workflow] = yield* sql<{ lastPublishedVersionId: string | null }>`
      SELECT "lastPublishedVersionId" FROM ${sql(schema)}.workflow WHERE id = ${workflowId} AND "deletedAt" IS NULL`
    if (!workflow?.lastPublishedVersionId) return null
    const version = yield* findVersion(schema, workflow.lastPublishedVersionId)
    return version?.status === "ACTIVE" ? version : null
  })

/** Twenty's database event payload: the record before and/or after, as the variables `{{trigger.properties.after.name}}` read it. */
const eventPayload = (event: RecordEvent) => ({
  name: event.name,
  recordId: event.recordId,
  objectMetadata: { id: event.objectMetadataId, nameSingular: event.objectNameSingular },
  workspaceMemberId: event.actor.workspaceMemberId,
  properties: {
    ...(event.action === "deleted" || event.action === "destroyed" ? { before: event.record } : { after: event.record }),
    ...(event.before ? { before: event.before } : {}),
    ...(event.updatedFields ? { updatedFields: event.updatedFields } : {})
  }
})

const isWorkflowObject = (name: string) => ["workflow", "workflowVersion", "workflowRun", "workflowAutomatedTrigger"].includes(name)

/** The cache entry of a workspace's active DATABASE_EVENT triggers; dropped on every instance when a version is (de)activated. */
export const eventTriggersKey = (workspaceId: string) => `workflow-event-triggers:${workspaceId}`

/** Long: activation, deactivation and any write to the workflow objects drop the entry everywhere. */
const EVENT_TRIGGERS_TTL = "10 minutes"

interface EventTrigger {
  readonly id: string
  readonly workflowId: string
  readonly eventName: string
  readonly fields: ReadonlyArray<string>
  readonly version: VersionRow
}

/** Every DATABASE_EVENT trigger whose workflow's last published version is ACTIVE, with that version, in one query. */
export const loadEventTriggers = (schema: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: string; workflowId: string; settings: Record<string, unknown> } & { versionId: string; name: string | null; trigger: unknown; steps: unknown }>`
      SELECT t.id, t."workflowId", t.settings, v.id AS "versionId", v.name, v.trigger, v.steps
        FROM ${sql(schema)}."workflowAutomatedTrigger" t
        JOIN ${sql(schema)}.workflow w ON w.id = t."workflowId" AND w."deletedAt" IS NULL
        JOIN ${sql(schema)}."workflowVersion" v ON v.id::text = w."lastPublishedVersionId" AND v."deletedAt" IS NULL AND v.status = 'ACTIVE'
       WHERE t.type = 'DATABASE_EVENT' AND t."deletedAt" IS NULL`
    return rows.map((row): EventTrigger => ({
      id: row.id,
      workflowId: row.workflowId,
      eventName: String(row.settings["eventName"] ?? ""),
      fields: Array.isArray(row.settings["fields"]) ? row.settings["fields"].map(String) : [],
      version: { id: row.versionId, workflowId: row.workflowId, name: row.name, status: "ACTIVE", trigger: row.trigger, steps: row.steps }
    }))
  })

/** The workflow objects whose writes may change which triggers are active (a run's do not). */
const changesTriggers = (name: string) => ["workflow", "workflowVersion", "workflowAutomatedTrigger"].includes(name)

/**
 * Starts the runs of the active DATABASE_EVENT triggers matching the event (`fields` narrows `updated`).
 * The workspace's triggers come from the cache: most events match none, and then cost no query (`bun
 * bench/workflows.ts` measures both). A write to the workflow objects through the records API drops the entry.
 */
export const startRunsForEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    if (isWorkflowObject(event.objectNameSingular)) {
      if (changesTriggers(event.objectNameSingular)) yield* cache.invalidate(eventTriggersKey(event.workspaceId))
      return
    }
    const names: Array<string> = [event.name]
    if (event.action === "created" || event.action === "updated") names.push(`${event.objectNameSingular}.upserted`)
    const schema = yield* schemaOf(event.workspaceId)
    const triggers = (yield* cache.getOrLoad(eventTriggersKey(event.workspaceId), loadEventTriggers(schema), { ttl: EVENT_TRIGGERS_TTL })) ?? []
    for (const trigger of triggers) {
      if (!names.includes(trigger.eventName)) continue
      if (event.action === "updated" && trigger.fields.length > 0 && !trigger.fields.some((f) => event.updatedFields?.includes(f))) continue
      const key = `${trigger.id}:${event.name}:${event.recordId}:${event.occurredAt}`
      yield* startRun(event.workspaceId, trigger.version, eventPayload(event), TRIGGER_ACTOR, derivedRunId(key))
    }
  }).pipe(Effect.catchTag("NotFound", () => Effect.void))

/** Twenty's webhook refusals (workflow-trigger.controller.ts): NOT_FOUND is a 404, the others 400. */
const webhookRefusal = (code: "NOT_FOUND" | "INVALID_WORKFLOW_STATUS" | "INVALID_WORKFLOW_VERSION" | "INVALID_WORKFLOW_TRIGGER", message: string) =>
  code === "NOT_FOUND"
    ? new NotFound({ message: `[Webhook trigger] ${message}`, subCode: code })
    : new BadUserInput({ message: `[Webhook trigger] ${message}`, subCode: code })

/**
 * The webhook route's run, with Twenty's checks in its order: the workflow exists, it has a published
 * version, that version's trigger is WEBHOOK and it is ACTIVE. Any method starts it (as Twenty's). A trigger
 * whose settings say `authentication: "API_KEY"` (Twenty's webhook trigger schema) also needs the request
 * to carry one of the workspace's API keys; `apiKeyWorkspaceId` reads it only then (a token check costs a lookup).
 */
export const startRunForWebhook = <R>(
  workspaceId: string,
  workflowId: string,
  payload: unknown,
  apiKeyWorkspaceId: Effect.Effect<string | null, never, R> = Effect.succeed(null)
) =>
  Effect.gen(function*() {
    const inWorkspace = `in workspace ${workspaceId}`
    const schema = yield* Effect.catchTag(schemaOf(workspaceId), "NotFound", () =>
      Effect.fail(webhookRefusal("NOT_FOUND", `Workflow ${workflowId} not found ${inWorkspace}`)))
    const sql = yield* SqlClient.SqlClient
    const [workflow] = yield* sql<{ name: string | null; lastPublishedVersionId: string | null }>`
      SELECT name, "lastPublishedVersionId" FROM ${sql(schema)}.workflow WHERE id = ${workflowId} AND "deletedAt" IS NULL`
    if (!workflow) return yield* webhookRefusal("NOT_FOUND", `Workflow ${workflowId} not found ${inWorkspace}`)
    if (!workflow.lastPublishedVersionId) {
      return yield* webhookRefusal("INVALID_WORKFLOW_STATUS", `Workflow ${workflowId} has not been activated ${inWorkspace}`)
    }
    const version = yield* findVersion(schema, workflow.lastPublishedVersionId)
    if (!version) return yield* webhookRefusal("INVALID_WORKFLOW_VERSION", `No workflow version activated for workflow ${workflowId} ${inWorkspace}`)
    const trigger = version.trigger !== null && typeof version.trigger === "object" ? Object.fromEntries(Object.entries(version.trigger)) : {}
    if (trigger["type"] !== "WEBHOOK") {
      return yield* webhookRefusal("INVALID_WORKFLOW_TRIGGER", `Workflow ${workflowId} does not have a Webhook trigger ${inWorkspace}`)
    }
    if (version.status !== "ACTIVE") {
      return yield* webhookRefusal("INVALID_WORKFLOW_STATUS", `Workflow version ${version.id} is not active ${inWorkspace}`)
    }
    const settings = trigger["settings"] !== null && typeof trigger["settings"] === "object" ? Object.fromEntries(Object.entries(trigger["settings"])) : {}
    if (settings["authentication"] === "API_KEY" && (yield* apiKeyWorkspaceId) !== workspaceId) {
      return yield* new Unauthenticated({ message: `[Webhook trigger] Workflow ${workflowId} requires a valid API key of workspace ${workspaceId}` })
    }
    const run = yield* startRun(workspaceId, version, payload, { source: "WEBHOOK", workspaceMemberId: null, name: "Webhook" })
    return { workflowName: workflow.name ?? "", success: true, workflowRunId: run.id }
  })

/** The minute tick: every workspace's CRON triggers whose pattern matches this minute (UTC) start a run. */
export const startRunsForCron = (now: Date) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000)
    const workspaces = yield* sql<{ workspaceId: string; schema: string }>`SELECT "workspaceId", schema FROM core."dataSource"`
    for (const { workspaceId, schema } of workspaces) {
      const triggers = yield* automatedTriggers(schema, "CRON").pipe(Effect.orElseSucceed(() => []))
      for (const trigger of triggers) {
        const cron = Cron.parse(String(trigger.settings["pattern"] ?? ""), "UTC")
        if (Either.isLeft(cron) || !Cron.match(cron.right, minute)) continue
        const version = yield* activeVersionOf(schema, trigger.workflowId)
        if (!version) continue
        const runId = derivedRunId(`${trigger.id}:${minute.toISOString()}`)
        yield* startRun(workspaceId, version, {}, TRIGGER_ACTOR, runId)
        yield* workflowRowsWritten(workspaceId, ["workflowRun"])
      }
    }
  })
