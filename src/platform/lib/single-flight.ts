import { SqlClient } from "@effect/sql"
import { Deferred, Effect, FiberId, Option } from "effect"

/**
 * Whether the caller runs inside a SQL transaction. What it reads there may include its own uncommitted
 * writes (not to be shared or cached), and on a one-connection pool (the embedded database) it holds the
 * only connection: waiting for another fiber's load, which needs that connection, would never end.
 */
export const inTransaction = Effect.map(Effect.serviceOption(SqlClient.TransactionConnection), Option.isSome)

/**
 * Concurrent misses on one key share a single load (a cold start under load would otherwise send the
 * same query once per waiting request). A caller inside a transaction loads on its own (see `inTransaction`).
 */
export const singleFlight = () => {
  const inFlight = new Map<string, Deferred.Deferred<unknown, unknown>>()
  return <A, E, R>(key: string, load: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(inTransaction, (transaction) => {
      if (transaction) return load
      const pending = inFlight.get(key)
      if (pending) return Deferred.await(pending) as Effect.Effect<A, E>
      const deferred = Deferred.unsafeMake<unknown, unknown>(FiberId.none)
      inFlight.set(key, deferred)
      return load.pipe(
        Effect.exit,
        Effect.tap((exit) => Effect.sync(() => inFlight.delete(key)).pipe(Effect.zipRight(Deferred.done(deferred, exit)))),
        Effect.flatten,
        Effect.onInterrupt(() => Effect.sync(() => inFlight.delete(key)).pipe(Effect.zipRight(Deferred.interrupt(deferred))))
      )
    })
}
