/**
 * The process's Prometheus instruments. prom-client rather than Effect's Metric: Effect 3 ships no
 * Prometheus text exporter (only through OpenTelemetry's SDK), and the hot paths (the /graphql plan, the
 * REST lanes) run outside the Effect runtime, where a prom-client `inc` is a plain map update.
 * One registry per process, as Prometheus scrapes a process; counters are module values so the cache and
 * the lanes can count without a service lookup.
 */
import * as Prom from "prom-client"

export const registry = new Prom.Registry()

export const httpRequests = new Prom.Counter({
  name: "score_http_requests_total",
  help: "HTTP requests answered, by method, route pattern, GraphQL operation and status",
  labelNames: ["method", "route", "operation", "status"] as const,
  registers: [registry]
})

export const httpDuration = new Prom.Histogram({
  name: "score_http_request_duration_seconds",
  help: "Time to the answer's headers, by method, route pattern and GraphQL operation",
  labelNames: ["method", "route", "operation"] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry]
})

export const cacheLookups = new Prom.Counter({
  name: "score_cache_lookups_total",
  help: "Cache reads: metadata cache (local_hit, shared_hit, miss) and record result cache (hit, miss)",
  labelNames: ["cache", "result"] as const,
  registers: [registry]
})

export const webhookDeliveries = new Prom.Counter({
  name: "score_webhook_deliveries_total",
  help: "Webhook delivery attempts by outcome (success, http_error, failure)",
  labelNames: ["outcome"] as const,
  registers: [registry]
})

export const workflowRunTransitions = new Prom.Counter({
  name: "score_workflow_runs_total",
  help: "Workflow runs entering a status (RUNNING, COMPLETED, FAILED, STOPPED, ...)",
  labelNames: ["status"] as const,
  registers: [registry]
})

Prom.collectDefaultMetrics({ register: registry, prefix: "score_" })
