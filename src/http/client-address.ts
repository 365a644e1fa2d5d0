/**
 * The address of the peer that sent a web request, as Bun.serve saw it (a web Request carries none).
 * Forwarded headers are not trusted: any client could write them.
 */
const addresses = new WeakMap<Request, string>()

export const rememberClientAddress = (request: Request, address: string | null | undefined) => {
  if (address) addresses.set(request, address)
}

export const clientAddressOf = (request: Request): string | null => addresses.get(request) ?? null
