import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import * as net from "node:net"
import { createTestDatabase, poolSettles } from "./support/database.js"
import { runScore, type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js"

/*
 * Exports and imports whose client goes away mid-stream, or reads slowly, against a real server process
 * (the bundle, on PostgreSQL): the server must stay up, keep answering, and give every connection back.
 * EXPORT_ABORT_ROWS (default 60,000: more than the sockets' buffers hold) sets the people exported; EXPORT_ABORT_ROUNDS the aborted exports.
 */

const ROWS = Number(process.env["EXPORT_ABORT_ROWS"] ?? 60_000)
const ROUNDS = Number(process.env["EXPORT_ABORT_ROUNDS"] ?? 12)
const POOL_SIZE = 3
const APP_SECRET = "export-abort-secret-export-abort-secret-0123"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: ServerProcess
let admin: SQL
let token = ""
let port = 0
/** The server reaches PostgreSQL through this relay, so a test can cut its connections as a network would. */
let proxy: TcpProxy

const env = (databaseUrl = database.url) => ({
  DATABASE_URL: databaseUrl,
  APP_SECRET,
  DATABASE_POOL_SIZE: String(POOL_SIZE),
  // A connection that owes a reply and is silent for 4 s is dropped (coalescing-socket.ts): short, so a reader
  // pausing longer shows whether a suspended export cursor counts as owing one.
  DATABASE_STATEMENT_TIMEOUT: "2s",
  LOG_LEVEL: "Info",
  ...UNTHROTTLED
})

beforeAll(async () => {
  database = await createTestDatabase()
  const direct = new URL(database.url)
  proxy = startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const proxied = new URL(database.url)
  proxied.port = String(proxy.port)
  server = await startServer(env(proxied.href), 60_000)
  port = Number(new URL(server.url).port)
  const cli = runScore("cli", env(), ["workspace:create", "--name", "Abort", "--email", "abort@example.com", "--password", "a long abort password"])
  const out = await new Response(cli.stdout).text()
  await cli.exited
  token = /\n(eyJ[^\s]+)\n/.exec(out)?.[1] ?? ""
  if (!token) throw new Error(`workspace:create failed: ${out}`)
  admin = new SQL({ url: database.url, max: 1 })
  const [{ schema }] = await admin`SELECT table_schema AS schema FROM information_schema.tables
    WHERE table_name = 'person' AND table_schema LIKE 'workspace_%' LIMIT 1`
  await admin.unsafe(`INSERT INTO "${schema}".person ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", city)
    SELECT 'First' || i, 'Last' || i, 'person' || i || '@example.com', 'Engineer', 'City ' || (i % 500)
    FROM generate_series(1, ${ROWS}) AS i`)
}, 180_000)

afterAll(async () => {
  if (process.env["EXPORT_ABORT_LOG"]) console.error(server?.output().slice(-8_000))
  await admin?.close()
  await server?.stop()
  proxy?.close()
  await database?.drop()
})

const alive = async () => {
  expect({ exitCode: server.proc.exitCode, signal: server.proc.signalCode }).toEqual({ exitCode: null, signal: null })
  const health = await fetch(`${server.url}/healthz`)
  const body = await health.text()
  expect({ status: health.status, body: health.status === 200 ? "" : body }).toEqual({ status: 200, body: "" })
}

const exportUrl = (format: string) => `${server.url}/rest/people/export?format=${format}`

/** Reads the whole export, optionally pausing between chunks; returns its lines. */
const readAll = async (format: string, pauseMs = 0) => {
  const response = await fetch(exportUrl(format), { headers: { authorization: `Bearer ${token}` } })
  expect(response.status).toBe(200)
  let newlines = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    for (const byte of chunk) if (byte === 10) newlines++
    if (pauseMs > 0) await Bun.sleep(pauseMs)
  }
  return newlines
}

/** fetch aborted after `limit` bytes of the body. */
const abortAfter = async (format: string, limit: number) => {
  const controller = new AbortController()
  const response = await fetch(exportUrl(format), { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
  let bytes = 0
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      if (bytes >= limit) controller.abort()
    }
  } catch {
    // the abort
  }
}

/** A raw socket that sends the request, reads `limit` bytes (or none) and is destroyed (RST with unread data). */
const dropAfter = (format: string, limit: number) =>
  new Promise<void>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`GET /rest/people/export?format=${format} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)
      if (limit === 0) setTimeout(() => (socket.destroy(), resolve()), 5)
    })
    let bytes = 0
    socket.on("data", (chunk) => {
      bytes += chunk.length
      if (bytes >= limit) {
        socket.resetAndDestroy()
        resolve()
      }
    })
    socket.on("error", () => resolve())
    socket.on("close", () => resolve())
  })

/** Longer than the reply timeout the server runs with (2 s statement timeout + 2 s), shorter than Bun's idle timeout (10 s). */
const PAUSE_MS = 6_000

/**
 * A raw HTTP/1.0 reader that stops reading once, after 200 kB, for `pauseMs` (TCP backpressure reaches the
 * server and its cursor waits), then reads to the end. Counts records by their email (the header has none).
 */
const pausingRead = (format: string, pauseMs: number) =>
  new Promise<number>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () =>
      socket.write(`GET /rest/people/export?format=${format} HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`))
    const chunks: Array<Buffer> = []
    let bytes = 0
    let paused = false
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      bytes += chunk.length
      if (!paused && bytes > 200_000) {
        paused = true
        socket.pause()
        setTimeout(() => socket.resume(), pauseMs)
      }
    })
    socket.on("error", reject)
    socket.on("end", () => resolve(Buffer.concat(chunks).toString().split("@example.com").length - 1))
  })

describe("exports and imports whose client goes away", () => {
  test("a full CSV and JSON-lines export still answers every row", async () => {
    expect(await readAll("csv")).toBe(ROWS + 1)
    expect(await readAll("jsonl")).toBe(ROWS)
    await alive()
  }, 120_000)

  test("exports aborted at random points, by fetch and by a reset socket, leave the server up", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const format = round % 2 === 0 ? "csv" : "jsonl"
      const limit = Math.floor(Math.random() * ROWS * 60)
      await (round % 3 === 2 ? dropAfter(format, limit) : abortAfter(format, limit))
      await alive()
    }
    // Several at once, some before the first byte.
    await Promise.all([dropAfter("csv", 0), dropAfter("jsonl", 0), abortAfter("csv", 1), dropAfter("csv", 100_000), abortAfter("jsonl", 300_000)])
    await alive()
    await poolSettles(admin, database.name, POOL_SIZE, 20_000)
    expect(await readAll("csv")).toBe(ROWS + 1)
  }, 300_000)

  test("a slow reader gets the whole export and the server stays up", async () => {
    expect(await readAll("csv", 20)).toBe(ROWS + 1)
    await alive()
    // A reader that stops for longer than the reply timeout, then reads on: the cursor waits for it.
    for (const format of ["csv", "jsonl"]) expect(await pausingRead(format, PAUSE_MS)).toBe(ROWS)
    await alive()
    // One that stops past Bun's idle timeout is cut off there; its cursor's connection is given back.
    expect(await pausingRead("csv", 12_000)).toBeLessThan(ROWS)
    await alive()
    await poolSettles(admin, database.name, POOL_SIZE, 20_000)
  }, 300_000)

  /** The export's backend (its statement starts with the first CSV cell; pg_stat_activity keeps 1 kB of it). */
  const exportBackends = () =>
    admin`SELECT pid FROM pg_stat_activity WHERE datname = ${database.name} AND pid <> pg_backend_pid()
      AND query LIKE 'SELECT CASE WHEN c.c0 %'` as Promise<Array<{ pid: number }>>

  const whileExportWaits = async (act: () => Promise<unknown>) => {
    // Cut off (reset) once the export fails: counted as nothing read.
    const reading = pausingRead("csv", PAUSE_MS).catch(() => 0)
    const deadline = Date.now() + PAUSE_MS
    let seen = false
    while (!seen && Date.now() < deadline) {
      await Bun.sleep(300)
      seen = (await exportBackends()).length > 0
    }
    expect(seen).toBe(true)
    await act()
    expect(await reading).toBeLessThan(ROWS)
    await alive()
    await poolSettles(admin, database.name, POOL_SIZE, 20_000)
    expect(await readAll("csv")).toBe(ROWS + 1)
  }

  test("an export whose backend is terminated mid-stream ends, and the server stays up", async () => {
    await whileExportWaits(() => admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${database.name} AND pid <> pg_backend_pid() AND query LIKE 'SELECT CASE WHEN c.c0 %'`)
  }, 120_000)

  test("an export whose connection is cut mid-stream (no error from PostgreSQL first) ends, and the server stays up", async () => {
    await whileExportWaits(async () => {
      proxy.cut()
      await Bun.sleep(200)
      proxy.restore()
    })
  }, 120_000)

  test("an import upload cut off mid-body leaves the server up and its connection given back", async () => {
    for (const limit of [0, 10_000, 2_000_000]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(`POST /rest/people/import?format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
            `Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n`)
          let sent = 0
          const line = "name.firstName,name.lastName\n"
          const piece = Buffer.from(line + "A,B\n".repeat(2_000))
          const pump = () => {
            if (sent >= limit) return void (socket.resetAndDestroy(), resolve())
            socket.write(`${piece.length.toString(16)}\r\n`)
            socket.write(piece)
            socket.write("\r\n")
            sent += piece.length
            setImmediate(pump)
          }
          pump()
        })
        socket.on("error", () => resolve())
      })
      await Bun.sleep(200)
      await alive()
    }
    await poolSettles(admin, database.name, POOL_SIZE, 20_000)
  }, 120_000)
})
