import { Effect } from "effect"
import { NotFound } from "../../domain/errors.js"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import type { Metadata } from "../metadata/index.js"
import { Model, QueryInputError } from "./query-builder.js"

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

/**
 * The workspaces' models: looked up through Metadata. `current` is the model of the metadata Metadata's own
 * `current` answers, so a model is kept exactly as long as its metadata (no memo of its own to outlive it).
 */
export const makeModels = (metadata: typeof Metadata.Service) => {
  /** The workspace's model at its current metadata version. */
  const modelFor = (workspaceId: string) => Effect.map(metadata.get(workspaceId), modelOf)
  /** The model of the metadata kept by the last lookup, if no invalidation came since; no lookup of its own. */
  const current = (workspaceId: string): Model | undefined => {
    const kept = metadata.current(workspaceId)
    return kept === undefined ? undefined : modelOf(kept)
  }
  return { modelFor, current }
}

export type Models = ReturnType<typeof makeModels>
