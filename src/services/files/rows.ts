import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { ServedFolder } from "./names.js"

/** A row of core.file. */
export interface FileRow {
  readonly id: string
  readonly workspaceId: string
  readonly folder: ServedFolder
  readonly name: string
  readonly extension: string
  readonly mimeType: string
  readonly size: number
  readonly status: "pending" | "uploaded" | "ready"
  readonly fieldMetadataId: string | null
  readonly createdAt: Date
}

/** Where a file's bytes live: under its workspace, by id (client names never reach a key). */
export const storageKey = (row: Pick<FileRow, "workspaceId" | "folder" | "id" | "extension">) =>
  `workspace-${row.workspaceId}/${row.folder}/${row.id}${row.extension}`

/** A picture's thumbnail, beside it (services/files/thumbnails.ts). */
export const thumbnailKey = (row: Pick<FileRow, "workspaceId" | "folder" | "id">) =>
  `workspace-${row.workspaceId}/${row.folder}/${row.id}-thumbnail.webp`

/** The `path` Twenty's FileWithSignedUrl carries: folder and stored name. */
export const filePath = (row: Pick<FileRow, "folder" | "id" | "extension">) => `${row.folder}/${row.id}${row.extension}`

const decode = (row: Record<string, unknown>): FileRow => ({ ...(row as unknown as FileRow), size: Number(row["size"]) })

export const makeFileRows = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return {
    insert: (row: Omit<FileRow, "createdAt">) =>
      Effect.map(
        sql`INSERT INTO core.file ${sql.insert({ ...row })} RETURNING *`,
        (rows) => decode(rows[0]!)
      ),
    find: (workspaceId: string, id: string) =>
      Effect.map(
        sql`SELECT * FROM core.file WHERE id = ${id} AND "workspaceId" = ${workspaceId}`,
        (rows) => (rows[0] ? decode(rows[0]) : null)
      ),
    setMimeType: (workspaceId: string, id: string, mimeType: string) =>
      sql`UPDATE core.file SET "mimeType" = ${mimeType} WHERE id = ${id} AND "workspaceId" = ${workspaceId}`,
    /** Moves a file from one status to the next; null when it was not in `from`. */
    advance: (workspaceId: string, id: string, from: FileRow["status"], to: FileRow["status"]) =>
      Effect.map(
        sql`UPDATE core.file SET status = ${to}, "updatedAt" = now()
            WHERE id = ${id} AND "workspaceId" = ${workspaceId} AND status = ${from} RETURNING *`,
        (rows) => (rows[0] ? decode(rows[0]) : null)
      ),
    remove: (workspaceId: string, ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.succeed([] as ReadonlyArray<FileRow>)
        : Effect.map(
          sql`DELETE FROM core.file WHERE "workspaceId" = ${workspaceId} AND id IN ${sql.in(ids)} RETURNING *`,
          (rows) => rows.map(decode)
        )
  }
})

export type FileRows = Effect.Effect.Success<typeof makeFileRows>
