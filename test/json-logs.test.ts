import { afterEach, describe, expect, test } from "bun:test"
import { Effect, Logger, LogLevel } from "effect"
import type { AuthContext } from "../src/domain/auth.js"
import { startRequestLog, withRequestLog } from "../src/http/request-log.js"
import { loggerFor } from "../src/platform/logging.js"

const printed: Array<string> = []
const original = console.log
afterEach(() => {
  console.log = original
  printed.length = 0
})
const capture = () => {
  console.log = (...args: Array<unknown>) => void printed.push(args.map(String).join(" "))
}

const member = {
  kind: "user",
  user: { id: "user-1" },
  workspace: { id: "workspace-1" }
} as unknown as AuthContext

const runJson = (effect: Effect.Effect<void>) =>
  Effect.runPromise(effect.pipe(Effect.provide(loggerFor("json")), Logger.withMinimumLogLevel(LogLevel.All)))

describe("LOG_FORMAT=json", () => {
  test("a line written during a request carries its request id, workspace id and user id", async () => {
    const request = new Request("http://localhost/graphql", { headers: { authorization: "Bearer token-1", "x-request-id": "req-42" } })
    startRequestLog(request, "/graphql", (token) => (token === "token-1" ? member : undefined))
    capture()
    await runJson(withRequestLog(request, Effect.logInfo("hello", { n: 1 }).pipe(Effect.annotateLogs("queue", "events"))))
    expect(printed).toHaveLength(1)
    const line = JSON.parse(printed[0]!)
    expect(line).toMatchObject({ level: "INFO", message: 'hello {"n":1}', requestId: "req-42", workspaceId: "workspace-1", userId: "user-1", queue: "events" })
    expect(Date.parse(line.timestamp)).not.toBeNaN()
  })

  test("a forged request id is replaced; an API key has a workspace and no user; outside requests the ids are null", async () => {
    const request = new Request("http://localhost/rest/companies", { headers: { authorization: "Bearer k", "x-request-id": "bad id {\"x\":1}" } })
    startRequestLog(request, "/rest/companies", () => ({ kind: "apiKey", apiKey: { id: "key" }, workspace: { id: "w2" } }) as unknown as AuthContext)
    capture()
    await runJson(withRequestLog(request, Effect.logError("boom", new Error("x"))))
    await runJson(Effect.logWarning("background"))
    const [inRequest, outside] = printed.map((text) => JSON.parse(text))
    expect(inRequest.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(inRequest).toMatchObject({ level: "ERROR", workspaceId: "w2", userId: null })
    expect(outside).toMatchObject({ level: "WARN", message: "background", requestId: null, workspaceId: null, userId: null })
  })

  test("text format keeps Effect's own logger", async () => {
    capture()
    await Effect.runPromise(Effect.logInfo("plain").pipe(Effect.provide(loggerFor("text"))))
    expect(() => JSON.parse(printed.join(""))).toThrow()
  })
})
