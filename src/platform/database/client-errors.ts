import type * as Pg from "pg"

/**
 * `pg` emits a connection's failure (socket reset, server gone, the reply watchdog in coalescing-socket.ts)
 * as an `error` event on its client after failing the client's queries. The pool listens only while a
 * client is idle; a checked-out one (a transaction, an export's cursor) with no listener makes the event an
 * uncaught exception, and the process exits. Each client gets a listener for its whole life: its queries
 * already carry the error to their callers, and a client released with it is discarded by the pool.
 */
export const keepClientErrorsInside = (pool: Pg.Pool): void => {
  pool.on("connect", (client) => {
    client.on("error", () => {})
  })
}
