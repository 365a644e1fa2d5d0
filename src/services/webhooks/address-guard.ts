import { lookup } from "node:dns/promises"
import { isIP } from "node:net"

const V4_PRIVATE: ReadonlyArray<readonly [number, number]> = [
  [0x00000000, 8], // 0.0.0.0/8
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xc0000000, 24], // 192.0.0/24
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 4], // multicast
  [0xf0000000, 4] // reserved, broadcast
]

const v4ToInt = (address: string) => address.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0

const isPrivateV4 = (address: string) => {
  const value = v4ToInt(address)
  return V4_PRIVATE.some(([base, bits]) => (value >>> (32 - bits)) === (base >>> (32 - bits)))
}

const isPrivateV6 = (address: string) => {
  const lower = address.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped) return isPrivateV4(mapped[1]!)
  return lower === "::" || lower === "::1" || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower)
}

export const isPrivateAddress = (address: string) => (isIP(address) === 6 ? isPrivateV6(address) : isPrivateV4(address))

/**
 * Refuses URLs that are not http(s) or whose host resolves to a private, loopback or link-local
 * address (server-side request forgery). Returns the reason, or null when the URL may be called.
 */
export const refusalReason = async (target: string, allowPrivate: boolean): Promise<string | null> => {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return "targetUrl is not a valid URL"
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "targetUrl must use http or https"
  if (allowPrivate) return null
  const host = url.hostname.replace(/^\[|\]$/g, "")
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address)
  if (addresses.length === 0) return `targetUrl host "${host}" does not resolve`
  const blocked = addresses.find(isPrivateAddress)
  return blocked ? `targetUrl resolves to a private address (${blocked})` : null
}
