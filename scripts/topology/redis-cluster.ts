/** A Redis Cluster of 3 masters and 3 replicas from `redis-server --cluster-enabled`, made with `redis-cli --cluster create`. */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { run, spawnDetached, waitUntil } from "./processes.js"

export interface RedisNode {
  readonly port: number
  pid: number
}

const ping = (port: number) => {
  const result = Bun.spawnSync(["redis-cli", "-p", String(port), "ping"], { stdout: "pipe", stderr: "pipe" })
  return result.stdout.toString().trim() === "PONG"
}

export const startRedisNode = (dir: string, port: number, log: string) => {
  const nodeDir = join(dir, `redis-${port}`)
  mkdirSync(nodeDir, { recursive: true })
  return spawnDetached([
    "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", nodeDir,
    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
    "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""
  ], log)
}

export const startRedisCluster = async (dir: string, ports: ReadonlyArray<number>, log: (port: number) => string) => {
  const nodes: Array<RedisNode> = ports.map((port) => ({ port, pid: startRedisNode(dir, port, log(port)) }))
  await waitUntil("redis nodes", () => ports.every(ping), 15_000)
  run(["redis-cli", "--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes"])
  await waitUntil("redis cluster state ok", () => clusterState(ports[0]!) === "ok", 30_000)
  return nodes
}

export const clusterState = (port: number) => {
  const result = Bun.spawnSync(["redis-cli", "-p", String(port), "cluster", "info"], { stdout: "pipe", stderr: "pipe" })
  return /cluster_state:(\w+)/.exec(result.stdout.toString())?.[1] ?? "down"
}

/** The ports of the current masters, as one node sees them. */
export const masterPorts = (port: number) => {
  const result = Bun.spawnSync(["redis-cli", "-p", String(port), "cluster", "nodes"], { stdout: "pipe", stderr: "pipe" })
  return result.stdout.toString().split("\n")
    .filter((line) => /\bmaster\b/.test(line) && !/\bfail\b/.test(line))
    .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
    .filter((p) => p > 0)
}
