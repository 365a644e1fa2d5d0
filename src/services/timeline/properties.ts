import type { RecordEvent } from "../../domain/events.js"

export type Diff = Record<string, { before: unknown; after: unknown }>

/** Twenty's timelineActivity properties: a `diff` of the updated fields, or the record `before` / `after`. */
export const propertiesOf = (event: RecordEvent) => {
  switch (event.action) {
    case "updated": {
      const diff: Diff = {}
      for (const field of event.updatedFields ?? []) diff[field] = { before: event.before?.[field] ?? null, after: event.record[field] ?? null }
      return { diff }
    }
    case "deleted":
      return { before: event.record }
    default:
      return { after: event.record }
  }
}

/** The record's name as the timeline shows it (`linkedRecordCachedName`). */
export const labelOf = (record: Record<string, unknown>) => {
  const name = record["name"]
  if (typeof name === "string") return name
  if (name && typeof name === "object") {
    const { firstName, lastName } = name as { firstName?: string; lastName?: string }
    return [firstName, lastName].filter(Boolean).join(" ")
  }
  return typeof record["title"] === "string" ? record["title"] : null
}

/**
 * Folds a further update into the activity of an earlier one (same record, same member, within the merge
 * window): each field keeps its first `before` and takes the latest `after`.
 */
export const mergeUpdates = (earlier: { readonly diff?: Diff }, later: { readonly diff?: Diff }): { diff: Diff } => {
  const merged: Diff = { ...earlier.diff }
  for (const [field, change] of Object.entries(later.diff ?? {})) {
    merged[field] = { before: merged[field]?.before ?? change.before, after: change.after }
  }
  return { diff: merged }
}
