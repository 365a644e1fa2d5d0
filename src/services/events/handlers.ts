import { Effect } from "effect"
import type { RecordEvent } from "../../domain/events.js"
import { jobHandler, type QueueSpec } from "../../jobs/runner.js"
import type { JobQueue } from "../../platform/queue/index.js"
import { deleteFilesOfRecordEvent } from "../files/jobs.js"
import { syncUserFromWorkspaceMember } from "../members/sync.js"
import { cleanUpDeletedAccount } from "../messaging/account-events.js"
import { matchParticipantsOfRecordEvent } from "../messaging/participant-events.js"
import { recordTimelineActivity } from "../timeline/index.js"
import { LogicFunctions } from "../logic-functions/index.js"
import { Webhooks } from "../webhooks/index.js"
import { enqueueDeliveries } from "../webhooks/jobs.js"
import { Workflows } from "../workflows/index.js"
import { RECORD_EVENT_JOB } from "./index.js"
import { RecordEventPayload } from "./payload.js"

/**
 * A record event's consumers: one delivery job per matching webhook (each retried on its own), and the
 * record's timeline activity; a workspaceMember's name and locale copied to its user; the runs of the
 * workflows whose DATABASE_EVENT trigger matches; and first, the files a destroy or an update drops,
 * deleted through the files queue; the runs of logic functions whose database-event trigger matches; mail and calendar participants linked to a person or member
 * created after them; a deleted connected account's messages removed.
 */
export const handleRecordEvent = (event: RecordEvent) =>
  Effect.gen(function*() {
    // First: idempotent, so a later step's failure (the job is retried) only repeats it harmlessly.
    yield* deleteFilesOfRecordEvent(event)
    // Then, before any delivery is queued: starting runs again is a no-op (run ids derive from the event).
    yield* Effect.flatMap(Workflows, (workflows) => workflows.startRunsForEvent(event))
    // The same for logic functions' database-event triggers (each run's id derives from the event).
    yield* Effect.flatMap(LogicFunctions, (functions) => functions.startForEvent(event))
    const webhooks = yield* Webhooks
    const matching = yield* webhooks.matching(event.workspaceId, event.name)
    yield* enqueueDeliveries(matching, event)
    yield* recordTimelineActivity(event)
    yield* syncUserFromWorkspaceMember(event)
    yield* matchParticipantsOfRecordEvent(event)
    yield* cleanUpDeletedAccount(event)
  })

type Requirements = Effect.Effect.Context<ReturnType<typeof handleRecordEvent>> | JobQueue

/** The `events` queue: the relay puts every committed record event here (see `relayOnce`). */
export const eventsQueue: QueueSpec<Requirements> = {
  concurrency: 10,
  handlers: { [RECORD_EVENT_JOB]: jobHandler(RecordEventPayload, handleRecordEvent) }
}
