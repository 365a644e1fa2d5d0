import { Duration, Effect, Layer } from "effect"
import { AppConfig } from "../platform/config.js"
import { replyTimeoutMs } from "../platform/database/index.js"
import { clientAddressFrom, rememberClientAddress } from "./client-address.js"

/** A response that tells the client (a balancer) not to send more on this connection. */
const closingConnection = (response: Response) => {
  try {
    response.headers.set("connection", "close")
    return response
  } catch {
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers: [...response.headers, ["connection", "close"]] })
  }
}

/** Server-sent events (the `logicFunctionLogs` subscription) outlive Bun's 10 s idle timeout: yoga pings every 12 s. */
export const EVENT_STREAM_IDLE_SECONDS = 60
export const acceptsEventStream = (request: Request) => request.headers.get("accept")?.includes("text/event-stream") === true

/** GET /rest/{plural}/export: its response waits on its cursor's next page between writes. */
const isExport = (request: Request) => request.method === "GET" && /^[^?]*\/rest\/[^/?]+\/export(?:\?|$)/.test(request.url)

/**
 * How long an export's response may go without a byte: the next page is one FETCH, which PostgreSQL may take up
 * to the statement's reply timeout to answer (the first page of a million people sorts them all), longer than
 * Bun's default 10 s, after which it resets the connection. Never under that default (Bun's limit is 255 s).
 */
export const exportIdleSeconds = (statementTimeout: Duration.Duration) =>
  Math.min(255, Math.max(10, Math.ceil(replyTimeoutMs({ statement: statementTimeout, connect: Duration.zero }) / 1000) + 5))

/**
 * Bun.serve around a web handler. Shutdown first drains for SHUTDOWN_DRAIN: it goes on serving, but every
 * response closes its connection, so a balancer holds no idle keep-alive connection to this server (Bun's
 * stop drops idle ones at once, and a request the balancer sends on one as it drops is lost). Then it stops
 * accepting connections (a balancer retries those elsewhere), lets in-flight requests finish (up to
 * SHUTDOWN_TIMEOUT), and only then releases what the handler depends on.
 */
export const serve = (handler: (request: Request) => Promise<Response>) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const config = yield* AppConfig
      const trustedProxies = config.trustedProxies
      let draining = false
      const exportIdle = exportIdleSeconds(config.databaseStatementTimeout)
      const server = Bun.serve({
        port: config.port,
        hostname: config.host,
        // Always given: Bun 1.4 with `development` set and no `reusePort` shares the port without being asked.
        reusePort: config.serverReusePort,
        // The handler enforces MAX_BODY_SIZE with a readable 413 before any route reads (http/body-limit.ts);
        // Bun's own limit would answer an empty 413 first, or fail a chunked stream mid-read.
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        development: false,
        fetch: (request, server) => {
          // Found when first asked (sign-in and sign-up limits, SSO): the peer's address is a getpeername
          // system call, one of about ten a data request made.
          rememberClientAddress(request, () => {
            const peer = server.requestIP(request)?.address
            return peer ? clientAddressFrom(peer, request.headers.get("x-forwarded-for"), trustedProxies) : null
          })
          if (acceptsEventStream(request)) server.timeout(request, EVENT_STREAM_IDLE_SECONDS)
          else if (isExport(request)) server.timeout(request, exportIdle)
          return draining ? handler(request).then(closingConnection) : handler(request)
        }
      })
      const inFlight = () => server.pendingRequests
      yield* Effect.logInfo(`Listening on http://${config.host}:${server.port}`)
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          const drain = Duration.toMillis(config.shutdownDrain)
          if (drain > 0) {
            yield* Effect.logInfo(`Shutting down: draining connections for ${drain} ms`)
            draining = true
            yield* Effect.promise(() => Bun.sleep(drain))
          }
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
