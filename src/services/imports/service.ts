import type { SqlError } from "@effect/sql"
import { Context, type Effect } from "effect"
import type { BadUserInput, Forbidden, NotFound } from "../../domain/errors.js"
import type { QueueUnavailable } from "../../platform/queue/index.js"
import type { RecordsScope } from "../records/types.js"
import type { ImportFormat, ImportMapping } from "./parse.js"

export type ImportStatus = "UPLOADING" | "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED"

/** An import as its status route answers it: progress counts and the first refused rows with their reasons. */
export interface ImportRun {
  readonly id: string
  readonly objectNameSingular: string
  readonly format: ImportFormat
  readonly status: ImportStatus
  readonly emitEvents: boolean
  readonly totalRows: number
  readonly processedRows: number
  readonly createdRows: number
  readonly failedRows: number
  readonly lastError: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly finishedAt: string | null
  /** Row numbers count data rows from 1 (a CSV's header is not a row). */
  readonly errors: ReadonlyArray<{ readonly row: number; readonly message: string }>
}

export interface StartImport {
  readonly format: ImportFormat
  readonly body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  readonly mapping?: ImportMapping | undefined
  /** The request's: aborted when its client goes away (the upload is then FAILED, not waited for). */
  readonly signal?: AbortSignal | undefined
  /** The body's declared length in bytes, when it has one: a body that ends short of it was cut off. */
  readonly length?: number | undefined
  /**
   * true (default): every imported record writes its `created` event (webhooks, timeline) as any create.
   * false: the bulk mode, no per-record events.
   */
  readonly emitEvents?: boolean | undefined
}

export type ImportsFailure = BadUserInput | Forbidden | NotFound | QueueUnavailable | SqlError.SqlError

/** Bulk imports of records: an upload is staged at once, then inserted by a job of the `imports` queue. */
export interface ImportsShape {
  /** Stages the upload's rows (streamed, constant memory) and queues the job; answers the queued run. */
  readonly start: (scope: RecordsScope, object: string, input: StartImport) => Effect.Effect<ImportRun, ImportsFailure>
  /** A run of the workspace, with up to `errorsLimit` refused rows (default 100). */
  readonly get: (workspaceId: string, id: string, errorsLimit?: number) => Effect.Effect<ImportRun, NotFound | SqlError.SqlError>
  /** The job: takes the staged rows batch by batch until none is left; safe to run again after a crash. */
  readonly run: (id: string) => Effect.Effect<void, unknown>
  /** Runs left UPLOADING by a server that went away (no progress for STALE_UPLOAD_MINUTES): FAILED, staged rows deleted. */
  readonly sweep: Effect.Effect<number, SqlError.SqlError>
}

export class Imports extends Context.Tag("score/Imports")<Imports, ImportsShape>() {}
