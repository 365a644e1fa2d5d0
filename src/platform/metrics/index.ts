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

/**
 * Set when /metrics is served (METRICS_TOKEN or METRICS_PORT): otherwise the SQL and queue instruments
 * below count nothing, and their wrappers cost one boolean test per statement.
 */
export const instrumentation = { enabled: false }

export const sqlStatements = new Prom.Counter({
  name: "score_sql_statements_total",
  help: "SQL statements sent to PostgreSQL, by kind (select, insert, update, delete, with, begin, commit, rollback, other) and outcome",
  labelNames: ["kind", "outcome"] as const,
  registers: [registry]
})

export const sqlDuration = new Prom.Histogram({
  name: "score_sql_statement_duration_seconds",
  help: "Time from sending a SQL statement to its answer, by kind",
  labelNames: ["kind"] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  registers: [registry]
})

export const queueLatency = new Prom.Histogram({
  name: "score_queue_latency_seconds",
  help: "Time from a job's enqueue to the start of its first attempt, per queue (a delayed job counts its delay)",
  labelNames: ["queue"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry]
})

const STATEMENT_KINDS = new Set(["select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "savepoint", "release", "set", "copy"])

/** A statement's kind from its first keyword: a bounded label whatever the SQL. */
export const statementKind = (text: string): string => {
  const head = text.slice(0, 24).trimStart()
  const end = head.search(/[^A-Za-z]/)
  const word = (end === -1 ? head : head.slice(0, end)).toLowerCase()
  return STATEMENT_KINDS.has(word) ? word : "other"
}

/** Counts one statement once it is answered. */
export const observeStatement = (kind: string, started: number, failed: boolean) => {
  sqlStatements.inc({ kind, outcome: failed ? "error" : "ok" })
  sqlDuration.observe({ kind }, (performance.now() - started) / 1000)
}
