import type { Subprocess } from "bun"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "./process.js"

/**
 * A real Redis Cluster on this machine: `redis-server --cluster-enabled yes` nodes on free ports (client and
 * bus port each), in a temporary directory, joined with `redis-cli --cluster create`. For tests and for a
 * topology script; `stop` ends every node and removes the directory.
 */
export interface RedisClusterNode {
  readonly port: number
  readonly proc: Subprocess<"ignore", "pipe", "pipe">
}

export interface RedisClusterHandle {
  /** REDIS_CLUSTER_NODES for Score: every node, `127.0.0.1:port,...`. */
  readonly seeds: string
  readonly nodes: ReadonlyArray<RedisClusterNode>
  /** `redis-cli -p port <args>`'s output. */
  readonly cli: (port: number, ...args: Array<string>) => Promise<string>
  /** Ports of the nodes that are masters now, of those still running. */
  readonly masters: () => Promise<Array<number>>
  /** SIGKILLs the node (as a crash would) and waits for it to exit. */
  readonly kill: (port: number) => Promise<void>
  /** Waits until every running node sees all 16384 slots served (after a failover: the replica promoted). */
  readonly waitHealthy: (timeoutMs?: number) => Promise<void>
  readonly stop: () => Promise<void>
}

export interface RedisClusterOptions {
  readonly masters?: number
  readonly replicasPerMaster?: number
  /** cluster-node-timeout: how long a silent master has before its replica takes over. */
  readonly nodeTimeoutMs?: number
}

const run = async (args: Array<string>) => {
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", stdin: "ignore" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${out}${err}`)
  return out
}

const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} not within ${timeoutMs} ms`)
    await Bun.sleep(100)
  }
}

export const startRedisCluster = async (options: RedisClusterOptions = {}): Promise<RedisClusterHandle> => {
  const masters = options.masters ?? 3
  const count = masters * (1 + (options.replicasPerMaster ?? 1))
  const dir = mkdtempSync(join(tmpdir(), "score-redis-cluster-"))
  const nodes: Array<RedisClusterNode> = []
  const running = new Set<number>()
  const cli = (port: number, ...args: Array<string>) => run(["redis-cli", "-p", String(port), ...args])

  const stop = async () => {
    await Promise.all(nodes.map((node) => {
      node.proc.kill("SIGKILL")
      return node.proc.exited
    }))
    running.clear()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    for (let i = 0; i < count; i++) {
      const port = freePort()
      const nodeDir = join(dir, String(port))
      await run(["mkdir", "-p", nodeDir])
      const proc = Bun.spawn([
        "redis-server",
        "--port", String(port),
        "--cluster-port", String(freePort()),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", join(nodeDir, "nodes.conf"),
        "--cluster-node-timeout", String(options.nodeTimeoutMs ?? 1000),
        "--dir", nodeDir,
        "--appendonly", "yes",
        "--save", "",
        "--logfile", join(nodeDir, "redis.log")
      ], { stdout: "pipe", stderr: "pipe", stdin: "ignore" })
      nodes.push({ port, proc })
      running.add(port)
    }
    for (const node of nodes) await until(`node ${node.port} up`, async () => (await cli(node.port, "PING")).trim() === "PONG", 10_000)
    await run([
      "redis-cli", "--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas", String(options.replicasPerMaster ?? 1), "--cluster-yes"
    ])
  } catch (error) {
    await stop()
    throw error
  }

  const clusterState = async (port: number) => {
    const info = await cli(port, "CLUSTER", "INFO")
    return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info)
  }
  const roleOf = async (port: number) => (await cli(port, "ROLE")).split("\n")[0]!.trim()
  const mastersNow = async () => {
    const roles = await Promise.all([...running].map(async (port) => ({ port, role: await roleOf(port).catch(() => "") })))
    return roles.filter((node) => node.role === "master").map((node) => node.port)
  }
  const waitHealthy = async (timeoutMs = 30_000) => {
    await until("all slots served", async () => (await Promise.all([...running].map(clusterState))).every(Boolean), timeoutMs)
    // Replicas in sync, so a master killed next has a copy of what it acknowledged.
    await until("replicas in sync", async () => {
      const links = await Promise.all([...running].map(async (port) => {
        const info = await cli(port, "INFO", "replication")
        return !/role:slave/.test(info) || /master_link_status:up/.test(info)
      }))
      return links.every(Boolean)
    }, timeoutMs)
  }
  try {
    await waitHealthy()
  } catch (error) {
    await stop()
    throw error
  }

  return {
    seeds: nodes.map((node) => `127.0.0.1:${node.port}`).join(","),
    nodes,
    cli,
    masters: mastersNow,
    kill: async (port) => {
      const node = nodes.find((n) => n.port === port)
      if (!node) throw new Error(`no node on port ${port}`)
      node.proc.kill("SIGKILL")
      await node.proc.exited
      running.delete(port)
    },
    waitHealthy,
    stop
  }
}
