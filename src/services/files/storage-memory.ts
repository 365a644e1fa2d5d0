import { Effect, Layer } from "effect"
import { FileStorage, type FileStorageShape, isSafeKey, StorageFailure, StorageMissing } from "./storage.js"

/** The memory twin, for unit tests: whole objects in a Map (fine for the few bytes tests store). */
export const makeMemoryStorage = (): FileStorageShape => {
  const objects = new Map<string, Uint8Array<ArrayBuffer>>()
  return {
    driver: "memory",
    write: (key, body) =>
      isSafeKey(key)
        ? Effect.tryPromise({
          try: async () => {
            objects.set(key, await new Response(body).bytes())
          },
          catch: (cause) => new StorageFailure({ message: `Could not write ${key}`, cause })
        })
        : Effect.fail(new StorageFailure({ message: `Unsafe storage key: ${key}` })),
    read: (key) => {
      const bytes = objects.get(key)
      return bytes === undefined
        ? Effect.fail(new StorageMissing({ key }))
        : Effect.succeed({ stream: new Response(bytes).body!, size: bytes.byteLength })
    },
    remove: (key) => Effect.sync(() => void objects.delete(key)),
    list: (prefix) => Effect.sync(() => [...objects.keys()].filter((key) => key.startsWith(prefix)))
  }
}

export const FileStorageMemory = Layer.sync(FileStorage, makeMemoryStorage)
