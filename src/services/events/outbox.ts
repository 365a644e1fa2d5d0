import type { RecordEvent } from "../../domain/events.js"

/**
 * An outbox payload as stored: a record event, except that an update written by one statement
 * (records/write-statements.ts) keeps only the fields it wrote as they were (`beforeFields`) instead of the
 * whole earlier record, so the statement builds the record's JSON once.
 */
export type OutboxPayload = Omit<RecordEvent, "before"> & {
  readonly before?: Record<string, unknown>
  readonly beforeFields?: Record<string, unknown>
}

/** The event an outbox payload stands for: `before` is the record with its written fields as they were. */
export const eventOfOutbox = (payload: OutboxPayload): RecordEvent => {
  const { beforeFields, ...event } = payload
  return beforeFields === undefined ? event : { ...event, before: { ...event.record, ...beforeFields } }
}
