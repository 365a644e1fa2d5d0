import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SQL } from "bun"
import { ADMIN_DATABASE_URL } from "./database.js"
import { freePort } from "./process.js"

const BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin"
/** PostgreSQL refuses to run as root: the cluster's files and processes belong to this user when we are root. */
const OWNER = "postgres"

export interface PgReplica {
  readonly port: number
  readonly dataDir: string
  /** `database` on the replica (the same names as on the primary). */
  readonly urlFor: (database: string) => string
  readonly start: () => Promise<void>
  readonly stop: () => Promise<void>
  /** Stops it and deletes its data directory. */
  readonly destroy: () => Promise<void>
}

const asOwner = (args: Array<string>) => process.getuid?.() === 0 ? ["runuser", "-u", OWNER, "--", ...args] : args

const run = async (args: Array<string>) => {
  const proc = Bun.spawn(asOwner(args), { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${out}${err}`)
  return out
}

/**
 * A streaming replica of the machine's PostgreSQL (ADMIN_DATABASE_URL's server): a second cluster made with
 * `pg_basebackup -R` into a temporary directory and started on a free port, its socket in its own directory.
 * The primary must accept replication connections from 127.0.0.1 (scripts/setup.sh --services).
 */
export const startPgReplica = async (options: { readonly maxConnections?: number } = {}): Promise<PgReplica> => {
  const primary = new URL(ADMIN_DATABASE_URL)
  const port = freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "score-replica-"))
  if (process.getuid?.() === 0) {
    const { uid, gid } = await ownerIds()
    fs.chownSync(dataDir, uid, gid)
  }
  fs.chmodSync(dataDir, 0o700)
  await run([
    `${BIN}/pg_basebackup`, "-h", primary.hostname, "-p", primary.port || "5432", "-U", primary.username || "postgres",
    "-D", dataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"
  ])
  // Debian keeps postgresql.conf and pg_hba.conf outside the data directory: the replica gets its own.
  // A hot standby needs max_connections at least the primary's.
  const primaryMax = await withPrimary((sql) => sql`SHOW max_connections`.then((rows) => Number(rows[0].max_connections)))
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dataDir}'`,
    `max_connections = ${Math.max(primaryMax, options.maxConnections ?? 0)}`,
    "shared_buffers = 16MB",
    "hot_standby = on",
    "hot_standby_feedback = on",
    "wal_receiver_status_interval = 1s",
    "fsync = off",
    "logging_collector = off"
  ]
  await writeAsOwner(path.join(dataDir, "postgresql.conf"), conf.join("\n") + "\n")
  await writeAsOwner(path.join(dataDir, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n")
  await writeAsOwner(path.join(dataDir, "pg_ident.conf"), "")
  const logFile = path.join(dataDir, "replica.log")
  let running = false
  const start = async () => {
    await run([`${BIN}/pg_ctl`, "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", `-c config_file=${dataDir}/postgresql.conf -c hba_file=${dataDir}/pg_hba.conf -c ident_file=${dataDir}/pg_ident.conf`, "start"])
    running = true
  }
  const stop = async () => {
    if (!running) return
    await run([`${BIN}/pg_ctl`, "-D", dataDir, "-m", "fast", "-w", "stop"])
    running = false
  }
  await start()
  const urlFor = (database: string) => `postgres://${primary.username || "postgres"}@127.0.0.1:${port}/${database}`
  return {
    port,
    dataDir,
    urlFor,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => {})
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

const withPrimary = async <A>(f: (sql: SQL) => Promise<A>) => {
  const sql = new SQL(ADMIN_DATABASE_URL)
  try {
    return await f(sql)
  } finally {
    await sql.close()
  }
}

const ownerIds = async () => {
  const [uid, gid] = await Promise.all([run(["id", "-u"]), run(["id", "-g"])])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

const writeAsOwner = async (file: string, text: string) => {
  fs.writeFileSync(file, text, { mode: 0o600 })
  if (process.getuid?.() === 0) {
    const { uid, gid } = await ownerIds()
    fs.chownSync(file, uid, gid)
  }
}

/** Waits until the replica has replayed everything the primary had written when called. */
export const waitForReplay = async (replica: PgReplica, timeoutMs = 10_000) => {
  const target = await withPrimary((sql) => sql`SELECT pg_current_wal_lsn()::text AS lsn`.then((rows) => String(rows[0].lsn)))
  const sql = new SQL(replica.urlFor("postgres"))
  try {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const [row] = await sql`SELECT pg_last_wal_replay_lsn() >= ${target}::pg_lsn AS done`
      if (row.done) return
      await Bun.sleep(50)
    }
    throw new Error(`replica did not replay ${target} within ${timeoutMs} ms`)
  } finally {
    await sql.close()
  }
}
