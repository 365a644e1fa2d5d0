import type { WorkspaceMetadata } from "../../domain/metadata.js"

/** What differs between workspaces with the same data model: left out of the fingerprint. */
const PER_WORKSPACE = new Set(["id", "workspaceId", "objectMetadataId", "createdAt", "updatedAt"])

const byName = (a: { readonly name: string }, b: { readonly name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * A digest of a workspace's data model — objects and fields in order, with their names, types, options,
 * relations, settings and flags; fields in name order — that leaves out what every workspace has of its own: metadata ids (a
 * relation's target, a label identifier, a morph group are named by what they point at), dates, the
 * workspace id and its PostgreSQL schema. Two workspaces with equal fingerprints get identical derived
 * structures (the /graphql schema), so those can be shared. An id the digest does not know (say, inside
 * `settings`) stays as it is: the model is then unique to its workspace, never wrongly shared.
 */
export const modelFingerprint = (metadata: WorkspaceMetadata): string => {
  // Fields are read in (createdAt, id) order, and provisioning gives a whole object's fields one createdAt.
  const objects = metadata.objects.map((object) => ({ ...object, fields: [...object.fields].sort(byName) }))
  const names = new Map<string, string>()
  for (const object of objects) {
    names.set(object.id, `object:${object.nameSingular}`)
    for (const field of object.fields) {
      names.set(field.id, `field:${object.nameSingular}.${field.name}`)
      if (field.morphId && !names.has(field.morphId)) names.set(field.morphId, `morph:${object.nameSingular}.${field.name}`)
      for (const option of field.options ?? []) names.set(option.id, `option:${option.value}`)
    }
  }
  const text = JSON.stringify(objects, (key, value) => {
    if (PER_WORKSPACE.has(key)) return undefined
    return typeof value === "string" ? names.get(value) ?? value : value
  })
  return new Bun.CryptoHasher("sha256").update(text).digest("base64url")
}

const fingerprints = new WeakMap<WorkspaceMetadata, string>()

/** `modelFingerprint`, computed once per metadata value (a workspace at a version): about 1 ms on the standard model. */
export const fingerprintOf = (metadata: WorkspaceMetadata) => {
  let fingerprint = fingerprints.get(metadata)
  if (fingerprint === undefined) fingerprints.set(metadata, fingerprint = modelFingerprint(metadata))
  return fingerprint
}
