import { describe, expect, test } from "bun:test"
import { Effect, Redacted } from "effect"
import { Redis, RedisLive } from "../src/platform/redis/index.js"
import { TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"
import { splitPool } from "../src/platform/database/budget.js"
import { replicaLag } from "../src/platform/database/replicas.js"
import { walPosition, writeMarksMemory, writeMarksRedis } from "../src/platform/database/write-marks.js"

describe("connection budget", () => {
  test("a process's budget is split: Bun's read pool a third (none below 3), pg the rest, never below 2", () => {
    expect(splitPool(10)).toEqual({ pg: 7, reads: 3 })
    expect(splitPool(3)).toEqual({ pg: 2, reads: 1 })
    expect(splitPool(2)).toEqual({ pg: 2, reads: 0 })
    expect(splitPool(1)).toEqual({ pg: 1, reads: 0 })
    for (let size = 2; size <= 40; size++) {
      const { pg, reads } = splitPool(size)
      expect(pg + reads).toBe(size)
    }
  })

  test("the defaults keep 3 APIs and 2 workers within a max_connections of 100", () => {
    const { pg, reads } = splitPool(10)
    expect(5 * (pg + reads)).toBeLessThanOrEqual(100 - 3 - 5)
  })
})

describe("WAL positions", () => {
  test("compare as strings in WAL order, across the high word and hex digits of any case", () => {
    const ordered = ["0/0", "0/16B3748", "0/A0000000", "0/FFFFFFFF", "1/0", "1/a", "A/1", "10/0"].map(walPosition)
    expect([...ordered].sort()).toEqual(ordered)
    expect(walPosition("16/b374d848")).toBe(walPosition("16/B374D848"))
  })

  test("a replica's lag: since the primary first stood past its replay position", () => {
    const samples = [{ at: 1_000, position: walPosition("0/100") }, { at: 2_000, position: walPosition("0/200") }, { at: 3_000, position: walPosition("0/300") }]
    expect(replicaLag(samples, walPosition("0/300"), 3_100)).toBe(0)
    expect(replicaLag(samples, walPosition("0/400"), 3_100)).toBe(0)
    expect(replicaLag(samples, walPosition("0/250"), 3_100)).toBe(100)
    expect(replicaLag(samples, walPosition("0/150"), 3_100)).toBe(1_100)
    expect(replicaLag(samples, walPosition("0/50"), 3_100)).toBe(2_100)
  })
})

describe("write marks in memory", () => {
  test("a mark is never lowered by a later, smaller position, and expires after its ttl", async () => {
    const marks = writeMarksMemory(50)
    await marks.raise("w", walPosition("0/300"))
    await marks.raise("w", walPosition("0/200"))
    expect(await marks.get("w")).toBe(walPosition("0/300"))
    expect(await marks.get("other")).toBeNull()
    await Bun.sleep(80)
    expect(await marks.get("w")).toBeNull()
  })
})

describe("write marks in Redis", () => {
  test("shared by instances: raised by one, read by another, never lowered, expiring after the ttl", async () => {
    const layer = RedisLive(Redacted.make(TEST_REDIS_URL), testRedisPrefix())
    await Effect.runPromise(Effect.gen(function*() {
      const redis = yield* Redis
      const one = writeMarksRedis(redis, 300)
      const other = writeMarksRedis(redis, 300)
      yield* Effect.promise(async () => {
        await one.raise("w", walPosition("1/300"))
        await other.raise("w", walPosition("0/FFFFFFFF"))
        expect(await other.get("w")).toBe(walPosition("1/300"))
        await other.raise("w", walPosition("1/301"))
        expect(await one.get("w")).toBe(walPosition("1/301"))
        await Bun.sleep(400)
        expect(await one.get("w")).toBeNull()
      })
    }).pipe(Effect.provide(layer)))
  })
})
