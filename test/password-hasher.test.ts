import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { inlineHashWork } from "../src/services/auth/hasher.js"
import { type ChildHasher, makeChildHasher } from "../src/services/auth/hasher-process.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"
import { startServer } from "./support/process.js"

/** Issue #15: argon2 runs in a low-priority child process that is replaced when it dies and never outlives the server. */

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const waitUntil = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await Bun.sleep(20)
  }
  return true
}

/** Hasher children of a process (`bun -e` running the hasher source). */
const hasherChildren = (parent: number) =>
  Bun.spawnSync(["ps", "-o", "pid=,args=", "--ppid", String(parent)]).stdout.toString().split("\n")
    .filter((line) => line.includes("Bun.password"))
    .map((line) => Number(line.trim().split(/\s+/)[0]))

describe("the child hasher", () => {
  let hasher: ChildHasher
  beforeAll(() => {
    hasher = makeChildHasher({ timeoutMs: 30_000, fallback: inlineHashWork })
  })
  afterAll(() => hasher.stop())

  test("is started lazily, at OS priority 19, and hashes byte-compatibly with in-process argon2id", async () => {
    expect(hasher.pid()).toBeUndefined()
    const hash = await hasher.hash("correct horse battery")
    const pid = hasher.pid()!
    expect(pid).toBeGreaterThan(0)
    expect(os.getPriority(pid)).toBe(19)
    expect(hash).toStartWith("$argon2id$v=19$m=65536,t=2,p=1$")
    expect(await Bun.password.verify("correct horse battery", hash)).toBe(true)
    const existing = await Bun.password.hash("an existing password", { algorithm: "argon2id" })
    expect(await hasher.verify("an existing password", existing)).toBe(true)
  })

  test("refuses a wrong password and an unreadable hash", async () => {
    const hash = await hasher.hash("correct horse battery")
    expect(await hasher.verify("wrong horse battery", hash)).toBe(false)
    expect(await hasher.verify("correct horse battery", "not-a-hash")).toBe(false)
  })

  test("a verify takes about as long as in-process (sane timing)", async () => {
    const hash = await Bun.password.hash("timing password", { algorithm: "argon2id" })
    await hasher.verify("timing password", hash)
    const started = performance.now()
    for (let i = 0; i < 3; i++) await hasher.verify("timing password", hash)
    const childMs = (performance.now() - started) / 3
    const inlineStarted = performance.now()
    for (let i = 0; i < 3; i++) await Bun.password.verify("timing password", hash)
    const inlineMs = (performance.now() - inlineStarted) / 3
    console.log(`verify: child ${childMs.toFixed(1)} ms, in-process ${inlineMs.toFixed(1)} ms`)
    expect(childMs).toBeGreaterThan(5)
    expect(childMs).toBeLessThan(Math.max(1000, inlineMs * 10))
  })

  test("a killed child fails its in-flight request clearly and is replaced for the next", async () => {
    await hasher.hash("warm up password")
    const first = hasher.pid()!
    const inFlight = hasher.hash("in flight password")
    process.kill(first, "SIGKILL")
    await expect(inFlight).rejects.toThrow(/password hasher exited/)
    await waitUntil(() => hasher.pid() === undefined)
    const hash = await hasher.hash("after the crash")
    expect(hasher.pid()).not.toBe(first)
    expect(await hasher.verify("after the crash", hash)).toBe(true)
  })

  test("a request times out instead of hanging", async () => {
    const slow = makeChildHasher({ timeoutMs: 5, fallback: inlineHashWork })
    try {
      await expect(slow.hash("too slow to finish")).rejects.toThrow(/timed out after 5 ms/)
    } finally {
      await slow.stop()
    }
  })

  test("stop ends the child", async () => {
    const own = makeChildHasher({ timeoutMs: 30_000, fallback: inlineHashWork })
    await own.hash("stop me please")
    const pid = own.pid()!
    await own.stop()
    expect(await waitUntil(() => !alive(pid))).toBe(true)
    await expect(own.hash("after stop")).rejects.toThrow(/stopped/)
  })
})

describe("no orphan hasher", () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    test(`the parent's ${signal} leaves no child`, async () => {
      const parent = Bun.spawn(["bun", `${import.meta.dir}/support/hasher-parent.ts`], { stdout: "pipe", stderr: "inherit" })
      const reader = parent.stdout.getReader()
      let out = ""
      while (!out.includes("\n")) out += new TextDecoder().decode((await reader.read()).value)
      const pid = Number(out.match(/hasher (\d+)/)![1])
      expect(alive(pid)).toBe(true)
      parent.kill(signal)
      await parent.exited
      expect(await waitUntil(() => !alive(pid))).toBe(true)
    })
  }
})

describe("sign-in through the hasher child", () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ redis: false })
  })
  afterAll(() => app.close())

  const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { refreshToken { token } } } }`

  test("signs in, refuses a wrong password, and still signs in after the child is killed", async () => {
    const account = await signUpWithWorkspace(app)
    const [child] = hasherChildren(process.pid)
    expect(child).toBeGreaterThan(0)
    expect((await app.gql(SIGN_IN, { e: account.email, p: "correct horse battery" })).body.errors).toBeUndefined()
    const wrong = await app.gql(SIGN_IN, { e: account.email, p: "wrong horse battery" })
    expect(wrong.body.errors![0]!.extensions.code).toBe("FORBIDDEN")
    process.kill(child!, "SIGKILL")
    await waitUntil(() => !alive(child!))
    const again = await app.gql(SIGN_IN, { e: account.email, p: "correct horse battery" })
    expect(again.body.errors).toBeUndefined()
    expect(hasherChildren(process.pid).filter((pid) => pid !== child)).toHaveLength(1)
  })
})

describe("the embedded server and its hasher", () => {
  test("signs up through the hasher child and leaves none behind after SIGTERM", async () => {
    const dataDir = mkdtempSync(join(os.tmpdir(), "score-hasher-"))
    const server = await startServer({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "3s" }, 60_000)
    try {
      const response = await fetch(`${server.url}/metadata`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation { signUp(email: "hasher@example.com", password: "correct horse battery") { tokens { refreshToken { token } } } }`
        })
      })
      const body = await response.json() as { errors?: unknown }
      expect(body.errors).toBeUndefined()
      const [child] = hasherChildren(server.proc.pid)
      expect(child).toBeGreaterThan(0)
      expect(os.getPriority(child!)).toBe(19)
      await server.stop("SIGTERM")
      expect(await waitUntil(() => !alive(child!))).toBe(true)
    } finally {
      server.proc.kill("SIGKILL")
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
