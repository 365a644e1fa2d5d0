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

/** Uploads to `POST /rest/{plural}/import` stream to the import (IMPORT_MAX_BODY_SIZE), never buffered whole. */
export const IMPORT_PATH = /^\/rest\/[^/]+\/import$/

export class UploadTooLarge extends Error {}

/**
 * A chunked upload to an import route, streamed on with a byte count: past `maxBytes` the stream fails
 * (the import then answers 413 and stages nothing).
 */
export const limitedUpload = (request: Request, maxBytes: number): Request => {
  if (request.body === null) return request
  let size = 0
  const counted = request.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength
      if (size > maxBytes) controller.error(new UploadTooLarge(`Request body exceeds ${maxBytes} bytes`))
      else controller.enqueue(chunk)
    }
  }))
  const limited = new Request(request.url, { method: request.method, headers: request.headers, body: counted, signal: request.signal, duplex: "half" } as RequestInit)
  rememberClientAddress(limited, clientAddressOf(request))
  return limited
}
