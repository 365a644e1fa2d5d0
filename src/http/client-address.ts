/**
 * The address of the client that sent a web request (a web Request carries none). It is the socket's peer,
 * unless that peer is one of TRUSTED_PROXIES (a load balancer): then the right-most address of
 * `X-Forwarded-For` that is not itself a trusted proxy. Addresses further left are whatever the client
 * wrote and are never used.
 */
export { clientAddressFrom } from "../platform/lib/trusted-proxies.js"

/** An address, or how to find it on first use (server.ts: most requests never ask for theirs). */
type Address = string | (() => string | null)

const addresses = new WeakMap<Request, Address>()

export const rememberClientAddress = (request: Request, address: Address | null | undefined) => {
  if (address) addresses.set(request, address)
}

export const clientAddressOf = (request: Request): string | null => {
  const address = addresses.get(request)
  if (typeof address !== "function") return address ?? null
  const found = address()
  if (found) addresses.set(request, found)
  else addresses.delete(request)
  return found
}
