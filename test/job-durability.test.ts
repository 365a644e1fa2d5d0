import { afterAll, beforeAll, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startTestApp, TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { freePort, runScore, startServer } from "./support/process.js"

// Start-up and /healthz say when queued jobs would be lost: a Redis that does not persist, or no worker
// taking what the server enqueues. Each test runs its own redis-server.

const redisServers: Array<ReturnType<typeof Bun.spawn>> = []
const startRedis = async (persistence: Array<string>) => {
  const port = freePort()
  const dir = mkdtempSync(join(tmpdir(), "score-redis-"))
  const proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...persistence], {
    stdout: "ignore",
    stderr: "ignore"
  })
  redisServers.push(proc)
  for (let i = 0; i < 100; i++) {
    const up = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true), () => false)
    if (up) break
    await Bun.sleep(50)
  }
  return `redis://127.0.0.1:${port}`
}

let database: Awaited<ReturnType<typeof createTestDatabase>>
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  for (const proc of redisServers) proc.kill()
  await database.drop()
})

const health = async (app: TestApp) => (await app.request("/healthz")).json() as Promise<any>

test("a Redis without persistence is reported in /healthz and in the start-up log", async () => {
  const volatile = await startRedis(["--appendonly", "no", "--save", ""])
  const server = await startServer({ DATABASE_URL: database.url, REDIS_URL: volatile, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2" })
  try {
    expect(server.output()).toContain("Redis does not persist")
    const body = await (await fetch(`${server.url}/healthz`)).json() as any
    expect(body.status).toBe("ok")
    expect(body.details.redis.persistence).toBe("none")
    expect(body.details.redis.warnings.join(" ")).toContain("appendonly")
  } finally {
    await server.stop()
  }
})

test("a Redis with an append-only file is not warned about", async () => {
  const durable = await startRedis(["--appendonly", "yes", "--save", ""])
  const app = await startTestApp({ databaseUrl: database.url, env: { REDIS_URL: durable } })
  try {
    const body = await health(app)
    expect(body.details.redis.persistence).toBe("aof")
    expect(body.details.redis.warnings ?? []).not.toContainEqual(expect.stringContaining("appendonly"))
  } finally {
    await app.close()
  }
})

test("with Redis and no worker, /healthz says no worker takes jobs; a running worker is seen", async () => {
  const redis = await startRedis(["--appendonly", "yes", "--save", ""])
  const app = await startTestApp({ databaseUrl: database.url, env: { REDIS_URL: redis } })
  try {
    const before = await health(app)
    expect(before.status).toBe("ok")
    expect(before.details.redis.workers).toBe(0)
    expect(before.details.redis.warnings.join(" ")).toContain("bun run worker")

    const worker = runScore("jobs/worker.ts", { DATABASE_URL: database.url, REDIS_URL: redis, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2" })
    try {
      let seen: any
      for (let i = 0; i < 100; i++) {
        seen = await health(app)
        if (seen.details.redis.workers > 0) break
        await Bun.sleep(100)
      }
      expect(seen.details.redis.workers).toBe(1)
      expect(seen.details.redis.warnings ?? []).not.toContainEqual(expect.stringContaining("bun run worker"))
    } finally {
      worker.kill("SIGTERM")
      await worker.exited
    }
  } finally {
    await app.close()
  }
})

test("`bun run worker` without REDIS_URL exits with one clear line", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "score-worker-"))
  try {
    const proc = runScore("jobs/worker.ts", { DATA_DIR: dataDir })
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
    expect(code).toBe(1)
    expect(stderr.trim().split("\n")).toHaveLength(1)
    expect(stderr).toContain("REDIS_URL")
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
