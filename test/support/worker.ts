import { Effect, Fiber } from "effect"
import { registry } from "../../src/jobs/registry.js"
import { runWorker } from "../../src/jobs/runner.js"
import { runRelay } from "../../src/services/events/index.js"
import type { TestApp } from "./app.js"

/**
 * The outbox relay and the job runner's worker inside a test's process, polling fast; `stop` interrupts both
 * (a second stop, or one before any start, does nothing).
 */
export const inProcessWorker = (app: () => TestApp) => {
  let fiber: Fiber.RuntimeFiber<unknown, unknown> | null = null
  return {
    start: async () => {
      fiber = await app().run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
        yield* Effect.forkScoped(runRelay("20 millis"))
        yield* runWorker(registry, { pollInterval: "50 millis" })
        return yield* Effect.never
      }))))
    },
    stop: async () => {
      if (fiber) await app().run(Fiber.interrupt(fiber))
      fiber = null
    }
  }
}
