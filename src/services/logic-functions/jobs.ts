import { Clock, Effect, Schema } from "effect"
import { jobHandler, type QueueSpec, schedule } from "../../jobs/runner.js"
import { LogicFunctions } from "./index.js"
import { CRON_TICK_JOB, LOGIC_FUNCTIONS_QUEUE, RUN_TRIGGERED_JOB, TriggeredRun } from "./triggers.js"

export { LOGIC_FUNCTIONS_QUEUE }

/** The triggered runs of logic functions and the minute tick that starts the cron ones (triggers.ts). */
export const logicFunctionsQueue: QueueSpec<LogicFunctions> = {
  concurrency: 5,
  handlers: {
    [RUN_TRIGGERED_JOB]: jobHandler(TriggeredRun, (run) => Effect.flatMap(LogicFunctions, (f) => f.runTriggered(run))),
    [CRON_TICK_JOB]: jobHandler(Schema.Unknown, () =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.flatMap(LogicFunctions, (f) => f.cronTick(new Date(now)))))
  }
}

export const logicFunctionSchedules = [schedule(LOGIC_FUNCTIONS_QUEUE, CRON_TICK_JOB, { cron: "* * * * *" })]
