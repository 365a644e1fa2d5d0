import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { Health, type IndicatorId } from "../platform/health/index.js"
import { restError } from "./errors.js"

/** Twenty's (NestJS Terminus) shape: `{ status, info, error, details }`; 503 when anything is down. */
const report = (ids: ReadonlyArray<IndicatorId>) =>
  Effect.gen(function*() {
    const health = yield* Health
    const states = yield* Effect.forEach(ids, (id) => Effect.map(health.check(id), (s) => [id, s] as const), {
      concurrency: "unbounded"
    })
    const info: Record<string, unknown> = {}
    const error: Record<string, unknown> = {}
    const details: Record<string, unknown> = {}
    for (const [id, state] of states) {
      const entry = { status: state.status, ...state.details }
      details[id] = entry
      ;(state.status === "up" ? info : error)[id] = entry
    }
    const ok = Object.keys(error).length === 0
    return HttpServerResponse.unsafeJson({ status: ok ? "ok" : "error", info, error, details }, {
      status: ok ? 200 : 503,
      headers: { "cache-control": "no-store" }
    })
  })

export const healthRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/healthz", Effect.flatMap(Health, (health) => report(health.indicators))),
  HttpRouter.get(
    "/healthz/:indicatorId",
    Effect.gen(function*() {
      const { indicatorId } = yield* HttpRouter.params
      const health = yield* Health
      if (!health.indicators.includes(indicatorId as IndicatorId)) {
        return restError(400, "BadRequestException", `Invalid indicatorId: ${indicatorId}`)
      }
      return yield* report([indicatorId as IndicatorId])
    })
  )
)
