/**
 * Twenty's LOGIC_FUNCTION_LOGS_CHANNEL: each execution's logs, with the function and its app, to whoever
 * listens in the function's workspace (the `logicFunctionLogs` subscription). Across instances through one
 * Redis channel; in this process's memory without Redis.
 */
import { Context, Effect, Layer, Scope } from "effect"
import { Redis, type RedisClient } from "../../platform/redis/index.js"

/** One execution's logs, as Twenty publishes them. */
export interface FunctionLogEntry {
  readonly workspaceId: string
  readonly id: string
  readonly name: string
  readonly universalIdentifier: string | null
  readonly applicationId: string | null
  readonly applicationUniversalIdentifier: string | null
  readonly logs: string
}

export interface FunctionLogsShape {
  /** Never fails: a lost message is a lost log line, not a failed execution. */
  readonly publish: (entry: FunctionLogEntry) => Effect.Effect<void>
  /** Calls `listener` with each entry of the workspace, from any instance, until the returned function is called. */
  readonly listen: (workspaceId: string, listener: (entry: FunctionLogEntry) => void) => Effect.Effect<() => void>
}

export class FunctionLogs extends Context.Tag("score/FunctionLogs")<FunctionLogs, FunctionLogsShape>() {}

/** The listeners of each workspace, and delivery to them. */
const makeListeners = () => {
  const byWorkspace = new Map<string, Set<(entry: FunctionLogEntry) => void>>()
  return {
    add: (workspaceId: string, listener: (entry: FunctionLogEntry) => void) => {
      let set = byWorkspace.get(workspaceId)
      if (!set) byWorkspace.set(workspaceId, set = new Set())
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0 && byWorkspace.get(workspaceId) === set) byWorkspace.delete(workspaceId)
      }
    },
    deliver: (entry: FunctionLogEntry) => {
      for (const listener of byWorkspace.get(entry.workspaceId) ?? []) listener(entry)
    }
  }
}

export const FunctionLogsMemory = Layer.sync(FunctionLogs, () => {
  const listeners = makeListeners()
  return {
    publish: (entry) => Effect.sync(() => listeners.deliver(entry)),
    listen: (workspaceId, listener) => Effect.sync(() => listeners.add(workspaceId, listener))
  }
})

/** One channel for every workspace; this instance's subscriber connection opens at its first listener. */
export const FunctionLogsRedis = Layer.scoped(
  FunctionLogs,
  Effect.gen(function*() {
    const { client, duplicate, prefix } = yield* Redis
    const scope = yield* Effect.scope
    const channel = `${prefix}logic-function-logs`
    const listeners = makeListeners()
    const lock = yield* Effect.makeSemaphore(1)
    let subscriber: RedisClient | undefined
    const subscribed = lock.withPermits(1)(Effect.gen(function*() {
      if (subscriber) return
      const connection = yield* Scope.extend(duplicate, scope)
      connection.on("message", (_channel: string, message: string) => {
        try {
          listeners.deliver(JSON.parse(message) as FunctionLogEntry)
        } catch {
          // Not ours to read: ignored.
        }
      })
      yield* Effect.tryPromise(() => connection.subscribe(channel))
      subscriber = connection
    }))
    return {
      publish: (entry) =>
        Effect.tryPromise(() => client.publish(channel, JSON.stringify(entry))).pipe(
          Effect.catchAll((e) => Effect.logWarning("logic function logs not published", e))
        ),
      listen: (workspaceId, listener) =>
        subscribed.pipe(
          Effect.catchAll((e) => Effect.logWarning("logic function logs: no subscriber (Redis unavailable)", e)),
          Effect.zipRight(Effect.sync(() => listeners.add(workspaceId, listener)))
        )
    }
  })
)

/** Redis when the infrastructure has it (REDIS_URL, REDIS_CLUSTER_NODES), else memory. */
export const FunctionLogsLive = Layer.unwrapEffect(
  Effect.map(Effect.serviceOption(Redis), (redis) =>
    redis._tag === "Some" ? Layer.provide(FunctionLogsRedis, Layer.succeed(Redis, redis.value)) : FunctionLogsMemory)
)
