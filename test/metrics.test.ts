import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import { makeMetricsEndpoint, operationLabel, routeLabel } from "../src/http/metrics.js"
import { AppConfig } from "../src/platform/config.js"
import { statementKind } from "../src/platform/metrics/index.js"
import { JobQueue } from "../src/platform/queue/index.js"
import { runWorker } from "../src/jobs/runner.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

const TOKEN = "metrics-token-0123456789abcdef"

let app: TestApp
let apiKey: string

beforeAll(async () => {
  app = await startTestApp({ env: { METRICS_TOKEN: TOKEN } })
  const account = await signUpWithWorkspace(app)
  apiKey = (await createApiKey(app, account.accessToken)).token
})
afterAll(() => app.close())

interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|NaN|\+Inf|-Inf))( -?[0-9]+)?$/

/** Prometheus text exposition 0.0.4, strictly: every line a HELP, a TYPE or a well-formed sample. */
const parseExposition = (text: string): Array<Sample> => {
  const samples: Array<Sample> = []
  for (const line of text.split("\n")) {
    if (line === "") continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      expect(meta[2]!).toMatch(METRIC_NAME)
      if (meta[1] === "TYPE") expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(meta[3]!)
      continue
    }
    const sample = SAMPLE.exec(line)
    if (!sample) throw new Error(`not Prometheus text: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: sample[1]!, labels, value: Number(sample[4]) })
  }
  return samples
}

const scrape = async () => {
  const response = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toContain("text/plain")
  return parseExposition(await response.text())
}

const valueOf = (samples: ReadonlyArray<Sample>, name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)

const restList = () => app.request("/rest/companies?limit=2", { headers: { authorization: `Bearer ${apiKey}` } })
const graphql = (operationName: string | undefined) =>
  app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: `query ${operationName ?? ""} { companies(first: 1) { edges { node { id } } } }`, operationName })
  })

describe("GET /metrics", () => {
  test("refuses a missing or wrong token with 401, and answers the right one", async () => {
    expect((await app.request("/metrics")).status).toBe(401)
    const wrong = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}x` } })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ statusCode: 401, error: "Unauthorized", messages: ["Invalid metrics token"] })
    expect((await app.request("/metrics", { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401)
    expect((await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  })

  test("is Prometheus text whose request counters and histograms move with traffic", async () => {
    const before = await scrape()
    for (let i = 0; i < 3; i++) expect((await restList()).status).toBe(200)
    for (let i = 0; i < 2; i++) expect((await graphql("CompaniesForMetrics")).status).toBe(200)
    const after = await scrape()
    const rest = { method: "GET", route: "/rest/:plural", status: "200" }
    expect(valueOf(after, "score_http_requests_total", rest) - valueOf(before, "score_http_requests_total", rest)).toBe(3)
    const gql = { method: "POST", route: "/graphql", operation: "CompaniesForMetrics", status: "200" }
    expect(valueOf(after, "score_http_requests_total", gql) - valueOf(before, "score_http_requests_total", gql)).toBe(2)
    const count = { route: "/rest/:plural", method: "GET" }
    expect(valueOf(after, "score_http_request_duration_seconds_count", count) - valueOf(before, "score_http_request_duration_seconds_count", count)).toBe(3)
    expect(valueOf(after, "score_http_request_duration_seconds_bucket", { ...count, le: "+Inf" })).toBeGreaterThanOrEqual(3)
  })

  test("counts SQL statements by kind with their latency, and each queue's enqueue-to-start latency", async () => {
    const before = await scrape()
    expect((await restList()).status).toBe(200)
    const created = await app.request("/rest/companies", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Counted" })
    })
    expect(created.status).toBe(201)
    const queue = `probe-${crypto.randomUUID().slice(0, 8)}`
    const handled = Promise.withResolvers<void>()
    await app.run(Effect.scoped(Effect.gen(function*() {
      yield* Effect.flatMap(JobQueue, (q) => q.enqueue(queue, "ping", {}))
      yield* runWorker({ queues: { [queue]: { handlers: { ping: () => Effect.sync(() => handled.resolve()) } } } }, { pollInterval: "50 millis" })
      yield* Effect.promise(() => handled.promise)
    })))
    const after = await scrape()
    const grew = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels)
    expect(grew("score_sql_statements_total", { kind: "select", outcome: "ok" })).toBeGreaterThan(0)
    // A REST create is one statement (WITH … INSERT … RETURNING, records/write-statements.ts).
    expect(grew("score_sql_statements_total", { kind: "with", outcome: "ok" }) + grew("score_sql_statements_total", { kind: "insert", outcome: "ok" })).toBeGreaterThan(0)
    expect(grew("score_sql_statement_duration_seconds_count", { kind: "select" })).toBeGreaterThan(0)
    expect(after.filter((s) => s.name === "score_sql_statements_total").every((s) =>
      ["select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "savepoint", "release", "set", "copy", "other"].includes(s.labels["kind"]!)
    )).toBe(true)
    expect(valueOf(after, "score_queue_latency_seconds_count", { queue })).toBe(1)
  })

  test("reports pool, cache, queue and process figures", async () => {
    await restList()
    const samples = await scrape()
    const names = new Set(samples.map((s) => s.name))
    for (const name of ["score_db_pool_connections", "score_db_pool_idle", "score_db_pool_waiting", "score_process_resident_memory_bytes", "score_nodejs_eventloop_lag_seconds"]) {
      expect(names).toContain(name)
    }
    expect(valueOf(samples, "score_process_resident_memory_bytes", {})).toBeGreaterThan(0)
    expect(valueOf(samples, "score_cache_lookups_total", { cache: "metadata" })).toBeGreaterThan(0)
    for (const queue of ["events", "webhooks", "workflows"]) {
      expect(samples.some((s) => s.name === "score_queue_jobs" && s.labels["queue"] === queue && s.labels["state"] === "dead")).toBe(true)
    }
  })

  test("labels stay bounded: ids, object names and odd operation names collapse", async () => {
    await app.request(`/rest/companies/${crypto.randomUUID()}`, { headers: { authorization: `Bearer ${apiKey}` } })
    await app.request(`/no/such/${crypto.randomUUID()}`)
    await graphql(`Op${"x".repeat(80)}`)
    const samples = await scrape()
    const routes = new Set(samples.filter((s) => s.name === "score_http_requests_total").map((s) => s.labels["route"]))
    for (const route of routes) expect(route).not.toMatch(/[0-9a-f]{8}-/)
    expect(routes).toContain("/rest/:plural/:id")
    expect(routes).toContain("other")
    const operations = samples.filter((s) => s.name === "score_http_requests_total" && s.labels["route"] === "/graphql").map((s) => s.labels["operation"])
    expect(operations).toContain("other")
    expect(operations.some((o) => o!.startsWith("Opxxx"))).toBe(false)
  })
})

describe("where /metrics is served", () => {
  test("METRICS_PORT alone: not on the API port, and on the metrics port without a token", async () => {
    const endpoint = await app.run(Effect.flatMap(AppConfig, (config) =>
      makeMetricsEndpoint(["events"]).pipe(
        Effect.provideService(AppConfig, { ...config, metricsToken: Option.none(), metricsPort: Option.some(9464) })
      )))
    expect(endpoint.onApiPort).toBeNull()
    expect(endpoint.enabled).toBe(true)
    const response = await endpoint.onMetricsPort(new Request("http://localhost:9464/metrics"))
    expect(response.status).toBe(200)
    expect(await response.text()).toContain("score_http_requests_total")
  })

  test("neither setting: disabled", async () => {
    const endpoint = await app.run(Effect.flatMap(AppConfig, (config) =>
      makeMetricsEndpoint([]).pipe(Effect.provideService(AppConfig, { ...config, metricsToken: Option.none(), metricsPort: Option.none() }))))
    expect(endpoint.enabled).toBe(false)
    expect(endpoint.onApiPort).toBeNull()
  })
})

describe("label functions", () => {
  test("route patterns", () => {
    expect(routeLabel("/rest/companies")).toBe("/rest/:plural")
    expect(routeLabel("/rest/companies/3f0c")).toBe("/rest/:plural/:id")
    expect(routeLabel("/rest/companies/3f0c/restore")).toBe("/rest/:plural/:id/restore")
    expect(routeLabel("/rest/companies/groupBy")).toBe("/rest/:plural/groupBy")
    expect(routeLabel("/rest/batch/companies")).toBe("/rest/batch/:plural")
    expect(routeLabel("/rest/metadata/objects/1")).toBe("/rest/metadata/objects/:id")
    expect(routeLabel("/rest/metadata/anything")).toBe("/rest/metadata/other")
    expect(routeLabel("/graphql")).toBe("/graphql")
    expect(routeLabel("/graphql/x")).toBe("other")
    expect(routeLabel("/wp-admin.php")).toBe("other")
  })

  test("statement kinds: the first keyword, bounded", () => {
    expect(statementKind("SELECT 1")).toBe("select")
    expect(statementKind("  \n with x AS (SELECT 1) INSERT INTO t SELECT * FROM x")).toBe("with")
    expect(statementKind("INSERT INTO core.\"auditOutbox\" …")).toBe("insert")
    expect(statementKind("begin")).toBe("begin")
    expect(statementKind("VACUUM t")).toBe("other")
    expect(statementKind("SELECT/* c */1")).toBe("select")
    expect(statementKind("")).toBe("other")
  })

  test("operation names: the first 200 distinct names, then other", () => {
    expect(operationLabel(null)).toBe("anonymous")
    expect(operationLabel("bad name")).toBe("other")
    const labels = Array.from({ length: 300 }, (_, i) => operationLabel(`Generated${i}`))
    expect(new Set(labels).size).toBeLessThanOrEqual(201)
    expect(labels.at(-1)).toBe("other")
    expect(operationLabel("Generated0")).toBe(labels[0]!)
  })
})
