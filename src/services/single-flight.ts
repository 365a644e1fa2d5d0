import { Deferred, Effect, FiberId } from "effect"

/**
 * Concurrent misses on one key share a single load (a cold start under load would otherwise send the
 * same query once per waiting request).
 */
export const singleFlight = () => {
  const inFlight = new Map<string, Deferred.Deferred<unknown, unknown>>()
  return <A, E, R>(key: string, load: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
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
