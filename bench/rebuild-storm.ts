/**
 * A rebuild storm: while BENCH_MODELS (default 8) distinct data models keep rebuilding their `/graphql`
 * schemas (SCHEMA_CACHE_MAX_MB=2 holds about one, so each evicts another), one warm workspace sends
 * GraphQL and REST lists one after another. Prints the warm workspace's p50/p99 per request with no
 * storm, during BENCH_ROUNDS rounds of the storm as SchemaBuilder builds now (in steps, the event loop
 * free between them), and during as many builds made in one piece (`buildWorkspaceSchema`, how builds ran
 * before), with the p99 and longest event-loop stall (a 5 ms timer's lateness) of each phase.
 *
 *   bun bench/rebuild-storm.ts
 */
import { Effect } from "effect"
import { assertValidSchema } from "graphql"
import { buildWorkspaceSchema, SchemaBuilder } from "../src/http/graphql/data/schema/index.js"
import { ApiKeys } from "../src/services/api-keys/index.js"
import { Auth } from "../src/services/auth/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp } from "../test/support/app.js"

const MODELS = Number(process.env["BENCH_MODELS"] ?? 8)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 4)
const QUIET_MS = 3_000
const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "3", SCHEMA_CACHE_MAX_MB: "2" } })

const percentile = (xs: ReadonlyArray<number>, p: number) =>
  Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! * 10) / 10

try {
  const { warm, storm } = await app.run(Effect.gen(function*() {
    const auth = yield* Auth
    const apiKeys = yield* ApiKeys
    const metadata = yield* Metadata
    const { user } = yield* auth.signUp({ email: `storm.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", isEmailVerified: true })
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
    const { workspace } = yield* auth.signUpInNewWorkspace(user, "Warm")
    const key = yield* apiKeys.create(workspace.id, { name: "bench", expiresAt })
    const { token } = yield* apiKeys.generateToken(workspace.id, key.id, expiresAt)
    const storm: Array<string> = []
    for (let i = 0; i < MODELS; i++) {
      const made = (yield* auth.signUpInNewWorkspace(user, `Storm ${i}`)).workspace
      const company = (yield* metadata.get(made.id)).objects.find((o) => o.nameSingular === "company")!
      // A field of its own: a model (fingerprint) of its own.
      yield* metadata.createField(made.id, { objectMetadataId: company.id, name: `storm${i}`, label: `Storm ${i}`, type: "TEXT" })
      storm.push(made.id)
    }
    return { warm: { workspaceId: workspace.id, token }, storm }
  }))
  const stormMetadata = await app.run(Effect.flatMap(Metadata, (m) => Effect.forEach(storm, (id) => m.get(id))))

  const requests = [
    () => new Request("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${warm.token}` },
      body: JSON.stringify({ query: `{ companies(first: 10) { edges { node { id name } } } }` })
    }),
    () => new Request("http://localhost/rest/companies?limit=10", { headers: { authorization: `Bearer ${warm.token}` } })
  ]

  /** The warm workspace's requests, one after another, while `storm` runs; and the timer's lateness. */
  const phase = async (storm: () => Promise<void>) => {
    let done = false
    const latencies: Array<number> = []
    const stalls: Array<number> = []
    let last = performance.now()
    const probe = setInterval(() => {
      const now = performance.now()
      stalls.push(Math.max(0, now - last - 5))
      last = now
    }, 5)
    const warmLoop = (async () => {
      for (let i = 0; !done; i++) {
        const started = performance.now()
        const response = await app.handle(requests[i % 2]!())
        await response.text()
        latencies.push(performance.now() - started)
      }
    })()
    const started = performance.now()
    await storm()
    const seconds = (performance.now() - started) / 1000
    done = true
    await warmLoop
    clearInterval(probe)
    return {
      seconds: Math.round(seconds * 10) / 10,
      requests: latencies.length,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      stallP99Ms: percentile(stalls, 0.99),
      maxStallMs: Math.round(Math.max(...stalls))
    }
  }

  const quiet = await phase(() => Bun.sleep(QUIET_MS))
  let builds = 0
  const stepwise = await phase(async () => {
    const before = (await app.run(Effect.map(SchemaBuilder, (s) => s.stats()))).builds
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(storm.map((id) => app.run(Effect.flatMap(SchemaBuilder, (s) => s.schemaFor(id)))))
    }
    builds = (await app.run(Effect.map(SchemaBuilder, (s) => s.stats()))).builds - before
  })
  let onePieceBuilds = 0
  const onePiece = await phase(async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // As a request that missed the cache ran it before: the whole build in one synchronous piece.
      await Promise.all(stormMetadata.map((metadata) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            assertValidSchema(buildWorkspaceSchema(metadata).schema)
            onePieceBuilds++
            resolve()
          })
        )
      ))
    }
  })
  console.log(`warm workspace; ${MODELS} models rebuilding, ${ROUNDS} rounds (loaded machine: compare rows, not runs)`)
  console.log("phase | seconds | warm requests | p50 ms | p99 ms | event-loop stall p99 / max ms | builds")
  const row = (name: string, r: typeof quiet, n: number) =>
    console.log(`${name} | ${r.seconds} | ${r.requests} | ${r.p50} | ${r.p99} | ${r.stallP99Ms} / ${r.maxStallMs} | ${n}`)
  row("no storm", quiet, 0)
  row("storm, builds in steps (now)", stepwise, builds)
  row("storm, builds in one piece (before)", onePiece, onePieceBuilds)
  console.log(`RESULT ${JSON.stringify({ quiet, stepwise: { ...stepwise, builds }, onePiece: { ...onePiece, builds: onePieceBuilds } })}`)
} finally {
  await app.close()
}
