import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import * as net from "node:net"
import { createTestDatabase, poolSettles } from "./support/database.js"
import { runScore, type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"

/*
 * Import uploads cut off mid-body (the client's socket destroyed after the headers and part of the body, with
 * a declared length or chunked) or stalled (the client stops sending): against a real server process, the run
 * must end FAILED with its reason within seconds, its staged rows gone, no connection held, the server up.
 */

const POOL_SIZE = 3
const APP_SECRET = "import-abort-secret-import-abort-secret-0123"
/** IMPORT_BODY_TIMEOUT for this server: an upload silent this long is given up. */
const BODY_TIMEOUT_MS = 2_000

let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: ServerProcess
let admin: SQL
let token = ""
let port = 0

const env = () => ({
  DATABASE_URL: database.url,
  APP_SECRET,
  DATABASE_POOL_SIZE: String(POOL_SIZE),
  IMPORT_BODY_TIMEOUT: `${BODY_TIMEOUT_MS}ms`,
  LOG_LEVEL: "Info",
  ...UNTHROTTLED
})

beforeAll(async () => {
  database = await createTestDatabase()
  server = await startServer(env(), 60_000)
  port = Number(new URL(server.url).port)
  const cli = runScore("cli", env(), ["workspace:create", "--name", "Cut", "--email", "cut@example.com", "--password", "a long cut-off password"])
  const out = await new Response(cli.stdout).text()
  await cli.exited
  token = /\n(eyJ[^\s]+)\n/.exec(out)?.[1] ?? ""
  if (!token) throw new Error(`workspace:create failed: ${out}`)
  admin = new SQL({ url: database.url, max: 1 })
}, 180_000)

afterAll(async () => {
  if (process.env["IMPORT_ABORT_LOG"]) console.error(server?.output().slice(-8_000))
  await admin?.close()
  await server?.stop()
  await database?.drop()
})

const alive = async () => {
  expect({ exitCode: server.proc.exitCode, signal: server.proc.signalCode }).toEqual({ exitCode: null, signal: null })
  const health = await fetch(`${server.url}/healthz`)
  expect(health.status).toBe(200)
}

type Run = { id: string; status: string; lastError: string | null; staged: number }

const runs = () =>
  admin`SELECT r.id, r.status, r."lastError", (SELECT count(*)::int FROM core."importRow" s WHERE s."importId" = r.id) AS staged
    FROM core."importRun" r ORDER BY r."createdAt"` as Promise<Array<Run>>

/** Waits (up to `ms`) for a run after the first `known` ones to exist and every such run to have left UPLOADING. */
const settled = async (known: number, ms: number) => {
  const deadline = Date.now() + ms
  let all = await runs()
  while (Date.now() < deadline && (all.length === known || all.slice(known).some((r) => r.status === "UPLOADING"))) {
    await Bun.sleep(100)
    all = await runs()
  }
  return all.slice(known)
}

const PIECE = Buffer.from("A,B\n".repeat(5_000))
const HEADER = Buffer.from("name.firstName,name.lastName\n")

/**
 * A raw upload: the request's headers, then `sent` bytes of a CSV body (a declared length of twice that, or
 * chunked), then the socket destroyed (`cut`) or left open and silent (`stall`, closed after `holdMs`).
 */
const partialUpload = (options: { chunked: boolean; sent: number; end: "cut" | "stall"; holdMs?: number }) =>
  new Promise<string>((resolve) => {
    const answer: Array<Buffer> = []
    const socket = net.connect(port, "127.0.0.1", () => {
      const length = options.chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${options.sent * 2 + HEADER.length}`
      socket.write(`POST /rest/people/import?format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: text/csv\r\n${length}\r\n\r\n`)
      const write = (bytes: Buffer) => {
        if (options.chunked) socket.write(`${bytes.length.toString(16)}\r\n`)
        socket.write(bytes)
        if (options.chunked) socket.write("\r\n")
      }
      write(HEADER)
      let sent = 0
      const pump = () => {
        if (sent >= options.sent) {
          if (options.end === "cut") {
            socket.resetAndDestroy()
            resolve("")
          } else {
            setTimeout(() => {
              socket.destroy()
              resolve(Buffer.concat(answer).toString())
            }, options.holdMs ?? 0)
          }
          return
        }
        write(PIECE)
        sent += PIECE.length
        // Let the server read what was sent, so the cut lands mid-body rather than before it.
        setTimeout(pump, 2)
      }
      pump()
    })
    socket.on("data", (chunk: Buffer) => answer.push(chunk))
    // The server's answer to a stalled upload closes the connection.
    socket.on("end", () => {
      socket.destroy()
      resolve(Buffer.concat(answer).toString())
    })
    socket.on("error", () => resolve(Buffer.concat(answer).toString()))
  })

describe("an import upload that ends early", () => {
  for (const chunked of [false, true]) {
    for (const sent of [0, 200_000, 2_000_000]) {
      test(`${chunked ? "chunked" : "declared length"}, cut off after ${sent} bytes: FAILED with its reason, nothing staged`, async () => {
        const known = (await runs()).length
        await partialUpload({ chunked, sent, end: "cut" })
        const started = Date.now()
        // Bun stops reading a socket whose body waits to be read, so it learns of the reset only once the bytes
        // the kernel and Bun hold (up to a few MB) are read and staged: a few seconds on a loaded machine.
        const after = await settled(known, 15_000)
        expect(after.map((r) => ({ status: r.status, staged: r.staged }))).toEqual([{ status: "FAILED", staged: 0 }])
        expect(after[0]!.lastError).toMatch(/^The upload was cut off after \d+ rows: the (client closed the connection|connection closed after \d+ of \d+ bytes)$/)
        expect(Date.now() - started).toBeLessThan(12_000)
        await poolSettles(admin, database.name, POOL_SIZE)
        await alive()
      }, 60_000)
    }
  }

  test("an upload that stops sending is given up after IMPORT_BODY_TIMEOUT with a 408", async () => {
    const known = (await runs()).length
    const started = Date.now()
    const answer = await partialUpload({ chunked: false, sent: 200_000, end: "stall", holdMs: BODY_TIMEOUT_MS + 15_000 })
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
    expect(answer).toContain("RequestTimeout")
    const after = await settled(known, 1_000)
    expect(after.map((r) => ({ status: r.status, staged: r.staged }))).toEqual([{ status: "FAILED", staged: 0 }])
    expect(after[0]!.lastError).toMatch(/timed out/)
    // The silence is counted from the server's last read (it stages what it got first; loaded machine).
    expect(Date.now() - started).toBeLessThan(BODY_TIMEOUT_MS + 10_000)
    await poolSettles(admin, database.name, POOL_SIZE)
    await alive()
  }, 60_000)

  test("a whole upload after them is imported", async () => {
    const body = "name.firstName,name.lastName\nAda,Lovelace\nAlan,Turing\n"
    const response = await fetch(`${server.url}/rest/people/import?format=csv`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body
    })
    expect(response.status).toBe(202)
    const { data } = await response.json() as { data: { import: { id: string; totalRows: number } } }
    expect(data.import.totalRows).toBe(2)
    const deadline = Date.now() + 30_000
    let status = ""
    while (Date.now() < deadline && status !== "COMPLETED") {
      await Bun.sleep(200)
      const run = await fetch(`${server.url}/rest/imports/${data.import.id}`, { headers: { authorization: `Bearer ${token}` } })
      status = ((await run.json()) as { data: { import: { status: string } } }).data.import.status
    }
    expect(status).toBe("COMPLETED")
    await alive()
  }, 60_000)
})
