import type { ObjectMetadata } from "../../domain/metadata.js"
import type { Model } from "./build-context.js"
import type { RecordFilter, RecordsScope, Selection } from "./types.js"

/*
 * A connected account is its owner's (Twenty's connected accounts are listed per user, `myConnectedAccounts`):
 * a member reads and changes only the accounts they own and those accounts' channels and folders; an API
 * key, which is no member, none. The system (sync, jobs) is not limited. The limit is a filter added to
 * the caller's own, so the planned reads stay keyed by their arguments.
 */

/** The relation path from each object to its connected account. */
const PATH_TO_ACCOUNT: Readonly<Record<string, ReadonlyArray<string>>> = {
  connectedAccount: [],
  messageChannel: ["connectedAccount"],
  calendarChannel: ["connectedAccount"],
  messageFolder: ["messageChannel", "connectedAccount"]
}

/** The filter matching `objectName`'s records owned by the caller, or null when its reads are not limited. */
export const ownerFilter = (scope: RecordsScope, objectName: string): RecordFilter | null => {
  const path = PATH_TO_ACCOUNT[objectName]
  if (!path) return null
  const source = scope.actor.source
  if (source !== "MANUAL" && source !== "API") return null
  const memberId = source === "MANUAL" ? scope.actor.workspaceMemberId : null
  if (memberId === null) return { id: { is: "NULL" } }
  return path.reduceRight<RecordFilter>((inner, relation) => ({ [relation]: inner }), { accountOwnerId: { eq: memberId } })
}

/** `filter` narrowed to the caller's accounts (unchanged when unlimited). */
export const ownedOnly = (scope: RecordsScope, objectName: string, filter: RecordFilter | null | undefined): RecordFilter | null | undefined => {
  const owned = ownerFilter(scope, objectName)
  return owned === null ? filter : filter ? { and: [filter, owned] } : owned
}

/**
 * `selection` with the owner filter on every nested list of a limited object (`workspaceMember {
 * connectedAccounts }`, `connectedAccount { messageChannels }`, …); the same object when nothing changes, and
 * the same rewritten object for the same caller (the planned reads are cached by selection).
 */
export const makeOwnedSelections = () => {
  const rewritten = new WeakMap<Selection, Map<string, Selection>>()

  const rewrite = (scope: RecordsScope, model: Model, object: ObjectMetadata, selection: Selection): Selection => {
    let changed = false
    const relations = selection.relations.map((relation) => {
      const found = model.field(object, relation.field)
      if (!found || found.joinColumn || !found.field.relationTargetObjectMetadataId) return relation
      const target = model.metadata.objects.find((o) => o.id === found.field.relationTargetObjectMetadataId)
      if (!target) return relation
      const inner = rewrite(scope, model, target, relation.selection)
      const owned = found.field.relationType === "ONE_TO_MANY" ? ownerFilter(scope, target.nameSingular) : null
      if (inner === relation.selection && owned === null) return relation
      changed = true
      const args = owned === null ? relation.args : { ...relation.args, filter: ownedOnly(scope, target.nameSingular, relation.args?.filter) ?? null }
      return { ...relation, selection: inner, ...(args ? { args } : {}) }
    })
    return changed ? { ...selection, relations } : selection
  }

  return (scope: RecordsScope, model: Model | undefined, objectName: string, selection: Selection): Selection => {
    if (selection.relations.length === 0 || model === undefined || (scope.actor.source !== "MANUAL" && scope.actor.source !== "API")) return selection
    const object = model.metadata.objects.find((o) => o.nameSingular === objectName && o.isActive)
    if (!object) return selection
    const caller = scope.actor.workspaceMemberId ?? ""
    let byCaller = rewritten.get(selection)
    if (!byCaller) rewritten.set(selection, byCaller = new Map())
    let answer = byCaller.get(caller)
    if (!answer) {
      answer = rewrite(scope, model, object, selection)
      // A selection shared by many members (a prepared document) keeps a bounded set of rewrites.
      if (byCaller.size < 256) byCaller.set(caller, answer)
    }
    return answer
  }
}
