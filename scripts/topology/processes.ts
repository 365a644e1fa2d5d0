/** Starting, watching and stopping the topology's processes: detached, logging to files in its folder. */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const freePort = () => {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

export const isRoot = () => process.getuid?.() === 0
/** PostgreSQL, PgBouncer refuse to run as root: as root, run them as the `postgres` user. */
export const asPostgres = (argv: ReadonlyArray<string>) => (isRoot() ? ["runuser", "-u", "postgres", "--", ...argv] : [...argv])

/** Runs a command to its end; throws with its output when it fails. */
export const run = (argv: ReadonlyArray<string>, options: { cwd?: string; env?: Record<string, string> } = {}) => {
  const result = Bun.spawnSync([...argv], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" })
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${result.stderr.toString()}${result.stdout.toString()}`)
  }
  return result.stdout.toString()
}

/** Starts a long-running process that outlives this one (its own session), output appended to `log`. */
export const spawnDetached = (argv: ReadonlyArray<string>, log: string, env: Record<string, string> = {}, cwd?: string) => {
  const fd = openSync(log, "a")
  try {
    const proc = Bun.spawn([...argv], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
      detached: true
    })
    proc.unref()
    return proc.pid
  } finally {
    closeSync(fd)
  }
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** Waits until `check` holds; throws naming `what` (and the log's tail) past the timeout. */
export const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, log?: string) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      const tail = log && existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : ""
      throw new Error(`${what}: not ready within ${timeoutMs} ms\n${tail}`)
    }
    await Bun.sleep(100)
  }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export const stopProcess = async (pid: number, graceMs = 20_000) => {
  signal(pid, "SIGTERM")
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(50)
  if (isAlive(pid)) signal(pid, "SIGKILL")
  while (isAlive(pid)) await Bun.sleep(20)
}

export const healthy = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)

export const logPath = (dir: string, name: string) => join(dir, "logs", `${name}.log`)

/** Inodes of the sockets listening on TCP `port` (any address, IPv4 and IPv6), from /proc/net/tcp*. */
const listeningInodes = (port: number) => {
  const inodes = new Set<string>()
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
      if (fields.length > 9 && fields[3] === "0A" && parseInt(fields[1]!.split(":")[1]!, 16) === port) inodes.add(fields[9]!)
    }
  }
  return inodes
}

/**
 * `pid` holds a socket listening on `port`: with SO_REUSEPORT several processes may, and this tells the new
 * one apart from the old (a request to the port may reach either).
 */
export const listensOn = (pid: number, port: number) => {
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return false
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? "")
      } catch {
        return false
      }
    })
  } catch {
    return false
  }
}

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req"

/**
 * net.ipv4.tcp_migrate_req=1 (Linux 5.14+): when a listener of an SO_REUSEPORT group closes, the connections
 * still in its backlog move to another listener of the group instead of being reset. Returns why not, or null.
 */
export const enableRequestMigration = (): string | null => {
  try {
    if (readFileSync(MIGRATE_REQ, "utf8").trim() !== "1") writeFileSync(MIGRATE_REQ, "1\n")
    return null
  } catch (error) {
    return `net.ipv4.tcp_migrate_req is off and could not be set (${(error as Error).message})`
  }
}
