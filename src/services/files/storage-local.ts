import { Effect, Layer } from "effect"
import { createWriteStream } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { FileStorage, type FileStorageShape, isSafeKey, StorageFailure, StorageMissing } from "./storage.js"

const failure = (message: string) => (cause: unknown) => new StorageFailure({ message, cause })

/**
 * Files on local disk under `root` (DATA_DIR/storage by default). A write goes to a temporary file that is
 * renamed into place once complete, so a reader never sees half a file.
 */
export const makeLocalStorage = (root: string): FileStorageShape => {
  const absoluteRoot = path.resolve(root)
  const pathOf = (key: string) => {
    const resolved = path.resolve(absoluteRoot, key)
    return isSafeKey(key) && resolved.startsWith(absoluteRoot + path.sep) ? resolved : null
  }
  const unsafe = (key: string) => new StorageFailure({ message: `Unsafe storage key: ${key}` })

  return {
    driver: "local",
    write: (key, body) => {
      const target = pathOf(key)
      if (target === null) return Effect.fail(unsafe(key))
      const temporary = path.join(absoluteRoot, ".incoming", crypto.randomUUID())
      return Effect.tryPromise({
        try: async () => {
          await fs.mkdir(path.dirname(temporary), { recursive: true })
          await fs.mkdir(path.dirname(target), { recursive: true })
          try {
            await pipeline(Readable.fromWeb(body as never), createWriteStream(temporary, { mode: 0o600 }))
            await fs.rename(temporary, target)
          } finally {
            await fs.rm(temporary, { force: true })
          }
        },
        catch: failure(`Could not write ${key}`)
      })
    },
    read: (key) => {
      const target = pathOf(key)
      if (target === null) return Effect.fail(unsafe(key))
      return Effect.tryPromise({
        try: () => fs.stat(target),
        catch: (e) =>
          (e as NodeJS.ErrnoException).code === "ENOENT" ? new StorageMissing({ key }) : failure(`Could not read ${key}`)(e)
      }).pipe(Effect.map((stat) => ({ stream: Bun.file(target).stream(), size: stat.size })))
    },
    remove: (key) => {
      const target = pathOf(key)
      if (target === null) return Effect.fail(unsafe(key))
      return Effect.tryPromise({ try: () => fs.rm(target, { force: true }), catch: failure(`Could not delete ${key}`) })
    },
    list: (prefix) =>
      Effect.tryPromise({
        try: async () => {
          const base = path.resolve(absoluteRoot, prefix)
          if (!(base + path.sep).startsWith(absoluteRoot + path.sep)) return []
          const entries = await fs.readdir(base, { recursive: true, withFileTypes: true }).catch((e) => {
            if (e.code === "ENOENT") return []
            throw e
          })
          return entries
            .filter((entry) => entry.isFile())
            .map((entry) => path.relative(absoluteRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
            .filter((key) => !key.startsWith(".incoming/"))
        },
        catch: failure(`Could not list ${prefix}`)
      })
  }
}

/** Writes a crash cut short stay in `.incoming/`: removed at start once a day old (no write lasts that long). */
const clearStaleIncoming = (root: string) =>
  Effect.promise(async () => {
    const incoming = path.join(path.resolve(root), ".incoming")
    const names = await fs.readdir(incoming).catch(() => [])
    const dayAgo = Date.now() - 24 * 3600_000
    for (const name of names) {
      const file = path.join(incoming, name)
      const stat = await fs.stat(file).catch(() => null)
      if (stat && stat.mtimeMs < dayAgo) await fs.rm(file, { force: true })
    }
  })

export const FileStorageLocal = (root: string) =>
  Layer.effect(FileStorage, Effect.as(clearStaleIncoming(root), makeLocalStorage(root)))
