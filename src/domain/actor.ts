/** Who performs a write: stored in createdBy / updatedBy (ACTOR), carried by record events. */
export interface Actor {
  readonly source: "MANUAL" | "API" | "IMPORT" | "WORKFLOW" | "SYSTEM" | "WEBHOOK" | "EMAIL" | "CALENDAR"
  readonly workspaceMemberId: string | null
  readonly name: string
  readonly context?: Record<string, unknown>
}
