/**
 * File throughput: upload and download MB/s through Score (upload URL, signed URL) against the same bytes
 * moved straight to the storage by this process, on both drivers; the ratio is Score's overhead.
 *
 *   bun bench/files.ts            (BENCH_FILE_MB=100 per transfer, BENCH_ROUNDS=5 paired rounds)
 *
 * Starts a live Score (`bun scripts/run.ts main`, fresh database) per driver and s3rver for S3. Direct, local:
 * a stream piped to a file on the same disk and read back; direct, S3: PutObject / GetObject with
 * @aws-sdk/client-s3 against the same s3rver. Rounds alternate Score and direct; medians and spread (min–max)
 * are printed, then a `RESULT {json}` line. Everything started is stopped, the database dropped.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { createWriteStream } from "node:fs"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { TEST_APP_SECRET } from "../test/support/app.js"
import { createTestDatabase } from "../test/support/database.js"
import { drain, generatedBytes, transferThroughScore } from "../test/support/file-transfer.js"
import { startServer } from "../test/support/process.js"
import { startS3 } from "../test/support/s3.js"

const MB = 1024 * 1024
const SIZE = Number(process.env["BENCH_FILE_MB"] ?? 100) * MB
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const summary = (xs: ReadonlyArray<number>) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
const mbps = (seconds: number) => SIZE / MB / seconds

const signUp = async (url: string) => {
  const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const r = await fetch(`${url}/metadata`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables })
    })
    return ((await r.json()) as any).data
  }
  const email = `bench-${crypto.randomUUID()}@example.com`
  const agnostic = (await call(`mutation($e: String!) { signUp(email: $e, password: "bench password 1") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email }))
    .signUp.tokens.accessOrWorkspaceAgnosticToken.token
  const login = (await call(`mutation { signUpInNewWorkspace(input: { displayName: "Bench" }) { loginToken { token } } }`, {}, agnostic))
    .signUpInNewWorkspace.loginToken.token
  return (await call(`mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: login }))
    .getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token as string
}

const s3 = await startS3()
const s3Client = new S3Client({
  region: "us-east-1",
  endpoint: s3.endpoint,
  forcePathStyle: true,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }
})
const localRoot = fs.mkdtempSync(path.join(os.tmpdir(), "score-bench-files-"))

const direct = {
  local: async () => {
    const file = path.join(localRoot, "direct", crypto.randomUUID())
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const started = performance.now()
    await pipeline(Readable.fromWeb(generatedBytes(SIZE) as never), createWriteStream(file))
    const uploadSeconds = (performance.now() - started) / 1000
    const readStarted = performance.now()
    await drain(Bun.file(file).stream())
    const downloadSeconds = (performance.now() - readStarted) / 1000
    fs.rmSync(file)
    return { uploadSeconds, downloadSeconds }
  },
  s3: async () => {
    const Key = `direct/${crypto.randomUUID()}`
    const started = performance.now()
    await s3Client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: Readable.fromWeb(generatedBytes(SIZE) as never), ContentLength: SIZE }))
    const uploadSeconds = (performance.now() - started) / 1000
    const readStarted = performance.now()
    const object = await s3Client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }))
    await drain(object.Body!.transformToWebStream())
    return { uploadSeconds, downloadSeconds: (performance.now() - readStarted) / 1000 }
  }
}

const results: Record<string, unknown> = {}
try {
  for (const driver of ["local", "s3"] as const) {
    const database = await createTestDatabase()
    const storage = driver === "local" ? { STORAGE_LOCAL_PATH: path.join(localRoot, "score") } : s3.env
    const server = await startServer({ DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2", FILE_MAX_SIZE: String(SIZE), ...storage }, 60_000)
    try {
      const token = await signUp(server.url)
      await transferThroughScore(server.url, token, Math.min(SIZE, 8 * MB)).catch(() => undefined) // warm-up
      const score = { up: [] as Array<number>, down: [] as Array<number> }
      const straight = { up: [] as Array<number>, down: [] as Array<number> }
      for (let round = 0; round < ROUNDS; round++) {
        const viaScore = await transferThroughScore(server.url, token, SIZE)
        score.up.push(mbps(viaScore.uploadSeconds))
        score.down.push(mbps(viaScore.downloadSeconds))
        const viaStorage = await direct[driver]()
        straight.up.push(mbps(viaStorage.uploadSeconds))
        straight.down.push(mbps(viaStorage.downloadSeconds))
      }
      const row = {
        upload: { score: summary(score.up), direct: summary(straight.up), ratio: median(score.up) / median(straight.up) },
        download: { score: summary(score.down), direct: summary(straight.down), ratio: median(score.down) / median(straight.down) }
      }
      results[driver] = row
      for (const way of ["upload", "download"] as const) {
        const r = row[way]
        console.log(
          `${driver.padEnd(5)} ${way.padEnd(8)} Score ${r.score.median.toFixed(0)} MB/s (${r.score.min.toFixed(0)}–${r.score.max.toFixed(0)})` +
            `  direct ${r.direct.median.toFixed(0)} MB/s (${r.direct.min.toFixed(0)}–${r.direct.max.toFixed(0)})  ratio ${r.ratio.toFixed(2)}`
        )
      }
    } finally {
      await server.stop()
      await database.drop()
    }
  }
} finally {
  s3Client.destroy()
  await s3.stop()
  fs.rmSync(localRoot, { recursive: true, force: true })
}
console.log(`RESULT ${JSON.stringify({ fileMb: SIZE / MB, rounds: ROUNDS, ...results })}`)
