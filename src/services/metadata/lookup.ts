import { Effect } from "effect"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { isUuid } from "../../platform/lib/uuid.js"

export const bad = (message: string, field?: string) => new BadUserInput({ message, ...(field ? { field } : {}) })

export const objectOf = (metadata: WorkspaceMetadata, id: string): Effect.Effect<ObjectMetadata, NotFound> => {
  const object = isUuid(id) ? metadata.objects.find((o) => o.id === id) : undefined
  return object ? Effect.succeed(object) : Effect.fail(new NotFound({ message: "Object metadata not found" }))
}

export const fieldOf = (
  metadata: WorkspaceMetadata,
  id: string
): Effect.Effect<{ object: ObjectMetadata; field: FieldMetadata }, NotFound> => {
  for (const object of metadata.objects) {
    const field = isUuid(id) ? object.fields.find((f) => f.id === id) : undefined
    if (field) return Effect.succeed({ object, field })
  }
  return Effect.fail(new NotFound({ message: "Field metadata not found" }))
}

/** Whether another object already uses one of these names, singular or plural. */
export const nameTaken = (metadata: WorkspaceMetadata, names: ReadonlyArray<string>, exceptId?: string) =>
  metadata.objects.some((o) => o.id !== exceptId && names.some((n) => n === o.nameSingular || n === o.namePlural))
