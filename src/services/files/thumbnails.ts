import { Effect } from "effect"
import { Readable } from "node:stream"
import { lazyModule } from "../../platform/lib/lazy-module.js"

/** sharp and its native libvips are loaded with the first thumbnail, not at start (see README "Memory"). */
const loadSharp = lazyModule(() => import("sharp"))

/** Longest side of a picture's thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256

/** Decompression bombs stop here: 40 megapixels is a 7,000 × 5,700 photo. */
const MAX_INPUT_PIXELS = 40_000_000

/**
 * A WebP thumbnail of a picture (sharp, libvips): EXIF orientation applied, at most THUMBNAIL_SIZE on its
 * longest side, never enlarged. The source streams in; the thumbnail (a few kB) comes back whole.
 */
export const makeThumbnail = (source: ReadableStream<Uint8Array>) =>
  Effect.tryPromise({
    try: async () => {
      const { default: sharp } = await loadSharp()
      const transformer = sharp({ limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" })
        .rotate()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
        .webp({ quality: 80 })
      Readable.fromWeb(source as never).on("error", (e) => transformer.destroy(e)).pipe(transformer)
      return transformer.toBuffer().then((buffer) => new Uint8Array(buffer))
    },
    catch: (cause) => cause
  })
