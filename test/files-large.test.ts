/**
 * A large file through a real Score process on each driver: uploaded through its upload URL and downloaded
 * through its signed URL while the server's resident memory is sampled. Streaming keeps it flat: the file
 * is FILES_LARGE_MB (default 200; the 500 MB run: FILES_LARGE_MB=500).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { TEST_APP_SECRET } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { sampleRss, transferThroughScore } from "./support/file-transfer.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { type ServerProcess, startServer } from "./support/process.js"
import { type S3TestServer, startS3 } from "./support/s3.js"

const MB = 1024 * 1024
const SIZE = Number(process.env["FILES_LARGE_MB"] ?? 200) * MB
/** The server may grow by this much while moving the file, whatever its size. */
const GROWTH_LIMIT_MB = 150

let s3: S3TestServer
const cleanup: Array<() => Promise<unknown> | unknown> = []
beforeAll(async () => {
  s3 = await startS3()
  cleanup.push(() => s3.stop())
})
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

const gqlOver = (url: string) => ({
  gql: async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
    const response = await fetch(`${url}/metadata`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return { status: response.status, body: await response.json() as any }
  }
})

for (const driver of ["local", "s3"] as const) {
  describe(`a ${SIZE / MB} MB file on ${driver} storage`, () => {
    let server: ServerProcess
    beforeAll(async () => {
      const database = await createTestDatabase()
      cleanup.push(() => database.drop())
      const storage = driver === "local" ? { STORAGE_LOCAL_PATH: fs.mkdtempSync(path.join(os.tmpdir(), "score-large-")) } : s3.env
      if (driver === "local") cleanup.push(() => fs.rmSync(storage.STORAGE_LOCAL_PATH!, { recursive: true, force: true }))
      server = await startServer({
        DATABASE_URL: database.url,
        APP_SECRET: TEST_APP_SECRET,
        DATABASE_POOL_SIZE: "2",
        FILE_MAX_SIZE: String(SIZE),
        ...storage
      }, 60_000)
      cleanup.push(() => server.stop())
    })

    test("streams up and down with the server's memory flat", async () => {
      const account = await signUpWithWorkspace(gqlOver(server.url) as never)
      const rss = sampleRss(server.proc.pid)
      const { uploadSeconds, downloadSeconds } = await transferThroughScore(server.url, account.accessToken, SIZE)
      const { baselineMb, peakMb } = rss.stop()
      console.log(
        `${driver}: ${SIZE / MB} MB up ${(SIZE / MB / uploadSeconds).toFixed(0)} MB/s, down ${(SIZE / MB / downloadSeconds).toFixed(0)} MB/s;` +
          ` server RSS ${baselineMb.toFixed(0)} → peak ${peakMb.toFixed(0)} MB`
      )
      expect(peakMb - baselineMb).toBeLessThan(GROWTH_LIMIT_MB)
    }, 300_000)
  })
}

test("the embedded start stores files under DATA_DIR/storage with no setting", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "score-embedded-files-"))
  cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const server = await startServer({ DATA_DIR: dataDir }, 150_000)
  cleanup.push(() => server.stop())
  expect(server.output()).toContain(`File storage: local disk at ${path.join(dataDir, "storage")}`)
  const account = await signUpWithWorkspace(gqlOver(server.url) as never)
  const { fileId } = await transferThroughScore(server.url, account.accessToken, 8 * MB)
  const stored = fs.readdirSync(path.join(dataDir, "storage"), { recursive: true }).map(String)
  expect(stored.some((p) => p.endsWith(`FilesField/${fileId}.bin`))).toBe(true)
}, 240_000)
