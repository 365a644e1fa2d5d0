import { Effect, Layer } from "effect"
import { makeMetadataChange } from "./change.js"
import { makeFieldWrites } from "./fields.js"
import { makeObjectWrites } from "./objects.js"
import { makeMetadataReads } from "./read.js"
import { Metadata } from "./service.js"

export {
  type CreateFieldInput,
  type CreateObjectInput,
  Metadata,
  type MetadataFailure,
  type MetadataShape,
  type RelationCreationPayload,
  type UpdateFieldInput,
  type UpdateObjectInput
} from "./service.js"

/**
 * The metadata service over PostgreSQL: reads cached per workspace and metadata version (read.ts), and
 * changes run as one transaction each (change.ts) by the object and field writes (objects.ts, fields.ts).
 */
export const MetadataLive = Layer.effect(
  Metadata,
  Effect.gen(function*() {
    const reads = yield* makeMetadataReads
    const writer = yield* makeMetadataChange(reads)
    return {
      get: reads.get,
      current: reads.current,
      ...makeObjectWrites(writer),
      ...makeFieldWrites(writer)
    }
  })
)
