import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { HttpApp } from "@effect/platform"
import { makeHttpApp, makeWebHandler } from "../../src/http/app.js"
import { infrastructure, type Services, services } from "../../src/layers/index.js"
import { appConfig } from "../../src/platform/config.js"
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "./database.js"

export interface TestApp {
  readonly request: (path: string, init?: RequestInit) => Promise<Response>
  /** The server's web handler itself, for a prepared Request. */
  readonly handle: (request: Request) => Promise<Response>
  /** The same request through the Effect app alone: /graphql answered by yoga, no fast lane. */
  readonly referenceRequest: (path: string, init?: RequestInit) => Promise<Response>
  readonly gql: <T = any>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null
  ) => Promise<{ status: number; body: { data?: T; errors?: Array<{ message: string; extensions?: any }> } }>
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>
  readonly close: () => Promise<void>
  readonly databaseUrl: string
}

export const TEST_APP_SECRET = "test-secret-test-secret-test-secret-0123456789"

/** Settings for a test instance, read from a map rather than the environment. */
export const testConfig = (settings: Record<string, string>) =>
  Effect.runPromise(appConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))))))

/**
 * The real application (services, routes, middleware) on a fresh PostgreSQL database and, unless
 * `redis: false`, the machine's Redis. Requests go straight to the handler, no port needed.
 */
export const startTestApp = async (options: { redis?: boolean; databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestApp> => {
  const database = options.databaseUrl ? null : await createTestDatabase()
  const databaseUrl = options.databaseUrl ?? database!.url
  const config = await testConfig({
    DATABASE_URL: databaseUrl,
    APP_SECRET: TEST_APP_SECRET,
    DATABASE_POOL_SIZE: "5",
    LOG_LEVEL: "Error",
    // Request budgets out of the way of tests about something else; test/rate-limits.test.ts sets its own.
    API_RATE_LIMITING_SHORT_LIMIT: "1000000",
    API_RATE_LIMITING_LONG_LIMIT: "1000000",
    SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "1000000",
    PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR: "1000000",
    // Instances on one database share a Redis key prefix (they are one deployment); other files never do.
    ...(options.redis === false ? {} : { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: testRedisPrefix(new URL(databaseUrl).pathname.slice(1)) }),
    ...options.env
  })
  const layer = services(infrastructure(config, Redacted.make(TEST_APP_SECRET)))
  const runtime = ManagedRuntime.make(Layer.provideMerge(layer, Layer.empty))
  const handler = await runtime.runPromise(makeWebHandler)
  const reference = HttpApp.toWebHandlerRuntime(await runtime.runtime())(await runtime.runPromise(makeHttpApp))
  const request = (path: string, init?: RequestInit) => handler(new Request(`http://localhost${path}`, init))
  const gql: TestApp["gql"] = async (query, variables, token) => {
    const response = await request("/metadata", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return { status: response.status, body: await response.json() as any }
  }
  return {
    request,
    handle: handler,
    referenceRequest: (path, init) => reference(new Request(`http://localhost${path}`, init)),
    gql,
    run: (effect) => runtime.runPromise(effect),
    databaseUrl,
    close: async () => {
      await runtime.dispose()
      await database?.drop()
    }
  }
}
