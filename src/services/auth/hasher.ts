import { Context, Duration, Effect, Layer } from "effect"
import { TooManyRequests } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { makeChildHasher } from "./hasher-process.js"

/** The argon2id work behind sign-in and sign-up, wherever it runs. */
export interface HashWork {
  readonly hash: (password: string) => Promise<string>
  /** False for a wrong password or an unreadable hash. */
  readonly verify: (password: string, hash: string) => Promise<boolean>
}

export interface PasswordHasherShape {
  readonly hash: (password: string) => Effect.Effect<string, TooManyRequests>
  readonly verify: (password: string, hash: string) => Effect.Effect<boolean, TooManyRequests>
  /** Burns the same time as a real check when the email is unknown, so timing does not reveal accounts. */
  readonly verifyAgainstDummy: (password: string) => Effect.Effect<false, TooManyRequests>
}

export class PasswordHasher extends Context.Tag("score/PasswordHasher")<PasswordHasher, PasswordHasherShape>() {}

/** Password hashes running now (in this process or its hasher), and the most ever at once (read by tests). */
export const passwordHashCounts = { running: 0, peak: 0 }

const unavailable = (cause: unknown) =>
  new TooManyRequests({
    message: `Password check unavailable (${cause instanceof Error ? cause.message : String(cause)}), retry in a moment`,
    retryAfterSeconds: 1
  })

/** Every argon2 hash or verify goes through here, so the counts above see them all. */
const counted = <A>(work: () => Promise<A>) =>
  Effect.tryPromise({
    try: async () => {
      passwordHashCounts.running++
      passwordHashCounts.peak = Math.max(passwordHashCounts.peak, passwordHashCounts.running)
      try {
        return await work()
      } finally {
        passwordHashCounts.running--
      }
    },
    catch: unavailable
  })

export const makePasswordHasher = (work: HashWork): PasswordHasherShape => {
  let dummyHash: Promise<string> | undefined
  return {
    hash: (password) => counted(() => work.hash(password)),
    verify: (password, hash) => counted(() => work.verify(password, hash)),
    verifyAgainstDummy: (password) =>
      counted(async () => {
        dummyHash ??= work.hash("score-timing-equaliser").catch((error) => {
          dummyHash = undefined
          throw error
        })
        return work.verify(password, await dummyHash)
      }).pipe(Effect.as(false as const))
  }
}

/** argon2id on Bun's thread pool, at the server's own priority. */
export const inlineHashWork: HashWork = {
  hash: (password) => Bun.password.hash(password, { algorithm: "argon2id" }),
  verify: (password, hash) => Bun.password.verify(password, hash).catch(() => false)
}

export const PasswordHasherInline = Layer.succeed(PasswordHasher, makePasswordHasher(inlineHashWork))

/**
 * argon2id in a child process at the lowest OS priority, so a sign-in flood yields the cores to the data
 * APIs. Started on first use, replaced when it dies, stopped with the scope; in-process when it cannot start.
 */
export const PasswordHasherProcess = (options: { readonly timeoutMs: number }) =>
  Layer.scoped(
    PasswordHasher,
    Effect.map(
      Effect.acquireRelease(Effect.sync(() => makeChildHasher({ ...options, fallback: inlineHashWork })), (child) =>
        Effect.promise(() => child.stop())),
      makePasswordHasher
    )
  )

/** PASSWORD_HASHER chooses: `process` (default) or `inline`. */
export const PasswordHasherLive = Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
  config.passwordHasher === "inline"
    ? PasswordHasherInline
    : PasswordHasherProcess({ timeoutMs: Duration.toMillis(config.passwordHashTimeout) })))
