import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Deferred, Duration, Effect, Exit, Layer, Redacted } from "effect"
import { Cache, CacheMemory, CacheRedis, type CacheShape, derivedMemo } from "../src/platform/cache/index.js"
import { DatabaseLive } from "../src/platform/database/index.js"
import { RedisLive } from "../src/platform/redis/index.js"
import { createTestDatabase, TEST_REDIS_URL } from "./support/database.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database?.drop())

const caches = {
  memory: () => CacheMemory,
  redis: () => CacheRedis.pipe(Layer.provide(RedisLive(Redacted.make(TEST_REDIS_URL))))
}

/** A cache and a `pg` pool of `connections` on the test database (one: the embedded database's shape). */
const run = <A, E>(kind: keyof typeof caches, connections: number, body: Effect.Effect<A, E, Cache | SqlClient.SqlClient>) =>
  Effect.runPromise(
    body.pipe(Effect.provide(Layer.merge(caches[kind](), DatabaseLive(Redacted.make(database.url), { size: connections, statementTimeout: Duration.seconds(10), connectTimeout: Duration.seconds(5), pgBouncer: false }))), Effect.scoped)
  )

describe.each(["memory", "redis"] as const)("cache loads (%s)", (kind) => {
  test("a failing load is not cached: a later call re-reads", async () => {
    const key = `test:${crypto.randomUUID()}`
    let reads = 0
    const [first, second, third] = await run(kind, 2, Effect.gen(function*() {
      const cache = yield* Cache
      const load = Effect.suspend(() => ++reads === 1 ? Effect.fail(new Error("connection lost")) : Effect.succeed({ read: reads }))
      const first = yield* Effect.exit(cache.getOrLoad(key, load, { ttl: "1 minute" }))
      const second = yield* cache.getOrLoad(key, load, { ttl: "1 minute" })
      const third = yield* cache.getOrLoad(key, load, { ttl: "1 minute" })
      return [first, second, third] as const
    }))
    expect(Exit.isFailure(first)).toBe(true)
    expect(second).toEqual({ read: 2 })
    expect(third).toEqual({ read: 2 })
    expect(reads).toBe(2)
  })

  test("callers waiting on a load that fails are not left with its failure cached", async () => {
    const key = `test:${crypto.randomUUID()}`
    let reads = 0
    const after = await run(kind, 2, Effect.gen(function*() {
      const cache = yield* Cache
      const gate = yield* Deferred.make<void>()
      const failing = Effect.zipRight(Deferred.await(gate), Effect.suspend(() => (reads++, Effect.fail(new Error("timeout")))))
      const waiters = yield* Effect.forkAll(Array.from({ length: 3 }, () => Effect.exit(cache.getOrLoad(key, failing, { ttl: "1 minute" }))))
      yield* Effect.sleep("20 millis")
      yield* Deferred.succeed(gate, undefined)
      yield* waiters.await
      return yield* cache.getOrLoad(key, Effect.sync(() => ({ read: ++reads })), { ttl: "1 minute" })
    }))
    expect(after).toEqual({ read: reads })
  })

  test("a read inside a transaction that rolls back is not cached", async () => {
    const key = `test:${crypto.randomUUID()}`
    const name = `t_${crypto.randomUUID().slice(0, 8)}`
    const later = await run(kind, 2, Effect.gen(function*() {
      const cache = yield* Cache
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE TABLE ${name} (id int primary key, label text)`)
      const read = Effect.map(sql.unsafe<{ label: string }>(`SELECT label FROM ${name} WHERE id = 1`), (rows) => rows[0] ?? null)
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql.unsafe(`INSERT INTO ${name} VALUES (1, 'uncommitted')`)
        expect(yield* cache.getOrLoad(key, read, { ttl: "1 minute" })).toEqual({ label: "uncommitted" })
        return yield* Effect.fail("roll back")
      })).pipe(Effect.ignore)
      return yield* cache.getOrLoad(key, read, { ttl: "1 minute" })
    }))
    expect(later).toBeNull()
  })

  test("on one connection, a miss inside a transaction does not wait for another caller's load of the same key", async () => {
    const key = `test:${crypto.randomUUID()}`
    const outcome = await run(kind, 1, Effect.gen(function*() {
      const cache = yield* Cache
      const sql = yield* SqlClient.SqlClient
      const read = Effect.map(sql`SELECT 42 AS n`, (rows) => rows[0] as { n: number })
      const inTransaction = yield* Deferred.make<void>()
      const writer = sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT 1`
        yield* Deferred.succeed(inTransaction, undefined)
        yield* Effect.sleep("20 millis") // the reader's load is now waiting for the one connection
        return yield* cache.getOrLoad(key, read, { ttl: "1 minute" })
      }))
      const reader = Effect.zipRight(Deferred.await(inTransaction), cache.getOrLoad(key, read, { ttl: "1 minute" }))
      return yield* Effect.all([writer, reader], { concurrency: "unbounded" }).pipe(Effect.timeoutOption("3 seconds"))
    }))
    expect(outcome._tag).toBe("Some")
  })
})

describe("derived memo", () => {
  test("an idle memo lets go of its expired entries without a later set", async () => {
    const memo = derivedMemo<object>({ epoch: () => 0 } as CacheShape, 1_000, "50 millis")
    for (let i = 0; i < 100; i++) memo.set(`workspace-${i}`, { i }, 0)
    expect(memo.size()).toBe(100)
    expect(memo.get("workspace-7")).toEqual({ i: 7 })
    await Bun.sleep(200)
    // Nothing set since: the entries went with the sweep, not with the next set.
    expect(memo.size()).toBe(0)
    expect(memo.get("workspace-7")).toBeUndefined()
  })
})
