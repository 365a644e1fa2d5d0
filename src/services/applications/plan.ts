/**
 * The plan of a sync (Twenty's WorkspaceMigration `actions`): what applying a manifest creates, updates and
 * deletes, computed from the manifest the app last applied. The same plan answers a dryRun and drives the apply.
 */
import { type Manifest, manifestFields, manifestViewParts } from "./manifest.js"

export type ViewPartName = "viewField" | "viewFilter" | "viewSort" | "viewGroup"
export type MetadataName = "objectMetadata" | "fieldMetadata" | "role" | "logicFunction" | "view" | ViewPartName

export interface Action {
  readonly type: "create" | "update" | "delete"
  readonly metadataName: MetadataName
  readonly universalIdentifier: string
  readonly flatEntity: Record<string, unknown>
  readonly diff?: Record<string, { readonly before: unknown; readonly after: unknown }>
}

type Entity = { readonly universalIdentifier: string } & Record<string, unknown>

/** Entities of one metadata name, as the manifest states them (an object without its fields). */
const entitiesOf = (manifest: Manifest | null): Record<MetadataName, ReadonlyArray<Entity>> => {
  const parts = manifest ? manifestViewParts(manifest) : { viewField: [], viewFilter: [], viewSort: [], viewGroup: [] }
  return {
    objectMetadata: (manifest?.objects ?? []).map(({ fields: _fields, ...object }) => object),
    fieldMetadata: manifest ? manifestFields(manifest) : [],
    role: manifest?.roles ?? [],
    logicFunction: manifest?.logicFunctions ?? [],
    // A manifest applied before views were (or without any) has none.
    view: (manifest?.views ?? []).map(({ fields: _f, filters: _fi, sorts: _s, groups: _g, ...view }) => view),
    ...parts
  }
}

const diffOf = (before: Entity, after: Entity) => {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  const changed = [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
  return Object.fromEntries(changed.map((key) => [key, { before: before[key] ?? null, after: after[key] ?? null }]))
}

/** Deletes come first (view parts, views, functions, fields, objects, roles), then creates and updates in dependency order. */
export const planSync = (previous: Manifest | null, next: Manifest, inferDeletion = true): ReadonlyArray<Action> => {
  const before = entitiesOf(previous)
  const after = entitiesOf(next)
  const deletes: Array<Action> = []
  const writes: Array<Action> = []
  for (const name of ["viewGroup", "viewSort", "viewFilter", "viewField", "view", "logicFunction", "fieldMetadata", "objectMetadata", "role"] as const) {
    const kept = new Set(after[name].map((e) => e.universalIdentifier))
    for (const entity of before[name]) {
      if (!kept.has(entity.universalIdentifier)) deletes.push({ type: "delete", metadataName: name, universalIdentifier: entity.universalIdentifier, flatEntity: entity })
    }
  }
  for (const name of ["objectMetadata", "fieldMetadata", "role", "logicFunction", "view", "viewField", "viewFilter", "viewSort", "viewGroup"] as const) {
    const old = new Map(before[name].map((e) => [e.universalIdentifier, e]))
    for (const entity of after[name]) {
      const prior = old.get(entity.universalIdentifier)
      if (!prior) writes.push({ type: "create", metadataName: name, universalIdentifier: entity.universalIdentifier, flatEntity: entity })
      else {
        const diff = diffOf(prior, entity)
        if (Object.keys(diff).length > 0) writes.push({ type: "update", metadataName: name, universalIdentifier: entity.universalIdentifier, flatEntity: entity, diff })
      }
    }
  }
  // `--no-delete` (inferDeletionFromMissingEntities: false): what the manifest no longer lists is kept.
  return inferDeletion ? [...deletes, ...writes] : writes
}
