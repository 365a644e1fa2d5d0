import type { SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer } from "effect"
import { BadUserInput, Forbidden, NotFound, PayloadTooLarge } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { Tokens } from "../auth/tokens.js"
import { Metadata } from "../metadata/index.js"
import { contentTypeOf, extensionOf, isServedFolder, sanitiseFilename, type ServedFolder, SNIFF_BYTES, sniffImage } from "./names.js"
import { type FileRow, filePath, makeFileRows, storageKey, thumbnailKey } from "./rows.js"
import { FileStorage, type StorageFailure } from "./storage.js"
import { exactLength, peek } from "./stream-guards.js"
import { makeThumbnail } from "./thumbnails.js"

export { FileStorage } from "./storage.js"
export type { FileRow } from "./rows.js"

/** Twenty's FileWithSignedUrl. */
export interface SignedFile {
  readonly id: string
  readonly path: string
  readonly size: number
  readonly createdAt: Date
  readonly url: string
}

/** Twenty's FileUploadTarget: where the client PUTs the bytes, until when. */
export interface UploadTarget {
  readonly fileId: string
  readonly uploadUrl: string
  readonly contentType: string
  readonly expiresAt: Date
}

/** Bytes arriving from a client: a stream and the length it declared. */
export interface IncomingBytes {
  readonly name: string
  readonly stream: ReadableStream<Uint8Array>
  readonly size: number
}

export type FilesFailure = BadUserInput | Forbidden | NotFound | PayloadTooLarge | SqlError.SqlError | StorageFailure

export interface FilesShape {
  /** A pending file and the URL its bytes go to (Twenty's createFileUpload). */
  readonly createUpload: (
    workspaceId: string,
    input: { readonly filename: string; readonly size: number; readonly folder: string; readonly fieldMetadataId: string | null }
  ) => Effect.Effect<UploadTarget, FilesFailure>
  /** The bytes of a pending file, sent to its upload URL (`token` from that URL). */
  readonly receiveUpload: (
    token: string,
    folder: string,
    fileId: string,
    bytes: Omit<IncomingBytes, "name">
  ) => Effect.Effect<FileRow, FilesFailure>
  /** Marks an uploaded file ready and signs its URL (Twenty's completeFileUpload). */
  readonly complete: (workspaceId: string, fileId: string, folder?: ServedFolder) => Effect.Effect<SignedFile, FilesFailure>
  /** Stores a file sent whole in one request (GraphQL multipart uploads) and signs its URL. */
  readonly store: (
    workspaceId: string,
    folder: ServedFolder,
    bytes: IncomingBytes,
    fieldMetadataId?: string | null
  ) => Effect.Effect<SignedFile, FilesFailure>
  /** A ready file and its bytes (or its thumbnail's, for a picture that has one), for a request to its signed URL. */
  readonly open: (
    token: string,
    folder: string,
    fileId: string,
    variant?: "original" | "thumbnail"
  ) => Effect.Effect<
    { readonly file: FileRow; readonly stream: ReadableStream<Uint8Array>; readonly size: number; readonly mimeType: string },
    FilesFailure
  >
  /** The same for a caller of the workspace (an access token or API key instead of a file token). */
  readonly openInWorkspace: (
    workspaceId: string,
    folder: string,
    fileId: string,
    variant?: "original" | "thumbnail"
  ) => Effect.Effect<
    { readonly file: FileRow; readonly stream: ReadableStream<Uint8Array>; readonly size: number; readonly mimeType: string },
    FilesFailure
  >
  /** A ready file of the workspace, signed (null when there is none). */
  readonly signed: (workspaceId: string, fileId: string) => Effect.Effect<SignedFile | null, SqlError.SqlError>
  /** Deletes files' rows and bytes (the files jobs call it; missing ones are ignored). */
  readonly remove: (workspaceId: string, fileIds: ReadonlyArray<string>) => Effect.Effect<number, SqlError.SqlError | StorageFailure>
}

export class Files extends Context.Tag("score/Files")<Files, FilesShape>() {}

const refused = new Forbidden({ message: "File token invalid or expired" })

export const makeFiles = Effect.gen(function*() {
  const config = yield* AppConfig
  const storage = yield* FileStorage
  const tokens = yield* Tokens
  const metadata = yield* Metadata
  const rows = yield* makeFileRows
  const allowedExtensions = new Set(
    config.fileAllowedExtensions.split(",").map((e) => e.trim().toLowerCase().replace(/^\./, "")).filter(Boolean)
  )
  const limitOf = (folder: ServedFolder) => (folder === "CorePicture" ? config.pictureMaxSize : config.fileMaxSize)

  const checkFolder = (folder: string) =>
    isServedFolder(folder)
      ? Effect.succeed(folder)
      : Effect.fail(new BadUserInput({ message: `File folder ${folder} is not supported`, field: "fileFolder" }))

  const checkSize = (folder: ServedFolder, size: number) =>
    !Number.isSafeInteger(size) || size < 0
      ? Effect.fail(new BadUserInput({ message: "File size must be a whole number of bytes", field: "size" }))
      : size > limitOf(folder)
      ? Effect.fail(new PayloadTooLarge({ message: `File exceeds the maximum size of ${limitOf(folder)} bytes` }))
      : Effect.void

  const checkExtension = (folder: ServedFolder, extension: string) =>
    folder === "FilesField" && allowedExtensions.size > 0 && !allowedExtensions.has(extension.slice(1))
      ? Effect.fail(new BadUserInput({ message: `Files of type ${extension || "(none)"} are not allowed`, field: "filename" }))
      : Effect.void

  const checkField = (workspaceId: string, fieldMetadataId: string | null) =>
    fieldMetadataId === null
      ? Effect.void
      : Effect.flatMap(metadata.get(workspaceId), (current) =>
        current.objects.some((o) => o.fields.some((f) => f.id === fieldMetadataId && f.type === "FILES"))
          ? Effect.void
          : Effect.fail(new BadUserInput({ message: "fieldMetadataId is not a FILES field of this workspace", field: "fieldMetadataId" })))

  const sign = (row: FileRow) =>
    Effect.map(
      tokens.sign(
        { sub: row.id, type: "FILE", workspaceId: row.workspaceId, fileId: row.id, purpose: "read" },
        row.folder === "CorePicture" ? config.pictureTokenTtl : config.fileTokenTtl
      ),
      ({ token }): SignedFile => ({
        id: row.id,
        path: filePath(row),
        size: row.size,
        createdAt: row.createdAt,
        url: new URL(`/file/${row.folder}/${row.id}?token=${token}`, config.serverUrl).href
      })
    )

  /** The file a token names, in the token's workspace only. */
  const fileForToken = (token: string, folder: string, fileId: string, purpose: "read" | "upload") =>
    Effect.gen(function*() {
      const claims = yield* Effect.mapError(tokens.verify(token, ["FILE"]), () => refused)
      if (claims.fileId !== fileId || claims.purpose !== purpose) return yield* refused
      const row = yield* rows.find(claims.workspaceId, fileId)
      if (row === null || row.folder !== folder) return yield* new NotFound({ message: "File not found" })
      return row
    })

  /** Streams bytes into the file's key; for pictures, the first bytes must show an image. */
  const writeBytes = (row: FileRow, bytes: Omit<IncomingBytes, "name">) =>
    Effect.gen(function*() {
      const guard = exactLength(bytes.size, limitOf(row.folder))
      let body = bytes.stream.pipeThrough(guard.transform)
      let contentType = row.mimeType
      if (row.folder === "CorePicture") {
        const peeked = yield* Effect.promise(() => peek(body, SNIFF_BYTES).catch(() => null))
        if (peeked === null) return yield* guard.rejection() ?? new BadUserInput({ message: "Upload failed" })
        const sniffed = sniffImage(peeked.head)
        if (sniffed === null) {
          yield* Effect.promise(() => peeked.stream.cancel().catch(() => undefined))
          return yield* new BadUserInput({ message: "Pictures must be PNG, JPEG, GIF or WebP images", field: "file" })
        }
        body = peeked.stream
        contentType = sniffed
        if (sniffed !== row.mimeType) yield* rows.setMimeType(row.workspaceId, row.id, sniffed)
      }
      yield* storage.write(storageKey(row), body, { contentType, size: bytes.size }).pipe(
        Effect.catchAll((failure): Effect.Effect<never, PayloadTooLarge | BadUserInput | StorageFailure> =>
          Effect.fail(guard.rejection() ?? failure))
      )
      return contentType
    })

  /** A picture's thumbnail, made once it is ready; a picture libvips cannot read simply has none. */
  const addThumbnail = (row: FileRow) =>
    row.folder !== "CorePicture"
      ? Effect.void
      : storage.read(storageKey(row)).pipe(
        Effect.flatMap((object) => makeThumbnail(object.stream)),
        Effect.flatMap((bytes) =>
          storage.write(thumbnailKey(row), new Response(bytes).body!, { contentType: "image/webp", size: bytes.byteLength })),
        Effect.catchAll((cause) => Effect.logWarning(`No thumbnail for picture ${row.id}`, cause))
      )

  const readReady = (row: FileRow, variant: "original" | "thumbnail") =>
    Effect.gen(function*() {
      if (row.status !== "ready") return yield* new NotFound({ message: "File not found" })
      if (variant === "thumbnail" && row.folder === "CorePicture") {
        const thumbnail = yield* Effect.option(storage.read(thumbnailKey(row)))
        if (thumbnail._tag === "Some") return { file: row, ...thumbnail.value, mimeType: "image/webp" }
      }
      const object = yield* Effect.catchTag(storage.read(storageKey(row)), "StorageMissing", () =>
        Effect.fail(new NotFound({ message: "File not found" })))
      return { file: row, ...object, mimeType: row.mimeType }
    })

  const newRow = (workspaceId: string, folder: ServedFolder, filename: string, size: number, fieldMetadataId: string | null) => {
    const name = sanitiseFilename(filename)
    const extension = extensionOf(name)
    return Effect.gen(function*() {
      yield* checkSize(folder, size)
      yield* checkExtension(folder, extension)
      return yield* rows.insert({
        id: crypto.randomUUID(),
        workspaceId,
        folder,
        name,
        extension,
        mimeType: contentTypeOf(extension),
        size,
        status: "pending",
        fieldMetadataId
      })
    })
  }

  const service: FilesShape = {
    createUpload: (workspaceId, input) =>
      Effect.gen(function*() {
        const folder = yield* checkFolder(input.folder)
        yield* checkField(workspaceId, input.fieldMetadataId)
        const row = yield* newRow(workspaceId, folder, input.filename, input.size, input.fieldMetadataId)
        const { token, expiresAt } = yield* tokens.sign(
          { sub: row.id, type: "FILE", workspaceId, fileId: row.id, purpose: "upload" },
          config.fileUploadTtl
        )
        return {
          fileId: row.id,
          uploadUrl: new URL(`/file/${folder}/${row.id}?token=${token}`, config.serverUrl).href,
          contentType: row.mimeType,
          expiresAt
        }
      }),
    receiveUpload: (token, folder, fileId, bytes) =>
      Effect.gen(function*() {
        const row = yield* fileForToken(token, folder, fileId, "upload")
        if (row.status !== "pending") return yield* new BadUserInput({ message: "This file was already uploaded" })
        if (bytes.size !== row.size) {
          return yield* new BadUserInput({ message: `Content-Length ${bytes.size} differs from the ${row.size} bytes declared` })
        }
        yield* writeBytes(row, bytes)
        const uploaded = yield* rows.advance(row.workspaceId, row.id, "pending", "uploaded")
        return uploaded ?? (yield* new BadUserInput({ message: "This file was already uploaded" }))
      }),
    complete: (workspaceId, fileId, folder) =>
      Effect.gen(function*() {
        const row = yield* rows.find(workspaceId, fileId)
        if (row === null || (folder !== undefined && row.folder !== folder)) return yield* new NotFound({ message: "File not found" })
        if (row.status === "ready") return yield* sign(row)
        const ready = yield* rows.advance(workspaceId, fileId, "uploaded", "ready")
        if (ready === null) return yield* new BadUserInput({ message: "The file's bytes have not been uploaded yet" })
        yield* addThumbnail(ready)
        return yield* sign(ready)
      }),
    store: (workspaceId, folder, bytes, fieldMetadataId = null) =>
      Effect.gen(function*() {
        yield* checkField(workspaceId, fieldMetadataId)
        const row = yield* newRow(workspaceId, folder, bytes.name, bytes.size, fieldMetadataId)
        yield* writeBytes(row, bytes).pipe(Effect.tapError(() => Effect.ignore(rows.remove(workspaceId, [row.id]))))
        const ready = (yield* rows.advance(workspaceId, row.id, "pending", "ready")) ?? row
        yield* addThumbnail(ready)
        return yield* sign(ready)
      }),
    open: (token, folder, fileId, variant = "original") =>
      Effect.flatMap(fileForToken(token, folder, fileId, "read"), (row) => readReady(row, variant)),
    openInWorkspace: (workspaceId, folder, fileId, variant = "original") =>
      Effect.flatMap(rows.find(workspaceId, fileId), (row) =>
        row === null || row.folder !== folder ? Effect.fail(new NotFound({ message: "File not found" })) : readReady(row, variant)),
    signed: (workspaceId, fileId) =>
      Effect.flatMap(rows.find(workspaceId, fileId), (row) => (row?.status === "ready" ? sign(row) : Effect.succeed(null))),
    remove: (workspaceId, fileIds) =>
      Effect.gen(function*() {
        const removed = yield* rows.remove(workspaceId, fileIds)
        yield* Effect.forEach(
          removed,
          (row) => Effect.zipRight(storage.remove(storageKey(row)), row.folder === "CorePicture" ? storage.remove(thumbnailKey(row)) : Effect.void),
          { concurrency: 4, discard: true }
        )
        return removed.length
      })
  }
  return service
})

export const FilesLive = Layer.effect(Files, makeFiles)

/** How long a pending upload may stay unfinished before the sweep removes it. */
export const abandonedAfter = (config: { readonly fileUploadTtl: Duration.Duration }) =>
  Duration.sum(config.fileUploadTtl, Duration.hours(1))
