/**
 * src/http/server.ts's `serve` around a trivial handler, for test/rolling-restart.test.ts: no database, so it
 * runs in a network namespace of its own. BUSY_MS of CPU per request keeps the event loop busy, so
 * connections wait in the listen backlog. Prints "ready <pid>" once listening.
 */
import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer } from "effect"
import { serve } from "../../src/http/server.js"
import { AppConfig } from "../../src/platform/config.js"

const busyMs = Number(process.env.BUSY_MS ?? 0)
const handler = async (request: Request) => {
  const body = await request.text()
  const until = performance.now() + busyMs
  while (performance.now() < until) {
    // CPU work
  }
  return Response.json({ pid: process.pid, length: body.length })
}

const server = serve(handler).pipe(
  Layer.tap(() => Effect.sync(() => process.stdout.write(`ready ${process.pid}\n`))),
  Layer.provide(AppConfig.layer)
)
BunRuntime.runMain(Layer.launch(server))
