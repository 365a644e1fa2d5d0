import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { AuditKind, type AuditCursor, type AuditEvent, type AuditLogFilter } from "../../../domain/audit.js"
import { BadUserInput } from "../../../domain/errors.js"
import { AuditLog } from "../../../services/audit/index.js"
import { analyticsEvent, writeAnalytics } from "../../../services/audit/outbox.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** The services audit resolvers run. */
export type AuditServices = AuditLog | Permissions | SqlClient.SqlClient

type Context = GraphQLContext<AuditServices>
type Args = Record<string, any>

const DEFAULT_PAGE = 50
const MAX_PAGE = 200
const MAX_TEXT = 200
const MAX_PROPERTIES_BYTES = 8192
const Cursor = Schema.parseJson(Schema.Tuple(Schema.Number, Schema.UUID))

export const encodeCursor = (event: Pick<AuditEvent, "occurredAt" | "id">) =>
  Buffer.from(JSON.stringify([event.occurredAt, event.id])).toString("base64url")

const decodeCursor = (value: unknown) =>
  typeof value === "string"
    ? Schema.decodeUnknown(Cursor)(Buffer.from(value, "base64url").toString()).pipe(
      Effect.map(([occurredAt, id]): AuditCursor => ({ occurredAt, id })),
      Effect.mapError(() => new BadUserInput({ message: "Invalid cursor", field: "after" }))
    )
    : Effect.succeed(null)

const text = (field: string, value: unknown) =>
  value === undefined || value === null
    ? Effect.succeed(undefined)
    : typeof value === "string" && value.length <= MAX_TEXT
    ? Effect.succeed(value)
    : Effect.fail(new BadUserInput({ message: `${field} must be a string of at most ${MAX_TEXT} characters`, field }))

const time = (field: string, value: unknown) => {
  if (value === undefined || value === null) return Effect.succeed(undefined)
  const ms = Date.parse(String(value))
  return Number.isNaN(ms) ? Effect.fail(new BadUserInput({ message: `${field} must be a date`, field })) : Effect.succeed(ms)
}

/** The filter as given, checked: a kind outside the known ones is BAD_USER_INPUT (never a silent empty page). */
const decodeFilter = (filter: Record<string, unknown> | null | undefined) =>
  Effect.gen(function*() {
    const given = filter ?? {}
    const kind = given["kind"]
    if (kind !== undefined && kind !== null && !Schema.is(AuditKind)(kind)) {
      return yield* new BadUserInput({ message: `Unknown audit event kind: ${String(kind).slice(0, MAX_TEXT)}`, field: "kind" })
    }
    const result: AuditLogFilter = {
      actorId: yield* text("actorId", given["actorId"]),
      kind: Schema.is(AuditKind)(kind) ? kind : undefined,
      objectName: yield* text("objectName", given["objectName"]),
      from: yield* time("from", given["from"]),
      to: yield* time("to", given["to"])
    }
    return result
  })

const node = (event: AuditEvent) => ({ ...event, occurredAt: new Date(event.occurredAt).toISOString() })

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const properties = (value: unknown) =>
  value === undefined || value === null
    ? Effect.succeed({})
    : isObject(value) && JSON.stringify(value).length <= MAX_PROPERTIES_BYTES
    ? Effect.succeed(value)
    : Effect.fail(new BadUserInput({ message: `properties must be a JSON object of at most ${MAX_PROPERTIES_BYTES} bytes`, field: "properties" }))

const userIdOf = (auth: Awaited<ReturnType<typeof workspaceOf>>) => (auth.kind === "user" ? auth.user.id : "")

export const auditResolvers = {
  Query: {
    /** One workspace's audit events, newest first; SECURITY permission. */
    auditLogs: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "SECURITY"))
        const first = args.first ?? DEFAULT_PAGE
        if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
          return yield* new BadUserInput({ message: `first must be between 1 and ${MAX_PAGE}`, field: "first" })
        }
        const filter = yield* decodeFilter(args.filter)
        const cursor = yield* decodeCursor(args.after)
        const page = yield* Effect.flatMap(AuditLog, (log) => log.list(auth.workspace.id, filter, first, cursor)).pipe(Effect.orDie)
        const edges = page.events.map((event) => ({ node: node(event), cursor: encodeCursor(event) }))
        return {
          edges,
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: cursor !== null,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null
          }
        }
      }))
    }
  },
  Mutation: {
    /** Twenty's: a pageview (`name`) or a workspace event (`event`), written through the audit outbox. */
    trackAnalytics: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        const name = yield* text(args.type === "PAGEVIEW" ? "name" : "event", args.type === "PAGEVIEW" ? args.name : args.event)
        if (!name) return yield* new BadUserInput({ message: "Invalid analytics input" })
        const props = yield* properties(args.properties)
        const context = { workspaceId: auth.workspace.id, userId: userIdOf(auth) }
        yield* writeAnalytics(analyticsEvent(args.type === "PAGEVIEW" ? "pageview" : "workspaceEvent", name, context, props))
        return { success: true }
      }))
    },
    /** Twenty's: an event about one record, in objectEvent. */
    createObjectEvent: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        const event = yield* text("event", args.event)
        if (!event) return yield* new BadUserInput({ message: "Invalid analytics input", field: "event" })
        const props = yield* properties(args.properties)
        yield* writeAnalytics(analyticsEvent(
          "objectEvent",
          event,
          { workspaceId: auth.workspace.id, userId: userIdOf(auth) },
          { ...props, isCustom: true },
          { recordId: args.recordId, objectMetadataId: args.objectMetadataId }
        ))
        return { success: true }
      }))
    }
  }
}
