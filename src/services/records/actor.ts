import { Effect } from "effect"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Cache } from "../../platform/cache/index.js"
import { Records } from "./service.js"
import { Metadata } from "../metadata/index.js"
import { Permissions } from "../permissions/index.js"
import type { Access } from "../../domain/permissions.js"
import type { Actor, RecordsScope } from "./types.js"

/** A member's workspaceMember id as `actorOf` caches it; joining and removal drop it. */
export const workspaceMemberIdCacheKey = (workspaceId: string, userId: string) => `workspaceMemberId:${workspaceId}:${userId}`

/**
 * The actor recorded in createdBy / updatedBy: an API key writes as source API under its name; a
 * member writes as MANUAL with their workspaceMember id (looked up once, then cached).
 */
export const actorOf = (caller: WorkspaceCaller) =>
  Effect.gen(function*() {
    if (caller.kind === "apiKey") return { source: "API", workspaceMemberId: null, name: caller.apiKey.name } satisfies Actor
    const cache = yield* Cache
    const records = yield* Records
    const system: RecordsScope = { workspaceId: caller.workspace.id, actor: { source: "SYSTEM", workspaceMemberId: null, name: "System" } }
    const memberId = yield* cache.getOrLoad(
      workspaceMemberIdCacheKey(caller.workspace.id, caller.user.id),
      Effect.map(
        records.findOne(system, "workspaceMember", { userId: { eq: caller.user.id } }, { fields: [], relations: [] }),
        (member) => (member ? (member["id"] as string) : null)
      ),
      { ttl: "1 hour" }
    )
    const name = `${caller.user.firstName} ${caller.user.lastName}`.trim() || caller.user.email
    return { source: "MANUAL", workspaceMemberId: memberId, name } satisfies Actor
  })

/** An API key's scope needs no lookup once its access is known. */
export const apiKeyScope = (caller: Extract<WorkspaceCaller, { kind: "apiKey" }>, access: Access): RecordsScope => ({
  workspaceId: caller.workspace.id,
  actor: { source: "API", workspaceMemberId: null, name: caller.apiKey.name } satisfies Actor,
  access
})

/** What the caller's role lets it do with records, at the workspace's current metadata version. */
export const accessOf = (caller: WorkspaceCaller) =>
  Effect.gen(function*() {
    const metadata = yield* Metadata
    const permissions = yield* Permissions
    const current = metadata.current(caller.workspace.id)
    const known = current && permissions.currentAccess(caller, current)
    return known ?? (yield* permissions.accessFor(caller, yield* metadata.get(caller.workspace.id)))
  })

/** The caller's records scope: who writes, and within which permissions. */
export const scopeOf = (caller: WorkspaceCaller) =>
  Effect.map(
    Effect.all([actorOf(caller), accessOf(caller)]),
    ([actor, access]): RecordsScope => ({ workspaceId: caller.workspace.id, actor, access })
  )
