import type { RecordsScope, Selection } from "../records/types.js"

/** Writes made by mail sync carry Twenty's EMAIL actor; no role limits them (the system writes). */
export const emailScope = (workspaceId: string): RecordsScope => ({
  workspaceId,
  actor: { source: "EMAIL", workspaceMemberId: null, name: "Email" }
})

export const select = (...fields: ReadonlyArray<string>): Selection => ({ fields, relations: [] })

export const IMAP_PROVIDER = "imap_smtp_caldav"
