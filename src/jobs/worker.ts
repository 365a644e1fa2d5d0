import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer, Option } from "effect"
import { infrastructure, resolveAppSecret, services, StartupError } from "../layers/index.js"
import { appConfig } from "../platform/config.js"
import { exitOnStartupError } from "../startup.js"
import { runRelay } from "../services/events/index.js"
import { registry } from "./registry.js"
import { runWorker } from "./runner.js"

const main = Effect.gen(function*() {
  const config = yield* appConfig
  if (Option.isNone(config.redisUrl)) {
    return yield* Effect.fail(new StartupError(
      "REDIS_URL is not set: without Redis, jobs run inside `bun run start` (in-memory queue) and a worker has nothing to take"
    ))
  }
  const appSecret = yield* resolveAppSecret(config)
  const worker = Layer.scopedDiscard(
      Effect.zipRight(Effect.forkScoped(runRelay()), runWorker(registry, { shutdownTimeout: config.shutdownTimeout }))
    )
  return yield* Layer.launch(Layer.provide(worker, services(infrastructure(config, appSecret))))
})

BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
