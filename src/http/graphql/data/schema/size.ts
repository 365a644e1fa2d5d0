import type { WorkspaceMetadata } from "../../../../domain/metadata.js"

const KiB = 1024

/**
 * The heap a built and validated schema retains, estimated from its metadata. Measured with Bun's heap
 * statistics on Twenty's standard model and its subsets (2 objects and 41 fields: 282 KiB; 8 and 137:
 * 712 KiB; 12 and 210: 1,093 KiB): about 80 KiB, plus 30 KiB an object and 3.3 KiB a field, slightly
 * over. Documents prepared against the schema (engine.ts) are bounded apart, per schema.
 */
export const estimatedSchemaBytes = (metadata: WorkspaceMetadata) => {
  let objects = 0
  let fields = 0
  for (const object of metadata.objects) {
    if (!object.isActive) continue
    objects++
    for (const field of object.fields) if (field.isActive) fields++
  }
  return Math.round((80 + 30 * objects + 3.3 * fields) * KiB)
}
