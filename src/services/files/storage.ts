import { Context, type Effect, Schema } from "effect"

/** Storage failed for a reason that is not the caller's (disk, network, S3 refusal). */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()("StorageFailure", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** No object under this key. */
export class StorageMissing extends Schema.TaggedError<StorageMissing>()("StorageMissing", {
  key: Schema.String
}) {}

export interface StoredObject {
  readonly stream: ReadableStream<Uint8Array>
  readonly size: number
}

/**
 * Where file bytes live, by key (`workspace-{id}/{folder}/{file}`; keys are built by the Files service from
 * ids, never from client input). Bytes stream both ways: no driver holds a whole file in memory.
 */
export interface FileStorageShape {
  readonly driver: "local" | "s3" | "memory"
  /** Stores `body`, which must yield exactly `size` bytes (a body that errors leaves nothing behind). */
  readonly write: (
    key: string,
    body: ReadableStream<Uint8Array>,
    options: { readonly contentType: string; readonly size: number }
  ) => Effect.Effect<void, StorageFailure>
  readonly read: (key: string) => Effect.Effect<StoredObject, StorageFailure | StorageMissing>
  /** Deleting a missing key succeeds. */
  readonly remove: (key: string) => Effect.Effect<void, StorageFailure>
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<string>, StorageFailure>
}

export class FileStorage extends Context.Tag("score/FileStorage")<FileStorage, FileStorageShape>() {}

/** Keys are `segment/segment/...` of safe characters: no `..`, no absolute path, no backslash. */
export const isSafeKey = (key: string) =>
  key.length > 0 && key.length <= 512 && key.split("/").every((segment) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment))
