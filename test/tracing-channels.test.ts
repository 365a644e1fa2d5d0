/**
 * Bun's TracingChannel given Node's `hasSubscribers` (platform/lib/tracing-channels.ts): ioredis then traces a
 * command only when someone listens, and a listener (Sentry's ioredis integration) still sees every command.
 */
import { afterAll, expect, test } from "bun:test"
import IORedis from "ioredis"
import diagnostics from "node:diagnostics_channel"
import { installTracingChannelHasSubscribers } from "../src/platform/lib/tracing-channels.js"
import { TEST_REDIS_URL, testRedisPrefix } from "./support/database.js"

installTracingChannelHasSubscribers()
const redis = new IORedis(TEST_REDIS_URL, { keyPrefix: testRedisPrefix() })
afterAll(() => redis.disconnect())

test("a tracing channel says whether any of its channels has a subscriber", () => {
  const channel = diagnostics.tracingChannel("score:test")
  expect(channel.hasSubscribers).toBe(false)
  const handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} }
  channel.subscribe(handlers)
  expect(channel.hasSubscribers).toBe(true)
  channel.unsubscribe(handlers)
  expect(channel.hasSubscribers).toBe(false)
  const onError = () => {}
  diagnostics.subscribe("tracing:score:test:error", onError)
  expect(channel.hasSubscribers).toBe(true)
  diagnostics.unsubscribe("tracing:score:test:error", onError)
})

test("ioredis traces its commands for a subscriber, and for no one else", async () => {
  await redis.ping() // connected (its ready check is a command too)
  const commands = diagnostics.tracingChannel("ioredis:command")
  expect(commands.hasSubscribers).toBe(false)
  const seen: Array<string> = []
  const handlers = {
    start: (context: object) => void seen.push(String((context as { command?: unknown }).command)),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: () => {}
  }
  commands.subscribe(handlers)
  try {
    await redis.get("traced")
  } finally {
    commands.unsubscribe(handlers)
  }
  await redis.get("untraced")
  expect(seen).toEqual(["get"])
})
