/** Job payloads are decoded with their Schema before a handler runs: malformed ones are dead-lettered at once. */
import { SqlClient } from "@effect/sql"
import { ResultCacheMemory } from "../src/platform/cache/results.js"
import { describe, expect, test } from "bun:test"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import type { RecordEvent } from "../src/domain/events.js"
import { Metadata } from "../src/services/metadata/index.js"
import { JobQueue, JobQueueMemory } from "../src/platform/queue/index.js"
import { AppConfig } from "../src/platform/config.js"
import { Files, FileStorage } from "../src/services/files/index.js"
import { MailTransport } from "../src/services/mail/index.js"
import { Revocations } from "../src/services/revocations/index.js"
import { type Webhook, Webhooks } from "../src/services/webhooks/index.js"
import { Workspaces } from "../src/services/workspace/index.js"
import { Workflows } from "../src/services/workflows/index.js"
import { LogicFunctions } from "../src/services/logic-functions/index.js"
import { Imports } from "../src/services/imports/index.js"
import { Records } from "../src/services/records/index.js"
import { SecretBox } from "../src/services/auth/secret-box.js"
import { makeTestLayer } from "./support/test-layer.js"

const event: RecordEvent = {
  name: "company.created",
  action: "created",
  workspaceId: "3b8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10",
  objectMetadataId: "0f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10",
  objectNameSingular: "company",
  recordId: "1f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10",
  record: { id: "1f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10", name: "Acme" },
  actor: { source: "API", workspaceMemberId: null, name: "key" },
  occurredAt: "2026-01-01T00:00:00.000Z"
}

const webhook = { id: "2f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10", operations: ["*.*"] } as unknown as Webhook

const runQueues = <A>(body: (delivered: Array<{ webhookId: string; event: RecordEvent; attempt: number }>) => Effect.Effect<A, unknown, JobQueue>) => {
  const delivered: Array<{ webhookId: string; event: RecordEvent; attempt: number }> = []
  const stubs = Layer.mergeAll(
    JobQueueMemory,
    makeTestLayer(Webhooks)({
      matching: () => Effect.succeed([webhook]),
      deliver: (webhookId, event, attempt) => Effect.sync(() => void delivered.push({ webhookId, event, attempt }))
    }),
    // No timelineActivity object: the timeline writer has nothing to do and never reaches SQL.
    makeTestLayer(Metadata)({ get: (workspaceId) => Effect.succeed({ workspaceId, version: 1, schema: "ws", objects: [] }) }),
    makeTestLayer(SqlClient.SqlClient)({}),
    makeTestLayer(MailTransport)({}),
    makeTestLayer(Files)({}),
    makeTestLayer(FileStorage)({}),
    makeTestLayer(AppConfig)({}),
    makeTestLayer(Workspaces)({}),
    makeTestLayer(Revocations)({}),
    makeTestLayer(Workflows)({ startRunsForEvent: () => Effect.void, startRunsForCron: () => Effect.void, sweepRuns: Effect.void }),
    makeTestLayer(LogicFunctions)({ startForEvent: () => Effect.void, cronTick: () => Effect.void }),
    makeTestLayer(Imports)({}),
    makeTestLayer(Records)({}),
    makeTestLayer(SecretBox)({}),
    ResultCacheMemory,
    Logger.minimumLogLevel(LogLevel.None)
  )
  return Effect.runPromise(
    Effect.gen(function*() {
      yield* runWorker(registry, { pollInterval: "20 millis" })
      return yield* body(delivered)
    }).pipe(Effect.scoped, Effect.provide(stubs))
  )
}

const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      if (yield* check) return
      yield* Effect.sleep("5 millis")
    }
    throw new Error("timed out")
  })

describe("job payloads", () => {
  test("a malformed record event is dead-lettered on its first attempt, naming the job and the decode issue", async () => {
    const dead = await runQueues(() =>
      Effect.gen(function*() {
        const jobs = yield* JobQueue
        yield* jobs.enqueue("events", "record-event", { ...event, workspaceId: 42, action: "exploded" }, { attempts: 5 })
        yield* until(Effect.map(jobs.counts("events"), (c) => c.dead === 1))
        return yield* jobs.deadLetters("events")
      })
    )
    expect(dead).toHaveLength(1)
    expect(dead[0]!.attemptsMade).toBe(1)
    const error = dead[0]!.lastError!
    expect(error).toContain("MalformedJobPayload: job events/record-event has a malformed payload")
    expect(error).toContain(`["workspaceId"]`)
    expect(error).toContain("Expected string, actual 42")
    expect(error).toContain(`["action"]`)
  })

  test("a malformed webhook delivery is dead-lettered at once; a valid event reaches its webhook", async () => {
    const { dead, delivered } = await runQueues((delivered) =>
      Effect.gen(function*() {
        const jobs = yield* JobQueue
        yield* jobs.enqueue("webhooks", "deliver", { event }, { attempts: 6 })
        yield* jobs.enqueue("events", "record-event", event, { attempts: 5 })
        yield* until(Effect.map(jobs.counts("webhooks"), (c) => c.dead === 1 && c.completed === 1))
        expect((yield* jobs.counts("events")).completed).toBe(1)
        return { dead: yield* jobs.deadLetters("webhooks"), delivered }
      })
    )
    expect(dead[0]!.attemptsMade).toBe(1)
    expect(dead[0]!.lastError).toContain("job webhooks/deliver has a malformed payload")
    expect(dead[0]!.lastError).toContain(`["webhookId"]`)
    expect(delivered).toEqual([{ webhookId: webhook.id, event, attempt: 1 }])
  })

  test("a job named after an Object method finds no handler and is dead-lettered at once", async () => {
    const dead = await runQueues(() =>
      Effect.gen(function*() {
        const jobs = yield* JobQueue
        yield* jobs.enqueue("system", "constructor", {}, { attempts: 5 })
        yield* until(Effect.map(jobs.counts("system"), (c) => c.dead === 1))
        return yield* jobs.deadLetters("system")
      })
    )
    expect(dead[0]!.attemptsMade).toBe(1)
    expect(dead[0]!.lastError).toBe("NoHandler: no handler for job system/constructor")
  })
})
