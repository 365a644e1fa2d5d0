/**
 * A rolling restart in place (README "Zero-downtime rolling restart"): the new process binds the port beside
 * the old one (SERVER_REUSE_PORT), then the old one drains and closes its listener. Connections the kernel
 * had queued in the old listener's backlog are reset on close unless net.ipv4.tcp_migrate_req moves them to
 * the new listener. Each run is in a network namespace of its own, so the sysctl is set there only.
 */
import { describe, expect, test } from "bun:test"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { freePort } from "./support/process.js"

const LOAD = join(import.meta.dir, "support", "rolling-restart-load.ts")

const namespaces = process.getuid?.() === 0 && existsSync("/proc/sys/net/ipv4/tcp_migrate_req") &&
  Bun.spawnSync(["unshare", "--net", "true"], { stderr: "ignore" }).exitCode === 0

interface Run { restarts: number; requests: number; failed: number; errors: Record<string, number>; pids: number }

const runInNamespace = async (migrate: 0 | 1, env: Record<string, string>): Promise<Run> => {
  const script = `ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=${migrate} && exec bun ${LOAD}`
  const proc = Bun.spawn(["unshare", "--net", "sh", "-c", script], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env }, stdout: "pipe", stderr: "pipe"
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`load exited ${code}: ${stderr}`)
  return JSON.parse(stdout.trim().split("\n").at(-1)!)
}

describe.skipIf(!namespaces)("restarting a server in place under a request loop", () => {
  test("SO_REUSEPORT and tcp_migrate_req: no request fails", async () => {
    const run = await runInNamespace(1, { RESTARTS: "8" })
    expect(run.restarts).toBe(8)
    expect(run.pids).toBe(9) // every process answered
    expect(run.requests).toBeGreaterThan(1000)
    expect(run).toMatchObject({ failed: 0, errors: {} })
  }, 180_000)

  test("without tcp_migrate_req, closing the old listener resets connections queued at it", async () => {
    const run = await runInNamespace(0, { RESTARTS: "30", UNTIL_FAILURE: "true" })
    expect(run.failed).toBeGreaterThan(0)
    // Connections reset (Bun names a reset after the request was sent ECONNRESET, or ConnectionClosed), no HTTP error.
    for (const code of Object.keys(run.errors)) expect(["ECONNRESET", "ConnectionClosed"]).toContain(code)
  }, 180_000)
})

const SERVER = join(import.meta.dir, "support", "handover-server.ts")

/** handover-server.ts on `port`: resolves with its process once it prints "ready", or with its exit and output. */
const startServer = async (port: number, reusePort: boolean) => {
  const proc = Bun.spawn(["bun", SERVER], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", PORT: String(port), HOST: "127.0.0.1", SERVER_REUSE_PORT: String(reusePort) },
    stdout: "pipe", stderr: "pipe"
  })
  const reader = proc.stdout.getReader()
  let text = ""
  while (!text.includes("ready")) {
    const { done, value } = await reader.read()
    if (done) return { proc, ready: false, output: text + (await new Response(proc.stderr).text()) }
    text += new TextDecoder().decode(value)
  }
  return { proc, ready: true, output: text }
}

test("two processes share a port only with SERVER_REUSE_PORT on both", async () => {
  const port = freePort()
  const first = await startServer(port, false)
  const second = await startServer(port, false)
  first.proc.kill()
  second.proc.kill()
  expect(first.ready).toBe(true)
  expect(second.ready).toBe(false)
  expect(second.output).toMatch(/port \d+ in use/)
  await Promise.all([first.proc.exited, second.proc.exited])

  const shared = [await startServer(port, true), await startServer(port, true)]
  for (const server of shared) server.proc.kill()
  expect(shared.map((server) => server.ready)).toEqual([true, true])
  await Promise.all(shared.map((server) => server.proc.exited))
}, 60_000)
