import type { FieldMetadata, WorkspaceMetadata } from "../../domain/metadata.js"

/** What differs between workspaces with the same data model: left out of the fingerprint. */
const PER_WORKSPACE = new Set(["id", "workspaceId", "objectMetadataId", "createdAt", "updatedAt"])

const byName = (a: { readonly name: string }, b: { readonly name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * Every string the digest has read gets a number of its own, never given to another string (the counter
 * only grows; past STRINGS_MAX the table starts over, so a model may then get a second fingerprint, never
 * another model's). Metadata strings are interned (intern.ts), so a lookup costs no hashing of the text.
 */
const STRINGS_MAX = 50_000
let stringNumbers = new Map<string, number>()
let nextStringNumber = 0
const numberOf = (s: string) => {
  let n = stringNumbers.get(s)
  if (n === undefined) {
    if (stringNumbers.size >= STRINGS_MAX) stringNumbers = new Map()
    stringNumbers.set(s, n = nextStringNumber++)
  }
  return n
}

// Structure marks: negative, so never a string's number.
const NULL = -1, TRUE = -2, FALSE = -3, OBJECT = -4, ARRAY = -5, END = -6, NUMBER = -7, UNDEFINED = -8, BIGINT = -9

/** The sequence digested, reused from call to call (grown when a model needs more). */
let sequence = new Float64Array(16_384)

/**
 * A digest of a workspace's data model — objects and fields in order, with their names, types, options,
 * relations, settings and flags; fields in name order — that leaves out what every workspace has of its own: metadata ids (a
 * relation's target, a label identifier, a morph group are named by what they point at), dates, the
 * workspace id and its PostgreSQL schema. Two workspaces with equal fingerprints get identical derived
 * structures (the /graphql schema), so those can be shared. An id the digest does not know (say, inside
 * `settings`) stays as it is: the model is then unique to its workspace, never wrongly shared.
 * What is digested is the model as numbers (strings by their number, see numberOf, and structure marks)
 * written into one reused buffer: no text of the model is built (as JSON it was ~360 K characters).
 */
export const modelFingerprint = (metadata: WorkspaceMetadata): string => {
  // Fields are read in (createdAt, id) order, and provisioning gives a whole object's fields one createdAt.
  const sortedFields = metadata.objects.map((object) => [...object.fields].sort(byName))
  const names = new Map<string, string>()
  metadata.objects.forEach((object, i) => {
    names.set(object.id, `object:${object.nameSingular}`)
    // A morph group is named by its first field in name order.
    for (const field of sortedFields[i]!) {
      names.set(field.id, `field:${object.nameSingular}.${field.name}`)
      if (field.morphId && !names.has(field.morphId)) names.set(field.morphId, `morph:${object.nameSingular}.${field.name}`)
      for (const option of field.options ?? []) names.set(option.id, `option:${option.value}`)
    }
  })
  let length = 0
  const push = (n: number) => {
    if (length === sequence.length) {
      const grown = new Float64Array(sequence.length * 2)
      grown.set(sequence)
      sequence = grown
    }
    sequence[length++] = n
  }
  const value = (v: unknown): void => {
    if (typeof v === "string") push(numberOf(names.get(v) ?? v))
    else if (v === null) push(NULL)
    else if (v === true) push(TRUE)
    else if (v === false) push(FALSE)
    else if (typeof v === "number") {
      push(NUMBER)
      push(v)
    } else if (Array.isArray(v)) {
      push(ARRAY)
      for (const item of v) value(item)
      push(END)
    } else if (v instanceof Date) value(v.toJSON())
    else if (typeof v === "object") row(v, null)
    else if (v === undefined) push(UNDEFINED)
    else if (typeof v === "bigint") {
      push(BIGINT)
      push(numberOf(v.toString()))
    } else throw new TypeError(`A ${typeof v} in a workspace's metadata`) // never read from PostgreSQL
  }
  const row = (source: object, fields: ReadonlyArray<FieldMetadata> | null) => {
    push(OBJECT)
    for (const key in source) {
      if (PER_WORKSPACE.has(key) || (fields && key === "fields")) continue
      push(numberOf(key))
      value((source as Record<string, unknown>)[key])
    }
    if (fields) {
      push(numberOf("fields"))
      push(ARRAY)
      for (const field of fields) row(field, null)
      push(END)
    }
    push(END)
  }
  push(ARRAY)
  metadata.objects.forEach((object, i) => row(object, sortedFields[i]!))
  push(END)
  return new Bun.CryptoHasher("sha256").update(sequence.subarray(0, length)).digest("base64url")
}

const fingerprints = new WeakMap<WorkspaceMetadata, string>()

/** `modelFingerprint`, computed once per metadata value (a workspace at a version): about 1 ms on the standard model. */
export const fingerprintOf = (metadata: WorkspaceMetadata) => {
  let fingerprint = fingerprints.get(metadata)
  if (fingerprint === undefined) fingerprints.set(metadata, fingerprint = modelFingerprint(metadata))
  return fingerprint
}
