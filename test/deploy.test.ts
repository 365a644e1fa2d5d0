import { describe, expect, test } from "bun:test"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { freePort } from "./support/process.js"

const ROOT = resolve(import.meta.dir, "..")
const DEPLOY = join(ROOT, "deploy")
const readme = readFileSync(join(ROOT, "README.md"), "utf8")
const documented = (name: string) => readme.includes(`\`${name}\``)

describe("deploy/compose.yaml", () => {
  const compose = Bun.YAML.parse(readFileSync(join(DEPLOY, "compose.yaml"), "utf8")) as any

  test("every setting given to Score is one the README documents", () => {
    const env = compose.services.api.environment as Record<string, string>
    expect(Object.keys(env).length).toBeGreaterThan(5)
    expect(Object.keys(env).filter((name) => !documented(name))).toEqual([])
  })

  test("every file it mounts or builds from exists, and every dependency is a service", () => {
    for (const [name, service] of Object.entries<any>(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(":")[0]!
        if (source.startsWith(".")) expect(existsSync(join(DEPLOY, source)), `${name}: ${source}`).toBe(true)
      }
      if (service.build) expect(existsSync(join(DEPLOY, service.build.context, service.build.dockerfile))).toBe(true)
      const depends = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})
      for (const dependency of depends) expect(Object.keys(compose.services)).toContain(dependency)
    }
    expect(compose.services.api.deploy.replicas).toBe(3)
    expect(compose.services.worker.deploy.replicas).toBe(2)
  })
})

test("deploy/Dockerfile copies only what exists and builds the bundle", () => {
  const dockerfile = readFileSync(join(DEPLOY, "Dockerfile"), "utf8")
  for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const source of sources!.split(/\s+/)) expect(existsSync(join(ROOT, source)), source).toBe(true)
  }
  expect(dockerfile).toContain("scripts/run.ts build")
})

test("the systemd units run the entry points the package defines", () => {
  for (const [unit, entry] of [["score-api@.service", "main"], ["score-worker@.service", "worker"]] as const) {
    const text = readFileSync(join(DEPLOY, "systemd", unit), "utf8")
    expect(text).toContain(`scripts/run.ts ${entry}`)
    expect(text).toMatch(/^EnvironmentFile=/m)
    expect(text).toMatch(/^KillSignal=SIGTERM$/m)
  }
  const example = readFileSync(join(DEPLOY, "systemd", "score.env.example"), "utf8")
  const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!)
  expect(names.filter((name) => !documented(name))).toEqual([])
})

describe("rolling restart in place (score-api@<port>-<slot>)", () => {
  const unit = readFileSync(join(DEPLOY, "systemd", "score-api@.service"), "utf8")
  /** The `sh -c` script of a unit line, with systemd's escapes ($$, %%) undone. */
  const script = (key: string) => {
    const match = new RegExp(`^${key}=\\+?/bin/sh -c '(.+)' score-api %i$`, "m").exec(unit)
    expect(match, key).not.toBeNull()
    return match![1]!.replaceAll("$$", "$").replaceAll("%%", "%")
  }
  const sh = (text: string, instance: string, env: Record<string, string> = {}, timeout = 10_000) =>
    Bun.spawnSync(["sh", "-c", text, "score-api", instance], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe", timeout })

  test("the port is the instance name up to its slot", () => {
    const start = script("ExecStart").replace(/exec \S+ scripts\/run\.ts main$/, "exec printenv PORT")
    expect(sh(start, "3002-b").stdout.toString()).toBe("3002\n")
    expect(sh(start, "3002").stdout.toString()).toBe("3002\n")
  })

  test("the unit is started once its own process listens, not another slot's", async () => {
    const port = freePort()
    const other = Bun.serve({ port, hostname: "127.0.0.1", reusePort: true, fetch: () => new Response() })
    const child = Bun.spawn(["bun", "-e", `Bun.serve({ port: ${port}, hostname: "127.0.0.1", reusePort: true, fetch: () => new Response() }); console.log("ready")`], { stdout: "pipe" })
    try {
      const reader = child.stdout.getReader()
      while (!new TextDecoder().decode((await reader.read()).value).includes("ready")) { /* until listening */ }
      expect(sh(script("ExecStartPost"), `${port}-b`, { MAINPID: String(child.pid) }).exitCode).toBe(0)
      // This test's own process listens on the port too, but a third pid does not: the wait goes on.
      expect(sh(script("ExecStartPost"), `${port}-b`, { MAINPID: "1" }, 1_500).exitCode).not.toBe(0)
    } finally {
      child.kill()
      void other.stop(true)
    }
  })

  test("the settings and the sysctl it needs ship with it", () => {
    expect(readFileSync(join(DEPLOY, "systemd", "score.env.example"), "utf8")).toMatch(/^SERVER_REUSE_PORT=true$/m)
    expect(readFileSync(join(DEPLOY, "systemd", "90-score.conf"), "utf8")).toMatch(/^net\.ipv4\.tcp_migrate_req = 1$/m)
    const restart = join(DEPLOY, "systemd", "score-rolling-restart.sh")
    expect(Bun.spawnSync(["sh", "-n", restart]).exitCode).toBe(0)
    expect(readFileSync(restart, "utf8")).toContain('systemctl start "score-api@$port-$new"')
  })

  test.skipIf(!Bun.which("systemd-analyze"))("systemd-analyze verify accepts an instance", () => {
    const dir = mkdtempSync(join(tmpdir(), "score-unit-"))
    try {
      writeFileSync(join(dir, "score-api@.service"), unit)
      const result = Bun.spawnSync(["systemd-analyze", "verify", join(dir, "score-api@3001-a.service")], { stderr: "pipe", timeout: 30_000 })
      expect(result.stderr.toString()).toBe("")
      expect(result.exitCode).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].find(existsSync)

test.skipIf(!nginx)("nginx accepts the configuration (nginx -t)", () => {
  const dir = mkdtempSync(join(tmpdir(), "score-nginx-"))
  try {
    writeFileSync(join(dir, "nginx.conf"), `
      pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {}
      http {
        access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
        uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
        include ${join(DEPLOY, "nginx", "score-upstream.conf")};
        include ${join(DEPLOY, "nginx", "score.conf")};
      }`)
    const result = Bun.spawnSync([nginx!, "-t", "-q", "-p", dir, "-c", join(dir, "nginx.conf")], { stderr: "pipe" })
    expect(result.stderr.toString()).toBe("")
    expect(result.exitCode).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
