import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { TEST_APP_SECRET } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { type ServerProcess, startServer } from "./support/process.js"

const LIMIT = 64 * 1024
let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: ServerProcess

beforeAll(async () => {
  database = await createTestDatabase()
  server = await startServer({ DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, MAX_BODY_SIZE: String(LIMIT), DATABASE_POOL_SIZE: "2" }, 60_000)
}, 90_000)
afterAll(async () => {
  await server?.stop()
  await database?.drop()
})

const PATHS = [
  ["POST", "/graphql"],
  ["POST", "/metadata"],
  ["POST", "/rest/companies"],
  ["PATCH", "/rest/companies/00000000-0000-4000-8000-000000000001"],
  ["POST", "/rest/metadata/objects"]
] as const

/** A JSON body of `size` bytes, as a client would send a runaway payload. */
const oversized = (size: number) => JSON.stringify({ query: "{ __typename }", padding: "x".repeat(size) })

/** curl, the way a newcomer would try it: a whole body with content-length, or streamed chunked. */
const curl = async (method: string, path: string, body: string, chunked: boolean) => {
  const file = `/tmp/score-body-limit-${process.pid}.json`
  await Bun.write(file, body)
  const proc = Bun.spawn([
    "curl", "-sS", "-m", "20", "-X", method, "-H", "content-type: application/json",
    ...(chunked ? ["-H", "transfer-encoding: chunked"] : []),
    "--data-binary", `@${file}`, "-w", "\n%{http_code}", `${server.url}${path}`
  ], { stdout: "pipe", stderr: "pipe" })
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  await proc.exited
  const lines = out.split("\n")
  return { status: Number(lines.pop()), body: lines.join("\n"), error: err }
}

describe("a body over MAX_BODY_SIZE", () => {
  for (const chunked of [false, true]) {
    for (const [method, path] of PATHS) {
      test(`${method} ${path}${chunked ? " (chunked, no content-length)" : ""} answers a readable 413 in Twenty's JSON`, async () => {
        const answer = await curl(method, path, oversized(4 * LIMIT), chunked)
        expect({ status: answer.status, error: answer.error }).toEqual({ status: 413, error: "" })
        expect(JSON.parse(answer.body)).toEqual({ statusCode: 413, error: "PayloadTooLargeException", messages: [`Request body exceeds ${LIMIT} bytes`] })
      }, 30_000)
    }
  }

  test("a body far over the limit, streamed by fetch, still gets the 413 rather than a reset", async () => {
    const chunk = new TextEncoder().encode("x".repeat(256 * 1024))
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(chunk)
        controller.close()
      }
    })
    const response = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ statusCode: 413, error: "PayloadTooLargeException" })
  }, 30_000)

  test("a body under the limit sent chunked is read as usual", async () => {
    const answer = await curl("POST", "/metadata", JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(LIMIT / 2) } }), true)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ data: { __typename: "Query" } })
  }, 30_000)
})
