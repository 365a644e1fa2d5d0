import { BadUserInput, PayloadTooLarge } from "../../domain/errors.js"

/**
 * Passes exactly `expected` bytes (at most `limit`): more fails with PayloadTooLarge as soon as it arrives,
 * fewer fails at the end. `rejection()` tells why the stream failed, so storage errors caused by it are
 * answered as the client's fault, not the server's.
 */
export const exactLength = (expected: number, limit: number) => {
  let seen = 0
  let rejection: PayloadTooLarge | BadUserInput | null = null
  const transform = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => {
      seen += chunk.byteLength
      if (seen > limit) {
        rejection = new PayloadTooLarge({ message: `File exceeds the maximum size of ${limit} bytes` })
        return controller.error(rejection)
      }
      if (seen > expected) {
        rejection = new BadUserInput({ message: `Upload is longer than the ${expected} bytes declared` })
        return controller.error(rejection)
      }
      controller.enqueue(chunk)
    },
    flush: (controller) => {
      if (seen !== expected) {
        rejection = new BadUserInput({ message: `Upload ended after ${seen} of the ${expected} bytes declared` })
        controller.error(rejection)
      }
    }
  })
  return { transform, rejection: () => rejection }
}

/** The first `n` bytes of a stream (fewer if it ends sooner), and a stream that still yields all of it. */
export const peek = async (stream: ReadableStream<Uint8Array>, n: number) => {
  const reader = stream.getReader()
  const chunks: Array<Uint8Array> = []
  let length = 0
  let done = false
  while (length < n && !done) {
    const next = await reader.read()
    if (next.done) done = true
    else {
      chunks.push(next.value)
      length += next.value.byteLength
    }
  }
  const head = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    head.set(chunk, offset)
    offset += chunk.byteLength
  }
  const rest = new ReadableStream<Uint8Array>({
    start: (controller) => {
      if (length > 0) controller.enqueue(head)
      if (done) controller.close()
    },
    pull: async (controller) => {
      const next = await reader.read()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel: (reason) => reader.cancel(reason)
  })
  return { head: head.subarray(0, n), stream: rest }
}
