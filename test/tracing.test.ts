import { expect, test } from "bun:test"
import { startTestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

/** A stand-in OTLP/HTTP collector: records what is posted to /v1/traces. */
const posts: Array<{ path: string; type: string | null; body: any }> = []
const collector = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: async (request) => {
    posts.push({ path: new URL(request.url).pathname, type: request.headers.get("content-type"), body: await request.json() })
    return Response.json({})
  }
})

test("with OTEL_EXPORTER_OTLP_ENDPOINT, the server's spans reach the collector as OTLP/HTTP JSON", async () => {
  const app = await startTestApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}/`, OTEL_SERVICE_NAME: "score-test" } })
  try {
    await signUpWithWorkspace(app)
  } finally {
    await app.close() // flushes what the exporter holds
    collector.stop(true)
  }
  expect(posts.length).toBeGreaterThan(0)
  expect(posts.every((post) => post.path === "/v1/traces" && post.type?.includes("application/json"))).toBe(true)
  const resourceSpans = posts.flatMap((post) => post.body.resourceSpans)
  const serviceNames = resourceSpans.flatMap((r: any) => r.resource.attributes.filter((a: any) => a.key === "service.name").map((a: any) => a.value.stringValue))
  expect(new Set(serviceNames)).toEqual(new Set(["score-test"]))
  const spans = resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans))
  const names = new Set(spans.map((span: any) => span.name))
  expect(names).toContain("WorkspaceProvisioner.provision")
  for (const span of spans) {
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
  }
})
