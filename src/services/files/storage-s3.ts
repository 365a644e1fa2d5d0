import { Effect, Layer, Option, Redacted } from "effect"
import { Readable } from "node:stream"
import { lazyModule } from "../../platform/lib/lazy-module.js"
import { FileStorage, type FileStorageShape, isSafeKey, StorageFailure, StorageMissing } from "./storage.js"

/** Twenty's STORAGE_S3_* settings. */
export interface S3Settings {
  readonly bucket: string
  readonly region: string
  readonly endpoint: Option.Option<string>
  readonly accessKeyId: Option.Option<string>
  readonly secretAccessKey: Option.Option<Redacted.Redacted<string>>
}

/** The AWS SDK (~380 KiB of bundle) is loaded only when S3 storage is configured (see README "Memory"). */
const loadS3 = lazyModule(() => import("@aws-sdk/client-s3"))

const failure = (message: string) => (cause: unknown) => new StorageFailure({ message, cause })

const isMissing = (e: unknown) => {
  const name = (e as { name?: string }).name
  return name === "NoSuchKey" || name === "NotFound" || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
}

/**
 * Objects in an S3 bucket through `@aws-sdk/client-s3`. With an endpoint (MinIO, s3rver, R2, ...) requests
 * are path-style. Bodies stream: a write sends the caller's stream with its declared length, a read hands
 * back the response body as a web stream.
 */
export const makeS3Storage = (settings: S3Settings) =>
  Effect.gen(function*() {
    const { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } = yield* Effect
      .promise(loadS3)
    const client = new S3Client({
      region: settings.region,
      // Checksums only where S3 requires them: the default aws-chunked trailers are unknown to many
      // S3-compatible servers (s3rver stores them as part of the object).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...Option.match(settings.endpoint, { onNone: () => ({}), onSome: (endpoint) => ({ endpoint, forcePathStyle: true }) }),
      ...(Option.isSome(settings.accessKeyId) && Option.isSome(settings.secretAccessKey)
        ? {
          credentials: {
            accessKeyId: settings.accessKeyId.value,
            secretAccessKey: Redacted.value(settings.secretAccessKey.value)
          }
        }
        : {})
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => client.destroy()))
    const Bucket = settings.bucket
    // As Twenty does: the bucket is created on first start when it does not exist.
    yield* Effect.tryPromise(() => client.send(new HeadBucketCommand({ Bucket }))).pipe(
      Effect.catchAll((e) =>
        isMissing(e.error)
          ? Effect.tryPromise({ try: () => client.send(new CreateBucketCommand({ Bucket })), catch: failure(`Could not create bucket ${Bucket}`) })
          : Effect.fail(failure(`Could not reach bucket ${Bucket}`)(e.error))
      )
    )
    const unsafe = (key: string) => Effect.fail(new StorageFailure({ message: `Unsafe storage key: ${key}` }))

    const storage: FileStorageShape = {
      driver: "s3",
      write: (Key, body, { contentType, size }) =>
        isSafeKey(Key)
          ? Effect.tryPromise({
            try: (signal) => {
              // A body that fails midway aborts the request: S3 stores nothing for an incomplete PUT.
              const aborted = new AbortController()
              signal.addEventListener("abort", () => aborted.abort())
              const Body = Readable.fromWeb(body as never).on("error", (e) => aborted.abort(e))
              return client.send(
                new PutObjectCommand({ Bucket, Key, Body, ContentLength: size, ContentType: contentType }),
                { abortSignal: aborted.signal }
              )
            },
            catch: failure(`Could not write ${Key}`)
          }).pipe(
            // Some S3-compatible servers keep what arrived of an aborted PUT.
            Effect.tapError(() => Effect.ignore(Effect.tryPromise(() => client.send(new DeleteObjectCommand({ Bucket, Key })))))
          )
          : unsafe(Key),
      read: (Key) =>
        isSafeKey(Key)
          ? Effect.tryPromise({
            try: () => client.send(new GetObjectCommand({ Bucket, Key })),
            catch: (e) => (isMissing(e) ? new StorageMissing({ key: Key }) : failure(`Could not read ${Key}`)(e))
          }).pipe(Effect.flatMap((object) =>
            object.Body === undefined
              ? Effect.fail(new StorageMissing({ key: Key }))
              : Effect.succeed({ stream: object.Body.transformToWebStream(), size: object.ContentLength ?? 0 })
          ))
          : unsafe(Key),
      remove: (Key) =>
        isSafeKey(Key)
          ? Effect.tryPromise({ try: () => client.send(new DeleteObjectCommand({ Bucket, Key })), catch: failure(`Could not delete ${Key}`) })
          : unsafe(Key),
      list: (Prefix) =>
        Effect.tryPromise({
          try: async () => {
            const keys: Array<string> = []
            let ContinuationToken: string | undefined
            do {
              const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }))
              for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key)
              ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
            } while (ContinuationToken)
            return keys
          },
          catch: failure(`Could not list ${Prefix}`)
        })
    }
    return storage
  })

export const FileStorageS3 = (settings: S3Settings) => Layer.scoped(FileStorage, makeS3Storage(settings))
