import { describe, expect, test } from "bun:test"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

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
