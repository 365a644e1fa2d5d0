import type { HttpApp } from "@effect/platform"
import { HttpApp as App } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"
import { AppConfig } from "../services/config.js"

/**
 * Bun.serve driven by an Effect HttpApp. Shutdown stops accepting connections, lets in-flight
 * requests finish (up to SHUTDOWN_TIMEOUT), and only then releases what the app depends on.
 */
export const serve = <R>(app: HttpApp.Default<never, R>) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const config = yield* AppConfig
      const runtime = yield* Effect.runtime<R>()
      const handler = App.toWebHandlerRuntime(runtime)(app)
      let inFlight = 0
      const server = Bun.serve({
        port: config.port,
        hostname: config.host,
        maxRequestBodySize: config.maxBodyBytes,
        development: false,
        async fetch(request) {
          inFlight++
          try {
            return await handler(request)
          } finally {
            inFlight--
          }
        }
      })
      yield* Effect.logInfo(`Listening on http://${config.host}:${server.port}`)
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          yield* Effect.logInfo(`Shutting down: finishing ${inFlight} in-flight request(s)`)
          const drained = Effect.promise(() => server.stop(false))
          yield* drained.pipe(
            Effect.timeoutFail({ duration: config.shutdownTimeout, onTimeout: () => "timeout" as const }),
            Effect.catchAll(() =>
              Effect.logWarning(`Shutdown timeout after ${Duration.format(config.shutdownTimeout)}`).pipe(
                Effect.zipRight(Effect.promise(() => server.stop(true)))
              )
            )
          )
        })
      )
    })
  )
