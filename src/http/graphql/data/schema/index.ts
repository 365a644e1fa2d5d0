import type { SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import { assertValidSchema, type GraphQLSchema } from "graphql"
import type { NotFound } from "../../../../domain/errors.js"
import type { WorkspaceMetadata } from "../../../../domain/metadata.js"
import { Cache, derivedMemo } from "../../../../platform/cache/index.js"
import { Lru } from "../../../../platform/lib/lru.js"
import { Metadata } from "../../../../services/metadata/index.js"
import { buildWorkspaceSchema } from "./build.js"
import { SCHEMA_CACHE_SIZE } from "./limits.js"

export type { DataGraphQLContext } from "./context.js"
export { buildWorkspaceSchema } from "./build.js"
export { GRAPHQL_LIMITS, MAX_SEARCH_LIMIT } from "./limits.js"

export interface SchemaBuilderShape {
  /** The workspace's `/graphql` schema at its current metadata version, built once per version. */
  readonly schemaFor: (workspaceId: string) => Effect.Effect<GraphQLSchema, NotFound | SqlError.SqlError>
  /** What `schemaFor` last answered for the workspace, while no cache invalidation has been seen since. */
  readonly current: (workspaceId: string) => GraphQLSchema | undefined
}

export class SchemaBuilder extends Context.Tag("score/SchemaBuilder")<SchemaBuilder, SchemaBuilderShape>() {}

interface CachedSchema {
  readonly version: number
  readonly schema: GraphQLSchema
}

export const SchemaBuilderLive = Layer.effect(
  SchemaBuilder,
  Effect.gen(function*() {
    const metadata = yield* Metadata
    const caches = yield* Cache
    const cache = new Lru<string, CachedSchema>(SCHEMA_CACHE_SIZE)

    // Building is synchronous: between the version check and the cache write no other request runs.
    const build = (current: WorkspaceMetadata) =>
      Effect.gen(function*() {
        const { schema, skipped } = buildWorkspaceSchema(current)
        assertValidSchema(schema)
        cache.set(current.workspaceId, { version: current.version, schema })
        if (skipped.length > 0) {
          yield* Effect.logWarning(`Objects left out of the GraphQL schema (names clash): ${skipped.join(", ")}`)
        }
        return schema
      }).pipe(Effect.withSpan("SchemaBuilder.build", { attributes: { workspaceId: current.workspaceId, version: current.version } }))

    const answered = derivedMemo<GraphQLSchema>(yield* Cache, SCHEMA_CACHE_SIZE)

    const schemaFor = (workspaceId: string) =>
      Effect.suspend(() => {
        const since = caches.epoch()
        return Effect.flatMap(metadata.get(workspaceId), (current) => {
          const hit = cache.get(workspaceId)
          return Effect.tap(
            hit && hit.version === current.version ? Effect.succeed(hit.schema) : build(current),
            (schema) => answered.set(workspaceId, schema, since)
          )
        })
      })

    return { schemaFor, current: answered.get }
  })
)
