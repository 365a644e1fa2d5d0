import { Effect, Layer } from "effect"
import { ResultCache } from "../cache/results.js"
import { ReadReplicas } from "./replicas.js"

/**
 * The ResultCache, its bumps first marking the workspace's write for the read replicas (replicas.ts `wrote`):
 * every committed write to a workspace's tables bumps their epochs already (records, imports, workflows,
 * timeline, members), so this one place keeps every one of them read-your-writes. Without replicas, unchanged.
 */
export const ResultCacheMarkingWrites = Layer.effect(
  ResultCache,
  Effect.gen(function*() {
    const results = yield* ResultCache
    const replicas = yield* ReadReplicas
    if (replicas === null) return results
    const marked = (workspaceId: string) => Effect.promise(() => replicas.wrote(workspaceId))
    return {
      ...results,
      bump: (workspaceId, tables) => Effect.zipRight(marked(workspaceId), results.bump(workspaceId, tables)),
      bumpNow: (workspaceId, tables) => replicas.wrote(workspaceId).then(() => results.bumpNow(workspaceId, tables)),
      bumpWorkspace: (workspaceId) => Effect.zipRight(marked(workspaceId), results.bumpWorkspace(workspaceId))
    }
  })
)
