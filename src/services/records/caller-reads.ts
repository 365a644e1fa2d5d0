import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { makeOwnedSelections, ownedOnly, ownerFilter } from "./account-owner-scope.js"
import { makeContentMasks, masksContent } from "./content-visibility.js"
import type { Models } from "./models.js"
import type { makeReads } from "./read.js"
import type { RecordsShape } from "./service.js"
import type { RecordFilter, RecordsScope, Selection } from "./types.js"

/**
 * The reads as a request's caller may see them: message and calendar-event content masked per reader
 * (content-visibility.ts; those reads take the Effect path), connected accounts and their channels their
 * owner's at the root and in nested lists (account-owner-scope.ts). Other callers and objects pass through.
 */
export const makeCallerReads = (sql: SqlClient.SqlClient, models: Models, reads: ReturnType<typeof makeReads>) => {
  const masks = makeContentMasks(sql, models)
  const limited = <A extends { readonly filter?: RecordFilter | null | undefined }>(scope: RecordsScope, objectName: string, args: A): A =>
    ownerFilter(scope, objectName) === null ? args : { ...args, filter: ownedOnly(scope, objectName, args.filter) ?? null }
  const owned = (scope: RecordsScope, objectName: string, filter: RecordFilter) => ownedOnly(scope, objectName, filter) ?? filter
  const ownedSelection = makeOwnedSelections()
  /** The selection narrowed for the caller, in an Effect (the model loaded if need be). */
  const selectionFor = (scope: RecordsScope, objectName: string, selection: Selection) =>
    selection.relations.length === 0
      ? Effect.succeed(selection)
      : Effect.map(models.modelFor(scope.workspaceId), (model) => ownedSelection(scope, model, objectName, selection))
  /** The same for a direct read: undefined when the model is not in memory (the direct read then declines). */
  const directSelectionFor = (scope: RecordsScope, objectName: string, selection: Selection) => {
    if (selection.relations.length === 0) return selection
    const model = models.current(scope.workspaceId)
    return model && ownedSelection(scope, model, objectName, selection)
  }
  const findMany: RecordsShape["findMany"] = (scope, objectName, args, selection, extras) =>
    Effect.flatMap(selectionFor(scope, objectName, selection), (selection) =>
      masksContent(scope, objectName)
        ? Effect.flatMap(reads.findMany(scope, objectName, args, selection, extras), (answer) => masks.connection(scope, objectName, answer))
        : reads.findMany(scope, objectName, limited(scope, objectName, args), selection, extras))
  const findOne: RecordsShape["findOne"] = (scope, objectName, filter, selection) =>
    Effect.flatMap(selectionFor(scope, objectName, selection), (selection) =>
      masksContent(scope, objectName)
        ? Effect.flatMap(reads.findOne(scope, objectName, filter, selection), (answer) => masks.record(scope, objectName, answer))
        : reads.findOne(scope, objectName, owned(scope, objectName, filter), selection))
  const findManyDirect: RecordsShape["findManyDirect"] = (scope, objectName, args, selection, extras) => {
    const narrowed = directSelectionFor(scope, objectName, selection)
    return masksContent(scope, objectName) || !narrowed ? null : reads.findManyDirect(scope, objectName, limited(scope, objectName, args), narrowed, extras)
  }
  const findOneDirect: RecordsShape["findOneDirect"] = (scope, objectName, filter, selection) => {
    const narrowed = directSelectionFor(scope, objectName, selection)
    return masksContent(scope, objectName) || !narrowed ? null : reads.findOneDirect(scope, objectName, owned(scope, objectName, filter), narrowed)
  }
  const groupBy: RecordsShape["groupBy"] = (scope, objectName, args, records, extras) =>
    reads.groupBy(scope, objectName, limited(scope, objectName, args), records, extras)
  return { findMany, findOne, findManyDirect, findOneDirect, groupBy }
}
