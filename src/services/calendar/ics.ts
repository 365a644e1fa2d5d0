/**
 * ICS (RFC 5545) to the calendarEvent shape. ical.js (Mozilla's, maintained for Thunderbird) parses it:
 * line folding, escaping, parameters, VALUE=DATE and TZID times are what make hand-written parsers wrong.
 */
import ICAL from "ical.js"

export type ResponseStatus = "NEEDS_ACTION" | "DECLINED" | "TENTATIVE" | "ACCEPTED"

export interface EventParticipant {
  readonly handle: string
  readonly displayName: string
  readonly isOrganizer: boolean
  readonly responseStatus: ResponseStatus
}

/** One occurrence stored as a calendarEvent: a plain event, a series (its master), or an overridden instance. */
export interface FetchedEvent {
  /** The object's href, with `#recurrence=<instant>` for an overridden instance (Twenty's CalDAV ids). */
  readonly externalId: string
  /** For an overridden instance, the series it belongs to (the master's externalId). */
  readonly recurringEventExternalId: string | null
  readonly iCalUID: string
  readonly title: string
  readonly description: string
  readonly location: string
  readonly startsAt: string | null
  readonly endsAt: string | null
  readonly isFullDay: boolean
  readonly isCanceled: boolean
  readonly conferenceLink: string | null
  readonly externalCreatedAt: string | null
  readonly externalUpdatedAt: string | null
  readonly participants: ReadonlyArray<EventParticipant>
}

const PARTSTAT: Record<string, ResponseStatus> = {
  ACCEPTED: "ACCEPTED", DECLINED: "DECLINED", TENTATIVE: "TENTATIVE", "NEEDS-ACTION": "NEEDS_ACTION"
}

const handleOf = (address: unknown) =>
  typeof address === "string" ? address.replace(/^mailto:/i, "").trim().toLowerCase() : ""

const text = (value: unknown) => (typeof value === "string" ? value : "")

const isoOf = (time: unknown) => (time instanceof ICAL.Time ? time.toJSDate().toISOString() : null)

/** A conference URL: the event's URL, else the first https link of a known meeting service in the text. */
const conferenceLinkOf = (vevent: ICAL.Component, description: string, location: string) => {
  const url = text(vevent.getFirstPropertyValue("url"))
  if (url) return url
  const found = `${location} ${description}`.match(/https:\/\/(?:[\w-]+\.)*(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|whereby\.com|meet\.jit\.si)\/\S+/)
  return found ? found[0] : null
}

const participantsOf = (vevent: ICAL.Component): Array<EventParticipant> => {
  const organizer = vevent.getFirstProperty("organizer")
  const organizerHandle = organizer ? handleOf(organizer.getFirstValue()) : ""
  const list: Array<EventParticipant> = []
  if (organizerHandle.includes("@")) {
    list.push({ handle: organizerHandle, displayName: text(organizer!.getParameter("cn")), isOrganizer: true, responseStatus: "ACCEPTED" })
  }
  for (const attendee of vevent.getAllProperties("attendee")) {
    const handle = handleOf(attendee.getFirstValue())
    if (!handle.includes("@") || list.some((p) => p.handle === handle)) continue
    const partstat = text(attendee.getParameter("partstat")).toUpperCase()
    list.push({ handle, displayName: text(attendee.getParameter("cn")), isOrganizer: false, responseStatus: PARTSTAT[partstat] ?? "NEEDS_ACTION" })
  }
  return list
}

const eventOf = (vevent: ICAL.Component, href: string): FetchedEvent => {
  const event = new ICAL.Event(vevent)
  const recurrence = event.isRecurrenceException() ? isoOf(event.recurrenceId) : null
  const description = text(event.description)
  const location = text(event.location)
  const created = isoOf(vevent.getFirstPropertyValue("created"))
  return {
    externalId: recurrence ? `${href}#recurrence=${recurrence}` : href,
    recurringEventExternalId: recurrence ? href : null,
    iCalUID: text(event.uid),
    title: text(event.summary) || "Untitled Event",
    description,
    location,
    startsAt: isoOf(event.startDate),
    endsAt: isoOf(event.endDate ?? event.startDate),
    isFullDay: event.startDate?.isDate === true,
    isCanceled: text(vevent.getFirstPropertyValue("status")).toUpperCase() === "CANCELLED",
    conferenceLink: conferenceLinkOf(vevent, description, location),
    externalCreatedAt: created,
    externalUpdatedAt: isoOf(vevent.getFirstPropertyValue("last-modified")) ?? created,
    participants: participantsOf(vevent)
  }
}

/** The events of one calendar object (a series' master and its overridden instances); none if it does not parse. */
export const parseCalendarObject = (ics: string, href: string): Array<FetchedEvent> => {
  try {
    const calendar = new ICAL.Component(ICAL.parse(ics))
    return calendar.getAllSubcomponents("vevent").map((vevent) => eventOf(vevent, href))
  } catch {
    return []
  }
}
