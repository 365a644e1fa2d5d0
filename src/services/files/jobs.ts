import { type Duration, Effect, Schema } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { JobQueue } from "../../platform/queue/index.js"
import { Metadata } from "../metadata/index.js"
import { Files } from "./index.js"
import { sweepOrphans } from "./sweep.js"

/** File deletions leave through their own queue: a destroy never waits on storage, and a failure is retried. */
export const FILES_QUEUE = "files"
export const DELETE_FILES_JOB = "delete"
export const SWEEP_FILES_JOB = "sweep"

export const DeleteFilesPayload = Schema.Struct({
  workspaceId: Schema.UUID,
  fileIds: Schema.Array(Schema.UUID)
}).annotations({ identifier: "DeleteFilesJob" })

/** 5 attempts, 5 s apart doubling, then the dead-letter list (the sweep catches what is left). */
const RETRIES = { attempts: 5, backoff: "5 seconds" as Duration.DurationInput }

export const enqueueFileDeletion = (workspaceId: string, fileIds: ReadonlyArray<string>) =>
  fileIds.length === 0
    ? Effect.void
    : Effect.asVoid(Effect.flatMap(JobQueue, (queue) =>
      queue.enqueue(FILES_QUEUE, DELETE_FILES_JOB, { workspaceId, fileIds: [...fileIds] }, RETRIES)))

const fileIdsIn = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value)
    ? value.flatMap((item) => {
      const fileId = typeof item === "object" && item !== null ? (item as { fileId?: unknown }).fileId : undefined
      return typeof fileId === "string" ? [fileId] : []
    })
    : []

/**
 * A destroyed record's files (its FILES fields: an attachment's `file`, a custom object's files) are deleted;
 * an update that drops files from a FILES field deletes those.
 */
export const deleteFilesOfRecordEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    if (event.action !== "destroyed" && event.action !== "updated") return
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(event.workspaceId))
    const object = metadata.objects.find((o) => o.id === event.objectMetadataId)
    const filesFields = object?.fields.filter((f) => f.type === "FILES").map((f) => f.name) ?? []
    if (filesFields.length === 0) return
    const dropped = filesFields.flatMap((name) => {
      const now = fileIdsIn(event.record[name])
      if (event.action === "destroyed") return now
      if (!event.updatedFields?.includes(name) || event.before === undefined) return []
      const kept = new Set(now)
      return fileIdsIn(event.before[name]).filter((id) => !kept.has(id))
    })
    yield* enqueueFileDeletion(event.workspaceId, dropped)
  })

export const filesQueue: QueueSpec<Files | Metadata | JobQueue | Effect.Effect.Context<typeof sweepOrphans>> = {
  concurrency: 2,
  timeout: "10 minutes",
  handlers: {
    [DELETE_FILES_JOB]: jobHandler(DeleteFilesPayload, ({ workspaceId, fileIds }) =>
      Effect.flatMap(Files, (files) => files.remove(workspaceId, fileIds))),
    [SWEEP_FILES_JOB]: jobHandler(Schema.Unknown, () =>
      Effect.flatMap(sweepOrphans, (swept) =>
        swept.files + swept.keys > 0 ? Effect.logInfo(`File sweep removed ${swept.files} file(s) and ${swept.keys} stray object(s)`) : Effect.void))
  }
}

export const filesSchedules = [schedule(FILES_QUEUE, SWEEP_FILES_JOB, { every: "1 hour" })]
