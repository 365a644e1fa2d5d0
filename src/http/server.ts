import { Duration, Effect, Layer } from "effect"
import { AppConfig } from "../platform/config.js"
import { clientAddressFrom, rememberClientAddress } from "./client-address.js"

/**
 * Bun.serve around a web handler. Shutdown stops accepting connections, lets in-flight requests
 * finish (up to SHUTDOWN_TIMEOUT), and only then releases what the handler depends on.
 */
export const serve = (handler: (request: Request) => Promise<Response>) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const config = yield* AppConfig
      const trustedProxies = config.trustedProxies
      const server = Bun.serve({
        port: config.port,
        hostname: config.host,
        // The handler enforces MAX_BODY_SIZE with a readable 413 before any route reads (http/body-limit.ts);
        // Bun's own limit would answer an empty 413 first, or fail a chunked stream mid-read.
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        development: false,
        fetch: (request, server) => {
          const peer = server.requestIP(request)?.address
          rememberClientAddress(request, peer && clientAddressFrom(peer, request.headers.get("x-forwarded-for"), trustedProxies))
          return handler(request)
        }
      })
      const inFlight = () => server.pendingRequests
      yield* Effect.logInfo(`Listening on http://${config.host}:${server.port}`)
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          yield* Effect.logInfo(`Shutting down: finishing ${inFlight()} in-flight request(s)`)
          void server.stop(false)
          const drained = yield* Effect.promise(async () => {
            const deadline = Date.now() + Duration.toMillis(config.shutdownTimeout)
            while (inFlight() > 0 && Date.now() < deadline) await Bun.sleep(5)
            return inFlight() === 0
          })
          if (!drained) yield* Effect.logWarning(`Shutdown timeout: ${inFlight()} request(s) cut off`)
          // Idle keep-alive connections would otherwise hold the stop open.
          yield* Effect.promise(() => server.stop(true))
        })
      )
    })
  )
