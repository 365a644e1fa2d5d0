import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer } from "effect"
import { infrastructure, resolveAppSecret, services, StartupError } from "../layers/index.js"
import { appConfig, usesRedis } from "../platform/config.js"
import { WORKER_HEAP_COLLECT_GROWTH_MB, GrowthCollectorLive, IdleCollectorLive } from "../platform/memory/idle-collector.js"
import { exitOnStartupError } from "../startup.js"
import { runAuditDrain } from "../services/audit/drain.js"
import { runRelay } from "../services/events/index.js"
import { serveMetricsPort } from "../http/metrics.js"
import { registry } from "./registry.js"
import { runWorker } from "./runner.js"

const main = Effect.gen(function*() {
  const config = yield* appConfig
  if (!usesRedis(config)) {
    return yield* Effect.fail(new StartupError(
      "Neither REDIS_URL nor REDIS_CLUSTER_NODES is set: without Redis, jobs run inside `bun run start` (in-memory queue) and a worker has nothing to take"
    ))
  }
  const appSecret = yield* resolveAppSecret(config)
  const worker = Layer.scopedDiscard(
      Effect.zipRight(Effect.forkScoped(Effect.zip(runRelay(), runAuditDrain(), { concurrent: true })), runWorker(registry, { shutdownTimeout: config.shutdownTimeout }))
    )
  // Webhook deliveries and workflow runs are counted where they run: here, on METRICS_PORT when set.
  const metrics = serveMetricsPort(Object.keys(registry.queues))
  return yield* Layer.launch(Layer.provide(Layer.mergeAll(worker, metrics, IdleCollectorLive, GrowthCollectorLive(WORKER_HEAP_COLLECT_GROWTH_MB)), services(infrastructure(config, appSecret))))
})

BunRuntime.runMain(exitOnStartupError(main), { disablePrettyLogger: true })
