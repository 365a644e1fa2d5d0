import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { NotFound } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { Cache, derivedMemo } from "../../platform/cache/index.js"
import { AppConfig } from "../../platform/config.js"
import { SizedLru } from "../../platform/lib/sized-lru.js"
import { inTransaction, singleFlight } from "../../platform/lib/single-flight.js"
import { Workspaces } from "../workspace/index.js"
import { makeInterner } from "./intern.js"
import { fieldOf, objectOf } from "./lookup.js"

/** Workspaces whose metadata `current` answers without a lookup (references to what `local` keeps). */
const ANSWERED_WORKSPACES = 2_000

/**
 * What keeping a workspace's metadata costs, estimated: 0.7 KiB a field (an object counts as two). On
 * Twenty's standard model (28 objects, 467 fields) that is ~360 KiB, about what a kept workspace adds to the
 * process's RSS: its metadata (~150 KiB of heap, strings interned: intern.ts) and what its calls derive from
 * it (~90 KiB: its records model, permissions, the texts of shared plans), `bun bench/workspace-cost.ts`, plus
 * the allocator's share (tenants.ts: RSS with 8 MB against 32 MB of budget).
 */
export const estimatedMetadataBytes = (metadata: WorkspaceMetadata) => {
  let fields = 0
  for (const object of metadata.objects) fields += object.fields.length
  return (fields + 2 * metadata.objects.length) * 700
}

/** A workspace's metadata rows at one version, read on the current connection (a transaction's, if any). */
export const loadWorkspaceMetadata = (sql: SqlClient.SqlClient, workspaceId: string, version: number) =>
  Effect.gen(function*() {
    const [schema, objectRows, fieldRows] = yield* Effect.all([
      sql<{ schema: string }>`SELECT schema FROM core."dataSource" WHERE "workspaceId" = ${workspaceId}`,
      sql<Omit<ObjectMetadata, "fields">>`SELECT * FROM core."objectMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", "nameSingular"`,
      sql<FieldMetadata>`SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt", id`
    ]) // one after the other: inside a transaction they share a connection
    // Interned straight from pg's rows (no jsonRows copy first): a load is ~3 MiB of garbage on the standard model.
    const intern = makeInterner()
    const fields = intern.rows(fieldRows)
    const byObject = new Map<string, Array<FieldMetadata>>()
    for (const field of fields) {
      const list = byObject.get(field.objectMetadataId)
      if (list) list.push(field)
      else byObject.set(field.objectMetadataId, [field])
    }
    const objects = intern.rows(objectRows, "fields", (o) => byObject.get(o.id) ?? []) as unknown as ReadonlyArray<ObjectMetadata>
    if (!schema[0]) return yield* new NotFound({ message: "Workspace has no data source" })
    return { workspaceId, version, schema: schema[0].schema, objects } satisfies WorkspaceMetadata
  })

/**
 * Reads of workspaces' metadata: loaded once per (workspace, version), kept for the most recently used
 * workspaces, and what was last answered kept until the next cache invalidation (`current`).
 */
export const makeMetadataReads = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const cache = yield* Cache
  const workspaces = yield* Workspaces
  const config = yield* AppConfig
  /**
   * Most recently used workspaces' metadata, bounded by METADATA_CACHE_MAX_MB. What is derived from a
   * workspace's metadata (its records model, compiled access, plans) is kept by it (WeakMaps), so ends with it.
   * `answered` holds only what `local` holds: an evicted workspace's metadata is not kept alive by it (a burst
   * of 1,000 cold workspaces kept ~570 alive for the memo's 10 s, twice the budget).
   */
  const answered = derivedMemo<WorkspaceMetadata>(cache, ANSWERED_WORKSPACES)
  const local = new SizedLru<string, WorkspaceMetadata>(config.metadataCacheMaxMb * 1024 * 1024, (workspaceId) => answered.delete(workspaceId))
  const loadOnce = singleFlight()

  const load = (workspaceId: string, version: number) => loadWorkspaceMetadata(sql, workspaceId, version)

  /** The workspace's metadata at its current version, and whether `local` keeps it (not a read in a transaction). */
  const currentVersion = (workspaceId: string) =>
    Effect.gen(function*() {
      const workspace = yield* workspaces.findById(workspaceId)
      if (!workspace) return yield* new NotFound({ message: "Workspace not found" })
      const hit = local.get(workspaceId)
      if (hit && hit.version === workspace.metadataVersion) return { metadata: hit, kept: true }
      const fresh = yield* loadOnce(`${workspaceId}:${workspace.metadataVersion}`, load(workspaceId, workspace.metadataVersion))
      // A read in a transaction may not outlive it (see inTransaction).
      if (yield* inTransaction) return { metadata: fresh, kept: false }
      local.set(workspaceId, fresh, estimatedMetadataBytes(fresh))
      return { metadata: fresh, kept: true }
    })

  const get = (workspaceId: string) =>
    Effect.suspend(() => {
      const since = cache.epoch()
      return Effect.map(currentVersion(workspaceId), ({ metadata, kept }) => {
        if (kept) answered.set(workspaceId, metadata, since)
        return metadata
      })
    })

  return {
    get,
    current: answered.get,
    load,
    /** Drops the workspace's local copy (after a change of its metadata). */
    forget: (workspaceId: string) => {
      local.delete(workspaceId)
      answered.delete(workspaceId)
    },
    /** An object or field as `get` answers it after a change. */
    reloadObject: (workspaceId: string, id: string) => Effect.flatMap(get(workspaceId), (m) => objectOf(m, id)),
    reloadField: (workspaceId: string, id: string) =>
      Effect.map(Effect.flatMap(get(workspaceId), (m) => fieldOf(m, id)), ({ field }) => field)
  }
})

export type MetadataReads = Effect.Effect.Success<typeof makeMetadataReads>
