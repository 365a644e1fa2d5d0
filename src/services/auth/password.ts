import { Effect } from "effect"
import { BadUserInput, TooManyRequests } from "../../domain/errors.js"

/** Twenty's rule: at least 8 characters. */
export const validatePassword = (password: string) =>
  password.length >= 8 && password.length <= 256
    ? Effect.succeed(password)
    : Effect.fail(
      new BadUserInput({ message: "Password must be between 8 and 256 characters long.", field: "password" })
    )

export type HashGate = <A, E, R>(hashing: Effect.Effect<A, E, R>) => Effect.Effect<A, E | TooManyRequests, R>

/**
 * At most `concurrency` password hashes at once (each argon2id takes ~50 ms of a core and 64 MiB), at
 * most `queue` more waiting; beyond that the caller is told to retry instead of queueing without end.
 */
export const makeHashGate = (concurrency: number, queue: number): Effect.Effect<HashGate> =>
  Effect.map(Effect.makeSemaphore(concurrency), (semaphore) => {
    let admitted = 0
    return <A, E, R>(hashing: Effect.Effect<A, E, R>) =>
      Effect.suspend((): Effect.Effect<A, E | TooManyRequests, R> => {
        if (admitted >= concurrency + queue) {
          return Effect.fail(new TooManyRequests({ message: "Too many password checks at once, retry in a moment" }))
        }
        admitted++
        return semaphore.withPermits(1)(hashing).pipe(Effect.ensuring(Effect.sync(() => admitted--)))
      })
  })
