import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import Pg from "pg"
import { type PoolOptions, splitPool } from "./budget.js"
import { type BunReads, bunReads } from "./bun-reads.js"
import { keepClientErrorsInside } from "./client-errors.js"
import { CoalescingSocket } from "./coalescing-socket.js"
import { lockDataDir } from "./data-dir-lock.js"
import { countStatements } from "./statement-metrics.js"
import { pgErrorCode } from "../lib/pg-errors.js"

/**
 * The `pg` pool under the SqlClient, for the few hot statements that run outside any transaction and are
 * worth a plain promise instead of @effect/sql's statement pipeline (see records/statements.ts).
 */
export class PgPool extends Context.Tag("score/PgPool")<PgPool, Pg.Pool>() {}

/**
 * Bun's built-in PostgreSQL client, a second pool beside `pg` for the hottest reads (records' list pages of
 * known shapes): named prepared statements and rows decoded natively, about half the CPU of `pg` per read.
 * Live databases only (null on the embedded one).
 */
export class PgReads extends Context.Tag("score/PgReads")<PgReads, BunReads | null>() {}


const CONNECT_TIMEOUT = Duration.seconds(5)
const RELEASE_TIMEOUT = Duration.seconds(2)

/** SQLSTATE classes that say the database cannot serve now: connection exception, operator intervention
 * (including a statement cancelled by statement_timeout), insufficient resources. */
const UNAVAILABLE_CLASSES = new Set(["08", "57", "53"])

/**
 * A database failure that is not the statement's fault: no connection, a dropped or silent one, a statement
 * past its timeout. The edges answer it 503 (try again), not 500 (a bug).
 */
export const isDatabaseUnavailable = (error: unknown): error is SqlError => {
  if (!(error instanceof SqlError)) return false
  const code = pgErrorCode(error)
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? UNAVAILABLE_CLASSES.has(code.slice(0, 2)) : true
}

/** How long a live database may take: PostgreSQL's statement timeout, and the time to open a connection. */
export interface DatabaseTimeouts {
  readonly statement: Duration.Duration
  readonly connect: Duration.Duration
}

/**
 * A connection that owes a reply and hears nothing for this long is dropped (the network or server is gone):
 * the statement timeout plus a margin for the server to report its own cancellation.
 */
export const replyTimeoutMs = (timeouts: DatabaseTimeouts) => {
  const statement = Duration.toMillis(timeouts.statement)
  return statement + Math.min(statement, 5_000)
}

/** One pool, given both as PgPool and as @effect/sql's PgClient / SqlClient. */
const pooled = (config: Pg.PoolConfig, replyTimeout?: number) =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const pool = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const pool = new Pg.Pool({ ...config, stream: () => new CoalescingSocket(replyTimeout) })
            pool.on("error", () => {}) // an idle connection dropped by the server is replaced on next use
            keepClientErrorsInside(pool)
            pool.on("connect", countStatements)
            await pool.query("SELECT 1")
            return pool
          },
          catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
        }).pipe(
          Effect.timeoutFail({
            duration: config.connectionTimeoutMillis ?? CONNECT_TIMEOUT,
            onTimeout: () => new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" })
          })
        ),
        (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption(1000))
      )
      return Layer.merge(Layer.succeed(PgPool, pool), PgClient.layerFromPool({ acquire: Effect.succeed(pool) }))
    })
  )


/** `pg`'s settings for a live server: bounded statements (unless PgBouncer stands between), kept-alive sockets. */
export const livePoolConfig = (url: string, size: number, options: PoolOptions): Pg.PoolConfig => {
  const statementMs = Duration.toMillis(options.statementTimeout)
  return {
    connectionString: url,
    max: size,
    application_name: "score",
    ...(options.pgBouncer ? {} : { statement_timeout: statementMs, idle_in_transaction_session_timeout: statementMs }),
    connectionTimeoutMillis: Duration.toMillis(options.connectTimeout),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000
  }
}

/**
 * The shared PostgreSQL server named by DATABASE_URL, DATABASE_POOL_SIZE connections split between `pg` and
 * Bun's read pool (budget.ts). Every statement is bounded: PostgreSQL cancels one past the statement timeout
 * (and a transaction left idle as long), and a connection that stays silent past that (see `replyTimeoutMs`)
 * is dropped, so a request whose database is gone fails instead of hanging.
 */
export const DatabaseLive = (url: Redacted.Redacted<string>, options: PoolOptions) => {
  const timeouts = { statement: options.statementTimeout, connect: options.connectTimeout }
  const { pg, reads } = splitPool(options.size)
  return Layer.merge(
    pooled(livePoolConfig(Redacted.value(url), pg, options), replyTimeoutMs(timeouts)),
    reads === 0
      ? noReads
      : Layer.scoped(PgReads, bunReads(Redacted.value(url), reads, options, replyTimeoutMs(timeouts)))
  )
}

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
        Effect.promise(() => PGlite.create(path.join(dir, "pg"), { extensions: { pg_trgm } })),
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
