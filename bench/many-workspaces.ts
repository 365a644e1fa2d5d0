/**
 * Many workspaces in one database (issue #21): provisions N workspaces (Twenty's standard model each) into a
 * PostgreSQL cluster of its own (initdb under the temp dir, a free port; stopped and removed at the end unless
 * --keep), so the machine's shared database does not grow by gigabytes.
 *
 *   bun bench/many-workspaces.ts [--n 10000] [--concurrency 1] [--fsync on|off] [--sample 50] [--keep]
 *                                [--stop-at 2026-12-05T23:00:00Z]
 *
 * Prints provisioning p50/p99 over the first 1,000, the 1,000 around N/2 and the last 1,000; the catalog's
 * size (pg_class rows, pg_catalog relations' bytes, database size on disk) at 1,000, N/2 and N; and at 1,000
 * and at N the latency of an untouched workspace's first metadata load (Metadata.get) and first /graphql
 * request (cold: nothing cached in this process or Redis) and of the same call again (warm), p50/p99 over
 * --sample workspaces each. Progress every 100 workspaces on stderr; `RESULT {json}` last. --stop-at ends
 * provisioning at that time and takes the last figures at the count reached.
 * --fsync off trades the per-btree-build fsync of PostgreSQL 15 (about 60 % of a workspace's DDL here) for a
 * run that ends in time; the catalog and cache-miss figures do not depend on it.
 */
import { SqlClient } from "@effect/sql"
import { statfsSync } from "node:fs"
import { tmpdir } from "node:os"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import { ApiKeys } from "../src/services/api-keys/index.js"
import { Auth } from "../src/services/auth/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { startTestApp } from "../test/support/app.js"
import { startPgPrimary } from "../test/support/pg-replica.js"

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "1" },
    fsync: { type: "string", default: "on" },
    sample: { type: "string", default: "50" },
    keep: { type: "boolean", default: false },
    "stop-at": { type: "string" }
  }
})
const N = Number(args.n)
const CONCURRENCY = Number(args.concurrency)
const SAMPLE = Number(args.sample)
const FSYNC = args.fsync === "off" ? "off" : "on"
const STOP_AT = args["stop-at"] ? Date.parse(args["stop-at"]) : Infinity

/** Measured here: a workspace takes ~1.3 MB of catalog and relation files; room for that twice over. */
const MB_PER_WORKSPACE = 3
const freeMb = (() => {
  const fs = statfsSync(tmpdir())
  return Math.floor((fs.bavail * fs.bsize) / 1024 / 1024)
})()
if (freeMb < N * MB_PER_WORKSPACE + 4096) {
  console.error(`${freeMb} MB free under ${tmpdir()}: too little for ${N} workspaces (~${N * MB_PER_WORKSPACE} MB)`)
  process.exit(1)
}
console.error(`${freeMb} MB free under ${tmpdir()}`)

const pg = await startPgPrimary([
  `fsync = ${FSYNC}`,
  `synchronous_commit = ${FSYNC}`,
  `full_page_writes = ${FSYNC}`,
  "shared_buffers = 256MB",
  "max_wal_size = 4GB"
])
console.error(`own cluster: ${pg.dataDir} port ${pg.port} fsync=${FSYNC}${args.keep ? " (kept)" : ""}`)

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN)
}
const spread = (values: ReadonlyArray<number>) => ({ p50: percentile(values, 0.5), p99: percentile(values, 0.99), count: values.length })

const MiB = 1024 * 1024
const result: Record<string, unknown> = { n: N, concurrency: CONCURRENCY, fsync: FSYNC }

try {
  const { SQL } = await import("bun")
  const admin = new SQL({ url: pg.urlFor("postgres"), max: 1 })
  await admin.unsafe("CREATE DATABASE score")
  await admin.close()
  const app = await startTestApp({ databaseUrl: pg.urlFor("score"), env: { DATABASE_POOL_SIZE: "3" } })
  try {
    // Counting 10 million pg_attribute rows outlasts DATABASE_STATEMENT_TIMEOUT (15 s): the 10,000 run lost its last figures to it.
    const catalog = () =>
      app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(Effect.gen(function*() {
        yield* sql`SET LOCAL statement_timeout = 0`
        const [row] = yield* sql<{ relations: number; catalogBytes: number; databaseBytes: number; attributes: number; depends: number }>`
          SELECT (SELECT count(*) FROM pg_class)::int AS relations,
                 (SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r')::float8 AS "catalogBytes",
                 pg_database_size(current_database())::float8 AS "databaseBytes",
                 (SELECT count(*) FROM pg_attribute)::int AS attributes,
                 (SELECT count(*) FROM pg_depend)::int AS depends`
        const largest = yield* sql<{ name: string; bytes: number }>`
          SELECT relname AS name, pg_total_relation_size(oid)::float8 AS bytes FROM pg_class
           WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r' ORDER BY 2 DESC LIMIT 5`
        return {
          pgClassRows: row!.relations,
          pgAttributeRows: row!.attributes,
          pgDependRows: row!.depends,
          catalogMiB: Math.round(row!.catalogBytes / MiB),
          databaseMiB: Math.round(row!.databaseBytes / MiB),
          largestMiB: Object.fromEntries(largest.map((r) => [r.name, Math.round(r.bytes / MiB)]))
        }
      }))))

    const { user } = await app.run(Effect.flatMap(Auth, (auth) =>
      auth.signUp({ email: `many.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", isEmailVerified: true })
    ))
    const workspaceIds: Array<string> = []
    const times: Array<number> = []
    const touched = new Set<string>()

    /** First and second Metadata.get and /graphql call of 2 × SAMPLE untouched workspaces made so far. */
    const cacheMisses = async () => {
      const untouched = workspaceIds.filter((id) => !touched.has(id))
      const step = Math.max(1, Math.floor(untouched.length / (2 * SAMPLE)))
      const picked = untouched.filter((_, i) => i % step === 0).slice(0, 2 * SAMPLE)
      picked.forEach((id) => touched.add(id))
      const forMetadata = picked.slice(0, SAMPLE)
      const forGraphql = picked.slice(SAMPLE)
      const tokens = await app.run(Effect.gen(function*() {
        const apiKeys = yield* ApiKeys
        const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
        return yield* Effect.forEach(forGraphql, (workspaceId) =>
          Effect.gen(function*() {
            const key = yield* apiKeys.create(workspaceId, { name: "bench", expiresAt })
            return (yield* apiKeys.generateToken(workspaceId, key.id, expiresAt)).token
          }))
      }))
      const metadataLoad = (workspaceId: string) =>
        app.run(Effect.gen(function*() {
          const metadata = yield* Metadata
          const started = performance.now()
          yield* metadata.get(workspaceId)
          return performance.now() - started
        }))
      const graphql = async (token: string) => {
        const started = performance.now()
        const response = await app.request("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: "query { companies(first: 5) { edges { node { id name } } } }" })
        })
        const body = await response.json() as { errors?: unknown }
        if (response.status !== 200 || body.errors) throw new Error(`/graphql answered ${response.status}: ${JSON.stringify(body)}`)
        return performance.now() - started
      }
      const coldMetadata: Array<number> = []
      const warmMetadata: Array<number> = []
      for (const id of forMetadata) coldMetadata.push(await metadataLoad(id))
      for (const id of forMetadata) warmMetadata.push(await metadataLoad(id))
      const coldGraphql: Array<number> = []
      const warmGraphql: Array<number> = []
      for (const token of tokens) coldGraphql.push(await graphql(token))
      for (const token of tokens) warmGraphql.push(await graphql(token))
      return {
        metadataGet: { cold: spread(coldMetadata), warm: spread(warmMetadata) },
        graphql: { cold: spread(coldGraphql), warm: spread(warmGraphql) }
      }
    }

    const checkpoints = [...new Set([Math.min(1000, N), Math.floor(N / 2), N])].filter((c) => c > 0).sort((a, b) => a - b)
    const missesAt = new Set([Math.min(1000, N), N])
    const started = performance.now()
    let next = 0
    const provisionUpTo = (until: number) =>
      app.run(Effect.gen(function*() {
        const auth = yield* Auth
        yield* Effect.forEach(
          Array.from({ length: CONCURRENCY }),
          () =>
            Effect.gen(function*() {
              while (next < until && Date.now() < STOP_AT) {
                const i = next++
                const began = performance.now()
                const { workspace } = yield* auth.signUpInNewWorkspace(user, `Tenant ${i}`)
                times[i] = performance.now() - began
                workspaceIds.push(workspace.id)
                if (workspaceIds.length % 100 === 0) {
                  const last = times.slice(workspaceIds.length - 100, workspaceIds.length).filter((t) => t !== undefined)
                  const seconds = (performance.now() - started) / 1000
                  console.error(
                    `${workspaceIds.length} workspaces, ${Math.round(seconds)} s, ${(workspaceIds.length / seconds).toFixed(2)}/s, ` +
                      `last 100 p50 ${percentile(last, 0.5)} ms`
                  )
                }
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
      }))

    const at: Record<string, unknown> = {}
    for (const planned of checkpoints) {
      await provisionUpTo(planned)
      const stopped = workspaceIds.length < planned
      const checkpoint = stopped ? workspaceIds.length : planned
      if (stopped) result["stoppedAt"] = checkpoint
      const figures: Record<string, unknown> = { provisionedSeconds: Math.round((performance.now() - started) / 1000) }
      // Cache misses first, each part on its own: a failure loses one figure, not the run's.
      if (missesAt.has(planned) || stopped) figures["cacheMisses"] = await cacheMisses().catch((e) => `failed: ${e}`)
      figures["catalog"] = await catalog().catch((e) => `failed: ${e}`)
      at[String(checkpoint)] = figures
      console.error(`at ${checkpoint}: ${JSON.stringify(figures)}`)
      if (stopped) break
    }
    const made = workspaceIds.length
    const window = (from: number) => spread(times.slice(Math.max(0, from), Math.max(0, from) + Math.min(1000, N)))
    result["provisioningMs"] = {
      first1000: window(0),
      aroundHalf: window(Math.floor(made / 2) - 500),
      last1000: window(made - 1000)
    }
    result["at"] = at
    console.log(`provisioned ${made} in ${Math.round((performance.now() - started) / 1000)} s; ms: ${JSON.stringify(result["provisioningMs"])}`)
    console.log(`RESULT ${JSON.stringify(result)}`)
  } finally {
    await app.close()
  }
} finally {
  if (args.keep) {
    await pg.stop()
    console.error(`kept: ${pg.dataDir} (start with pg_ctl -D, port ${pg.port})`)
  } else {
    await pg.destroy()
  }
}
