/**
 * A PostgreSQL primary of the topology's own (initdb on a free port, replication allowed from loopback) and a
 * streaming replica made from it with pg_basebackup. The machine's own PostgreSQL is left alone.
 */
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { asPostgres, isRoot, run } from "./processes.js"

const binDir = () => {
  const root = "/usr/lib/postgresql"
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined
  if (!version) throw new Error("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/<version>/bin)")
  return join(root, version, "bin")
}

const giveToPostgres = (path: string) => {
  if (!isRoot()) return
  chownSync(path, Number(run(["id", "-u", "postgres"]).trim()), Number(run(["id", "-g", "postgres"]).trim()))
}

const ownedByPostgres = (dir: string) => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  giveToPostgres(dir)
}

/** pg_ctl's server log is opened by the server's user. */
const writableLog = (log: string) => {
  appendFileSync(log, "")
  giveToPostgres(log)
  return log
}

export interface PgNode {
  readonly dataDir: string
  readonly port: number
}

const pgCtl = (node: PgNode, action: "start" | "stop" | "restart", log?: string) =>
  run(asPostgres([
    join(binDir(), "pg_ctl"), "-D", node.dataDir, "-w", "-t", "60", ...(log ? ["-l", writableLog(log)] : []),
    ...(action === "stop" ? ["-m", "fast"] : ["-o", `-p ${node.port} -k ${node.dataDir}`]),
    action
  ]))

export const startPrimary = (dir: string, port: number, log: string): PgNode => {
  const node = { dataDir: join(dir, "pg-primary"), port }
  if (!existsSync(join(node.dataDir, "PG_VERSION"))) {
    ownedByPostgres(node.dataDir)
    run(asPostgres([join(binDir(), "initdb"), "-D", node.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]))
    writeFileSync(join(node.dataDir, "postgresql.auto.conf"), [
      "listen_addresses = '127.0.0.1'",
      "max_connections = 200",
      "wal_level = replica",
      "max_wal_senders = 5",
      "wal_keep_size = '256MB'",
      "hot_standby_feedback = on",
      "fsync = on",
      "shared_buffers = '128MB'"
    ].join("\n") + "\n")
    writeFileSync(join(node.dataDir, "pg_hba.conf"), [
      "local all all trust",
      "host all all 127.0.0.1/32 trust",
      "host replication all 127.0.0.1/32 trust"
    ].join("\n") + "\n")
  }
  pgCtl(node, "start", log)
  return node
}

export const createReplica = (dir: string, primary: PgNode, port: number, log: string): PgNode => {
  const node = { dataDir: join(dir, "pg-replica"), port }
  if (!existsSync(join(node.dataDir, "PG_VERSION"))) {
    ownedByPostgres(node.dataDir)
    run(asPostgres([
      join(binDir(), "pg_basebackup"), "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres",
      "-D", node.dataDir, "-R", "-X", "stream", "--checkpoint=fast"
    ]))
  }
  pgCtl(node, "start", log)
  return node
}

export const startNode = (node: PgNode, log: string) => pgCtl(node, "start", log)
export const stopNode = (node: PgNode) => {
  try {
    pgCtl(node, "stop")
  } catch {
    // not running
  }
}

export const createDatabase = (primary: PgNode, name: string) => {
  const exists = run([join(binDir(), "psql"), "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-tAc",
    `SELECT 1 FROM pg_database WHERE datname = '${name}'`]).trim()
  if (exists !== "1") run([join(binDir(), "createdb"), "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", name])
}
