/**
 * The seed's deployment on one machine, from Debian and npm packages: nginx → 3 API servers, 2 workers, a
 * PostgreSQL primary with a streaming replica, PgBouncer (transaction mode), a Redis Cluster of 3 masters and
 * 3 replicas. State (ports, pids, the generated APP_SECRET) is kept in `<dir>/state.json`, so `stop` and the
 * chaos bench (bench/chaos.ts) can act on a topology started earlier.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { reloadNginx, startNginx, writeUpstream } from "./nginx.js"
import { startPgBouncer } from "./pgbouncer.js"
import { createDatabase, createReplica, type PgNode, startNode, startPrimary, stopNode } from "./postgres.js"
import {
  enableRequestMigration, freePort, healthy, isAlive, listensOn, logPath, run, signal, spawnDetached, stopProcess, waitUntil
} from "./processes.js"
import { masterPorts, startRedisCluster, startRedisNode } from "./redis-cluster.js"

const ROOT = resolve(import.meta.dir, "../..")
const DATABASE = "score"

export interface Instance {
  readonly name: string
  readonly port: number
  pid: number
}

export interface TopologyState {
  readonly dir: string
  readonly appSecret: string
  readonly nginx: { readonly port: number; pid: number }
  readonly primary: PgNode
  readonly replica: PgNode
  readonly pgbouncer: { readonly port: number; pid: number }
  readonly redis: Array<{ readonly port: number; pid: number }>
  readonly apis: Array<Instance>
  readonly workers: Array<Instance>
  readonly env: Record<string, string>
  /** net.ipv4.tcp_migrate_req is on: a rolling restart resets no connection (see rollingRestart). */
  readonly requestMigration: boolean
}

export interface TopologyOptions {
  readonly dir?: string
  readonly apis?: number
  readonly workers?: number
  /** Settings added to every API server and worker (after the topology's own). */
  readonly env?: Record<string, string>
  /** The API servers and workers reach PostgreSQL through PgBouncer (default) or directly. */
  readonly pgbouncer?: boolean
}

export const defaultDir = () => resolve(process.env.TOPOLOGY_DIR ?? join(ROOT, ".data", "topology"))
const statePath = (dir: string) => join(dir, "state.json")
export const saveState = (state: TopologyState) => writeFileSync(statePath(state.dir), JSON.stringify(state, null, 2))
export const loadState = (dir = defaultDir()): TopologyState | null =>
  existsSync(statePath(dir)) ? JSON.parse(readFileSync(statePath(dir), "utf8")) : null

export const publicUrl = (state: TopologyState) => `http://127.0.0.1:${state.nginx.port}`
export const primaryUrl = (state: TopologyState) => `postgres://postgres@127.0.0.1:${state.primary.port}/${DATABASE}`

const startInstance = async (state: TopologyState, instance: Instance, entry: "main" | "worker") => {
  const env = { ...state.env, ...(entry === "main" ? { PORT: String(instance.port), HOST: "127.0.0.1" } : {}) }
  const pid = spawnDetached(["bun", "scripts/run.ts", entry], logPath(state.dir, instance.name), env, ROOT)
  instance.pid = pid
  if (entry === "main") {
    // This process listens (with SO_REUSEPORT an old one may still answer on the port), then the port is healthy.
    await waitUntil(`${instance.name} listening`, () => {
      if (!isAlive(pid)) throw new Error(`${instance.name} exited:\n${readFileSync(logPath(state.dir, instance.name), "utf8").slice(-2000)}`)
      return listensOn(pid, instance.port)
    }, 60_000, logPath(state.dir, instance.name))
    await waitUntil(`${instance.name} /healthz`, () => healthy(`http://127.0.0.1:${instance.port}/healthz`), 60_000, logPath(state.dir, instance.name))
  }
}

export const start = async (options: TopologyOptions = {}): Promise<TopologyState> => {
  const dir = options.dir ?? defaultDir()
  if (loadState(dir)) throw new Error(`a topology is already recorded in ${dir}: stop it first (bun run topology stop)`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, "logs"), { recursive: true })
  const migrationOff = enableRequestMigration()
  if (migrationOff) process.stderr.write(`${migrationOff}: a rolling restart may reset a connection queued at the old server\n`)
  const log = (name: string) => logPath(dir, name)

  const primary = startPrimary(dir, freePort(), log("pg-primary"))
  createDatabase(primary, DATABASE)
  const replica = createReplica(dir, primary, freePort(), log("pg-replica"))
  const pgbouncerPort = freePort()
  const pgbouncerPid = startPgBouncer(dir, pgbouncerPort, primary.port, DATABASE, log("pgbouncer"))
  const redisPorts = Array.from({ length: 6 }, freePort)
  const redis = await startRedisCluster(dir, redisPorts, (port) => log(`redis-${port}`))

  const databaseUrl = options.pgbouncer === false
    ? `postgres://postgres@127.0.0.1:${primary.port}/${DATABASE}`
    : `postgres://postgres@127.0.0.1:${pgbouncerPort}/${DATABASE}`
  const base = {
    dir,
    appSecret: crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", ""),
    nginx: { port: freePort(), pid: 0 },
    primary,
    replica,
    pgbouncer: { port: pgbouncerPort, pid: pgbouncerPid },
    redis,
    requestMigration: migrationOff === null
  }
  const state: TopologyState = {
    ...base,
    apis: Array.from({ length: options.apis ?? 3 }, (_, i) => ({ name: `api-${i + 1}`, port: freePort(), pid: 0 })),
    workers: Array.from({ length: options.workers ?? 2 }, (_, i) => ({ name: `worker-${i + 1}`, port: 0, pid: 0 })),
    env: {
      DATABASE_URL: databaseUrl,
      DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${replica.port}/${DATABASE}`,
      ...(options.pgbouncer === false ? {} : { DATABASE_PGBOUNCER: "true" }),
      DATABASE_POOL_SIZE: "6",
      DATABASE_READ_POOL_SIZE: "4",
      REDIS_CLUSTER_NODES: redisPorts.slice(0, 3).map((p) => `127.0.0.1:${p}`).join(","),
      APP_SECRET: base.appSecret,
      TRUSTED_PROXIES: "127.0.0.1",
      // A restarted server's new process binds the port beside the old one (rollingRestart).
      SERVER_REUSE_PORT: "true",
      // Above nginx's upstream keepalive_timeout (5 s): no idle connection is left when a server stops listening.
      SHUTDOWN_DRAIN: "6s",
      SERVER_URL: `http://127.0.0.1:${base.nginx.port}`,
      DATA_DIR: join(dir, "data"),
      ...options.env
    }
  }
  saveState(state)
  try {
    await startServices(state, log)
  } catch (error) {
    await stop(state).catch(() => {})
    throw error
  }
  return state
}

const startServices = async (state: TopologyState, log: (name: string) => string) => {
  // Core migrations once, on the primary itself (they hold a session advisory lock).
  run(["bun", "scripts/run.ts", "cli", "migrate"], { cwd: ROOT, env: { ...state.env, DATABASE_URL: primaryUrl(state) } })
  for (const api of state.apis) await startInstance(state, api, "main")
  for (const worker of state.workers) await startInstance(state, worker, "worker")
  state.nginx.pid = startNginx(state.dir, state.nginx.port, state.apis, log("nginx"))
  await waitUntil("nginx", () => healthy(`${publicUrl(state)}/healthz`), 15_000, log("nginx"))
  saveState(state)
}

export const stop = async (state: TopologyState) => {
  const stopIfStarted = (pid: number, graceMs?: number) => (pid > 0 ? stopProcess(pid, graceMs) : Promise.resolve())
  await Promise.all([...state.apis, ...state.workers].map((p) => stopIfStarted(p.pid)))
  await stopIfStarted(state.nginx.pid, 5_000)
  await stopIfStarted(state.pgbouncer.pid, 5_000)
  for (const node of state.redis) await stopIfStarted(node.pid, 5_000)
  stopNode(state.replica)
  stopNode(state.primary)
  rmSync(statePath(state.dir), { force: true })
}

// Faults and operations, for bench/chaos.ts.

export const killApi = (state: TopologyState, index: number) => signal(state.apis[index]!.pid, "SIGKILL")
export const restartApi = async (state: TopologyState, index: number) => {
  await startInstance(state, state.apis[index]!, "main")
  saveState(state)
}

/**
 * One API server at a time, in place: a new process binds the same port (SERVER_REUSE_PORT) and listens, then
 * the old one gets SIGTERM: it drains for SHUTDOWN_DRAIN (closing nginx's keep-alive connections as it
 * answers), closes its listener (net.ipv4.tcp_migrate_req moves the connections still in its backlog to the
 * new process's), finishes what is in flight and exits. nginx never sees the port refuse or reset a connection.
 * No nginx reload: a reload closes clients' idle connections to nginx, and a request sent on one as it closes fails.
 */
export const rollingRestart = async (state: TopologyState) => {
  for (const api of state.apis) {
    const old = api.pid
    try {
      await startInstance(state, api, "main")
    } catch (error) {
      // The old process goes on serving; the state keeps it, so `stop` finds it.
      signal(api.pid, "SIGKILL")
      api.pid = old
      throw error
    }
    saveState(state)
    await stopProcess(old, 30_000)
  }
}

/** Balances over the first `count` API servers only (bench/scale-out.ts); nginx reloads. */
export const balanceOver = async (state: TopologyState, count: number) => {
  writeUpstream(state.dir, state.apis.slice(0, count))
  reloadNginx(state.dir)
  await Bun.sleep(1000) // the old nginx workers finish and exit
}

export const killWorker = (state: TopologyState, index: number) => signal(state.workers[index]!.pid, "SIGKILL")
export const restartWorker = async (state: TopologyState, index: number) => {
  await startInstance(state, state.workers[index]!, "worker")
  saveState(state)
}

export const stopReplica = (state: TopologyState) => stopNode(state.replica)
export const startReplica = (state: TopologyState) => startNode(state.replica, logPath(state.dir, "pg-replica"))

/** SIGKILLs one Redis master; its replica is promoted by the cluster. Returns the killed port. */
export const killRedisMaster = (state: TopologyState) => {
  const alive = state.redis.filter((n) => isAlive(n.pid))
  const masters = masterPorts(alive[0]!.port)
  const victim = alive.find((n) => masters.includes(n.port))!
  signal(victim.pid, "SIGKILL")
  return victim.port
}
export const restartRedisNode = (state: TopologyState, port: number) => {
  const node = state.redis.find((n) => n.port === port)!
  node.pid = startRedisNode(state.dir, port, logPath(state.dir, `redis-${port}`))
  saveState(state)
}

if (import.meta.main) {
  const command = process.argv[2]
  const dir = defaultDir()
  if (command === "start") {
    const state = await start({ dir })
    process.stdout.write(
      `Topology up in ${dir}\n` +
      `  nginx        ${publicUrl(state)}\n` +
      `  API servers  ${state.apis.map((a) => a.port).join(", ")}; workers: ${state.workers.length}\n` +
      `  PostgreSQL   primary :${state.primary.port}, replica :${state.replica.port}, PgBouncer :${state.pgbouncer.port}\n` +
      `  Redis        cluster ${state.redis.map((n) => n.port).join(", ")}\n` +
      `  restarts     in place (SO_REUSEPORT), net.ipv4.tcp_migrate_req ${state.requestMigration ? "on" : "off: a connection queued at a stopping server may be reset"}\n` +
      `  logs         ${join(dir, "logs")}\n` +
      `Create a workspace: DATABASE_URL=${primaryUrl(state)} APP_SECRET=${state.appSecret} bun run cli workspace:create ...\n`
    )
  } else if (command === "stop") {
    const state = loadState(dir)
    if (!state) process.stdout.write(`No topology recorded in ${dir}\n`)
    else {
      await stop(state)
      process.stdout.write("Topology stopped\n")
    }
  } else if (command === "status") {
    const state = loadState(dir)
    if (!state) process.stdout.write(`No topology recorded in ${dir}\n`)
    else {
      for (const p of [...state.apis, ...state.workers]) process.stdout.write(`${p.name}: ${isAlive(p.pid) ? "up" : "down"}\n`)
      process.stdout.write(`nginx: ${isAlive(state.nginx.pid) ? "up" : "down"}; redis masters: ${masterPorts(state.redis[0]!.port).join(", ")}\n`)
    }
  } else {
    process.stderr.write("usage: bun run topology start|stop|status  (TOPOLOGY_DIR, default .data/topology)\n")
    process.exit(2)
  }
}
