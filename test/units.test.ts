import { describe, expect, test } from "bun:test"
import { ConfigProvider, Duration, Effect, Layer, Option, Redacted } from "effect"
import { makeTokens } from "../src/services/auth/tokens.js"
import { Cache, CacheMemory } from "../src/platform/cache/index.js"
import { appConfig, formatConfigError } from "../src/platform/config.js"
import { JobQueue, JobQueueMemory } from "../src/platform/queue/index.js"

const run = <A, E>(effect: Effect.Effect<A, E, Cache | JobQueue>) =>
  Effect.runPromise(effect.pipe(Effect.provide(Layer.merge(CacheMemory, JobQueueMemory))))

describe("CacheMemory", () => {
  test("loads once, serves the stored copy, and reloads after invalidation", async () => {
    let loads = 0
    const load = Effect.sync(() => ({ n: ++loads, at: new Date(0) }))
    const values = await run(Effect.gen(function*() {
      const cache = yield* Cache
      const a = yield* cache.getOrLoad("k", load, { ttl: "1 minute" })
      const b = yield* cache.getOrLoad("k", load, { ttl: "1 minute" })
      yield* cache.invalidate("k")
      const c = yield* cache.getOrLoad("k", load, { ttl: "1 minute" })
      return [a, b, c]
    }))
    expect(values.map((v) => v!.n)).toEqual([1, 1, 2])
    expect(values[0]!.at as unknown).toBe("1970-01-01T00:00:00.000Z")
  })

  test("does not store null results and honours the ttl", async () => {
    let loads = 0
    await run(Effect.gen(function*() {
      const cache = yield* Cache
      yield* cache.getOrLoad("missing", Effect.sync(() => (loads++, null)), { ttl: "1 minute" })
      yield* cache.getOrLoad("missing", Effect.sync(() => (loads++, null)), { ttl: "1 minute" })
      yield* cache.getOrLoad("short", Effect.sync(() => (loads++, 1)), { ttl: "1 millis" })
      yield* Effect.sleep("5 millis")
      yield* cache.getOrLoad("short", Effect.sync(() => (loads++, 1)), { ttl: "1 millis" })
    }))
    expect(loads).toBe(4)
  })
})

describe("JobQueueMemory", () => {
  test("delivers jobs in order and times out when empty", async () => {
    const [first, second, none] = await run(Effect.gen(function*() {
      const queue = yield* JobQueue
      yield* queue.enqueue("q", "a", { i: 1 })
      yield* queue.enqueue("q", "b", { i: 2 })
      return [
        yield* queue.take("q", "1 second"),
        yield* queue.take("q", "1 second"),
        yield* queue.take("q", "20 millis")
      ]
    }))
    expect(Option.getOrThrow(first!).name).toBe("a")
    expect(Option.getOrThrow(second!).data).toEqual({ i: 2 })
    expect(Option.isNone(none!)).toBe(true)
  })
})

describe("Tokens", () => {
  const tokens = makeTokens(Redacted.make("a-secret-that-is-long-enough-for-tests"))
  const other = makeTokens(Redacted.make("another-secret-that-is-long-enough-ok"))
  const access = { sub: "u", type: "ACCESS", workspaceId: "w1", userId: "u", userWorkspaceId: "uw", sessionId: "s", authProvider: "password" } as const

  test("signs and verifies a token of the expected type", async () => {
    const signed = await Effect.runPromise(tokens.sign(access, "5 minutes"))
    const payload = await Effect.runPromise(tokens.verify(signed.token, ["ACCESS"]))
    expect(payload.workspaceId).toBe("w1")
    expect(signed.expiresAt.getTime()).toBeGreaterThan(Date.now() + Duration.toMillis("4 minutes"))
  })

  test("refuses the wrong type, the wrong secret and expiry, each as Unauthenticated", async () => {
    const signed = await Effect.runPromise(tokens.sign(access, "5 minutes"))
    const expired = await Effect.runPromise(tokens.sign(access, { until: new Date(Date.now() - 1000) }))
    const fail = (effect: Effect.Effect<unknown, { message: string }>) =>
      Effect.runPromise(Effect.flip(effect)).then((e) => e.message)
    expect(await fail(tokens.verify(signed.token, ["REFRESH"]))).toBe("Token invalid.")
    expect(await fail(other.verify(signed.token, ["ACCESS"]))).toBe("Token invalid.")
    expect(await fail(tokens.verify(expired.token, ["ACCESS"]))).toBe("Token has expired.")
  })

  test("keys differ per workspace: a token moved to another workspace fails", async () => {
    const signed = await Effect.runPromise(tokens.sign(access, "5 minutes"))
    const [h, p, s] = signed.token.split(".")
    const moved = JSON.parse(Buffer.from(p!, "base64url").toString())
    moved.workspaceId = "w2"
    const forged = `${h}.${Buffer.from(JSON.stringify(moved)).toString("base64url")}.${s}`
    const error = await Effect.runPromise(Effect.flip(tokens.verify(forged, ["ACCESS"])))
    expect(error._tag).toBe("Unauthenticated")
  })
})

describe("configuration", () => {
  const read = (settings: Record<string, string>) =>
    Effect.runPromise(Effect.either(appConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings)))))))

  test("defaults, and durations in Twenty's and Effect's notation", async () => {
    const config = await read({ ACCESS_TOKEN_EXPIRES_IN: "45m", REFRESH_TOKEN_EXPIRES_IN: "2 days" })
    if (config._tag === "Left") throw new Error("unexpected")
    expect(config.right.port).toBe(3000)
    expect(Duration.toMinutes(config.right.accessTokenTtl)).toBe(45)
    expect(Duration.toHours(config.right.refreshTokenTtl)).toBe(48)
    expect(Option.isNone(config.right.databaseUrl)).toBe(true)
  })

  test("a malformed value is one line naming the variable", async () => {
    const config = await read({ PORT: "eighty", MAX_BODY_SIZE: "-1" })
    if (config._tag === "Right") throw new Error("expected a failure")
    const line = formatConfigError(config.left)
    expect(line).toStartWith("Invalid configuration: ")
    expect(line).toContain("PORT")
    expect(line).not.toContain("\n")
  })

  test("the revocation check interval defaults to 1 s and refuses a busy loop", async () => {
    const config = await read({})
    if (config._tag === "Left") throw new Error("unexpected")
    expect(Duration.toMillis(config.right.revocationCheckInterval)).toBe(1000)
    const zero = await read({ REVOCATION_CHECK_INTERVAL: "0ms" })
    if (zero._tag === "Right") throw new Error("expected a failure")
    expect(formatConfigError(zero.left)).toContain("REVOCATION_CHECK_INTERVAL")
  })
})

describe("cache loads", () => {
  test("concurrent misses on one key share one load; a failed load fails them all and is retried next time", async () => {
    let loads = 0
    const slow = Effect.sleep("30 millis").pipe(Effect.zipRight(Effect.sync(() => ({ n: ++loads }))))
    const values = await run(Effect.flatMap(Cache, (cache) =>
      Effect.all(Array.from({ length: 20 }, () => cache.getOrLoad("shared", slow, { ttl: "1 minute" })), { concurrency: "unbounded" })))
    expect(loads).toBe(1)
    expect(values.every((v) => v!.n === 1)).toBe(true)

    let attempts = 0
    const failing = Effect.sleep("10 millis").pipe(Effect.zipRight(Effect.suspend(() => (++attempts === 1 ? Effect.fail("boom") : Effect.succeed({ ok: true })))))
    const [results, retried] = await run(Effect.flatMap(Cache, (cache) =>
      Effect.all([
        Effect.all(Array.from({ length: 5 }, () => Effect.either(cache.getOrLoad("flaky", failing, { ttl: "1 minute" }))), { concurrency: "unbounded" }),
        cache.getOrLoad("flaky", failing, { ttl: "1 minute" })
      ])))
    expect(results.every((r) => r._tag === "Left")).toBe(true)
    expect(retried).toEqual({ ok: true })
    expect(attempts).toBe(2)
  })
})

describe("CoalescingSocket (pg's socket)", () => {
  test("writes of one synchronous run go out as one write, in order; other writes and end flush first", async () => {
    const { CoalescingSocket } = await import("../src/platform/database/coalescing-socket.js")
    const socket = new CoalescingSocket()
    const sent: Array<string> = []
    socket.write = ((chunk: unknown) => {
      sent.push(Buffer.from(chunk as Uint8Array).toString())
      return true
    }) as typeof socket.write // as Bun's net.Socket does when the socket connects
    expect(socket.write(Buffer.from("Parse|"))).toBe(true)
    socket.write(Buffer.from("Bind|"))
    socket.write(Buffer.from("Sync"))
    expect(sent).toEqual([])
    await Promise.resolve()
    expect(sent).toEqual(["Parse|Bind|Sync"])
    socket.write(Buffer.from("Query|"))
    socket.write("text", "utf8")
    expect(sent).toEqual(["Parse|Bind|Sync", "Query|", "text"])
    socket.write(Buffer.from("Terminate"))
    socket.end()
    expect(sent.at(-1)).toBe("Terminate")
    socket.destroy()
  })
})
