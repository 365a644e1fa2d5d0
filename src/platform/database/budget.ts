import type { Duration } from "effect"

/**
 * The connections a process may open to one PostgreSQL server (DATABASE_POOL_SIZE for the primary,
 * DATABASE_READ_POOL_SIZE for each replica), shared by its two pools: Bun's read pool (the hottest list reads)
 * takes a third, none below 3 (lists then run on `pg`); `pg` keeps the rest, at least 2, since a request may
 * hold one connection for a transaction while a statement outside it waits for another.
 */
export const splitPool = (size: number) => {
  if (size < 2) return { pg: size, reads: 0 } // one connection (tests of the embedded database's shape)
  const reads = Math.floor(size / 3)
  return { pg: Math.max(2, size - reads), reads }
}

/** How a live server's pools are opened. */
export interface PoolOptions {
  readonly size: number
  readonly statementTimeout: Duration.Duration
  readonly connectTimeout: Duration.Duration
  /**
   * Behind PgBouncer in transaction mode (DATABASE_PGBOUNCER): every statement unnamed (PgBouncer 1.18, Debian
   * 12's, cannot carry a named prepared statement from one server connection to the next) and no
   * `statement_timeout` sent at connection start (PgBouncer refuses unknown startup parameters): set it on the role.
   */
  readonly pgBouncer: boolean
}
