/**
 * Event, webhook, timeline and auth logic on stub layers (makeTestLayer): no PostgreSQL, no Redis.
 * The integration files (events, webhooks, tokens-and-keys, metadata-auth) cover the same paths end to end.
 */
import { SqlClient } from "@effect/sql"
import { ResultCacheMemory } from "../src/platform/cache/results.js"
import { describe, expect, test } from "bun:test"
import { Effect, Exit, Layer, Redacted } from "effect"
import * as jose from "jose"
import { createHash } from "node:crypto"
import type { RecordEvent } from "../src/domain/events.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../src/domain/metadata.js"
import { SETTINGS_PERMISSION_FLAGS } from "../src/domain/permissions.js"
import { flagsOfRole } from "../src/services/permissions/index.js"
import { checkFieldRestriction, checkObjectOverride, checkRoleRecordFlags } from "../src/services/roles/validate.js"
import { makeTokens } from "../src/services/auth/tokens.js"
import { handleRecordEvent } from "../src/services/events/handlers.js"
import { Metadata } from "../src/services/metadata/index.js"
import { JobQueue } from "../src/platform/queue/index.js"
import { labelOf, mergeUpdates, propertiesOf } from "../src/services/timeline/properties.js"
import { timelinePlace } from "../src/services/timeline/index.js"
import { isUuid } from "../src/platform/lib/uuid.js"
import { Revocations } from "../src/services/revocations/index.js"
import { Workspaces } from "../src/services/workspace/index.js"
import { Workflows } from "../src/services/workflows/index.js"
import { LogicFunctions } from "../src/services/logic-functions/index.js"
import { matchingWebhooks, operationMatches, type Webhook, Webhooks } from "../src/services/webhooks/index.js"
import { testRole } from "./support/roles.js"
import { Records } from "../src/services/records/index.js"
import { makeTestLayer } from "./support/test-layer.js"

const WS = "3b8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10"
const event = (overrides: Partial<RecordEvent> = {}): RecordEvent => ({
  name: "company.created",
  action: "created",
  workspaceId: WS,
  objectMetadataId: "company-object",
  objectNameSingular: "company",
  recordId: "1f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10",
  record: { id: "1f8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10", name: "Acme" },
  actor: { source: "API", workspaceMemberId: null, name: "key" },
  occurredAt: "2026-01-01T00:00:00.000Z",
  ...overrides
})

describe("makeTestLayer", () => {
  test("unimplemented members die naming the tag and the member", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(Webhooks, (w) => w.list(WS)).pipe(Effect.provide(makeTestLayer(Webhooks)({})))
    )
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain("not implemented: score/Webhooks.list")
  })
})

describe("event → webhook matching", () => {
  test("operations match by object and action, with * for either", () => {
    expect(operationMatches("company.created", "company.created")).toBe(true)
    expect(operationMatches("company.created", "company.updated")).toBe(false)
    expect(operationMatches("company.created", "person.created")).toBe(false)
    expect(operationMatches("*.updated", "person.updated")).toBe(true)
    expect(operationMatches("*.updated", "person.deleted")).toBe(false)
    expect(operationMatches("company.*", "company.destroyed")).toBe(true)
    expect(operationMatches("*.*", "opportunity.restored")).toBe(true)
  })

  test("a webhook matches when any of its operations does", () => {
    const hooks = [
      { id: "a", operations: ["company.created"] },
      { id: "b", operations: ["person.*", "*.deleted"] },
      { id: "c", operations: ["*.*"] }
    ]
    expect(matchingWebhooks(hooks, "company.created").map((w) => w.id)).toEqual(["a", "c"])
    expect(matchingWebhooks(hooks, "company.deleted").map((w) => w.id)).toEqual(["b", "c"])
    expect(matchingWebhooks(hooks, "person.updated").map((w) => w.id)).toEqual(["b", "c"])
  })

  test("a record event queues one delivery per matching webhook, with retries", async () => {
    const enqueued: Array<{ queue: string; jobs: ReadonlyArray<{ name: string; data: unknown; options?: unknown }> }> = []
    const hooks = [{ id: "w1", operations: ["*.created"] }, { id: "w2", operations: ["company.*"] }] as unknown as Array<Webhook>
    const layer = Layer.mergeAll(
      makeTestLayer(Webhooks)({ matching: (_, name) => Effect.succeed(matchingWebhooks(hooks, name)) }),
      makeTestLayer(JobQueue)({
        enqueueMany: (queue, jobs) => Effect.sync(() => (enqueued.push({ queue, jobs }), jobs.map((_, i) => String(i))))
      }),
      makeTestLayer(Metadata)({ get: (workspaceId) => Effect.succeed({ workspaceId, version: 1, schema: "ws", objects: [] }) }),
      makeTestLayer(SqlClient.SqlClient)({}),
      makeTestLayer(Workspaces)({}),
      makeTestLayer(Revocations)({}),
      makeTestLayer(Workflows)({ startRunsForEvent: () => Effect.void }),
      makeTestLayer(LogicFunctions)({ startForEvent: () => Effect.void, cronTick: () => Effect.void }),
      makeTestLayer(Records)({}),
      ResultCacheMemory
    )
    const e = event()
    await Effect.runPromise(handleRecordEvent(e).pipe(Effect.provide(layer)))
    expect(enqueued).toHaveLength(1)
    expect(enqueued[0]!.queue).toBe("webhooks")
    expect(enqueued[0]!.jobs.map((j) => j.data)).toEqual([{ webhookId: "w1", event: e }, { webhookId: "w2", event: e }])
    expect(enqueued[0]!.jobs[0]!.options).toEqual({ attempts: 6, backoff: "2 seconds" })

    enqueued.length = 0
    await Effect.runPromise(handleRecordEvent(event({ name: "person.updated", action: "updated" })).pipe(Effect.provide(layer)))
    expect(enqueued).toEqual([])
  })
})

const field = (f: Partial<FieldMetadata>) => ({ isActive: true, ...f }) as FieldMetadata
const object = (o: Partial<ObjectMetadata>) => ({ isActive: true, isSystem: false, fields: [], ...o }) as ObjectMetadata
const metadata: WorkspaceMetadata = {
  workspaceId: WS,
  version: 1,
  schema: "ws",
  objects: [
    object({ id: "company-object", nameSingular: "company" }),
    object({ id: "member-object", nameSingular: "workspaceMember", isSystem: true }),
    object({ id: "note-object", nameSingular: "note" }),
    object({
      id: "timeline-object",
      nameSingular: "timelineActivity",
      isSystem: true,
      fields: [
        field({ name: "workspaceMember", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: "member-object" }),
        field({ name: "company", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: "company-object" }),
        field({ name: "note", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: "note-object", isActive: false })
      ]
    })
  ]
}

describe("timeline", () => {
  test("an event lands on the timeline field that points at its object", () => {
    expect(timelinePlace(metadata, event())?.target.name).toBe("company")
    expect(timelinePlace(metadata, event({ action: "destroyed", name: "company.destroyed" }))).toBeUndefined()
    // System objects and objects whose timeline relation is inactive have no timeline.
    expect(timelinePlace(metadata, event({ objectMetadataId: "member-object" }))).toBeUndefined()
    expect(timelinePlace(metadata, event({ objectMetadataId: "note-object" }))).toBeUndefined()
    expect(timelinePlace({ ...metadata, objects: metadata.objects.slice(0, 3) }, event())).toBeUndefined()
  })

  test("properties: a diff for updates, the record before a delete, after otherwise", () => {
    const updated = event({
      action: "updated",
      name: "company.updated",
      before: { name: "Acme", employees: 1 },
      record: { name: "Acme Inc", employees: 1, city: null },
      updatedFields: ["name", "city"]
    })
    expect(propertiesOf(updated)).toEqual({ diff: { name: { before: "Acme", after: "Acme Inc" }, city: { before: null, after: null } } })
    expect(propertiesOf(event({ action: "deleted", name: "company.deleted" }))).toEqual({ before: event().record })
    expect(propertiesOf(event())).toEqual({ after: event().record })
  })

  test("a later update merges into the earlier activity: first before, last after", () => {
    const merged = mergeUpdates(
      { diff: { name: { before: "A", after: "B" }, city: { before: "Paris", after: "Lyon" } } },
      { diff: { name: { before: "B", after: "C" }, employees: { before: 1, after: 2 } } }
    )
    expect(merged).toEqual({
      diff: {
        name: { before: "A", after: "C" },
        city: { before: "Paris", after: "Lyon" },
        employees: { before: 1, after: 2 }
      }
    })
    expect(mergeUpdates({}, { diff: { x: { before: 1, after: 2 } } })).toEqual({ diff: { x: { before: 1, after: 2 } } })
  })

  test("the cached name: name, full name, or title", () => {
    expect(labelOf({ name: "Acme" })).toBe("Acme")
    expect(labelOf({ name: { firstName: "Ada", lastName: "Lovelace" } })).toBe("Ada Lovelace")
    expect(labelOf({ title: "Call" })).toBe("Call")
    expect(labelOf({})).toBeNull()
  })
})

const SECRET = "unit-test-secret"
const tokens = makeTokens(Redacted.make(SECRET))
const access = {
  sub: "ada@example.com",
  type: "ACCESS",
  workspaceId: WS,
  userId: "u",
  userWorkspaceId: "uw",
  sessionId: "s",
  authProvider: "password"
} as const
const keyFor = (scope: string, type: string) =>
  new TextEncoder().encode(createHash("sha256").update(`${SECRET}${scope}${type}`).digest("hex"))
const messageOf = <A>(effect: Effect.Effect<A, { message: string }>) =>
  Effect.runPromise(Effect.match(effect, { onFailure: (e) => e.message, onSuccess: () => "accepted" }))

describe("tokens", () => {
  test("a token verifies as its own type only", async () => {
    const { token } = await Effect.runPromise(tokens.sign(access, "1 hour"))
    expect(await Effect.runPromise(tokens.verify(token, ["ACCESS", "API_KEY"]))).toMatchObject({ workspaceId: WS, type: "ACCESS" })
    expect(await messageOf(tokens.verify(token, ["API_KEY"]))).toBe("Token invalid.")
    expect(await messageOf(tokens.verify(token, ["REFRESH"]))).toBe("Token invalid.")
  })

  test("an expired token says so", async () => {
    const { token } = await Effect.runPromise(tokens.sign(access, { until: new Date(Date.now() - 1000) }))
    expect(await messageOf(tokens.verify(token, ["ACCESS"]))).toBe("Token has expired.")
  })

  test("a correctly signed token without exp is refused", async () => {
    const eternal = await new jose.SignJWT({ ...access }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(keyFor(WS, "ACCESS"))
    expect(await messageOf(tokens.verify(eternal, ["ACCESS"]))).toBe("Token invalid.")
    const dated = await new jose.SignJWT({ ...access }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setExpirationTime("1h")
      .sign(keyFor(WS, "ACCESS"))
    expect(await messageOf(tokens.verify(dated, ["ACCESS"]))).toBe("accepted")
  })

  test("a token is scoped to its workspace: moved to another, its signature no longer holds", async () => {
    const { token } = await Effect.runPromise(tokens.sign(access, "1 hour"))
    const [header, , signature] = token.split(".")
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())
    const moved = Buffer.from(JSON.stringify({ ...claims, workspaceId: "9b8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10" })).toString("base64url")
    expect(await messageOf(tokens.verify(`${header}.${moved}.${signature}`, ["ACCESS"]))).toBe("Token invalid.")
    // Signed with the key of another workspace, even an untampered payload fails.
    const otherKey = await new jose.SignJWT({ ...access }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setExpirationTime("1h")
      .sign(keyFor("9b8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10", "ACCESS"))
    expect(await messageOf(tokens.verify(otherKey, ["ACCESS"]))).toBe("Token invalid.")
    // And another application secret.
    const foreign = makeTokens(Redacted.make("another-secret"))
    const { token: alien } = await Effect.runPromise(foreign.sign(access, "1 hour"))
    expect(await messageOf(tokens.verify(alien, ["ACCESS"]))).toBe("Token invalid.")
  })
})

describe("settings flags and role consistency", () => {
  const role = testRole


  test("canUpdateAllSettings grants every settings flag, canAccessAllTools every tool flag; unknown stored flags are ignored", () => {
    expect([...flagsOfRole(role({ canUpdateAllSettings: true }))]).toEqual([...SETTINGS_PERMISSION_FLAGS])
    expect([...flagsOfRole(role({ permissionFlags: ["DATA_MODEL", "NOT_A_FLAG"] }))]).toEqual(["DATA_MODEL"])
    expect(flagsOfRole(role({ canAccessAllTools: true })).has("DATA_MODEL")).toBe(false)
  })

  const codeOf = (error: { subCode?: string | undefined } | null) => error?.subCode ?? null

  test("role level: writes need read, deletes need update", () => {
    const flags = { canReadAllObjectRecords: true, canUpdateAllObjectRecords: true, canSoftDeleteAllObjectRecords: true, canDestroyAllObjectRecords: true }
    expect(checkRoleRecordFlags(flags)).toBeNull()
    expect(codeOf(checkRoleRecordFlags({ ...flags, canReadAllObjectRecords: false })))
      .toBe("CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION")
    expect(codeOf(checkRoleRecordFlags({ ...flags, canUpdateAllObjectRecords: false }))).toBe("INVALID_ARG_PERMISSIONS")
  })

  test("object level works on effective values (override, else role-wide)", () => {
    const readOnly = { canReadAllObjectRecords: true, canUpdateAllObjectRecords: false, canSoftDeleteAllObjectRecords: false, canDestroyAllObjectRecords: false }
    const none = { canReadObjectRecords: null, canUpdateObjectRecords: null, canSoftDeleteObjectRecords: null, canDestroyObjectRecords: null }
    expect(checkObjectOverride(readOnly, { ...none, canUpdateObjectRecords: true })).toBeNull()
    expect(codeOf(checkObjectOverride(readOnly, { ...none, canReadObjectRecords: false, canUpdateObjectRecords: true })))
      .toBe("CANNOT_GIVE_WRITING_PERMISSION_ON_NON_READABLE_OBJECT")
    expect(codeOf(checkObjectOverride(readOnly, { ...none, canDestroyObjectRecords: true }))).toBe("INVALID_ARG_PERMISSIONS")
  })

  test("field level: only restrictions, and an unreadable field is not updatable", () => {
    expect(checkFieldRestriction({ canReadFieldValue: false, canUpdateFieldValue: false }, { canReadFieldValue: false, canUpdateFieldValue: false })).toBeNull()
    expect(codeOf(checkFieldRestriction({ canUpdateFieldValue: true }, { canReadFieldValue: null, canUpdateFieldValue: true })))
      .toBe("ONLY_FIELD_RESTRICTION_ALLOWED")
    expect(codeOf(checkFieldRestriction({ canReadFieldValue: false }, { canReadFieldValue: false, canUpdateFieldValue: null })))
      .toBe("CANNOT_GIVE_WRITING_PERMISSION_WITHOUT_READING_PERMISSION")
  })
})

describe("uuid", () => {
  test("canonical 8-4-4-4-12 hex, any case, nothing else", () => {
    expect(isUuid("3B8E6F2A-6f1c-4a57-9a0e-0c4d1f2b9a10")).toBe(true)
    expect(isUuid("3b8e6f2a6f1c4a579a0e0c4d1f2b9a10")).toBe(false)
    expect(isUuid(" 3b8e6f2a-6f1c-4a57-9a0e-0c4d1f2b9a10")).toBe(false)
    expect(isUuid(42)).toBe(false)
  })
})
