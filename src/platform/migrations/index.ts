import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { ResultCache } from "../cache/results.js"
import { coreMigrations, type Migration } from "./core.js"

/** Any constant works; it only has to be the same for every Score process. */
const MIGRATION_LOCK_KEY = 7_310_100_001

/**
 * Applies pending `core` migrations in one transaction under an advisory lock, so two instances
 * starting together apply each migration once. Returns the names applied.
 */
export const runMigrations = (migrations: ReadonlyArray<Migration> = coreMigrations) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const names = yield* sql.withTransaction(
      Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
        yield* sql`CREATE SCHEMA IF NOT EXISTS core`
        yield* sql`CREATE TABLE IF NOT EXISTS core.migration (
          id integer PRIMARY KEY,
          name text NOT NULL,
          "appliedAt" timestamptz NOT NULL DEFAULT now()
        )`
        const applied = new Set(
          (yield* sql<{ id: number }>`SELECT id FROM core.migration`).map((row) => row.id)
        )
        const pending = [...migrations].filter((m) => !applied.has(m.id)).sort((a, b) => a.id - b.id)
        for (const migration of pending) {
          yield* migration.up.pipe(Effect.withSpan(`migration.${migration.name}`))
          yield* sql`INSERT INTO core.migration (id, name) VALUES (${migration.id}, ${migration.name})`
        }
        return pending.map((m) => `${m.id}_${m.name}`)
      })
    )
    // A migration may have changed records: totals cached by running instances are reloaded, once it committed.
    const results = yield* Effect.serviceOption(ResultCache)
    if (names.length > 0 && Option.isSome(results)) {
      const workspaces = yield* sql<{ workspaceId: string }>`SELECT "workspaceId" FROM core."dataSource"`
      yield* Effect.forEach(workspaces, (w) => results.value.bumpWorkspace(w.workspaceId), { discard: true })
    }
    return names
  }).pipe(Effect.withSpan("runMigrations"))
