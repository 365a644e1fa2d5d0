import type { Subprocess } from "bun"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { freePort } from "./process.js"

const CLICKHOUSE = ["/usr/bin/clickhouse", "/usr/sbin/clickhouse-server"].find((candidate) => existsSync(candidate))

export const hasClickHouse = CLICKHOUSE !== undefined

export interface ClickHouseServer {
  readonly url: string
  /** Stops the server (SIGKILL after 5 s), keeping its data directory so `restart` finds its tables. */
  readonly pause: () => Promise<void>
  readonly restart: () => Promise<void>
  readonly stop: () => Promise<void>
}

/**
 * A real ClickHouse (Debian's `clickhouse-server`, 18.16) for one test file: its own config.xml, users.xml
 * and data in a temp dir, HTTP and TCP on free ports of 127.0.0.1, no system service.
 */
export const startClickHouse = async (): Promise<ClickHouseServer> => {
  if (!CLICKHOUSE) throw new Error("clickhouse-server is not installed (bash scripts/setup.sh --services installs it)")
  const dir = mkdtempSync(path.join(tmpdir(), "score-clickhouse-"))
  const httpPort = freePort()
  const tcpPort = freePort()
  writeFileSync(path.join(dir, "users.xml"), `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`)
  writeFileSync(path.join(dir, "config.xml"), `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><console>0</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
`)
  const url = `http://127.0.0.1:${httpPort}`
  let proc: Subprocess<"ignore", "ignore", "ignore"> | null = null
  const launch = async () => {
    const args = CLICKHOUSE.endsWith("clickhouse") ? [CLICKHOUSE, "server"] : [CLICKHOUSE]
    proc = Bun.spawn([...args, `--config-file=${dir}/config.xml`], { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: "ignore" })
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break
      const ok = await fetch(`${url}/ping`).then((r) => r.ok, () => false)
      if (ok) return
      await Bun.sleep(100)
    }
    const log = existsSync(path.join(dir, "error.log")) ? await Bun.file(path.join(dir, "error.log")).text() : ""
    throw new Error(`clickhouse-server did not answer on ${url}: ${log.slice(-2000)}`)
  }
  const pause = async () => {
    const running = proc
    if (running === null) return
    proc = null
    running.kill("SIGTERM")
    const timer = setTimeout(() => running.kill("SIGKILL"), 5000)
    await running.exited
    clearTimeout(timer)
  }
  await launch()
  return {
    url,
    pause,
    restart: launch,
    stop: async () => {
      await pause()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
