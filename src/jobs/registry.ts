import { Effect, Schema } from "effect"
import { EVENTS_QUEUE } from "../services/events/index.js"
import { eventsQueue } from "../services/events/handlers.js"
import { FILES_QUEUE, filesQueue, filesSchedules } from "../services/files/jobs.js"
import { EMAILS_QUEUE, emailsQueue } from "../services/mail/jobs.js"
import { WEBHOOKS_QUEUE, webhooksQueue } from "../services/webhooks/jobs.js"
import { WORKFLOWS_QUEUE, workflowSchedules, workflowsQueue } from "../services/workflows/jobs.js"
import { IMPORTS_QUEUE, importsQueue, importsSchedules } from "../services/imports/jobs.js"
import { MESSAGING_QUEUE, messagingQueue, messagingSchedules } from "../services/messaging/jobs.js"
import { CALENDAR_QUEUE, calendarQueue, calendarSchedules } from "../services/calendar/jobs.js"
import { LOGIC_FUNCTIONS_QUEUE, logicFunctionSchedules, logicFunctionsQueue } from "../services/logic-functions/jobs.js"
import { defineRegistry, jobHandler, type QueueSpec } from "./runner.js"

type RequirementsOf<Q> = Q extends QueueSpec<infer R> ? R : never

/**
 * Every queue the worker runs, its concurrency and its handlers by job name, and the scheduled jobs.
 * Each subsystem declares its own queue and job payload schemas beside its handlers (events, webhooks, ...);
 * `schedule(queue, name, { every } | { cron })` enqueues a job once per tick across all workers.
 */
export const registry = defineRegistry<RequirementsOf<typeof eventsQueue | typeof webhooksQueue | typeof emailsQueue | typeof workflowsQueue | typeof importsQueue | typeof filesQueue | typeof messagingQueue | typeof calendarQueue | typeof logicFunctionsQueue>>({
  queues: {
    [EVENTS_QUEUE]: eventsQueue,
    [WEBHOOKS_QUEUE]: webhooksQueue,
    [EMAILS_QUEUE]: emailsQueue,
    [WORKFLOWS_QUEUE]: workflowsQueue,
    [IMPORTS_QUEUE]: importsQueue,
    [FILES_QUEUE]: filesQueue,
    [MESSAGING_QUEUE]: messagingQueue,
    [CALENDAR_QUEUE]: calendarQueue,
    [LOGIC_FUNCTIONS_QUEUE]: logicFunctionsQueue,
    system: {
      concurrency: 5,
      handlers: {
        ping: jobHandler(Schema.Unknown, (data) => Effect.logInfo("ping", data))
      }
    }
  },
  schedules: [...workflowSchedules, ...filesSchedules, ...messagingSchedules, ...calendarSchedules, ...logicFunctionSchedules, ...importsSchedules]
})
