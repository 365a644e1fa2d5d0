import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Duration, Effect, Layer, Logger, Option } from "effect"
import { AdminLocal } from "./admin/index.js"
import { AdminSocketServer } from "./admin/socket.js"
import { makeWebHandler } from "./http/app.js"
import { serveMetricsPort } from "./http/metrics.js"
import { serve } from "./http/server.js"
import { runAuditDrain } from "./services/audit/drain.js"
import { runRelay } from "./services/events/index.js"
import { registry } from "./jobs/registry.js"
import { runWorker } from "./jobs/runner.js"
import { infrastructure, resolveAppSecret, services } from "./layers/index.js"
import { appConfig, usesRedis } from "./platform/config.js"
import { loggerFor } from "./platform/logging.js"
import { API_HEAP_COLLECT_GROWTH_MB, GrowthCollectorLive, IdleCollectorLive } from "./platform/memory/idle-collector.js"
import { watchJobDurability } from "./platform/health/job-durability.js"
import { JobQueue } from "./platform/queue/index.js"
import { Redis } from "./platform/redis/index.js"
import { exitOnStartupError } from "./startup.js"

/**
 * Shutdown ends whatever hangs: requests and in-process jobs get SHUTDOWN_TIMEOUT each (one after the
 * other), resources a few seconds more; past that the process exits with code 1.
 */
const boundShutdown = (timeout: Duration.Duration) => {
  const bound = 2 * Duration.toMillis(timeout) + 5_000
  const arm = () =>
    setTimeout(() => {
      process.stderr.write(`Shutdown did not finish in ${bound} ms: exiting\n`)
      process.exit(1)
    }, bound).unref()
  process.once("SIGTERM", arm)
  process.once("SIGINT", arm)
}

const main = Effect.gen(function*() {
  const config = yield* appConfig
  yield* Effect.sync(() => boundShutdown(config.shutdownTimeout))
  const appSecret = yield* resolveAppSecret(config)
  const app = services(infrastructure(config, appSecret))
  const server = Layer.unwrapEffect(Effect.map(makeWebHandler, serve)).pipe(
    Layer.tap(() => Effect.logInfo(`Ready in ${Math.round(performance.now())} ms since process start`))
  )
  // Without Redis there is no shared queue for `bun run worker`: jobs run in this process.
  // With Redis, `bun run worker` takes them: the log says when Redis would lose them or no worker runs.
  const jobs = !usesRedis(config)
    ? Layer.scopedDiscard(
      Effect.zipRight(Effect.forkScoped(Effect.zip(runRelay(), runAuditDrain(), { concurrent: true })), runWorker(registry, { shutdownTimeout: config.shutdownTimeout }))
    )
    : Layer.scopedDiscard(Effect.forkScoped(Effect.gen(function*() {
      const redis = yield* Effect.serviceOption(Redis)
      if (Option.isSome(redis)) yield* watchJobDurability(redis.value, yield* JobQueue)
    })))
  // The embedded database is this process's alone: `bun run cli` sends its commands here.
  const adminSocket = Option.isNone(config.databaseUrl)
    ? AdminSocketServer(config.dataDir).pipe(Layer.provide(AdminLocal))
    : Layer.empty
  return yield* Layer.launch(Layer.provide(Layer.mergeAll(server, serveMetricsPort(Object.keys(registry.queues)), jobs, adminSocket, IdleCollectorLive, GrowthCollectorLive(API_HEAP_COLLECT_GROWTH_MB)), app)).pipe(
    Effect.provide(Layer.merge(Logger.minimumLogLevel(config.logLevel), loggerFor(config.logFormat)))
  )
})

BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
