import type { Subprocess } from "bun"

export const freePort = () => {
  const server = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

export interface ServerProcess {
  readonly url: string
  readonly proc: Subprocess<"ignore", "pipe", "pipe">
  readonly output: () => string
  readonly stop: (signal?: NodeJS.Signals) => Promise<number>
}

/** Request budgets out of the way of load tests (API keys at hundreds of requests a second). */
export const UNTHROTTLED = { API_RATE_LIMITING_SHORT_LIMIT: "1000000", API_RATE_LIMITING_LONG_LIMIT: "1000000" }

const BASE_ENV = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" }

/** `bun scripts/run.ts <entry>` (the bundled production path) with exactly the given environment (nothing inherited but PATH and HOME). */
export const runScore = (entry: string, env: Record<string, string>, args: Array<string> = []) =>
  Bun.spawn(["bun", "scripts/run.ts", entry.replace(/\.ts$/, "").replace("jobs/", ""), ...args], {
    cwd: `${import.meta.dir}/../..`,
    env: { ...BASE_ENV, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })

const collect = (stream: ReadableStream<Uint8Array>, into: Array<string>) => {
  void (async () => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    while (true) {
      const { done, value } = await reader.read()
      if (done) return
      into.push(decoder.decode(value))
    }
  })()
}

/** Starts the server and waits until /healthz answers. */
export const startServer = async (env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> => {
  const port = freePort()
  const proc = runScore("main.ts", { PORT: String(port), HOST: "127.0.0.1", ...env })
  const chunks: Array<string> = []
  collect(proc.stdout, chunks)
  collect(proc.stderr, chunks)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (true) {
    if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}: ${chunks.join("")}`)
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > deadline) {
      proc.kill()
      throw new Error(`server not ready in ${timeoutMs} ms: ${chunks.join("")}`)
    }
    await Bun.sleep(50)
  }
  return {
    url,
    proc,
    output: () => chunks.join(""),
    stop: async (signal = "SIGTERM") => {
      proc.kill(signal)
      return proc.exited
    }
  }
}
