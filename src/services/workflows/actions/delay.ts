import { Effect } from "effect"
import { type ActionExecutor, inputObject, inputString, StepFailed } from "./action.js"

const UNIT_MS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1_000 } as const

/** Twenty's duration `{ days, hours, minutes, seconds }` in milliseconds, or null when a part is not a number ≥ 0. */
const durationMs = (duration: Record<string, unknown>): number | null => {
  let total = 0
  for (const [unit, ms] of Object.entries(UNIT_MS)) {
    const raw = duration[unit]
    if (raw === undefined || raw === null || raw === "") continue
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0) return null
    total += value * ms
  }
  return total
}

/**
 * Twenty's DELAY `{ delayType: SCHEDULED_DATE | DURATION, scheduledDateTime, duration: { days, hours, minutes,
 * seconds } }` (RESUME_AT / RESUME_AFTER, its older names, too). The step ends PENDING with the time it
 * resumes at; the executor queues the run's job for that time (no worker sleeps), and the step then ends
 * SUCCESS with `{ success: true }`. A date already past resumes at once.
 */
export const delayAction: ActionExecutor = {
  type: "DELAY",
  execute: ({ input }) =>
    Effect.gen(function*() {
      const delayType = inputString(input, "delayType")
      if (delayType === "SCHEDULED_DATE" || delayType === "RESUME_AT") {
        const at = Date.parse(inputString(input, "scheduledDateTime") ?? "")
        if (Number.isNaN(at)) return yield* new StepFailed({ message: "Scheduled date time is required and must be a date" })
        return { result: undefined, pending: { resumeAt: new Date(at).toISOString() } }
      }
      if (delayType === "DURATION" || delayType === "RESUME_AFTER") {
        const ms = durationMs(inputObject(input, "duration"))
        if (ms === null) return yield* new StepFailed({ message: "Duration must be made of numbers of days, hours, minutes and seconds, none negative" })
        return { result: undefined, pending: { resumeAt: new Date(Date.now() + ms).toISOString() } }
      }
      return yield* new StepFailed({ message: `Delay type ${delayType ?? "(none)"} is not supported` })
    })
}
