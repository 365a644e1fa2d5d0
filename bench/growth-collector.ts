/**
 * What the growth collector (HEAP_COLLECT_GROWTH_MB) costs a busy process: GraphQL nested lists at c=16 for 10 s
 * through the application's handler (no HTTP), in child processes alternating off and on, RSS at the end.
 *
 *   bun bench/growth-collector.ts     (BENCH_GROWTH_MB=32 the threshold measured; BENCH_ROUNDS=2)
 *
 * 2026-12-06, quiet, 3 rounds: off 3,347 / 3,375 / 3,204 req/s, p99 9.5 / 9.2 / 10.2 ms; 32 MiB 3,305 / 3,195 /
 * 3,455 req/s, p99 9.8 / 10.2 / 8.6 ms: within noise, so it is on by default (bench/tenants.ts measures what it
 * saves at a burst's peak). A first run beside two helpers' tests (load 3–5) showed 25 % fewer: the load.
 */
import { Effect, Layer } from "effect"

const GROWTH_MB = process.env["BENCH_GROWTH_MB"] ?? "32"
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 2)
const child = process.argv[2]

if (!child) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const growth of ["0", GROWTH_MB]) {
      const run = Bun.spawnSync(["bun", import.meta.path, growth], { stdout: "pipe", stderr: "inherit" })
      console.log(`HEAP_COLLECT_GROWTH_MB=${growth}: ${run.stdout.toString().trim()}`)
    }
  }
  process.exit(0)
}

const { startTestApp } = await import("../test/support/app.js")
const { createApiKey, signUpWithWorkspace } = await import("../test/support/flows.js")
const { API_HEAP_COLLECT_GROWTH_MB, GrowthCollectorLive } = await import("../src/platform/memory/idle-collector.js")
const { AppConfig } = await import("../src/platform/config.js")
const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "3", HEAP_COLLECT_GROWTH_MB: child } })
const user = await signUpWithWorkspace(app)
const { token } = await createApiKey(app, user.accessToken)
const post = (query: string, variables?: Record<string, unknown>) =>
  app.handle(new Request("http://localhost/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })).then((response) => response.text())
for (let i = 0; i < 500; i++) {
  await post(`mutation($data: CompanyCreateInput!) { createCompany(data: $data) { id } }`, { data: { name: `Company ${i}`, employees: i } })
}
const list = () =>
  post(`{ companies(first: 20) { edges { node { id name employees createdAt address { addressCity } people(first: 3) { edges { node { id name { firstName } } } } } } } }`)

const loop = async (ms: number) => {
  const latencies: Array<number> = []
  const end = performance.now() + ms
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < end) {
      const started = performance.now()
      await list()
      latencies.push(performance.now() - started)
    }
  }))
  latencies.sort((a, b) => a - b)
  return `${(latencies.length / (ms / 1000)).toFixed(0)} req/s, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(1)} ms`
}

await loop(3_000) // JIT warm-up
const config = await app.run(AppConfig)
// The collector is a Layer of the server's and worker's main: built here the same way, around the measured loop.
const measured = await Effect.runPromise(
  Effect.scoped(Effect.zipRight(Layer.build(GrowthCollectorLive(API_HEAP_COLLECT_GROWTH_MB)), Effect.promise(() => loop(10_000)))).pipe(Effect.provideService(AppConfig, config))
)
console.log(`${measured}, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`)
await app.close()
process.exit(0)
