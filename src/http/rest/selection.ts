import { BadUserInput } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import type { Access } from "../../domain/permissions.js"
import { canReadField, canReadObject } from "../../services/records/access.js"
import type { Connection, RecordsLimits, RecordValue, Selection } from "../../services/records/types.js"
import { fingerprintOf } from "../../services/metadata/fingerprint.js"
import { Lru } from "../../platform/lib/lru.js"

/**
 * What a REST answer holds: `depth` (0 or 1, 0 by default) and `fields` (a projection), as Twenty's
 * input-request-parsers/depth-parser-utils and fields-parser-utils read them, and the Selection they make.
 */

const ALLOWED_DEPTHS = [0, 1]

/** `depth` of a REST request: absent or empty is 0; anything but 0 or 1 is refused with Twenty's message. */
export const parseDepth = (params: URLSearchParams) => {
  const raw = params.get("depth")
  if (raw === null || raw === "") return 0
  const depth = Number(raw)
  if (ALLOWED_DEPTHS.includes(depth)) return depth
  throw new BadUserInput({ message: `'depth=${raw}' parameter invalid. Allowed values are ${ALLOWED_DEPTHS.join(", ")}`, field: "depth" })
}

const isRelation = (field: FieldMetadata) => field.type === "RELATION" || field.type === "MORPH_RELATION"

const readableFields = (object: ObjectMetadata, access: Access | undefined) =>
  object.fields.filter((f) => f.isActive && f.type !== "TS_VECTOR" && canReadField(access, object, f))

const FIELDS_HINT = "Expected a comma-separated list of field names, e.g. fields=id,name"

/**
 * `fields=id,name,company` (repeatable, trimmed, deduplicated): the names to return, `id` always among
 * them; undefined when absent. Unknown or unreadable names, and one-to-many relations at depth 0, are
 * refused with Twenty's messages (parse-fields-rest-request.util.ts).
 */
export const parseFields = (
  params: URLSearchParams,
  object: ObjectMetadata,
  depth: number,
  access?: Access
): ReadonlySet<string> | undefined => {
  const raw = params.getAll("fields")
  if (raw.length === 0) return undefined
  const names = [...new Set(raw.flatMap((value) => value.split(",")).map((name) => name.trim()).filter(Boolean))]
  if (names.length === 0) throw new BadUserInput({ message: `'fields' parameter is empty. ${FIELDS_HINT}`, field: "fields" })
  const readable = new Map(readableFields(object, access).map((f) => [f.name, f]))
  const unknown = names.filter((name) => !readable.has(name))
  if (unknown.length > 0) {
    throw new BadUserInput({
      message: `'fields' parameter invalid. Unknown or unreadable fields on '${object.nameSingular}': ${unknown.join(", ")}`,
      field: "fields"
    })
  }
  const oneToMany = depth === 0
    ? names.filter((name) => {
      const field = readable.get(name)!
      return isRelation(field) && field.relationType === "ONE_TO_MANY"
    })
    : []
  if (oneToMany.length > 0) {
    throw new BadUserInput({
      message: `'fields' parameter invalid. One-to-many relation fields on '${object.nameSingular}' are only returned with depth=1: ${
        oneToMany.join(", ")
      }`,
      field: "fields"
    })
  }
  return new Set(["id", ...names])
}

/**
 * All scalar and composite fields with `<relation>Id` columns, relations expanded `depth` levels; with
 * `only`, just those fields (a many-to-one relation as its join column at depth 0, as its record at depth
 * 1). A restricted caller's default selection leaves out what it may not read (Twenty's REST does the same).
 */
export const selectionFor = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  depth: number,
  limits: RecordsLimits,
  access?: Access,
  only?: ReadonlySet<string>
): Selection => {
  const fields: Array<string> = []
  const relations: Array<Selection["relations"][number]> = []
  for (const field of readableFields(object, access)) {
    if (only && !only.has(field.name)) continue
    if (!isRelation(field)) {
      fields.push(field.name)
      continue
    }
    const relationTarget = metadata.objects.find((o) => o.id === field.relationTargetObjectMetadataId)
    const expanded = depth > 0 && relationTarget?.isActive === true && canReadObject(access, relationTarget)
    if (field.relationType === "MANY_TO_ONE" && (!only || !expanded)) fields.push(`${field.name}Id`)
    if (expanded) {
      relations.push({
        field: field.name,
        key: field.name,
        selection: selectionFor(metadata, relationTarget, depth - 1, limits, access),
        // REST shows one-to-many records as a plain array: no cursors to read.
        ...(field.relationType === "ONE_TO_MANY"
          ? { args: { first: limits.defaultPageSize }, connection: { totalCount: false, aggregates: [], cursors: false } }
          : {})
      })
    }
  }
  return { fields, relations }
}

/**
 * selectionFor without a projection, shared by the REST lane and the Effect routes, so what is kept by
 * selection (Records' plans, file walks) is built by a first list and reused by the next: for an
 * unrestricted caller one Selection per (limits, data model, object, depth) — a Selection holds names
 * only, so the workspaces of one model (fingerprint) share it, and with it their plans — and for a
 * restricted caller one per (limits, compiled access, object, depth).
 */
const MODELS_KEPT = 64
const selections = new WeakMap<RecordsLimits, { readonly byModel: Lru<string, Map<string, Selection>>; readonly byAccess: WeakMap<Access, Map<string, Selection>> }>()
export const sharedSelectionFor = (
  metadata: WorkspaceMetadata,
  object: ObjectMetadata,
  depth: number,
  limits: RecordsLimits,
  access: Access | undefined
): Selection => {
  let kept = selections.get(limits)
  if (!kept) selections.set(limits, kept = { byModel: new Lru(MODELS_KEPT), byAccess: new WeakMap() })
  let byObject: Map<string, Selection> | undefined
  if (access === undefined || access.unrestricted) {
    const fingerprint = fingerprintOf(metadata)
    byObject = kept.byModel.get(fingerprint)
    if (!byObject) kept.byModel.set(fingerprint, byObject = new Map())
  } else {
    byObject = kept.byAccess.get(access)
    if (!byObject) kept.byAccess.set(access, byObject = new Map())
  }
  const key = `${object.nameSingular}:${depth}:${access === undefined ? "none" : access.unrestricted ? "all" : "role"}`
  let selection = byObject.get(key)
  if (!selection) byObject.set(key, selection = selectionFor(metadata, object, depth, limits, access))
  return selection
}

/**
 * A record as REST answers it: only the selection's keys (writes answer full rows, Twenty's
 * pickRestResponseFields keeps the selected ones), one-to-many relations as plain arrays.
 */
export const restRecord = (record: RecordValue, selection: Selection): RecordValue => {
  const out: RecordValue = { id: record["id"] }
  for (const name of selection.fields) if (name in record) out[name] = record[name]
  for (const relation of selection.relations) {
    const value = record[relation.key]
    if (value && typeof value === "object" && "edges" in value) {
      out[relation.key] = (value as Connection).edges.map((edge) => restRecord(edge.node, relation.selection))
    } else if (value && typeof value === "object") {
      out[relation.key] = restRecord(value as RecordValue, relation.selection)
    } else if (relation.key in record) {
      out[relation.key] = value ?? null
    }
  }
  return out
}

/** A read record (already holding just its selection) with one-to-many connections turned into arrays, in place. */
export const flatten = (record: RecordValue, selection: Selection): RecordValue => {
  for (const relation of selection.relations) {
    const value = record[relation.key]
    if (value && typeof value === "object" && "edges" in value) {
      record[relation.key] = (value as Connection).edges.map((edge) => flatten(edge.node, relation.selection))
    } else if (value && typeof value === "object") {
      record[relation.key] = flatten(value as RecordValue, relation.selection)
    }
  }
  return record
}
