import { SqlError } from "@effect/sql/SqlError"
import { SQL } from "bun"
import { Duration, Effect } from "effect"
import type { PoolOptions } from "./budget.js"
import { instrumentation, observeStatement } from "../metrics/index.js"

const IDLE_SECONDS = 10 // as pg-pool's default idle timeout

/**
 * Bun's built-in PostgreSQL client, a pool beside `pg` for the hottest reads. It has no timeout of its own:
 * a read unanswered past `replyTimeoutMs` fails with a SqlError, and the pool is replaced, since a connection
 * that went silent mid-reply (a black-holed network) would otherwise stay stuck and fail every later read.
 */
export class BunReads {
  private pool: SQL

  constructor(private readonly options: SQL.Options, readonly replyTimeoutMs: number) {
    this.pool = new SQL(options)
  }

  get sql(): SQL {
    return this.pool
  }

  /** `query`, or a SqlError once it has gone unanswered for the reply timeout. */
  within<A>(query: PromiseLike<A> & { cancel(): unknown }): Promise<A> {
    const pool = this.pool
    // Only list reads come here: counted as selects.
    const started = instrumentation.enabled ? performance.now() : -1
    const counted = started < 0 ? query : query.then(
      (value) => { observeStatement("select", started, false); return value },
      (error: unknown) => { observeStatement("select", started, true); throw error }
    )
    return new Promise<A>((resolve, reject) => {
      const timer = setTimeout(() => {
        query.cancel()
        this.replace(pool)
        const cause = new Error(`PostgreSQL did not answer within ${this.replyTimeoutMs} ms`)
        reject(new SqlError({ cause, message: "Failed to execute statement" }))
      }, this.replyTimeoutMs)
      counted.then((value) => {
        clearTimeout(timer)
        resolve(value)
      }, (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  }

  private replace(stale: SQL) {
    if (this.pool !== stale) return
    this.pool = new SQL(this.options)
    void stale.close({ timeout: 0 }).catch(() => {})
  }

  close() {
    return this.pool.close({ timeout: 1 })
  }
}

/** Bun's client options for a live server: `size` connections, bounded statements unless behind PgBouncer. */
export const bunReadsOptions = (url: string, size: number, options: PoolOptions): SQL.Options => ({
  url,
  max: size,
  idleTimeout: IDLE_SECONDS,
  connectionTimeout: Math.max(1, Math.ceil(Duration.toSeconds(options.connectTimeout))),
  ...(options.pgBouncer
    ? { prepare: false, connection: { application_name: "score" } }
    : { connection: { application_name: "score", statement_timeout: String(Duration.toMillis(options.statementTimeout)) } })
})

/**
 * Bun's client on DATABASE_URL, checked with one query at start: a URL or server it cannot use leaves the
 * reads on `pg` (said in the log) instead of failing every list read.
 */
export const bunReads = (url: string, size: number, options: PoolOptions, replyTimeoutMs: number) =>
  Effect.acquireRelease(
    Effect.tryPromise(async () => {
      const reads = new BunReads(bunReadsOptions(url, size, options), replyTimeoutMs)
      try {
        await reads.within(reads.sql`SELECT 1`)
        return reads
      } catch (error) {
        await reads.sql.close({ timeout: 0 }).catch(() => {})
        throw error
      }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`Bun's PostgreSQL client cannot use DATABASE_URL (${String(error.cause)}): list reads use pg`), null)
      )
    ),
    (reads) => reads === null ? Effect.void : Effect.promise(() => reads.close()).pipe(Effect.ignore)
  )
