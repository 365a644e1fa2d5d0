import { SQL } from "bun"

/** The machine's PostgreSQL (CI and developers have it on 127.0.0.1:5432 with trust auth). */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A REDIS_KEY_PREFIX of its own, so no other test file or running bench shares keys, queues or channels. */
export const testRedisPrefix = (tag: string = crypto.randomUUID().slice(0, 8)) => `score-test:${process.pid}:${tag}:`

const withAdmin = async <A>(run: (sql: SQL) => Promise<A>) => {
  const sql = new SQL(ADMIN_DATABASE_URL)
  try {
    return await run(sql)
  } finally {
    await sql.close()
  }
}

/** A fresh database for one test file, so runs never collide; drop it when done. */
export const createTestDatabase = async () => {
  const name = `score_test_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  const url = new URL(ADMIN_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    name,
    url: url.href,
    drop: () => withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
}

/**
 * Waits until the connections to `databaseName` (other than `admin`'s) are at most `poolSize` + 1 and none is
 * active or inside a transaction: a server gave back what an aborted request held.
 */
export const poolSettles = async (admin: SQL, databaseName: string, poolSize: number, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  let rows: Array<{ state: string | null; n: number }> = []
  while (Date.now() < deadline) {
    rows = await admin`SELECT state, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = ${databaseName} AND pid <> pg_backend_pid() GROUP BY state`
    const total = rows.reduce((sum, r) => sum + r.n, 0)
    if (total <= poolSize + 1 && !rows.some((r) => r.state?.startsWith("idle in transaction") || r.state === "active")) return
    await Bun.sleep(200)
  }
  throw new Error(`connections not given back: ${JSON.stringify(rows)}`)
}
