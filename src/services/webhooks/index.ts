import { SqlClient, type SqlError } from "@effect/sql"
import { analyticsEvent, auditEvent, recordAudit, SYSTEM_ACTOR, writeAnalytics } from "../audit/outbox.js"
import { Context, Data, Duration, Effect, Layer } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import type { RecordEvent } from "../../domain/events.js"
import { BadUserInput, Conflict, NotFound } from "../../domain/errors.js"
import { Cache } from "../../platform/cache/index.js"
import { AppConfig } from "../../platform/config.js"
import { firstRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { refusalReason } from "../../platform/lib/address-guard.js"
import { sendWebhook } from "./delivery.js"
import { webhookDeliveries } from "../../platform/metrics/index.js"
import { isUuid } from "../../platform/lib/uuid.js"

export interface Webhook {
  readonly id: string
  readonly workspaceId: string
  readonly targetUrl: string
  readonly operations: ReadonlyArray<string>
  readonly description: string | null
  readonly secret: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly deletedAt: string | null
}

export interface WebhookDelivery {
  readonly id: string
  readonly webhookId: string
  readonly eventName: string
  readonly recordId: string | null
  readonly attempt: number
  readonly success: boolean
  readonly responseStatus: number | null
  readonly error: string | null
  readonly durationMs: number
  readonly createdAt: string
}

export interface WebhookInput {
  readonly targetUrl?: string | null
  readonly operations?: ReadonlyArray<string> | null
  readonly description?: string | null
  readonly secret?: string | null
}

/** A delivery that did not get a 2xx: the job fails and the runner retries it with backoff. */
export class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{ readonly message: string }> {}

type Failure = BadUserInput | NotFound | Conflict | SqlError.SqlError

export interface WebhooksShape {
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<Webhook>, SqlError.SqlError>
  readonly get: (workspaceId: string, id: string) => Effect.Effect<Webhook, Failure>
  readonly create: (workspaceId: string, input: WebhookInput & { readonly id?: string | null }) => Effect.Effect<Webhook, Failure>
  readonly update: (workspaceId: string, id: string, input: WebhookInput) => Effect.Effect<Webhook, Failure>
  readonly remove: (workspaceId: string, id: string) => Effect.Effect<Webhook, Failure>
  readonly deliveries: (workspaceId: string, webhookId: string, limit: number) => Effect.Effect<ReadonlyArray<WebhookDelivery>, Failure>
  /** The workspace's webhooks whose operations match the event name (cached per workspace). */
  readonly matching: (workspaceId: string, eventName: string) => Effect.Effect<ReadonlyArray<Webhook>, SqlError.SqlError>
  /** One POST of the event; every attempt is recorded. Fails with DeliveryFailed on non-2xx, timeout or refusal. */
  readonly deliver: (webhookId: string, event: RecordEvent, attempt: number) => Effect.Effect<void, DeliveryFailed | SqlError.SqlError>
}

export class Webhooks extends Context.Tag("score/Webhooks")<Webhooks, WebhooksShape>() {}

const OPERATION = /^(\*|[a-z][a-zA-Z0-9]*)\.(\*|created|updated|deleted|destroyed|restored|upserted)$/

/** `company.updated` matches `company.updated`, `*.updated`, `company.*` and `*.*`. */
export const operationMatches = (operation: string, eventName: string) => {
  const [object, action] = eventName.split(".")
  const [wantedObject, wantedAction] = operation.split(".")
  return (wantedObject === "*" || wantedObject === object) && (wantedAction === "*" || wantedAction === action)
}

/** The webhooks, among `webhooks`, that subscribe to the event: any of their operations matches its name. */
export const matchingWebhooks = <W extends Pick<Webhook, "operations">>(webhooks: ReadonlyArray<W>, eventName: string) =>
  webhooks.filter((webhook) => webhook.operations.some((operation) => operationMatches(operation, eventName)))

/** Twenty's signature: lowercase hex HMAC-SHA256, keyed by the secret, over `<timestamp>:<body>`. */
export const signature = (secret: string, timestamp: string, body: string) =>
  createHmac("sha256", secret).update(`${timestamp}:${body}`).digest("hex")

/** Twenty's webhook body. */
export const webhookPayload = (webhook: Pick<Webhook, "id" | "targetUrl">, event: RecordEvent) => ({
  targetUrl: webhook.targetUrl,
  eventName: event.name,
  objectMetadata: { id: event.objectMetadataId, nameSingular: event.objectNameSingular },
  workspaceId: event.workspaceId,
  webhookId: webhook.id,
  eventDate: event.occurredAt,
  ...(event.actor.workspaceMemberId ? { workspaceMemberId: event.actor.workspaceMemberId } : {}),
  record: event.record,
  ...(event.updatedFields ? { updatedFields: event.updatedFields } : {})
})

export const WebhooksLive = Layer.effect(
  Webhooks,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const cache = yield* Cache
    const config = yield* AppConfig
    const cacheKey = (workspaceId: string) => `webhooks:${workspaceId}`
    const notFound = new NotFound({ message: "Webhook not found" })

    const validate = (input: WebhookInput, creating: boolean) =>
      Effect.gen(function*() {
        if (creating || input.targetUrl != null) {
          if (typeof input.targetUrl !== "string") return yield* new BadUserInput({ message: "targetUrl is required", field: "targetUrl" })
          const refusal = yield* Effect.promise(() => refusalReason(input.targetUrl!, config.webhookAllowPrivateAddresses))
          if (refusal) return yield* new BadUserInput({ message: refusal, field: "targetUrl" })
        }
        if (input.operations != null) {
          if (input.operations.length === 0) return yield* new BadUserInput({ message: "operations cannot be empty", field: "operations" })
          const wrong = input.operations.find((op) => !OPERATION.test(op))
          if (wrong) return yield* new BadUserInput({ message: `Invalid operation "${wrong}": use <object>.<action>, e.g. company.created or *.*`, field: "operations" })
        }
      })

    const get = (workspaceId: string, id: string) =>
      Effect.gen(function*() {
        if (!isUuid(id)) return yield* new BadUserInput({ message: `Invalid id: ${id}`, field: "id" })
        const webhook = firstRow<Webhook>(yield* sql`SELECT * FROM core.webhook WHERE id = ${id} AND "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL`)
        return webhook ?? (yield* notFound)
      })

    const listActive = (workspaceId: string) =>
      Effect.map(sql`SELECT * FROM core.webhook WHERE "workspaceId" = ${workspaceId} AND "deletedAt" IS NULL ORDER BY "createdAt"`, jsonRows<Webhook>)

    const changed = <A>(workspaceId: string) => (effect: Effect.Effect<A, Failure>) =>
      Effect.tap(effect, () => cache.invalidate(cacheKey(workspaceId)))

    const record = (webhook: Webhook, event: RecordEvent, attempt: number, outcome: { success: boolean; status: number | null; error: string | null; durationMs: number }) =>
      sql`INSERT INTO core."webhookDelivery" ${sql.insert({
        webhookId: webhook.id,
        workspaceId: webhook.workspaceId,
        eventName: event.name,
        recordId: event.recordId,
        attempt,
        success: outcome.success,
        responseStatus: outcome.status,
        error: outcome.error,
        durationMs: Math.round(outcome.durationMs)
      })}`

    const post = (webhook: Webhook, event: RecordEvent) => {
      const body = JSON.stringify(webhookPayload(webhook, event))
      const timestamp = String(Date.now())
      const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Score-Webhooks/1" }
      if (webhook.secret) {
        headers["x-twenty-webhook-timestamp"] = timestamp
        headers["x-twenty-webhook-signature"] = signature(webhook.secret, timestamp, body)
        headers["x-twenty-webhook-nonce"] = randomBytes(16).toString("hex")
      }
      return sendWebhook({ url: webhook.targetUrl, headers, body }, {
        allowPrivate: config.webhookAllowPrivateAddresses,
        timeoutMs: Duration.toMillis(config.webhookTimeout)
      })
    }

    return {
      list: listActive,
      get,
      create: (workspaceId, input) =>
        Effect.gen(function*() {
          yield* validate(input, true)
          if (input.id != null && !isUuid(input.id)) return yield* new BadUserInput({ message: `Invalid id: ${input.id}`, field: "id" })
          const rows = yield* sql`INSERT INTO core.webhook ${sql.insert({
            ...(input.id ? { id: input.id } : {}),
            workspaceId,
            targetUrl: input.targetUrl!,
            operations: input.operations ?? ["*.*"],
            description: input.description ?? null,
            secret: input.secret ?? ""
          })} ON CONFLICT (id) DO NOTHING RETURNING *`
          // Twenty's WEBHOOK_ALREADY_EXISTS, the same whichever workspace holds the id.
          return firstRow<Webhook>(rows) ?? (yield* new Conflict({ message: "A webhook with this configuration already exists." }))
        }).pipe(changed(workspaceId)),
      update: (workspaceId, id, input) =>
        Effect.gen(function*() {
          yield* validate(input, false)
          yield* get(workspaceId, id)
          const patch: Record<string, unknown> = { updatedAt: new Date() }
          if (input.targetUrl != null) patch.targetUrl = input.targetUrl
          if (input.operations != null) patch.operations = input.operations
          if (input.description !== undefined) patch.description = input.description
          if (input.secret != null) patch.secret = input.secret
          const rows = yield* sql`UPDATE core.webhook SET ${sql.update(patch)} WHERE id = ${id} AND "workspaceId" = ${workspaceId} RETURNING *`
          return firstRow<Webhook>(rows)!
        }).pipe(changed(workspaceId)),
      remove: (workspaceId, id) =>
        Effect.gen(function*() {
          const webhook = yield* get(workspaceId, id)
          yield* sql`UPDATE core.webhook SET "deletedAt" = now() WHERE id = ${id}`
          return webhook
        }).pipe(changed(workspaceId)),
      deliveries: (workspaceId, webhookId, limit) =>
        Effect.gen(function*() {
          yield* get(workspaceId, webhookId)
          return jsonRows<WebhookDelivery>(yield* sql`SELECT * FROM core."webhookDelivery" WHERE "webhookId" = ${webhookId}
            ORDER BY "createdAt" DESC LIMIT ${Math.max(1, Math.min(limit, 500))}`)
        }),
      matching: (workspaceId, eventName) =>
        Effect.map(
          cache.getOrLoad(cacheKey(workspaceId), listActive(workspaceId), { ttl: "10 minutes" }),
          (webhooks) => matchingWebhooks(webhooks ?? [], eventName)
        ),
      deliver: (webhookId, event, attempt) =>
        Effect.gen(function*() {
          const webhook = firstRow<Webhook>(yield* sql`SELECT * FROM core.webhook WHERE id = ${webhookId} AND "deletedAt" IS NULL`)
          if (!webhook) return
          const started = performance.now()
          const outcome = yield* Effect.promise(() => post(webhook, event))
          yield* record(webhook, event, attempt, { ...outcome, durationMs: performance.now() - started })
          webhookDeliveries.inc({ outcome: outcome.success ? "success" : outcome.status !== null ? "http_error" : "failure" })
          yield* recordAudit(auditEvent(outcome.success ? "webhook.delivered" : "webhook.failed", webhook.workspaceId, SYSTEM_ACTOR, {
            objectName: event.objectNameSingular,
            recordId: event.recordId,
            details: { webhookId: webhook.id, eventName: event.name, attempt, status: outcome.status, error: outcome.error }
          }))
          // Twenty's "Webhook Response" workspace event.
          yield* writeAnalytics(analyticsEvent("workspaceEvent", "Webhook Response", { workspaceId: webhook.workspaceId }, {
            status: outcome.status ?? undefined, success: outcome.success, url: webhook.targetUrl, webhookId: webhook.id, eventName: event.name
          })).pipe(Effect.catchAllCause((cause) => Effect.logWarning("Analytics event not written", cause)))
          if (outcome.detail) yield* Effect.logWarning(`Webhook ${webhook.id} delivery attempt ${attempt}: ${outcome.error}: ${outcome.detail}`)
          if (!outcome.success) return yield* new DeliveryFailed({ message: `${webhook.targetUrl}: ${outcome.error}` })
        }).pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.withSpan("Webhooks.deliver"))
    }
  })
)
