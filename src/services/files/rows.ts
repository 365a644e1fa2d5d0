import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { SERVED_FOLDERS } from "./names.js"

/** A row of core.file, as PostgreSQL (pg or PGlite) hands it over: size is a bigint, read as a string. */
const FileRowSchema = Schema.Struct({
  id: Schema.String,
  workspaceId: Schema.String,
  folder: Schema.Literal(...SERVED_FOLDERS),
  name: Schema.String,
  extension: Schema.String,
  mimeType: Schema.String,
  size: Schema.Union(Schema.NumberFromString, Schema.Number),
  status: Schema.Literal("pending", "uploaded", "ready"),
  fieldMetadataId: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf
})

export type FileRow = typeof FileRowSchema.Type

const decodeRows = Schema.decodeUnknown(Schema.Array(FileRowSchema))

/** Where a file's bytes live: under its workspace, by id (client names never reach a key). */
export const storageKey = (row: Pick<FileRow, "workspaceId" | "folder" | "id" | "extension">) =>
  `workspace-${row.workspaceId}/${row.folder}/${row.id}${row.extension}`

/** A picture's thumbnail, beside it (services/files/thumbnails.ts). */
export const thumbnailKey = (row: Pick<FileRow, "workspaceId" | "folder" | "id">) =>
  `workspace-${row.workspaceId}/${row.folder}/${row.id}-thumbnail.webp`

/** The `path` Twenty's FileWithSignedUrl carries: folder and stored name. */
export const filePath = (row: Pick<FileRow, "folder" | "id" | "extension">) => `${row.folder}/${row.id}${row.extension}`

export const makeFileRows = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // A row that does not decode is a bug in this module or the schema: a defect, not the caller's error.
  const read = <E, R>(rows: Effect.Effect<ReadonlyArray<unknown>, E, R>) => Effect.flatMap(rows, (r) => Effect.orDie(decodeRows(r)))
  return {
    insert: (row: Omit<FileRow, "createdAt">) =>
      Effect.map(read(sql`INSERT INTO core.file ${sql.insert({ ...row })} RETURNING *`), (rows) => rows[0]!),
    find: (workspaceId: string, id: string) =>
      Effect.map(read(sql`SELECT * FROM core.file WHERE id = ${id} AND "workspaceId" = ${workspaceId}`), (rows) => rows[0] ?? null),
    setMimeType: (workspaceId: string, id: string, mimeType: string) =>
      sql`UPDATE core.file SET "mimeType" = ${mimeType} WHERE id = ${id} AND "workspaceId" = ${workspaceId}`,
    /** Moves a file from one status to the next; null when it was not in `from`. */
    advance: (workspaceId: string, id: string, from: FileRow["status"], to: FileRow["status"]) =>
      Effect.map(
        read(sql`UPDATE core.file SET status = ${to}, "updatedAt" = now()
            WHERE id = ${id} AND "workspaceId" = ${workspaceId} AND status = ${from} RETURNING *`),
        (rows) => rows[0] ?? null
      ),
    remove: (workspaceId: string, ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.succeed<ReadonlyArray<FileRow>>([])
        : read(sql`DELETE FROM core.file WHERE "workspaceId" = ${workspaceId} AND id IN ${sql.in(ids)} RETURNING *`)
  }
})

export type FileRows = Effect.Effect.Success<typeof makeFileRows>
