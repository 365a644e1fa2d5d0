import { Effect, Layer, Option, Redacted, Runtime } from "effect"
import * as Prom from "prom-client"
import { AppConfig } from "../platform/config.js"
import { PgPool } from "../platform/database/index.js"
import { httpDuration, httpRequests, instrumentation, registry } from "../platform/metrics/index.js"
import { JobQueue } from "../platform/queue/index.js"

const REST_VERBS = new Set(["restore", "duplicates", "merge", "groupBy", "import", "export"])
const STATIC_ROOTS = new Set(["graphql", "metadata", "healthz", "metrics"])

/**
 * The route pattern of a path, never a value from it: ids, object names and unknown paths collapse, so
 * the label has a few dozen values whatever clients send.
 */
export const routeLabel = (path: string): string => {
  const parts = path.split("/", 6)
  const root = parts[1] ?? ""
  if (STATIC_ROOTS.has(root)) return parts.length === 2 ? `/${root}` : "other"
  if (root === "file") return "/file/:folder/:id"
  if (root === "auth") return "/auth"
  if (root === "webhooks") return "/webhooks/workflows/:workspaceId/:workflowId"
  if (root !== "rest") return "other"
  const second = parts[2]
  if (second === undefined || second === "") return "other"
  if (second === "metadata") {
    const kind = parts[3] === "objects" || parts[3] === "fields" || parts[3] === "webhooks" ? parts[3] : "other"
    return parts.length > 4 ? `/rest/metadata/${kind}/:id` : `/rest/metadata/${kind}`
  }
  if (second === "open-api" || second === "docs") return `/rest/${second}`
  if (second === "batch" || second === "restore" || second === "imports") return parts.length > 4 ? `/rest/${second}/:plural/:id` : `/rest/${second}/:plural`
  if (parts.length === 3) return "/rest/:plural"
  const third = parts[3]!
  if (REST_VERBS.has(third)) return `/rest/:plural/${third}`
  return parts.length > 4 ? "/rest/:plural/:id/restore" : "/rest/:plural/:id"
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
const MAX_OPERATION_NAMES = 200
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const knownOperations = new Set<string>()
const operations = new WeakMap<Request, string>()

/**
 * The label of a GraphQL operation name: its own for the first 200 distinct names this process sees,
 * "other" after (and for anything that is not a GraphQL name), "anonymous" without one.
 */
export const operationLabel = (name: string | null | undefined): string => {
  if (name === null || name === undefined || name === "") return "anonymous"
  if (knownOperations.has(name)) return name
  if (knownOperations.size >= MAX_OPERATION_NAMES || !OPERATION_NAME.test(name)) return "other"
  knownOperations.add(name)
  return name
}

const rebuiltFrom = new WeakMap<Request, Request>()
/** Set when metrics are on: otherwise the GraphQL handlers note nothing. */
let labelling = false

/** A request the edge re-created (a bounded chunked body, sign-in limits' rebuilt /metadata) reports its operation to the original. */
export const linkRebuiltRequest = (rebuilt: Request, original: Request): void => {
  if (labelling) rebuiltFrom.set(rebuilt, rebuiltFrom.get(original) ?? original)
}

/** Called by the GraphQL handlers with the request they were given and the operation name its body names. */
export const noteOperation = (request: Request, name: string | null | undefined): void => {
  if (!labelling) return
  const label = operationLabel(name)
  operations.set(rebuiltFrom.get(request) ?? request, label)
}

/** Counts every answer of `handler` by route pattern, operation and status, with its time to headers. */
export const measured = (handler: (request: Request, path: string) => Promise<Response>) => {
  const observe = (request: Request, path: string, started: number, status: number) => {
    const route = routeLabel(path)
    const operation = route === "/graphql" || route === "/metadata" ? operations.get(request) ?? "anonymous" : ""
    const method = METHODS.has(request.method) ? request.method : "other"
    httpRequests.inc({ method, route, operation, status: String(status) })
    httpDuration.observe({ method, route, operation }, (performance.now() - started) / 1000)
  }
  return (request: Request, path: string): Promise<Response> => {
    const started = performance.now()
    return handler(request, path).then(
      (response) => {
        observe(request, path, started, response.status)
        return response
      },
      (error: unknown) => {
        observe(request, path, started, 500)
        throw error
      }
    )
  }
}

/** Gauges read at scrape time: the PostgreSQL pool's connections and each queue's jobs. */
const registerGauges = (
  pool: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number } | null,
  queueCounts: (queue: string) => Promise<{ waiting: number; delayed: number; active: number; dead: number } | null>,
  queues: ReadonlyArray<string>
) => {
  for (const name of ["score_db_pool_connections", "score_db_pool_idle", "score_db_pool_waiting", "score_queue_jobs"]) {
    registry.removeSingleMetric(name)
  }
  if (pool !== null) {
    new Prom.Gauge({ name: "score_db_pool_connections", help: "PostgreSQL pool connections open", registers: [registry], collect() { this.set(pool.totalCount) } })
    new Prom.Gauge({ name: "score_db_pool_idle", help: "PostgreSQL pool connections idle", registers: [registry], collect() { this.set(pool.idleCount) } })
    new Prom.Gauge({ name: "score_db_pool_waiting", help: "Queries waiting for a PostgreSQL pool connection", registers: [registry], collect() { this.set(pool.waitingCount) } })
  }
  new Prom.Gauge({
    name: "score_queue_jobs",
    help: "Jobs per queue by state (waiting, delayed, active, dead)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      const all = await Promise.all(queues.map(async (queue) => [queue, await queueCounts(queue)] as const))
      for (const [queue, counts] of all) {
        if (counts === null) continue
        for (const state of ["waiting", "delayed", "active", "dead"] as const) this.set({ queue, state }, counts[state])
      }
    }
  })
}

const tokenMatches = (given: string | null, token: string) => {
  if (given === null) return false
  const a = new TextEncoder().encode(given)
  const b = new TextEncoder().encode(`Bearer ${token}`)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

/**
 * GET /metrics: the Prometheus text of this process. On the API port it needs `Authorization: Bearer
 * METRICS_TOKEN`; on METRICS_PORT (a port not exposed publicly) it needs the token only when one is set.
 */
export const makeMetricsEndpoint = (queues: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const pool = yield* Effect.serviceOption(PgPool)
    const queue = yield* JobQueue
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    const token = Option.map(config.metricsToken, Redacted.value)
    const enabled = Option.isSome(token) || Option.isSome(config.metricsPort)
    if (enabled) {
      labelling = true
      instrumentation.enabled = true
      // A queue whose counts cannot be read (Redis down) is left out of this scrape.
      const counts = (name: string) =>
        runPromise(queue.counts(name).pipe(Effect.option, Effect.map(Option.getOrNull))).catch(() => null)
      registerGauges(Option.getOrNull(pool), counts, queues)
    }
    const scrape = async (request: Request, requireToken: boolean): Promise<Response> => {
      if (request.method !== "GET") return Response.json({ statusCode: 405, error: "MethodNotAllowed", messages: ["Method not allowed"] }, { status: 405 })
      if (requireToken || Option.isSome(token)) {
        if (Option.isNone(token) || !tokenMatches(request.headers.get("authorization"), token.value)) {
          return Response.json({ statusCode: 401, error: "Unauthorized", messages: ["Invalid metrics token"] }, { status: 401 })
        }
      }
      return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } })
    }
    return {
      /** On the API port: only with METRICS_TOKEN set (otherwise /metrics is an unknown route). */
      onApiPort: Option.isSome(token) ? (request: Request) => scrape(request, true) : null,
      onMetricsPort: (request: Request) => scrape(request, false),
      enabled
    }
  })

/** With METRICS_PORT, /metrics on its own port too (for a scraper on a private network). */
export const serveMetricsPort = (queues: ReadonlyArray<string>) =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const config = yield* AppConfig
    const port = Option.getOrNull(config.metricsPort)
    if (port === null) return
    const endpoint = yield* makeMetricsEndpoint(queues)
    const server = yield* Effect.acquireRelease(
      Effect.sync(() =>
        Bun.serve({
          port,
          hostname: config.host,
          fetch: (request) => new URL(request.url).pathname === "/metrics" ? endpoint.onMetricsPort(request) : new Response("Not found", { status: 404 })
        })
      ),
      (server) => Effect.promise(() => server.stop(true))
    )
    yield* Effect.logInfo(`Metrics on http://${config.host}:${server.port}/metrics`)
  }))
