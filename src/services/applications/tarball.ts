/**
 * The files of an app tarball (`twenty app:publish --private`: the built app, `npm pack`ed). Hand-written
 * over node:zlib rather than a tar dependency: a packed app is plain ustar (regular files, `package/`
 * prefix), and these few lines read exactly that; anything else in it (links, devices) is skipped.
 */
import { gunzipSync } from "node:zlib"

/** Tarballs larger than this once unpacked are refused (an app's built files are small). */
export const MAX_UNPACKED_BYTES = 64 * 1024 * 1024

const text = (block: Uint8Array, start: number, length: number) => {
  const slice = block.subarray(start, start + length)
  const end = slice.indexOf(0)
  return new TextDecoder().decode(end === -1 ? slice : slice.subarray(0, end))
}

/** `path → content` of the tarball's regular files, the `package/` prefix removed; null when it is not a tarball. */
export const unpackTarball = (gzipped: Uint8Array): Map<string, string> | null => {
  let tar: Uint8Array
  try {
    tar = gunzipSync(gzipped, { maxOutputLength: MAX_UNPACKED_BYTES })
  } catch {
    return null
  }
  const files = new Map<string, string>()
  let offset = 0
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const name = text(header, 0, 100)
    const prefix = text(header, 345, 155)
    const size = parseInt(text(header, 124, 12).trim() || "0", 8)
    const type = String.fromCharCode(header[156] ?? 0)
    if (!Number.isFinite(size) || size < 0) return null
    const body = offset + 512
    if ((type === "0" || type === "\0") && body + size <= tar.length) {
      const path = (prefix ? `${prefix}/${name}` : name).replace(/^package\//, "")
      files.set(path, new TextDecoder().decode(tar.subarray(body, body + size)))
    }
    offset = body + Math.ceil(size / 512) * 512
  }
  return files
}
