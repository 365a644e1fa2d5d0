/**
 * For test/rolling-restart.test.ts, run inside a network namespace of its own (its own
 * net.ipv4.tcp_migrate_req): test/support/handover-server.ts on one port under a request loop (POSTs, half on
 * keep-alive connections, half on a new connection each), restarted RESTARTS times. With SERVER_REUSE_PORT the
 * new process starts beside the old one, which then gets SIGTERM; without, the old one stops first.
 * Prints one JSON line: requests, failed, errors by code, the pids that answered.
 *   RESTARTS (5), CONCURRENCY (16), SERVER_REUSE_PORT (true), UNTIL_FAILURE (stop restarting at the first failure)
 */
const reusePort = process.env.SERVER_REUSE_PORT !== "false"
const restarts = Number(process.env.RESTARTS ?? 5)
const concurrency = Number(process.env.CONCURRENCY ?? 16)
const untilFailure = process.env.UNTIL_FAILURE === "true"
const port = 3000
const env = {
  PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", PORT: String(port), HOST: "127.0.0.1",
  SERVER_REUSE_PORT: String(reusePort), SHUTDOWN_DRAIN: "500ms", BUSY_MS: "1", LOG_LEVEL: "Warn"
}

/** Starts a server process and waits for its "ready" line. */
const start = async () => {
  const proc = Bun.spawn(["bun", `${import.meta.dir}/handover-server.ts`], { env, stdout: "pipe", stderr: "inherit" })
  const reader = proc.stdout.getReader()
  let text = ""
  while (!text.includes("ready")) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`server exited ${await proc.exited} before listening`)
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return proc
}

let requests = 0
let failed = 0
const errors: Record<string, number> = {}
const pids = new Set<number>()
let running = true
const loop = async (index: number) => {
  while (running) {
    requests++
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "hello", keepalive: index % 2 === 0 })
      if (response.status !== 200) throw Object.assign(new Error(), { code: `HTTP ${response.status}` })
      pids.add(((await response.json()) as { pid: number }).pid)
    } catch (error) {
      failed++
      const code = (error as { code?: string }).code ?? (error as Error).name
      errors[code] = (errors[code] ?? 0) + 1
    }
  }
}

let current = await start()
const loops = Array.from({ length: concurrency }, (_, i) => loop(i))
await Bun.sleep(300)
let done = 0
while (done < restarts && !(untilFailure && failed > 0)) {
  if (reusePort) {
    const next = await start()
    current.kill("SIGTERM")
    await current.exited
    current = next
  } else {
    current.kill("SIGTERM")
    await current.exited
    current = await start()
  }
  done++
}
await Bun.sleep(300)
running = false
await Promise.all(loops)
current.kill("SIGTERM")
await current.exited
process.stdout.write(JSON.stringify({ restarts: done, requests, failed, errors, pids: pids.size }) + "\n")
