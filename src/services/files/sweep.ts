import { SqlClient } from "@effect/sql"
import { Duration, Effect } from "effect"
import { AppConfig } from "../../platform/config.js"
import { ident, qualified } from "../metadata/columns.js"
import { Metadata } from "../metadata/index.js"
import { abandonedAfter, Files } from "./index.js"
import { FileStorage } from "./storage.js"

/** A ready file gets this long to be attached to a record (or set as a logo or avatar) before it counts as orphaned. */
const ATTACH_GRACE = Duration.hours(1)

const UUID_IN_KEY = /^workspace-([0-9a-f-]{36})\/[A-Za-z]+\/([0-9a-f-]{36})(\.[a-z0-9]+)?$/

/** File ids a workspace's records, logo and member avatars refer to. */
const referencedFileIds = (workspaceId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(workspaceId))
    const referenced = new Set<string>()
    for (const object of metadata.objects) {
      for (const field of object.fields.filter((f) => f.type === "FILES")) {
        const rows = yield* sql.unsafe<{ fileId: string }>(
          `SELECT DISTINCT elem->>'fileId' AS "fileId" FROM ${qualified(metadata.schema, object.tableName)},
             jsonb_array_elements(CASE WHEN jsonb_typeof(${ident(field.name)}) = 'array' THEN ${ident(field.name)} ELSE '[]'::jsonb END) elem`
        )
        for (const row of rows) if (row.fileId) referenced.add(row.fileId)
      }
      if (object.nameSingular === "workspaceMember") {
        const avatars = yield* sql.unsafe<{ avatarUrl: string }>(
          `SELECT "avatarUrl" FROM ${qualified(metadata.schema, object.tableName)} WHERE "avatarUrl" LIKE '%/file/CorePicture/%'`
        )
        for (const { avatarUrl } of avatars) {
          const id = /\/file\/CorePicture\/([0-9a-f-]{36})/.exec(avatarUrl)?.[1]
          if (id) referenced.add(id)
        }
      }
    }
    const logos = yield* sql<{ logoFileId: string | null }>`SELECT "logoFileId" FROM core.workspace WHERE id = ${workspaceId}`
    for (const { logoFileId } of logos) if (logoFileId) referenced.add(logoFileId)
    // Files of the workspace's apps (uploaded by the `twenty` CLI) and their tarballs.
    const appFiles = yield* sql<{ fileId: string }>`SELECT "fileId" FROM core."applicationFile" WHERE "workspaceId" = ${workspaceId}
                                                    UNION SELECT "tarballFileId" FROM core."applicationRegistration"
                                                          WHERE "workspaceId" = ${workspaceId} AND "tarballFileId" IS NOT NULL`
    for (const { fileId } of appFiles) referenced.add(fileId)
    return referenced
  })

/**
 * Removes files nothing refers to: uploads never finished, ready files no record (FILES field), logo or avatar
 * refers to after a grace period, and stored objects whose row is gone (a deleted workspace's files).
 */
export const sweepOrphans = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const config = yield* AppConfig
  const files = yield* Files
  const storage = yield* FileStorage
  const abandonedSeconds = Duration.toSeconds(abandonedAfter(config))
  const graceSeconds = Duration.toSeconds(ATTACH_GRACE)
  const candidates = yield* sql<{ workspaceId: string; id: string; status: string; old: boolean }>`
    SELECT "workspaceId", id, status, "createdAt" < now() - make_interval(secs => ${abandonedSeconds}) AS old
    FROM core.file
    WHERE (status <> 'ready' AND "createdAt" < now() - make_interval(secs => ${abandonedSeconds}))
       OR (status = 'ready' AND "createdAt" < now() - make_interval(secs => ${graceSeconds}))`
  const byWorkspace = new Map<string, Array<{ id: string; ready: boolean }>>()
  for (const row of candidates) {
    const list = byWorkspace.get(row.workspaceId) ?? []
    list.push({ id: row.id, ready: row.status === "ready" })
    byWorkspace.set(row.workspaceId, list)
  }
  let removedFiles = 0
  for (const [workspaceId, rows] of byWorkspace) {
    const referenced = rows.some((r) => r.ready) ? yield* referencedFileIds(workspaceId) : new Set<string>()
    const orphans = rows.filter((r) => !r.ready || !referenced.has(r.id)).map((r) => r.id)
    removedFiles += yield* files.remove(workspaceId, orphans)
  }
  // Stored objects whose row no longer exists (its workspace was deleted, or a write outlived its failure).
  const keys = yield* storage.list("workspace-")
  const parsed = keys.flatMap((key) => {
    const match = UUID_IN_KEY.exec(key)
    return match ? [{ key, id: match[2]! }] : []
  })
  const known = new Set<string>()
  for (let i = 0; i < parsed.length; i += 1000) {
    const ids = parsed.slice(i, i + 1000).map((p) => p.id)
    const rows = yield* sql<{ id: string }>`SELECT id FROM core.file WHERE id IN ${sql.in(ids)}`
    for (const row of rows) known.add(row.id)
  }
  const stray = parsed.filter((p) => !known.has(p.id))
  yield* Effect.forEach(stray, (p) => storage.remove(p.key), { concurrency: 4, discard: true })
  return { files: removedFiles, keys: stray.length }
})
