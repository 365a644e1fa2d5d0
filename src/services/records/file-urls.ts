import type { ObjectMetadata } from "../../domain/metadata.js"
import type { Model } from "./build-context.js"
import type { Connection, RecordValue, Selection } from "./types.js"

/** A signed download URL for a FILES-field file of the workspace (no database read: the token names both). */
export type SignFileUrl = (workspaceId: string, fileId: string) => string

type Walk = (record: RecordValue, sign: (fileId: string) => string) => void

/**
 * As Twenty's FILES query-result getter: every item of a selected FILES field gets a signed `url`, in the
 * record and in the relations it nests. The walk is made once per (model, object, selection), null when
 * nothing selected is a FILES field, so a read without one pays a WeakMap lookup.
 */
const walks = new WeakMap<Model, WeakMap<Selection, Map<string, Walk | null>>>()

export const filesWalkOf = (model: Model, object: ObjectMetadata, selection: Selection): Walk | null => {
  let bySelection = walks.get(model)
  if (!bySelection) walks.set(model, bySelection = new WeakMap())
  let byObject = bySelection.get(selection)
  if (!byObject) bySelection.set(selection, byObject = new Map())
  let walk = byObject.get(object.id)
  if (walk === undefined) byObject.set(object.id, walk = makeWalk(model, object, selection))
  return walk
}

const makeWalk = (model: Model, object: ObjectMetadata, selection: Selection): Walk | null => {
  const files = selection.fields.filter((name) => {
    const found = model.field(object, name)
    return found !== undefined && !found.joinColumn && found.field.type === "FILES"
  })
  const nested = selection.relations.flatMap((relation) => {
    const found = model.field(object, relation.field)
    if (!found) return []
    const walk = filesWalkOf(model, model.target(found.field), relation.selection)
    return walk ? [{ key: relation.key, walk }] : []
  })
  if (files.length === 0 && nested.length === 0) return null
  return (record, sign) => {
    for (const name of files) {
      const items = record[name]
      if (!Array.isArray(items)) continue
      record[name] = items.map((item) =>
        typeof item === "object" && item !== null && typeof (item as { fileId?: unknown }).fileId === "string"
          ? { ...item, url: sign((item as { fileId: string }).fileId) }
          : item
      )
    }
    for (const { key, walk } of nested) {
      const value = record[key] as RecordValue | Connection | null | undefined
      if (value === null || value === undefined) continue
      if (Array.isArray((value as Connection).edges)) {
        for (const edge of (value as Connection).edges) walk(edge.node, sign)
      } else walk(value as RecordValue, sign)
    }
  }
}

/** Signs the FILES items of a page's records in place; returns the connection. */
export const signConnection = <C extends Connection>(
  signer: SignFileUrl | null,
  workspaceId: string,
  model: Model,
  object: ObjectMetadata,
  selection: Selection,
  connection: C
): C => {
  if (signer === null || connection.edges.length === 0) return connection
  const walk = filesWalkOf(model, object, selection)
  if (walk === null) return connection
  const sign = (fileId: string) => signer(workspaceId, fileId)
  for (const edge of connection.edges) walk(edge.node, sign)
  return connection
}

/** Signed copies of records a write returns (the originals may be the change's event payload: left as they are). */
export const signRecords = (
  signer: SignFileUrl | null,
  workspaceId: string,
  model: Model | undefined,
  object: ObjectMetadata | undefined,
  selection: Selection,
  records: ReadonlyArray<RecordValue>
): ReadonlyArray<RecordValue> => {
  if (signer === null || model === undefined || object === undefined || records.length === 0) return records
  const walk = filesWalkOf(model, object, selection)
  if (walk === null) return records
  const sign = (fileId: string) => signer(workspaceId, fileId)
  return records.map((record) => {
    const copy = { ...record }
    walk(copy, sign)
    return copy
  })
}
