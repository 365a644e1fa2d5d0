import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import { Cache, type CacheOptions } from "../../platform/cache/index.js"
import { AppConfig } from "../../platform/config.js"

/**
 * Revocations (an API key revoked or changed, a sign-out, refresh-token reuse, a membership or role
 * removed) move one epoch in PostgreSQL, in the same transaction. Every cached credential is stored
 * under the epoch it was read in, and each instance polls the epoch in the background, so once an
 * instance has seen a revocation's epoch it can only find credentials read after that revocation
 * committed. This does not depend on Redis: a failed cache invalidation only costs the fast path.
 */
export interface RevocationsShape {
  /**
   * Runs `revoke` and moves the epoch in one transaction, then drops the affected credential entries
   * of the previous epoch (`keys` of the result) so instances that have not polled yet re-read them at once.
   * `changed` says whether `revoke` revoked anything (when not, the epoch stays: a replayed sign-out
   * must not flush every instance's credentials).
   */
  readonly revoking: <A, E, R>(
    revoke: Effect.Effect<A, E, R>,
    options?: { readonly keys?: (result: A) => ReadonlyArray<string>; readonly changed?: (result: A) => boolean }
  ) => Effect.Effect<A, E | SqlError.SqlError, R>
  /** The epoch this instance confirmed recently enough to trust its cached credentials, or null. */
  readonly epoch: () => number | null
  /** `Cache.getOrLoad` for a credential, under the current epoch; read from the source when unconfirmed. */
  readonly credential: <A, E, R>(
    key: string,
    load: Effect.Effect<A | null, E, R>,
    options: CacheOptions
  ) => Effect.Effect<A | null, E, R>
  /** Drops a credential entry that changed without being a revocation (e.g. a user's default workspace). */
  readonly invalidate: (...keys: ReadonlyArray<string>) => Effect.Effect<void>
}

export class Revocations extends Context.Tag("score/Revocations")<Revocations, RevocationsShape>() {}

/** Unconfirmed for this many poll intervals, an instance stops trusting cached credentials. */
const STALE_AFTER_INTERVALS = 5

const scoped = (key: string, epoch: number) => `${key}@r${epoch}`

/**
 * `poll`: other instances share the database, so the epoch is read every REVOCATION_CHECK_INTERVAL.
 * Without it (embedded: one process owns the data directory) only this process revokes, and its own
 * epoch is always current; polling there would only add traffic to the single PGlite session.
 */
const makeRevocations = (poll: boolean) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const cache = yield* Cache
    const interval = Duration.toMillis((yield* AppConfig).revocationCheckInterval)
    const staleAfter = interval * STALE_AFTER_INTERVALS
    let known = 0
    let confirmedAt = -Infinity
    let failing = false

    const current = () => (!poll || Date.now() - confirmedAt <= staleAfter ? known : null)

    const readEpoch = Effect.map(
      sql<{ epoch: string }>`SELECT epoch FROM core."revocationEpoch"`,
      (rows) => Number(rows[0]?.epoch ?? 0)
    )

    /** Confirms from the time the query was sent: a revocation committed after it may be unseen. */
    const check = Effect.suspend(() => {
      const sentAt = Date.now()
      return readEpoch.pipe(
        Effect.timeoutFail({ duration: staleAfter, onTimeout: () => new Error("revocation epoch check timed out") }),
        Effect.tap((epoch) => {
          known = Math.max(known, epoch)
          confirmedAt = Math.max(confirmedAt, sentAt)
          if (!failing) return Effect.void
          failing = false
          return Effect.logInfo("revocation epoch check recovered")
        }),
        Effect.catchAllCause((cause) => {
          if (failing) return Effect.void
          failing = true
          return Effect.logWarning("revocation epoch check failed: credentials are read from PostgreSQL until it recovers", cause)
        })
      )
    })
    yield* check
    if (poll) yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(interval)))

    const bump = Effect.map(
      sql<{ epoch: string }>`UPDATE core."revocationEpoch" SET epoch = epoch + 1 RETURNING epoch`,
      (rows) => Number(rows[0]!.epoch)
    )

    const revoking: RevocationsShape["revoking"] = (revoke, { changed = () => true, keys = () => [] } = {}) =>
      Effect.gen(function*() {
        const before = known
        const { result, epoch } = yield* sql.withTransaction(
          Effect.flatMap(revoke, (result): Effect.Effect<{ result: typeof result; epoch: number | null }, SqlError.SqlError> =>
            changed(result) ? Effect.map(bump, (epoch) => ({ result, epoch })) : Effect.succeed({ result, epoch: null }))
        )
        if (epoch === null) return result
        known = Math.max(known, epoch)
        const stale = [...new Set([before, epoch - 1])].flatMap((e) => keys(result).map((key) => scoped(key, e)))
        yield* cache.invalidate(...stale)
        return result
      })

    return {
      revoking,
      epoch: current,
      credential: (key, load, options) =>
        Effect.suspend(() => {
          const epoch = current()
          return epoch === null ? load : cache.getOrLoad(scoped(key, epoch), load, options)
        }),
      invalidate: (...keys) => Effect.suspend(() => cache.invalidate(...keys.map((key) => scoped(key, known))))
    } satisfies RevocationsShape
  })

/** PostgreSQL shared by several instances. */
export const RevocationsLive = Layer.scoped(Revocations, makeRevocations(true))

/** Embedded mode: this process is the only one on its database. */
export const RevocationsEmbedded = Layer.scoped(Revocations, makeRevocations(false))
