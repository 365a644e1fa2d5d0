import ipaddr from "ipaddr.js"

/** TRUSTED_PROXIES: the load balancers whose `X-Forwarded-For` is believed (ranges parsed by ipaddr.js). */
export type TrustedProxies = ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>

/** Parses TRUSTED_PROXIES: comma-separated addresses or CIDR ranges (ipaddr.js). Throws on a bad entry. */
export const parseTrustedProxies = (raw: string): TrustedProxies =>
  raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((entry) => {
    if (entry.includes("/")) return ipaddr.parseCIDR(entry)
    const address = ipaddr.parse(entry)
    return [address, address.kind() === "ipv4" ? 32 : 128]
  })

const normalized = (address: string) => {
  const parsed = ipaddr.parse(address)
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed
}

const isTrusted = (address: string, trusted: TrustedProxies) => {
  if (!ipaddr.isValid(address)) return false
  const parsed = normalized(address)
  return trusted.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits))
}

/** The client's address for a request that arrived from `peer` with these `X-Forwarded-For` values. */
export const clientAddressFrom = (peer: string, forwardedFor: string | null, trusted: TrustedProxies): string => {
  if (trusted.length === 0 || forwardedFor === null || !isTrusted(peer, trusted)) return peer
  const hops = forwardedFor.split(",").map((s) => s.trim())
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!
    if (!ipaddr.isValid(hop)) return peer // a malformed chain: trust none of it
    if (!isTrusted(hop, trusted)) return normalized(hop).toString()
  }
  return peer
}
