import { Effect } from "effect"
import type { WorkspaceCaller } from "../auth/permissions.js"
import { Cache } from "../../platform/cache/index.js"
import { Records } from "./service.js"
import type { Actor, RecordsScope } from "./types.js"

/** A member's workspaceMember id as `actorOf` caches it; joining and removal drop it. */
export const workspaceMemberIdCacheKey = (workspaceId: string, userId: string) => `workspaceMemberId:${workspaceId}:${userId}`

/**
 * The actor recorded in createdBy / updatedBy: an API key writes as source API under its name; a
 * member writes as MANUAL with their workspaceMember id (looked up once, then cached).
 */
export const actorOf = (caller: WorkspaceCaller) =>
  Effect.gen(function*() {
    if (caller.kind === "apiKey") return apiKeyScope(caller).actor
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

/** An API key's scope needs no lookup. */
export const apiKeyScope = (caller: Extract<WorkspaceCaller, { kind: "apiKey" }>): RecordsScope => ({
  workspaceId: caller.workspace.id,
  actor: { source: "API", workspaceMemberId: null, name: caller.apiKey.name } satisfies Actor
})

export const scopeOf = (caller: WorkspaceCaller) =>
  Effect.map(actorOf(caller), (actor): RecordsScope => ({ workspaceId: caller.workspace.id, actor }))
