import S3rver from "s3rver"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { freePort } from "./process.js"

export interface S3TestServer {
  readonly endpoint: string
  readonly bucket: string
  /** STORAGE_* settings that point Score at this server. */
  readonly env: Record<string, string>
  readonly stop: () => Promise<void>
}

/** A real S3-compatible server (s3rver) on a free port, its objects in a temporary directory. */
export const startS3 = async (bucket = `score-test-${crypto.randomUUID().slice(0, 8)}`): Promise<S3TestServer> => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "score-s3-"))
  const port = freePort()
  const server = new S3rver({ port, address: "127.0.0.1", silent: true, directory })
  await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    env: {
      STORAGE_TYPE: "s3",
      STORAGE_S3_NAME: bucket,
      STORAGE_S3_REGION: "us-east-1",
      STORAGE_S3_ENDPOINT: endpoint,
      STORAGE_S3_ACCESS_KEY_ID: "S3RVER",
      STORAGE_S3_SECRET_ACCESS_KEY: "S3RVER"
    },
    stop: async () => {
      server.httpServer?.closeAllConnections?.()
      await server.close()
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }
}
