/**
 * Twenty's read-time visibility of mail and calendar content (twenty-shared
 * FIELD_RESTRICTED_ADDITIONAL_PERMISSIONS_REQUIRED): content is stored whole, and a reader who does not own
 * one of the connected accounts that imported it sees what the most generous of its channels shares.
 */
export const FIELD_RESTRICTED = "FIELD_RESTRICTED_ADDITIONAL_PERMISSIONS_REQUIRED"

/** Twenty's MessageChannelVisibility, in its declared (least to most shared) order. */
export const MESSAGE_VISIBILITIES = ["METADATA", "SUBJECT", "SHARE_EVERYTHING"] as const
export type MessageVisibility = typeof MESSAGE_VISIBILITIES[number]

export const CALENDAR_VISIBILITIES = ["METADATA", "SHARE_EVERYTHING"] as const
export type CalendarVisibility = typeof CALENDAR_VISIBILITIES[number]

/** SQL: the rank of a channel's visibility (alias.visibility) in MESSAGE_VISIBILITIES; unknown ranks as METADATA. */
export const visibilityRank = (alias: string) =>
  `CASE ${alias}.visibility WHEN 'SHARE_EVERYTHING' THEN 2 WHEN 'SUBJECT' THEN 1 ELSE 0 END`

/** What a reader sees of a thread or message: its owner everything, others the best channel's share. */
export const messageVisibility = (owned: boolean, rank: number | null): MessageVisibility =>
  owned ? "SHARE_EVERYTHING" : MESSAGE_VISIBILITIES[Math.max(0, Math.min(2, rank ?? 0))]!

export const calendarVisibility = (owned: boolean, shared: boolean): CalendarVisibility =>
  owned || shared ? "SHARE_EVERYTHING" : "METADATA"

export const maskedSubject = (visibility: MessageVisibility, subject: string) =>
  visibility === "METADATA" ? FIELD_RESTRICTED : subject

export const maskedBody = (visibility: MessageVisibility, body: string) =>
  visibility === "SHARE_EVERYTHING" ? body : FIELD_RESTRICTED
