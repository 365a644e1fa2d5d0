/**
 * nginx in front of the API servers, with deploy/nginx/score.conf as the server block and an upstream file
 * written from the topology's state.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { run, spawnDetached } from "./processes.js"

const NGINX = "/usr/sbin/nginx"
const SERVER_BLOCK = resolve(import.meta.dir, "../../deploy/nginx/score.conf")

export interface Upstream {
  readonly port: number
}

const upstreamFile = (dir: string) => join(dir, "nginx", "upstream.conf")

export const writeUpstream = (dir: string, servers: ReadonlyArray<Upstream>) =>
  writeFileSync(upstreamFile(dir), [
    "upstream score_api {",
    "    least_conn;",
    ...servers.map((s) => `    server 127.0.0.1:${s.port} max_fails=1 fail_timeout=2s;`),
    "    keepalive 64;",
    "    keepalive_timeout 5s;",
    "}"
  ].join("\n") + "\n")

export const startNginx = (dir: string, port: number, servers: ReadonlyArray<Upstream>, log: string) => {
  const root = join(dir, "nginx")
  mkdirSync(join(root, "temp"), { recursive: true })
  writeUpstream(dir, servers)
  // The server block listens on 80 in deploy/; here on the topology's port.
  const serverBlock = join(root, "score.conf")
  writeFileSync(serverBlock, readFileSync(SERVER_BLOCK, "utf8").replace(/listen 80;/, `listen 127.0.0.1:${port};`))
  writeFileSync(join(root, "nginx.conf"), [
    `pid ${root}/nginx.pid;`,
    `error_log ${root}/error.log warn;`,
    "daemon off;",
    "worker_processes 1;",
    "events { worker_connections 4096; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${root}/temp/${t};`),
    `  include ${upstreamFile(dir)};`,
    `  include ${serverBlock};`,
    "}"
  ].join("\n") + "\n")
  return spawnDetached([NGINX, "-p", root, "-c", join(root, "nginx.conf")], log)
}

/** Re-reads the configuration (the upstream file): new connections follow it, requests in flight finish. */
export const reloadNginx = (dir: string) => run([NGINX, "-p", join(dir, "nginx"), "-c", join(dir, "nginx", "nginx.conf"), "-s", "reload"])
