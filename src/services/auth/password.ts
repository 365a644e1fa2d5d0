import { Effect } from "effect"
import { BadUserInput, TooManyRequests } from "../../domain/errors.js"

/** Twenty's rule: at least 8 characters. */
export const validatePassword = (password: string) =>
  password.length >= 8 && password.length <= 256
    ? Effect.succeed(password)
    : Effect.fail(
      new BadUserInput({ message: "Password must be between 8 and 256 characters long.", field: "password" })
    )

/** Password hashes running in this process now, and the most ever at once (read by tests). */
export const passwordHashCounts = { running: 0, peak: 0 }

/** Every argon2 hash or verify goes through here, so the counts above see them all. */
const counted = <A>(work: () => Promise<A>) =>
  Effect.promise(async () => {
    passwordHashCounts.running++
    passwordHashCounts.peak = Math.max(passwordHashCounts.peak, passwordHashCounts.running)
    try {
      return await work()
    } finally {
      passwordHashCounts.running--
    }
  })

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

export const hashPassword = (password: string) => counted(() => Bun.password.hash(password, { algorithm: "argon2id" }))

export const verifyPassword = (password: string, hash: string) =>
  counted(() => Bun.password.verify(password, hash).catch(() => false))

let dummyHash: Promise<string> | undefined

/** Burns the same time as a real check when the email is unknown, so timing does not reveal accounts. */
export const verifyAgainstDummy = (password: string) =>
  counted(() => {
    dummyHash ??= Bun.password.hash("score-timing-equaliser", { algorithm: "argon2id" })
    return dummyHash.then((hash) => Bun.password.verify(password, hash))
  }).pipe(Effect.as(false))
