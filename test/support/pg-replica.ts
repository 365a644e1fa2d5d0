import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SQL } from "bun"
import { freePort } from "./process.js"

const BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin"
/** PostgreSQL refuses to run as root: the clusters' files and processes belong to this user when we are root. */
const OWNER = "postgres"
/** No step of a cluster's start (initdb, a base backup, pg_ctl) may hang a test run. */
const STEP_SECONDS = 90

/**
 * A PostgreSQL 15 cluster of its own (the machine's binaries, a temporary directory, a free port, its socket
 * in that directory): a primary made with initdb, or a streaming replica of one made with `pg_basebackup -R`.
 * Own clusters rather than the machine's shared server: a base backup of the shared server holds up every
 * other process's DROP DATABASE while it runs (seen on this machine: minutes).
 */
export interface PgCluster {
  readonly port: number
  readonly dataDir: string
  /** `database` on this cluster. */
  readonly urlFor: (database: string) => string
  readonly start: () => Promise<void>
  readonly stop: () => Promise<void>
  /** Stops it and deletes its data directory. */
  readonly destroy: () => Promise<void>
}

const isRoot = () => process.getuid?.() === 0

// `timeout` kills the step itself (runuser would leave it running).
const asOwner = (args: Array<string>) => {
  const bounded = ["timeout", "-s", "KILL", String(STEP_SECONDS), ...args]
  return isRoot() ? ["runuser", "-u", OWNER, "--", ...bounded] : bounded
}

const run = async (args: Array<string>) => {
  const proc = Bun.spawn(asOwner(args), { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${out}${err}`)
  return out
}

let owner: { uid: number; gid: number } | undefined
const ownerIds = async (): Promise<{ uid: number; gid: number }> => {
  if (owner === undefined) {
    const [uid, gid] = await Promise.all([run(["id", "-u"]), run(["id", "-g"])])
    owner = { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  }
  return owner
}

const writeAsOwner = async (file: string, text: string) => {
  fs.writeFileSync(file, text, { mode: 0o600 })
  if (isRoot()) {
    const { uid, gid } = await ownerIds()
    fs.chownSync(file, uid, gid)
  }
}

const makeDataDir = async (tag: string) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `score-${tag}-`))
  if (isRoot()) {
    const { uid, gid } = await ownerIds()
    fs.chownSync(dataDir, uid, gid)
  }
  fs.chmodSync(dataDir, 0o700)
  return dataDir
}

const HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"

/** postgresql.conf, pg_hba.conf and pg_ident.conf of a test cluster, then pg_ctl start/stop around them. */
const cluster = async (dataDir: string, port: number, settings: Array<string>): Promise<PgCluster> => {
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dataDir}'`,
    "max_connections = 40",
    "shared_buffers = 16MB",
    "fsync = off",
    "synchronous_commit = off",
    "full_page_writes = off",
    "logging_collector = off",
    ...settings
  ]
  await writeAsOwner(path.join(dataDir, "postgresql.conf"), conf.join("\n") + "\n")
  await writeAsOwner(path.join(dataDir, "pg_hba.conf"), HBA)
  await writeAsOwner(path.join(dataDir, "pg_ident.conf"), "")
  let running = false
  const start = async () => {
    await run([`${BIN}/pg_ctl`, "-D", dataDir, "-l", path.join(dataDir, "server.log"), "-w", "-t", "60", "start"])
    running = true
  }
  const stop = async () => {
    if (!running) return
    await run([`${BIN}/pg_ctl`, "-D", dataDir, "-m", "fast", "-w", "stop"])
    running = false
  }
  try {
    await start()
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    dataDir,
    urlFor: (database) => `postgres://${OWNER}@127.0.0.1:${port}/${database}`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => {})
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/**
 * A primary: initdb, wal_level replica (15's default), replication connections from 127.0.0.1 trusted;
 * `settings` (postgresql.conf lines) override the test defaults (fsync off, 16MB shared buffers).
 */
export const startPgPrimary = async (settings: ReadonlyArray<string> = []): Promise<PgCluster> => {
  const dataDir = await makeDataDir("primary")
  try {
    await run([`${BIN}/initdb`, "-D", dataDir, "-U", OWNER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  return cluster(dataDir, freePort(), ["wal_level = replica", "max_wal_senders = 10", ...settings])
}

/** A hot standby streaming from `primary` (pg_basebackup -R: primary_conninfo and standby.signal). */
export const startPgReplica = async (primary: PgCluster): Promise<PgCluster> => {
  const dataDir = await makeDataDir("replica")
  try {
    await run([`${BIN}/pg_basebackup`, "-h", "127.0.0.1", "-p", String(primary.port), "-U", OWNER, "-D", dataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  // A hot standby needs max_connections at least the primary's (40 on both).
  return cluster(dataDir, freePort(), ["hot_standby = on", "hot_standby_feedback = on", "wal_receiver_status_interval = 1s"])
}

/** Waits until `replica` has replayed everything `primary` had written when called. */
export const waitForReplay = async (primary: PgCluster, replica: PgCluster, timeoutMs = 10_000) => {
  const onPrimary = new SQL({ url: primary.urlFor("postgres"), max: 1 })
  const onReplica = new SQL({ url: replica.urlFor("postgres"), max: 1 })
  try {
    const [{ lsn }] = await onPrimary`SELECT pg_current_wal_lsn()::text AS lsn`
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const [row] = await onReplica`SELECT pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn AS done`
      if (row.done) return
      await Bun.sleep(50)
    }
    throw new Error(`replica did not replay ${lsn} within ${timeoutMs} ms`)
  } finally {
    await onPrimary.close()
    await onReplica.close()
  }
}
