import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted } from "effect"
import { Cache, CacheRedis } from "../src/platform/cache/index.js"
import { coreMigrations } from "../src/platform/migrations/core.js"
import { runMigrations } from "../src/platform/migrations/index.js"
import { JobQueue, JobQueueRedis } from "../src/platform/queue/index.js"
import { RedisLive } from "../src/platform/redis/index.js"
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

const pg = () => PgClient.layer({ url: Redacted.make(database.url), maxConnections: 2 })

describe("core migrations", () => {
  test("two instances migrating at once apply each migration exactly once", async () => {
    const migrate = Effect.runPromise(runMigrations().pipe(Effect.provide(pg())))
    const [a, b] = await Promise.all([migrate, Effect.runPromise(runMigrations().pipe(Effect.provide(pg())))])
    const all = coreMigrations.map((m) => `${m.id}_${m.name}`)
    expect(all.slice(0, 2)).toEqual(["1_accounts_and_workspaces", "2_object_and_field_metadata"])
    expect([...a, ...b].sort()).toEqual(all.sort())
    const rows = await Effect.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT id FROM core.migration`).pipe(Effect.provide(pg()))
    )
    expect(rows).toHaveLength(coreMigrations.length)
  })

  test("emails are unique case-insensitively", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO core."user" (email) VALUES ('Same@Example.com')`
        return yield* Effect.either(sql`INSERT INTO core."user" (email) VALUES ('same@example.COM')`)
      }).pipe(Effect.provide(pg()))
    )
    expect(result._tag).toBe("Left")
  })
})

describe("Redis-backed cache and queue", () => {
  const prefix = testRedisPrefix()
  const redisLayer = () => RedisLive(Redacted.make(TEST_REDIS_URL), prefix)
  const instance = () => Layer.merge(CacheRedis, JobQueueRedis).pipe(Layer.provide(redisLayer()))

  test("an invalidation on one instance drops the other instance's local copy", async () => {
    const key = `test:${crypto.randomUUID()}`
    const loads: Array<string> = []
    await Effect.runPromise(
      Effect.gen(function*() {
        const a = yield* Effect.provide(Cache, yield* Layer.build(instance()))
        const b = yield* Effect.provide(Cache, yield* Layer.build(instance()))
        const loadOn = (name: string) => Effect.sync(() => (loads.push(name), { from: name }))
        expect(yield* b.getOrLoad(key, loadOn("b1"), { ttl: "1 minute" })).toEqual({ from: "b1" })
        expect(yield* a.getOrLoad(key, loadOn("a1"), { ttl: "1 minute" })).toEqual({ from: "b1" })
        yield* a.invalidate(key)
        yield* Effect.sleep("50 millis")
        expect(yield* b.getOrLoad(key, loadOn("b2"), { ttl: "1 minute" })).toEqual({ from: "b2" })
      }).pipe(Effect.scoped)
    )
    expect(loads).toEqual(["b1", "b2"])
  })

  test("a value loaded across an invalidation is not kept (no stale pinning)", async () => {
    const key = `test:${crypto.randomUUID()}`
    let loads = 0
    await Effect.runPromise(
      Effect.gen(function*() {
        const a = yield* Effect.provide(Cache, yield* Layer.build(instance()))
        const b = yield* Effect.provide(Cache, yield* Layer.build(instance()))
        const slowLoad = Effect.sleep("100 millis").pipe(Effect.as({ version: ++loads }))
        const pending = yield* Effect.fork(a.getOrLoad(key, slowLoad, { ttl: "1 minute" }))
        yield* Effect.sleep("30 millis")
        yield* b.invalidate(key)
        yield* pending.await
        yield* Effect.sleep("30 millis")
        const fresh = yield* b.getOrLoad(key, Effect.sync(() => ({ version: ++loads })), { ttl: "1 minute" })
        expect(fresh).toEqual({ version: 2 })
      }).pipe(Effect.scoped)
    )
  })

  test("a job enqueued by one process is taken by another", async () => {
    const queueName = `test-${crypto.randomUUID()}`
    const job = await Effect.runPromise(
      Effect.gen(function*() {
        const producer = yield* Effect.provide(JobQueue, yield* Layer.build(instance()))
        const consumer = yield* Effect.provide(JobQueue, yield* Layer.build(instance()))
        const taken = yield* Effect.fork(consumer.take(queueName, "5 seconds"))
        yield* producer.enqueue(queueName, "hello", { n: 1 })
        return yield* taken.await.pipe(Effect.flatten)
      }).pipe(Effect.scoped)
    )
    expect(Option.getOrThrow(job)).toMatchObject({ name: "hello", data: { n: 1 } })
  })
})
