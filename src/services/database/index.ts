import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { SQL } from "bun"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import Pg from "pg"
import { CoalescingSocket } from "./coalescing-socket.js"
import { lockDataDir } from "./data-dir-lock.js"

/**
 * The `pg` pool under the SqlClient, for the few hot statements that run outside any transaction and are
 * worth a plain promise instead of @effect/sql's statement pipeline (see records/index.ts).
 */
export class PgPool extends Context.Tag("score/PgPool")<PgPool, Pg.Pool>() {}

/**
 * Bun's built-in PostgreSQL client, a second pool beside `pg` for the hottest reads (records' list pages of
 * known shapes): named prepared statements and rows decoded natively, about half the CPU of `pg` per read.
 * Live databases only (null on the embedded one).
 */
export class PgReads extends Context.Tag("score/PgReads")<PgReads, SQL | null>() {}

const CONNECT_TIMEOUT = Duration.seconds(5)
const RELEASE_TIMEOUT = Duration.seconds(2)

/** One pool, given both as PgPool and as @effect/sql's PgClient / SqlClient. */
const pooled = (config: Pg.PoolConfig) =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const pool = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const pool = new Pg.Pool({ ...config, stream: () => new CoalescingSocket() })
            pool.on("error", () => {}) // an idle connection dropped by the server is replaced on next use
            await pool.query("SELECT 1")
            return pool
          },
          catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
        }).pipe(
          Effect.timeoutFail({
            duration: CONNECT_TIMEOUT,
            onTimeout: () => new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" })
          })
        ),
        (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption(1000))
      )
      return Layer.merge(Layer.succeed(PgPool, pool), PgClient.layerFromPool({ acquire: Effect.succeed(pool) }))
    })
  )

const IDLE_SECONDS = 10 // as pg-pool's default idle timeout

/** The shared PostgreSQL server named by DATABASE_URL. */
export const DatabaseLive = (url: Redacted.Redacted<string>, poolSize: number) =>
  Layer.merge(
    pooled({ connectionString: Redacted.value(url), max: poolSize, application_name: "score" }),
    Layer.scoped(PgReads, bunReads(Redacted.value(url), poolSize))
  )

/**
 * Bun's client on the same URL, checked with one query at start: a URL or server it cannot use leaves the
 * reads on `pg` (said in the log) instead of failing every list read.
 */
const bunReads = (url: string, poolSize: number) =>
  Effect.acquireRelease(
    Effect.tryPromise(async () => {
      const sql = new SQL({
        url,
        max: poolSize,
        idleTimeout: IDLE_SECONDS,
        connectionTimeout: Duration.toSeconds(CONNECT_TIMEOUT),
        connection: { application_name: "score" }
      })
      try {
        await sql`SELECT 1`
        return sql
      } catch (error) {
        await sql.close({ timeout: 0 }).catch(() => {})
        throw error
      }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`Bun's PostgreSQL client cannot use DATABASE_URL (${String(error.cause)}): list reads use pg`), null)
      )
    ),
    (sql) => sql === null ? Effect.void : Effect.promise(() => sql.close({ timeout: 1 })).pipe(Effect.ignore)
  )

const EMBEDDED_PORT = 5432
const noReads = Layer.succeed(PgReads, null)

/**
 * PGlite (PostgreSQL in WASM) kept under `dataDir`, served on a unix socket in that folder so the same
 * `pg` driver path is used as in production. PGlite is one session: its socket server runs each protocol
 * message as it comes, so two connections would interleave their statements (one's Parse, the other's
 * Bind) and their transactions. Hence one connection, one pool client: the pool queues statements and a
 * transaction holds the session until it ends. The data directory is locked to this process; `bun run
 * cli` reaches a running server through its admin socket (src/admin), never through this one.
 */
export const DatabaseEmbedded = (dataDir: string) =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const dir = path.resolve(dataDir)
      const socketPath = path.join(dir, `.s.PGSQL.${EMBEDDED_PORT}`)
      fs.mkdirSync(dir, { recursive: true })
      yield* lockDataDir(dir)
      fs.rmSync(socketPath, { force: true })
      const db = yield* Effect.acquireRelease(
        Effect.promise(() => PGlite.create(path.join(dir, "pg"))),
        (db) => Effect.promise(() => db.close()).pipe(Effect.timeoutOption(RELEASE_TIMEOUT), Effect.ignore)
      )
      const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 })
      yield* Effect.acquireRelease(
        Effect.promise(() => server.start()),
        () => Effect.promise(() => server.stop()).pipe(Effect.timeoutOption(RELEASE_TIMEOUT), Effect.ignore)
      )
      yield* Effect.logInfo(`Database: embedded PostgreSQL (PGlite), data in ${path.join(dir, "pg")}`)
      // Never closed when idle: a reconnect could race the server's release of the previous connection.
      return Layer.merge(
        pooled({ host: dir, port: EMBEDDED_PORT, database: "postgres", user: "postgres", max: 1, idleTimeoutMillis: 0, application_name: "score" }),
        noReads
      )
    })
  )
