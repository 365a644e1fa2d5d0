import { SqlClient, type SqlError } from "@effect/sql"
import { Duration, Effect, Queue, Schedule } from "effect"
import { createHash } from "node:crypto"
import { modelDdl, standardModel } from "./model.js"

/**
 * Spare schemas: the standard model's tables made ahead of time, so creating a workspace renames one instead of
 * running its DDL. The DDL is nearly all of a workspace's provisioning (~190 statements, ~200 relations), and
 * most of that is PostgreSQL 15 fsyncing each new btree index (111 per workspace), which no batching removes.
 */

const PLACEHOLDER = "__score_schema__"

/** The standard model's DDL, built once per process: it depends on the schema's name only (no ids). */
let template: { readonly parts: ReadonlyArray<string>; readonly fingerprint: string } | undefined
const standardTemplate = () => {
  if (!template) {
    const text = [`CREATE SCHEMA "${PLACEHOLDER}"`, ...modelDdl(PLACEHOLDER, standardModel(crypto.randomUUID()))].join(";\n")
    template = { parts: text.split(PLACEHOLDER), fingerprint: createHash("sha1").update(text).digest("hex").slice(0, 12) }
  }
  return template
}

/** CREATE SCHEMA and every table, index and constraint of the standard model in `schema`, as one script. */
export const standardSchemaDdl = (schema: string) => standardTemplate().parts.join(schema)

/** Spares are named `spare_<fingerprint of the DDL>_<random>`: a changed model never hands out an old spare. */
export const spareSchemaPrefix = () => `spare_${standardTemplate().fingerprint}_`
const newSpareName = () => `${spareSchemaPrefix()}${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`
const likePrefix = (prefix: string) => `${prefix.replace(/_/g, "\\_")}%`

/** Advisory lock classes (the two-key form): one spare being claimed or dropped; the one filler at work. */
const CLAIM_LOCK = 21_001
const FILL_LOCK = 21_002

/**
 * Renames a spare of the current model to `schema` inside the caller's transaction; false when there is none.
 * A claimer locks the spare's name first and checks that it still exists (another claim may have just committed).
 */
export const claimSpareSchema = (sql: SqlClient.SqlClient, schema: string): Effect.Effect<boolean, SqlError.SqlError> =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 3; attempt++) {
      // Materialized: the lock is tried on spares only, never on the thousands of workspace schemas.
      const [spare] = yield* sql<{ name: string }>`
        WITH spares AS MATERIALIZED (SELECT nspname FROM pg_namespace WHERE nspname LIKE ${likePrefix(spareSchemaPrefix())})
        SELECT nspname::text AS name FROM spares WHERE pg_try_advisory_xact_lock(${CLAIM_LOCK}, hashtext(nspname)) LIMIT 1`
      if (!spare) return false
      const [still] = yield* sql`SELECT 1 FROM pg_namespace WHERE nspname = ${spare.name}`
      if (!still) continue
      yield* sql.unsafe(`ALTER SCHEMA "${spare.name}" RENAME TO "${schema}"`)
      return true
    }
    return false
  })

/**
 * One step of the filler, under a transaction-level lock so instances take turns: drops one spare of another
 * model, or makes one spare when fewer than `target` exist. True when it did something (call it again).
 */
const fillStep = (sql: SqlClient.SqlClient, target: number) =>
  sql.withTransaction(Effect.gen(function*() {
    const [turn] = yield* sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${FILL_LOCK}, 0) AS locked`
    if (!turn?.locked) return false
    const [stale] = yield* sql<{ name: string }>`
      WITH stale AS MATERIALIZED (
        SELECT nspname FROM pg_namespace WHERE nspname LIKE 'spare\\_%' AND nspname NOT LIKE ${likePrefix(spareSchemaPrefix())})
      SELECT nspname::text AS name FROM stale WHERE pg_try_advisory_xact_lock(${CLAIM_LOCK}, hashtext(nspname)) LIMIT 1`
    if (stale) {
      yield* sql.unsafe(`DROP SCHEMA "${stale.name}" CASCADE`)
      return true
    }
    const [spares] = yield* sql<{ count: number }>`
      SELECT count(*)::int AS count FROM pg_namespace WHERE nspname LIKE ${likePrefix(spareSchemaPrefix())}`
    if ((spares?.count ?? 0) >= target) return false
    yield* sql.unsafe(standardSchemaDdl(newSpareName()))
    return true
  }))

/**
 * Keeps `target` spares: at start, when woken (a claim), and every `interval`. Failures (the database away)
 * are logged and retried at the next turn.
 */
export const runSpareSchemaFiller = (
  sql: SqlClient.SqlClient,
  target: number,
  wake: Queue.Dequeue<void>,
  interval: Duration.DurationInput = "10 seconds"
) =>
  Effect.gen(function*() {
    while (yield* fillStep(sql, target)) { /* one spare or one stale drop per transaction */ }
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("spare schemas: not topped up", cause)),
    Effect.zipRight(Effect.race(Queue.take(wake), Effect.sleep(interval))),
    Effect.repeat(Schedule.forever),
    Effect.asVoid
  )
