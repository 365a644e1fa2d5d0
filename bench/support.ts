import { SQL } from "bun"

/** Pieces every benchmark shares: the local PostgreSQL, free ports, a server's output and health. */

export const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

export const withAdmin = async <A>(run: (sql: SQL) => Promise<A>) => {
  const sql = new SQL(ADMIN_URL)
  try {
    return await run(sql)
  } finally {
    await sql.close()
  }
}

export const dropDatabase = (name: string) => withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))

export const freePort = () => {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

export const collect = (stream: ReadableStream<Uint8Array>, into: { text: string }) =>
  (async () => {
    const reader = stream.getReader()
    const decoder = new TextDecoder()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      into.text += decoder.decode(chunk.value, { stream: true })
    }
  })()

export const healthy = async (port: number) => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`)
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}
