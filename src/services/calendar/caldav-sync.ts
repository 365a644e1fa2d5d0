import { Effect } from "effect"
import type { DAVCalendar, DAVResponse } from "tsdav"
import { AppConfig } from "../../platform/config.js"
import { credentialsOf } from "../messaging/accounts.js"
import { ConnectionRefused } from "../messaging/connection.js"
import { type CaldavClient, describeCaldavFailure, eventCalendars, openCaldav } from "./caldav-client.js"
import { type CalendarChannel, type CalendarCursor, calendarState, decodeCursor, loadCalendarChannel, saveCursor } from "./channel.js"
import { cancelDeletedObjects, type FetchedObject, saveObjects } from "./event-import.js"
import { lazyModule } from "../../platform/lib/lazy-module.js"

/** ics.ts with ical.js, loaded with the first calendar fetched, not at start (see README "Memory"). */
const loadIcs = lazyModule(() => import("./ics.js"))

/** Objects fetched (calendar-multiget) and stored per step; a crash loses at most one batch of work. */
export const FETCH_BATCH = 100

type CalendarState = CalendarCursor["calendars"][string]

/** The batch size, and a pause after each stored batch (tests use it to cut a sync in the middle). */
export interface SyncOptions {
  readonly batch?: number
  readonly afterBatch?: () => Promise<void>
  /** Told, per calendar synced, how its changes were found and how many there were. */
  readonly onCalendar?: (path: string, summary: { readonly mode: "sync-token" | "etags"; readonly changed: number; readonly deleted: number }) => void
}

const dav = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: describeCaldavFailure })

/** A refusal of the collection (401/403 not about the sync token) is a login problem, like a refused password. */
const refusedStatus = (responses: ReadonlyArray<DAVResponse>) => {
  const refused = responses.find((r) => (r.status === 401 || r.status === 403) && !String(r.raw ?? "").includes("valid-sync-token"))
  if (refused) throw new ConnectionRefused(`CALDAV authentication failed: the server answered ${refused.status}`, "auth")
}

/** Every object's path in the calendar with its ETag (PROPFIND depth 1): the fallback when no sync-token works. */
const listEtags = (client: CaldavClient, calendar: DAVCalendar) =>
  dav(async () => {
    const responses = await client.propfind({ url: calendar.url, props: { "d:getetag": {} }, depth: "1" })
    refusedStatus(responses)
    const self = new URL(calendar.url).pathname
    const etags: Record<string, string> = {}
    for (const r of responses) {
      if (!r.href || !r.ok) continue
      const path = new URL(r.href, calendar.url).pathname
      const etag = r.props?.["getetag"]
      if (path !== self && !path.endsWith("/") && typeof etag === "string") etags[path] = etag
    }
    return etags
  })

/** RFC 6578 sync-collection since `token`: changed paths with their ETags, deleted paths, the new token; null when the token is refused. */
const changesSince = (client: CaldavClient, calendar: DAVCalendar, token: string) =>
  dav(async () => {
    const responses = await client.syncCollection({ url: calendar.url, props: { "d:getetag": {} }, syncLevel: 1, syncToken: token })
    // a token the server forgot (DAV:valid-sync-token), or no sync-collection at all: compare ETags instead
    if (responses.some((r) => !r.ok && String(r.raw ?? "").includes("valid-sync-token"))) return null
    refusedStatus(responses)
    const self = new URL(calendar.url).pathname
    if (responses.some((r) => !r.ok && r.status !== 404 && r.href && new URL(r.href, calendar.url).pathname === self)) return null
    const changed: Record<string, string> = {}
    const deleted: Array<string> = []
    let next: string | null = null
    for (const r of responses) {
      const raw = r.raw as { multistatus?: { syncToken?: unknown } } | undefined
      if (typeof raw?.multistatus?.syncToken === "string") next = raw.multistatus.syncToken
      if (!r.href) continue
      const path = new URL(r.href, calendar.url).pathname
      if (path.endsWith("/")) continue
      if (r.status === 404) deleted.push(path)
      else if (typeof r.props?.["getetag"] === "string") changed[path] = r.props["getetag"]
    }
    return next ? { changed, deleted, next } : null
  })

/** The calendar-data of these objects (calendar-multiget), parsed into events. */
const fetchObjects = (client: CaldavClient, calendar: DAVCalendar, paths: ReadonlyArray<string>) =>
  dav(async () => {
    const { parseCalendarObject } = await loadIcs()
    const responses = await client.calendarMultiGet({
      url: calendar.url, props: { "d:getetag": {}, "c:calendar-data": {} }, objectUrls: [...paths], depth: "1"
    })
    refusedStatus(responses)
    return responses.flatMap((r): Array<FetchedObject> => {
      if (!r.href || !r.ok) return []
      const data = r.props?.["calendarData"]
      const ics = typeof data === "string" ? data : typeof data?._cdata === "string" ? data._cdata : null
      const href = new URL(r.href, calendar.url).pathname
      return ics === null ? [] : [{ href, events: parseCalendarObject(ics, href) }]
    })
  })

/**
 * One calendar: what changed since its cursor (sync-token, else ETags compared), fetched and stored in
 * batches, deletions canceled; the cursor is saved once all is stored, so an interrupted sync starts over
 * from the old one and stores the same objects again (in place).
 */
const syncCalendar = (workspaceId: string, channel: CalendarChannel, client: CaldavClient, calendar: DAVCalendar, previous: CalendarState | undefined, options: SyncOptions) =>
  Effect.gen(function*() {
    const known = previous?.etags ?? {}
    const delta = previous?.syncToken ? yield* changesSince(client, calendar, previous.syncToken) : null
    let etags: Record<string, string>
    let changed: Array<string>
    let deleted: Array<string>
    let syncToken: string | null
    if (delta) {
      etags = { ...known, ...delta.changed }
      for (const path of delta.deleted) delete etags[path]
      changed = Object.keys(delta.changed).filter((path) => known[path] !== delta.changed[path])
      deleted = delta.deleted.filter((path) => path in known)
      syncToken = delta.next
    } else {
      // the token comes before the listing: a change made in between is fetched again next time, never missed
      syncToken = typeof calendar.syncToken === "string" && calendar.syncToken ? calendar.syncToken : null
      etags = yield* listEtags(client, calendar)
      changed = Object.keys(etags).filter((path) => known[path] !== etags[path])
      deleted = Object.keys(known).filter((path) => !(path in etags))
    }
    const batch = options.batch ?? FETCH_BATCH
    for (let i = 0; i < changed.length; i += batch) {
      const objects = yield* fetchObjects(client, calendar, changed.slice(i, i + batch))
      yield* saveObjects(workspaceId, channel, objects)
      if (options.afterBatch) yield* Effect.promise(options.afterBatch)
    }
    yield* cancelDeletedObjects(workspaceId, channel.id, deleted)
    options.onCalendar?.(new URL(calendar.url).pathname, { mode: delta ? "sync-token" : "etags", changed: changed.length, deleted: deleted.length })
    return { state: { syncToken, etags }, changed: changed.length, deleted: deleted.length }
  })

/** Errors become channel states: a refused login fails the channel, anything else is retried later. */
const onFailure = (workspaceId: string, channel: CalendarChannel) => (error: unknown) => {
  const failure = describeCaldavFailure(error)
  return failure.kind === "auth"
    ? calendarState.markAuthFailed(workspaceId, channel, failure.message)
    : calendarState.markTemporaryFailure(workspaceId, channel, failure.message)
}

/**
 * Twenty's CalendarEventListFetchJob for CalDAV: logs in, then each event calendar of the account is
 * brought up to date; calendars gone from the server leave the cursor.
 */
export const syncCalendarChannel = (workspaceId: string, channelId: string, options: SyncOptions = {}) =>
  Effect.gen(function*() {
    const channel = yield* loadCalendarChannel(workspaceId, channelId)
    if (!channel || !channel.isSyncEnabled) return "skipped" as const
    const claimed = yield* calendarState.claimStage(workspaceId, channelId,
      ["CALENDAR_EVENT_LIST_FETCH_PENDING", "CALENDAR_EVENT_LIST_FETCH_SCHEDULED"], "CALENDAR_EVENT_LIST_FETCH_ONGOING", { syncStatus: "ONGOING" })
    if (!claimed) return "skipped" as const
    return yield* Effect.gen(function*() {
      const config = yield* AppConfig
      const parameters = yield* credentialsOf(workspaceId, channel.connectedAccountId)
      if (!parameters?.CALDAV) return yield* Effect.fail(new ConnectionRefused("CALDAV authentication failed: no stored credentials, save the account again", "auth"))
      const client = yield* dav(() => openCaldav(channel.handle, parameters.CALDAV!, config.messagingAllowPrivateAddresses))
      const calendars = yield* dav(() => eventCalendars(client))
      yield* calendarState.toStage(workspaceId, channelId, "CALENDAR_EVENTS_IMPORT_ONGOING")
      const cursor = decodeCursor(channel.syncCursor)
      const next: Record<string, CalendarState> = {}
      for (const calendar of calendars) {
        const path = new URL(calendar.url).pathname
        next[path] = (yield* syncCalendar(workspaceId, channel, client, calendar, cursor.calendars[path], options)).state
        yield* saveCursor(workspaceId, channelId, { calendars: { ...cursor.calendars, ...next } })
      }
      yield* saveCursor(workspaceId, channelId, { calendars: next })
      yield* calendarState.markSynced(workspaceId, channelId)
      return "synced" as const
    }).pipe(Effect.catchAll((e) => Effect.as(onFailure(workspaceId, channel)(e), "failed" as const)))
  })
