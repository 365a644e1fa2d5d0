import { clientAddressOf, rememberClientAddress } from "./client-address.js"

/**
 * MAX_BODY_SIZE for every route, answered as a readable 413 in Twenty's JSON. Bun's own
 * `maxRequestBodySize` answers an empty 413 to a declared length and fails the stream of a chunked body
 * mid-read (the route then answers whatever its read error becomes, or the client sees the connection
 * drop), so the server leaves Bun's limit wide and this check runs before any route reads a byte.
 */

export const tooLargeBody = (maxBytes: number, headers: Readonly<Record<string, string>>) =>
  Response.json(
    { statusCode: 413, error: "PayloadTooLargeException", messages: [`Request body exceeds ${maxBytes} bytes`] },
    { status: 413, headers: { ...headers, connection: "close" } }
  )

/** The body read whole, or null as soon as it passes `maxBytes` (the rest is never read). */
const readAtMost = async (body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  const reader = body.getReader()
  while (true) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      return null
    }
    chunks.push(value)
  }
  const whole = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    whole.set(chunk, offset)
    offset += chunk.byteLength
  }
  return whole
}

/**
 * The request as the routes may read it, or the 413 answer. A declared length is judged without
 * reading; a body without one (chunked) is read up to the limit and handed on buffered, with its length.
 */
export const boundRequestBody = async (request: Request, maxBytes: number): Promise<Request | null> => {
  const declared = request.headers.get("content-length")
  if (declared !== null) return Number(declared) > maxBytes ? null : request
  if (request.body === null) return request
  const body = await readAtMost(request.body, maxBytes)
  if (body === null) return null
  const headers = new Headers(request.headers)
  headers.delete("transfer-encoding")
  headers.set("content-length", String(body.byteLength))
  const buffered = new Request(request.url, { method: request.method, headers, body, signal: request.signal })
  rememberClientAddress(buffered, clientAddressOf(request))
  return buffered
}
