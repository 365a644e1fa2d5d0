/**
 * Embedded database throughput: `bun bench/embedded.ts [checkout]` opens DatabaseEmbedded (of this checkout,
 * or of another one, to compare) on a temporary DATA_DIR and runs, for a few seconds and at several
 * concurrencies, a mix of the statements Score sends: an insert through @effect/sql, a filtered read on the
 * `pg` pool (as Records' hot reads), and every fourth round a transaction of an insert and a read. Every read
 * is checked against the rows its worker wrote. Prints operations/s, errors, wrong answers and operations that
 * hung (a worker stops at its first) per concurrency; WORKERS=1,4,16 by default.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const checkout = path.resolve(process.argv[2] ?? path.join(import.meta.dir, ".."))
const { DatabaseEmbedded, PgPool }: typeof import("../src/platform/database/index.js") = await import(
  // older checkouts kept the database under src/services/
  [path.join(checkout, "src/platform/database/index.ts"), path.join(checkout, "src/services/database/index.ts")].find((file) => fs.existsSync(file))!
)
const SECONDS = 4

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "score-bench-embedded-"))
const round = (workers: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* PgPool
    const table = `bench_${workers}`
    yield* sql.unsafe(`CREATE TABLE ${table} (id serial PRIMARY KEY, tag text NOT NULL, n int NOT NULL)`)
    const stats = { operations: 0, errors: 0, wrong: 0, hung: 0 }
    const deadline = Date.now() + SECONDS * 1000
    const worker = (tag: string) =>
      Effect.gen(function*() {
        let written = 0
        for (let i = 0; Date.now() < deadline; i++) {
          const ok = yield* Effect.gen(function*() {
            if (i % 4 === 3) {
              const counted = yield* sql.withTransaction(Effect.gen(function*() {
                yield* sql.unsafe(`INSERT INTO ${table} (tag, n) VALUES ($1, $2)`, [tag, i])
                return yield* sql.unsafe<{ c: number }>(`SELECT count(*)::int AS c FROM ${table} WHERE tag = $1`, [tag])
              }))
              written++
              return counted[0]?.c === written
            }
            yield* sql.unsafe(`INSERT INTO ${table} (tag, n) VALUES ($1, $2)`, [tag, i])
            written++
            const { rows } = yield* Effect.promise(() =>
              pool.query<[string, number]>({ text: `SELECT tag, n FROM ${table} WHERE tag = $1 AND n = $2`, values: [tag, i], rowMode: "array" })
            )
            return rows.length === 1 && rows[0]![0] === tag && rows[0]![1] === i
          }).pipe(
            Effect.timeout("5 seconds"),
            Effect.catchAllCause((cause) => Effect.sync(() => (String(cause).includes("TimeoutException") ? stats.hung++ : stats.errors++, true)))
          )
          if (stats.hung > 0) return
          stats.operations++
          if (!ok) stats.wrong++
        }
      })
    yield* Effect.all(Array.from({ length: workers }, (_, w) => worker(`w${w}`)), { concurrency: "unbounded" })
    return { workers, perSecond: Math.round(stats.operations / SECONDS), errors: stats.errors, wrong: stats.wrong, hung: stats.hung }
  })

const results = await Effect.runPromise(
  Effect.forEach((process.env.WORKERS ?? "1,4,16").split(",").map(Number), round).pipe(Effect.provide(DatabaseEmbedded(dataDir)))
).finally(() => fs.rmSync(dataDir, { recursive: true, force: true }))
for (const r of results) console.log(`${String(r.workers).padStart(2)} workers: ${r.perSecond} operations/s, ${r.errors} errors, ${r.wrong} wrong answers, ${r.hung} operations hung (> 5 s)`)
console.log(`RESULT ${JSON.stringify({ checkout, results })}`)
process.exit(0)
