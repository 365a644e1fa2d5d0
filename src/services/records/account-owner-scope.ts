import type { RecordFilter, RecordsScope } from "./types.js"

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
