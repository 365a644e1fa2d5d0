import type { DAVCalendar } from "tsdav"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import { guardedFetch } from "../../platform/lib/pinned-request.js"
import { ConnectionRefused, pinnedAddress, type ProtocolParameters } from "../messaging/connection.js"

/** tsdav is loaded with the first CalDAV login, not at start (see README "Memory"). */
const loadTsdav = lazyModule(() => import("tsdav"))

/** Every CalDAV request ends within this, and answers no more than this many bytes. */
const REQUEST_TIMEOUT_MS = 60_000
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/**
 * The server URL of the account's CALDAV parameters: `host` is a bare host (the scheme follows
 * connectionSecurity, else the port) or a full URL (as Twenty's form takes it), `port` overriding its port.
 */
export const caldavUrl = (params: ProtocolParameters) => {
  const host = params.host.trim()
  if (/^https?:\/\//i.test(host)) {
    const url = new URL(host)
    if (params.port) url.port = String(params.port)
    if (!url.pathname.endsWith("/")) url.pathname += "/"
    return url.toString()
  }
  const secure = params.connectionSecurity ? params.connectionSecurity !== "NONE" : params.port === 443 || params.port === 8443
  return new URL(`${secure ? "https" : "http"}://${host}:${params.port}/`).toString()
}

/**
 * tsdav's requests through guardedFetch: each URL (the discovery's redirects included) is resolved and
 * checked against the special-purpose ranges, then connected to at exactly that address; bounded in time and size.
 */
const fetchFor = (allowPrivate: boolean): typeof fetch => {
  const guarded = guardedFetch(allowPrivate, undefined, MAX_RESPONSE_BYTES)
  const call = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    const body = typeof init.body === "string" || init.body instanceof Uint8Array || init.body instanceof ArrayBuffer ? init.body : null
    // the same refusal as IMAP's and SMTP's, naming this setting (a redirect elsewhere is checked here too)
    await pinnedAddress(new URL(url).hostname, allowPrivate)
    return guarded(url, { method: init.method ?? "GET", headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  }
  return Object.assign(call, { preconnect: fetch.preconnect })
}

/** What went wrong with a CalDAV server, for the user (the channel's state, the API's answer). */
export const describeCaldavFailure = (error: unknown): ConnectionRefused => {
  if (error instanceof ConnectionRefused) return error
  const message = error instanceof Error ? error.message : String(error)
  if (/invalid credentials|\b401\b|unauthori[sz]ed/i.test(message)) {
    return new ConnectionRefused("CALDAV authentication failed: the server refused the username or password", "auth")
  }
  if (/request refused/.test(message)) return new ConnectionRefused(`CALDAV ${message}`, "invalid")
  const code = (error as { code?: string } | null)?.code
  return new ConnectionRefused(`CALDAV connection failed (${code ?? message})`, "network")
}

export type CaldavClient = Awaited<ReturnType<typeof import("tsdav").createDAVClient>> & { readonly fetch: typeof fetch }

/** Logs in (tsdav discovers the principal and calendar home); `handle` is the login when no username is set. */
export const openCaldav = async (handle: string, params: ProtocolParameters, allowPrivate: boolean): Promise<CaldavClient> => {
  let serverUrl: string
  try {
    serverUrl = caldavUrl(params)
  } catch {
    throw new ConnectionRefused(`Invalid CALDAV host "${params.host}"`, "invalid")
  }
  const guarded = fetchFor(allowPrivate)
  try {
    const { createDAVClient } = await loadTsdav()
    const client = await createDAVClient({
      serverUrl,
      credentials: { username: params.username || handle, password: params.password ?? "" },
      authMethod: "Basic",
      defaultAccountType: "caldav",
      fetch: guarded
    })
    return Object.assign(client, { fetch: guarded })
  } catch (error) {
    throw describeCaldavFailure(error)
  }
}

/** The account's event calendars (collections that hold VEVENTs). */
export const eventCalendars = async (client: CaldavClient): Promise<Array<DAVCalendar>> => {
  try {
    const calendars = await client.fetchCalendars()
    return calendars.filter((c) => !c.components || c.components.includes("VEVENT"))
  } catch (error) {
    throw describeCaldavFailure(error)
  }
}

/** saveImapSmtpCaldavAccount's check: the login works and the calendars can be listed. */
export const testCaldav = async (handle: string, params: ProtocolParameters, allowPrivate: boolean) => {
  await eventCalendars(await openCaldav(handle, params, allowPrivate))
}
