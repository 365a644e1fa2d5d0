import type { SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import { assertValidSchema, type GraphQLSchema } from "graphql"
import type { NotFound } from "../../../../domain/errors.js"
import type { WorkspaceMetadata } from "../../../../domain/metadata.js"
import { Cache, derivedMemo } from "../../../../platform/cache/index.js"
import { AppConfig } from "../../../../platform/config.js"
import { SizedLru } from "../../../../platform/lib/sized-lru.js"
import { singleFlight } from "../../../../platform/lib/single-flight.js"
import { Metadata } from "../../../../services/metadata/index.js"
import { fingerprintOf } from "../../../../services/metadata/fingerprint.js"
import { workspaceSchemaInSteps } from "./build.js"
import { ANSWERED_SCHEMAS } from "./limits.js"
import { estimatedSchemaBytes } from "./size.js"

export type { DataGraphQLContext } from "./context.js"
export { buildWorkspaceSchema } from "./build.js"
export { GRAPHQL_LIMITS, MAX_SEARCH_LIMIT } from "./limits.js"

export interface SchemaCacheStats {
  /** Schemas kept built, and their estimated bytes (size.ts) against the SCHEMA_CACHE_MAX_MB budget. */
  readonly schemas: number
  readonly bytes: number
  readonly builds: number
}

export interface SchemaBuilderShape {
  /**
   * The workspace's `/graphql` schema at its current metadata version. Workspaces whose data models have
   * the same fingerprint share one schema (SCHEMA_SHARING): it holds names and types only, its resolvers
   * take the workspace, its PostgreSQL schema and the caller's access from the request context.
   */
  readonly schemaFor: (workspaceId: string) => Effect.Effect<GraphQLSchema, NotFound | SqlError.SqlError>
  /** What `schemaFor` last answered for the workspace, while no cache invalidation has been seen since. */
  readonly current: (workspaceId: string) => GraphQLSchema | undefined
  readonly stats: () => SchemaCacheStats
}

export class SchemaBuilder extends Context.Tag("score/SchemaBuilder")<SchemaBuilder, SchemaBuilderShape>() {}

/** Lets the event loop run what is waiting (I/O included) before going on: Effect's own yield may stay in microtasks. */
const nextTurn = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

export const SchemaBuilderLive = Layer.effect(
  SchemaBuilder,
  Effect.gen(function*() {
    const metadata = yield* Metadata
    const caches = yield* Cache
    const config = yield* AppConfig
    const built = new SizedLru<string, GraphQLSchema>(config.schemaCacheMaxMb * 1024 * 1024)
    let builds = 0
    /** Sharing off: one schema per workspace and version, as before fingerprints (kept for comparison). */
    const keyOf = (current: WorkspaceMetadata) =>
      config.schemaSharing ? `model:${fingerprintOf(current)}` : `workspace:${current.workspaceId}:${current.version}`

    // A build (20–35 ms on the standard model, in one piece) runs in steps of about an object with the event
    // loop free between them, so other workspaces' requests are not held up by it; concurrent requests for
    // one model wait for the same build (single flight per key), so a model is built once however many ask.
    const buildOnce = singleFlight()
    const build = (current: WorkspaceMetadata, key: string) =>
      buildOnce(
        key,
        Effect.gen(function*() {
          const steps = workspaceSchemaInSteps(current)
          let step = steps.next()
          while (!step.done) {
            yield* nextTurn
            step = steps.next()
          }
          const { schema, skipped } = step.value
          yield* nextTurn
          assertValidSchema(schema)
          built.set(key, schema, estimatedSchemaBytes(current))
          builds++
          if (skipped.length > 0) {
            yield* Effect.logWarning(`Objects left out of the GraphQL schema (names clash): ${skipped.join(", ")}`)
          }
          return schema
        })
      ).pipe(Effect.withSpan("SchemaBuilder.build", { attributes: { workspaceId: current.workspaceId, version: current.version } }))

    const answered = derivedMemo<GraphQLSchema>(caches, ANSWERED_SCHEMAS)

    const schemaFor = (workspaceId: string) =>
      Effect.suspend(() => {
        const since = caches.epoch()
        return Effect.flatMap(metadata.get(workspaceId), (current) => {
          const key = keyOf(current)
          const hit = built.get(key)
          return Effect.tap(hit ? Effect.succeed(hit) : build(current, key), (schema) => answered.set(workspaceId, schema, since))
        })
      })

    return { schemaFor, current: answered.get, stats: () => ({ schemas: built.size, bytes: built.bytes, builds }) }
  })
)
