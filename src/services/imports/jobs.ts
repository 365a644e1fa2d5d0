import { Schema } from "effect"
import { jobHandler, type QueueSpec } from "../../jobs/runner.js"
import { Imports } from "./service.js"
import { Effect } from "effect"

/** The imports subsystem's queue: one `run-import` job per upload, retried (resuming after its last committed batch). */
export const IMPORTS_QUEUE = "imports"
export const RUN_IMPORT_JOB = "run-import"

export const RunImportPayload = Schema.Struct({ importId: Schema.UUID }).annotations({ identifier: "RunImportJob" })

export const importsQueue: QueueSpec<Imports> = {
  concurrency: 1,
  handlers: {
    [RUN_IMPORT_JOB]: jobHandler(RunImportPayload, (payload) => Effect.flatMap(Imports, (imports) => imports.run(payload.importId)))
  }
}
