import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Option } from "effect"
import { Cache } from "../cache/index.js"
import { ReadReplicas } from "../database/replicas.js"
import { JobQueue } from "../queue/job-queue.js"
import { Redis } from "../redis/index.js"
import { jobDurability } from "./job-durability.js"

export type IndicatorId = "database" | "redis"

export interface IndicatorState {
  readonly status: "up" | "down"
  readonly details?: Record<string, unknown>
}

export interface HealthShape {
  readonly check: (id: IndicatorId) => Effect.Effect<IndicatorState>
  readonly indicators: ReadonlyArray<IndicatorId>
}

export class Health extends Context.Tag("score/Health")<Health, HealthShape>() {}

const TIMEOUT = "2 seconds"

const probe = (effect: Effect.Effect<unknown, unknown>, details: Record<string, unknown>) =>
  effect.pipe(
    Effect.timeout(TIMEOUT),
    Effect.as<IndicatorState>({ status: "up", details }),
    Effect.catchAllCause((cause) =>
      Effect.succeed<IndicatorState>({
        status: "down",
        details: { ...details, error: String(cause._tag === "Fail" ? (cause.error as Error)?.message ?? cause.error : "unreachable") }
      })
    )
  )

export const HealthLive = (modes: { readonly database: string; readonly redis: string }) =>
  Layer.effect(
    Health,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const cache = yield* Cache
      const jobs = yield* JobQueue
      const redis = yield* Effect.serviceOption(Redis)
      const replicas = Option.getOrNull(yield* Effect.serviceOption(ReadReplicas))
      // The primary decides up or down; each replica's state (up, lagging, down: reads skip it) is in the details.
      const databaseDetails = () => replicas === null ? { mode: modes.database } : { mode: modes.database, replicas: replicas.states() }
      const redisCheck = probe(cache.ping, { mode: modes.redis })
      return {
        indicators: ["database", "redis"],
        check: (id) =>
          id === "database"
            ? Effect.suspend(() => probe(sql`SELECT 1`, databaseDetails()))
            : Option.match(redis, {
              onNone: () => redisCheck,
              // Up or down on the ping alone: a missing worker or persistence is a warning in the details.
              onSome: (connections) =>
                Effect.flatMap(redisCheck, (state) =>
                  state.status === "down" ? Effect.succeed(state) : Effect.map(
                    jobDurability(connections, jobs).pipe(Effect.timeout(TIMEOUT), Effect.option),
                    (durability) => Option.isNone(durability) ? state : { ...state, details: { ...state.details, ...durability.value } }
                  ))
            })
      }
    })
  )
