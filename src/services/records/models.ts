import { Effect } from "effect"
import { NotFound } from "../../domain/errors.js"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import { type CacheShape, derivedMemo } from "../../platform/cache/index.js"
import type { Metadata } from "../metadata/index.js"
import { Model, QueryInputError } from "./query-builder.js"

const MODELS_KEPT = 1_000

/** One Model per metadata value: its name lookups are built once per workspace version. */
const models = new WeakMap<WorkspaceMetadata, Model>()
const modelOf = (metadata: WorkspaceMetadata) => {
  let model = models.get(metadata)
  if (!model) {
    model = new Model(metadata)
    models.set(metadata, model)
  }
  return model
}

export const objectOf = (model: Model, name: string) =>
  Effect.try({
    try: () => model.object(name),
    catch: (e) => (e instanceof QueryInputError ? new NotFound({ message: `Object "${name}" not found` }) : e as never)
  })

/** The workspaces' models: looked up through Metadata, and kept in memory for the direct read. */
export const makeModels = (metadata: typeof Metadata.Service, cache: CacheShape) => {
  const currentModels = derivedMemo<Model>(cache, MODELS_KEPT)
  /** The workspace's model at its current metadata version, also kept for the direct read until an invalidation. */
  const modelFor = (workspaceId: string) =>
    Effect.suspend(() => {
      const since = cache.epoch()
      return Effect.map(metadata.get(workspaceId), (current) => {
        const model = modelOf(current)
        currentModels.set(workspaceId, model, since)
        return model
      })
    })
  /** The model kept by the last lookup, if no invalidation came since; no lookup of its own. */
  const current: (workspaceId: string) => Model | undefined = currentModels.get
  return { modelFor, current }
}

export type Models = ReturnType<typeof makeModels>
