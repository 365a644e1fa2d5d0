/**
 * The address of the client that sent a web request (a web Request carries none). It is the socket's peer,
 * unless that peer is one of TRUSTED_PROXIES (a load balancer): then the right-most address of
 * `X-Forwarded-For` that is not itself a trusted proxy. Addresses further left are whatever the client
 * wrote and are never used.
 */
export { clientAddressFrom } from "../platform/lib/trusted-proxies.js"

const addresses = new WeakMap<Request, string>()

export const rememberClientAddress = (request: Request, address: string | null | undefined) => {
  if (address) addresses.set(request, address)
}

export const clientAddressOf = (request: Request): string | null => addresses.get(request) ?? null
