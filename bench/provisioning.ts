/**
 * Creating a workspace: ms per `signUpInNewWorkspace` (schema, tables, standard objects' metadata, views,
 * roles, the owner's membership) over BENCH_WORKSPACES (default 30) workspaces, one after another.
 *
 *   bun bench/provisioning.ts
 *   BENCH_SPARES=3 BENCH_PAUSE_MS=3000 bun bench/provisioning.ts   (WORKSPACE_SPARE_SCHEMAS=3, a pause between workspaces)
 *
 * Prints median, p90 and mean, and `RESULT {json}`. On a 2-core machine shared with other helpers
 * (loaded machine), run from this tree and from a copy of the previous commit, alternately, ~40 round
 * trips per workspace before → 5 after: figures in the commit that made it.
 */
import { Effect } from "effect"
import { Auth } from "../src/services/auth/index.js"
import { startTestApp } from "../test/support/app.js"

const COUNT = Number(process.env["BENCH_WORKSPACES"] ?? 30)
const SPARES = process.env["BENCH_SPARES"] ?? "0"
/** Users do not create workspaces back to back: the pause lets the spare filler keep up. */
const PAUSE_MS = Number(process.env["BENCH_PAUSE_MS"] ?? 0)
const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "2", WORKSPACE_SPARE_SCHEMAS: SPARES } })
try {
  const times = await app.run(Effect.gen(function*() {
    const auth = yield* Auth
    const { user } = yield* auth.signUp({ email: `provision.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", isEmailVerified: true })
    const times: Array<number> = []
    for (let i = 0; i < COUNT; i++) {
      if (PAUSE_MS > 0) yield* Effect.sleep(PAUSE_MS)
      const started = performance.now()
      yield* auth.signUpInNewWorkspace(user, `Tenant ${i}`)
      times.push(performance.now() - started)
    }
    return times
  }))
  const sorted = [...times].sort((a, b) => a - b)
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!)
  const result = { spares: Number(SPARES), pauseMs: PAUSE_MS, workspaces: COUNT, medianMs: at(0.5), p90Ms: at(0.9), meanMs: Math.round(times.reduce((a, b) => a + b, 0) / times.length) }
  console.log(`workspace creation: median ${result.medianMs} ms, p90 ${result.p90Ms} ms, mean ${result.meanMs} ms (${COUNT} workspaces, ${SPARES} spares, ${PAUSE_MS} ms apart)`)
  console.log(`RESULT ${JSON.stringify(result)}`)
} finally {
  await app.close()
}
