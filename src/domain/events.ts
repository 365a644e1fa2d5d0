import type { Actor } from "./actor.js"

export type RecordAction = "created" | "updated" | "deleted" | "restored" | "destroyed"

/**
 * What happened to one record, as stored in the outbox and carried by the `events` queue:
 * `company.created`, `person.updated` (with `before` and `updatedFields`), ...
 */
export interface RecordEvent {
  readonly name: `${string}.${RecordAction}`
  readonly action: RecordAction
  readonly workspaceId: string
  readonly objectMetadataId: string
  readonly objectNameSingular: string
  readonly recordId: string
  /** The record after the change; for `destroyed`, as it was. Twenty's shape, depth 0. */
  readonly record: Record<string, unknown>
  readonly before?: Record<string, unknown>
  readonly updatedFields?: ReadonlyArray<string>
  readonly actor: Actor
  readonly occurredAt: string
}
