import { Schema } from "effect"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { Imports } from "./service.js"
import { Effect } from "effect"

/** The imports subsystem's queue: one `run-import` job per upload, retried (resuming after its last committed batch). */
export const IMPORTS_QUEUE = "imports"
export const RUN_IMPORT_JOB = "run-import"
export const SWEEP_IMPORTS_JOB = "sweep-uploads"

export const RunImportPayload = Schema.Struct({ importId: Schema.UUID }).annotations({ identifier: "RunImportJob" })

export const importsQueue: QueueSpec<Imports> = {
  concurrency: 1,
  handlers: {
    [RUN_IMPORT_JOB]: jobHandler(RunImportPayload, (payload) => Effect.flatMap(Imports, (imports) => imports.run(payload.importId))),
    [SWEEP_IMPORTS_JOB]: jobHandler(Schema.Unknown, () =>
      Effect.flatMap(Imports, (imports) => imports.sweep).pipe(Effect.flatMap((swept) =>
        swept > 0 ? Effect.logInfo(`Import sweep failed ${swept} upload(s) whose server went away`) : Effect.void)))
  }
}

/** Uploads whose server went away mid-body (a crash, a kill) are failed by this sweep. */
export const importsSchedules = [schedule(IMPORTS_QUEUE, SWEEP_IMPORTS_JOB, { every: "5 minutes" })]
