import ipaddr from "ipaddr.js"
import { lookup } from "node:dns/promises"
import { isIP } from "node:net"

/** A host's addresses, as the system resolver gives them (injectable so tests can play a rebinding DNS). */
export type Resolve = (host: string) => Promise<ReadonlyArray<string>>

export const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true }).then((all) => all.map((a) => a.address))

/** IANA's global unicast space (2000::/3): everything outside it is special-purpose or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3")
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96")
const SIX_TO_FOUR = ipaddr.parseCIDR("2002::/16")

const v4FromBytes = (bytes: ReadonlyArray<number>) => new ipaddr.IPv4(bytes.slice(0, 4))

/**
 * Why an address may not be called ("loopback", "private", "linkLocal", ...), or null for a public
 * unicast address. ipaddr.js knows the IANA special-purpose registries; an IPv6 address carrying an
 * IPv4 one (mapped, NAT64 64:ff9b::/96, 6to4) is judged by the IPv4 address it reaches.
 */
export const addressRestriction = (text: string): string | null => {
  if (!ipaddr.isValid(text)) return "invalid"
  const address = ipaddr.process(text)
  if (address.kind() === "ipv4") {
    const range = address.range()
    return range === "unicast" ? null : range
  }
  const v6 = address as ipaddr.IPv6
  const bytes = v6.toByteArray()
  if (v6.match(NAT64_WELL_KNOWN)) return addressRestriction(v4FromBytes(bytes.slice(12)).toString())
  if (v6.match(SIX_TO_FOUR)) return addressRestriction(v4FromBytes(bytes.slice(2, 6)).toString())
  const range = v6.range()
  if (range !== "unicast") return range
  return v6.match(GLOBAL_UNICAST_V6) ? null : "reserved"
}

export const isPrivateAddress = (address: string) => addressRestriction(address) !== null

export const PRIVATE_ADDRESS_HINT =
  "set WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true to allow private, loopback and link-local targets"

export type TargetCheck =
  | { readonly ok: true; readonly url: URL; readonly addresses: ReadonlyArray<string> }
  | { readonly ok: false; readonly reason: string; readonly refusal: "invalid" | "unresolved" | "private" }

type UrlCheck = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string; readonly refusal: "invalid" }

const parseTargetUrl = (target: string): UrlCheck => {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return { ok: false, refusal: "invalid", reason: "targetUrl is not a valid URL" }
  }
  return url.protocol === "http:" || url.protocol === "https:"
    ? { ok: true, url }
    : { ok: false, refusal: "invalid", reason: "targetUrl must use http or https" }
}

/**
 * Resolves the URL's host once and checks every address; the caller connects only to these addresses,
 * so a DNS answer that changes between the check and the connection (rebinding) cannot matter.
 */
export const checkTarget = async (target: string, allowPrivate: boolean, resolve: Resolve = systemResolve): Promise<TargetCheck> => {
  const parsed = parseTargetUrl(target)
  if (!parsed.ok) return parsed
  const host = parsed.url.hostname.replace(/^\[|\]$/g, "")
  const addresses = isIP(host) ? [host] : await resolve(host).catch(() => [])
  if (addresses.length === 0) return { ok: false, refusal: "unresolved", reason: `targetUrl host "${host}" does not resolve` }
  if (!allowPrivate) {
    const restricted = addresses.map(addressRestriction).find((r) => r !== null)
    if (restricted) return { ok: false, refusal: "private", reason: `targetUrl resolves to a private address (${restricted}); ${PRIVATE_ADDRESS_HINT}` }
  }
  return { ok: true, url: parsed.url, addresses }
}

/**
 * Why a webhook URL may not be saved, or null when it may be. With private addresses allowed only the
 * URL is checked, so a host that does not resolve yet (a service still starting) can be registered.
 */
export const refusalReason = async (target: string, allowPrivate: boolean, resolve: Resolve = systemResolve): Promise<string | null> => {
  const check = allowPrivate ? parseTargetUrl(target) : await checkTarget(target, allowPrivate, resolve)
  return check.ok ? null : check.reason
}
