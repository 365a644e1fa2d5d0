import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { freePort } from "./process.js"

const OWNER = "postgres" // PgBouncer refuses to run as root

export interface PgBouncer {
  readonly port: number
  /** `database` through PgBouncer. */
  readonly urlFor: (database: string) => string
  readonly stop: () => Promise<void>
  /** Its log so far. */
  readonly log: () => string
}

const isRoot = () => process.getuid?.() === 0

/**
 * Debian's PgBouncer (scripts/setup.sh --services) on a free port, in transaction mode, in front of the PostgreSQL
 * at `host:port` (every database), at most `poolSize` server connections per database.
 */
export const startPgBouncer = async (
  options: { host?: string; port?: number; poolSize?: number; ignoreStartupParameters?: ReadonlyArray<string> } = {}
): Promise<PgBouncer> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "score-pgbouncer-"))
  fs.chmodSync(dir, 0o777)
  const port = freePort()
  const ini = [
    "[databases]",
    `* = host=${options.host ?? "127.0.0.1"} port=${options.port ?? 5432}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    "auth_type = trust",
    `auth_file = ${dir}/users.txt`,
    "pool_mode = transaction",
    `default_pool_size = ${options.poolSize ?? 3}`,
    "max_client_conn = 200",
    "server_reset_query =",
    ...(options.ignoreStartupParameters ? [`ignore_startup_parameters = ${options.ignoreStartupParameters.join(",")}`] : []),
    `logfile = ${dir}/pgbouncer.log`,
    `pidfile = ${dir}/pgbouncer.pid`
  ]
  fs.writeFileSync(path.join(dir, "pgbouncer.ini"), ini.join("\n") + "\n", { mode: 0o644 })
  fs.writeFileSync(path.join(dir, "users.txt"), `"${OWNER}" ""\n`, { mode: 0o644 })
  const command = ["/usr/sbin/pgbouncer", path.join(dir, "pgbouncer.ini")]
  const proc = Bun.spawn(isRoot() ? ["runuser", "-u", OWNER, "--", ...command] : command, { stdout: "ignore", stderr: "pipe" })
  const deadline = Date.now() + 10_000
  while (true) {
    const open = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true), () => false)
    if (open) break
    if (proc.exitCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(`${dir}/pgbouncer.log`) ? fs.readFileSync(`${dir}/pgbouncer.log`, "utf8") : ""
      proc.kill()
      fs.rmSync(dir, { recursive: true, force: true })
      throw new Error(`pgbouncer did not start: ${await new Response(proc.stderr).text()} ${log}`)
    }
    await Bun.sleep(50)
  }
  return {
    port,
    urlFor: (database) => `postgres://${OWNER}@127.0.0.1:${port}/${database}`,
    log: () => fs.existsSync(`${dir}/pgbouncer.log`) ? fs.readFileSync(`${dir}/pgbouncer.log`, "utf8") : "",
    stop: async () => {
      // PgBouncer itself (runuser's child), by the id it wrote.
      const pid = Number(fs.readFileSync(`${dir}/pgbouncer.pid`, "utf8").trim())
      if (pid > 0) process.kill(pid, "SIGINT")
      await Promise.race([proc.exited, Bun.sleep(3_000)])
      if (proc.exitCode === null && pid > 0) process.kill(pid, "SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
