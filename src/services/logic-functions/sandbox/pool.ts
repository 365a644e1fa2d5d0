/**
 * Runs logic functions out of process: each execution gets its own Bun process (child.ts), started with an
 * empty environment and a /tmp of its own (a mount namespace with fresh tmpfs, its working directory there), as an unprivileged user of its own (setpriv: it cannot
 * read the server's /proc/<pid>/environ or its 0600 files, nor touch another sandbox), in an empty network namespace unless allowed (unshare -n), under
 * RLIMIT_CPU and RLIMIT_AS (prlimit) and a wall-clock timeout. The worker talks to it over @effect/rpc on its
 * stdio. A process serves one execution and is then killed; `spares` processes are kept started ahead.
 */
import { RpcClient, RpcClientError, RpcSerialization } from "@effect/rpc"
import type { FromServerEncoded } from "@effect/rpc/RpcMessage"
import type { Subprocess } from "bun"
import { Context, Duration, Effect, Layer, Stream } from "effect"
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type ExecuteRequest, FunctionFailed, SandboxRpcs } from "./protocol.js"

export interface SandboxSettings {
  readonly cpuSeconds: number
  readonly memoryMb: number
  readonly allowNetwork: boolean
  /** Processes kept started ahead of executions (0: each execution starts its own). */
  readonly spares: number
  readonly maxConcurrent: number
}

export interface SandboxShape {
  /**
   * Runs `request` in a fresh sandbox; any failure (the function's, a limit, a crash) is a FunctionFailed.
   * `dependencies`: an installed directory whose node_modules the function's imports resolve from (read-only).
   */
  readonly execute: (request: ExecuteRequest, timeout: Duration.DurationInput, dependencies?: string | null) => Effect.Effect<{ readonly data: unknown; readonly logs: string }, FunctionFailed>
}

export class LogicFunctionSandbox extends Context.Tag("score/LogicFunctionSandbox")<LogicFunctionSandbox, SandboxShape>() {}

const MB = 1024 * 1024
/**
 * Each sandbox runs as its own user id, taken in turn from this range (no account needed): sandboxes running
 * at once cannot read each other's files, pipes or /proc entries, signal or trace each other, and RLIMIT_NPROC
 * (counted per user) bounds each one's processes.
 */
const SANDBOX_UID_BASE = 1_000_000
const SANDBOX_UIDS = 100_000
const SANDBOX_MAX_PROCESSES = 32

/** child.ts beside this module when running from sources; `child.js` beside the bundle (scripts/run.ts). */
const childEntry = () => {
  const here = dirname(fileURLToPath(import.meta.url))
  const source = join(here, "child.ts")
  return existsSync(source) ? source : join(here, "child.js")
}

interface Isolation {
  /** The child's script, where the sandbox can read it. */
  readonly entry: string
  /** Commands each sandbox starts through, as root (session, namespaces). */
  readonly prefix: ReadonlyArray<string>
  /** A mount namespace of its own: fresh tmpfs on /tmp, /var/tmp and /dev/shm, its working directory in /tmp. */
  readonly privateTmp: boolean
  /** prlimit and its limits. */
  readonly limits: ReadonlyArray<string>
  /** `setpriv`, when the server may switch user (it runs as root). */
  readonly setpriv: string | null
}

const STAGING_DIR = "/run/score-sandbox"
/** Where a sandbox's dependencies are mounted (read-only) before /tmp is replaced, so they may live under /tmp. */
const DEPENDENCIES_MOUNT = `${STAGING_DIR}/dependencies`

/**
 * Run by /bin/sh as root inside the new mount namespace, then replaced by the rest of the command ($0: the
 * sandbox's uid; with dependencies, $1: their directory, linked as the function's node_modules).
 */
const privateTmpScript = (withDependencies: boolean) => [
  ...(withDependencies ? [`mount --bind -o ro "$1" ${DEPENDENCIES_MOUNT}`] : []),
  "mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp",
  "mount -t tmpfs -o size=1m,mode=1777 tmpfs /var/tmp",
  "{ ! [ -d /dev/shm ] || mount -t tmpfs -o size=1m,mode=1777 tmpfs /dev/shm; }",
  "mkdir -m 700 /tmp/function",
  "chown \"$0:$0\" /tmp/function",
  ...(withDependencies ? [`ln -s ${DEPENDENCIES_MOUNT}/node_modules /tmp/function/node_modules`, "shift"] : []),
  "cd /tmp/function",
  // cd exported these; the function's environment stays empty.
  "unset PWD OLDPWD",
  "exec \"$@\""
].join(" && ")

/** The folders a sandbox gets fresh (privateTmpScript): a script under them is out of its sight. */
const HIDDEN_IN_SANDBOX = ["/tmp/", "/var/tmp/", "/dev/shm/"]

/**
 * The child's script where a sandbox with its own /tmp can read it. A server installed under /tmp (a CI
 * clone, say) has its sources and node_modules hidden there, so the child is bundled into one file under
 * /run (root's tmpfs, readable by the sandbox's user) once per process; null when that cannot be done.
 */
const stageEntry = (entry: string) =>
  Effect.gen(function*() {
    const real = realpathSync(entry)
    if (!HIDDEN_IN_SANDBOX.some((dir) => real.startsWith(dir))) return real
    const built = yield* Effect.promise(() => Bun.build({ entrypoints: [real], target: "bun" }))
    const output = built.success ? built.outputs[0] : undefined
    if (!output) return null
    const text = yield* Effect.promise(() => output.text())
    const staged = join(STAGING_DIR, `child-${Bun.hash(text).toString(16)}.js`)
    mkdirSync(STAGING_DIR, { recursive: true, mode: 0o755 })
    chmodSync(STAGING_DIR, 0o755)
    if (!existsSync(staged)) writeFileSync(staged, text, { mode: 0o644 })
    return staged
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(null)))

/** Which isolation this machine allows; each missing part is logged once, with what it means. */
const probeIsolation = (settings: SandboxSettings) =>
  Effect.gen(function*() {
    const prefix: Array<string> = []
    const isRoot = process.getuid?.() === 0
    // A session of its own: ending the sandbox ends every process it started (its process group).
    const setsid = Bun.which("setsid")
    if (setsid) prefix.push(setsid)
    const unshare = isRoot ? Bun.which("unshare") : null
    const works = (...flags: Array<string>) => unshare !== null && Bun.spawnSync([unshare, ...flags, "true"], { env: {} }).exitCode === 0
    const network = !settings.allowNetwork && works("-n")
    if (!settings.allowNetwork && !network) {
      yield* Effect.logWarning("Logic functions: no network namespace here (unshare -n needs root and util-linux): functions can reach the network")
    }
    const mountable = existsSync("/bin/sh") && works("-m")
    if (mountable) mkdirSync(DEPENDENCIES_MOUNT, { recursive: true, mode: 0o755 })
    const staged = mountable ? yield* stageEntry(childEntry()) : null
    const privateTmp = staged !== null
    if (!mountable) yield* Effect.logWarning("Logic functions: no mount namespace here (unshare -m needs root): sandboxes share /tmp")
    else if (!privateTmp) yield* Effect.logWarning(`Logic functions: the sandbox's script could not be placed in ${STAGING_DIR}: sandboxes share /tmp`)
    if (unshare && (network || privateTmp)) prefix.push(unshare, ...(network ? ["-n"] : []), ...(privateTmp ? ["-m"] : []))
    const prlimit = Bun.which("prlimit")
    const limits = prlimit
      ? [prlimit, `--cpu=${settings.cpuSeconds}:${settings.cpuSeconds + 1}`, `--as=${settings.memoryMb * MB}`, `--nproc=${SANDBOX_MAX_PROCESSES}`, "--core=0"]
      : []
    if (!prlimit) yield* Effect.logWarning("Logic functions: prlimit not found: no CPU time or memory limit, only the wall-clock timeout")
    const setpriv = isRoot ? Bun.which("setpriv") : null
    if (!setpriv) yield* Effect.logWarning("Logic functions: cannot switch to an unprivileged user (needs root and setpriv): functions run as the server's user")
    return { entry: staged ?? childEntry(), prefix, privateTmp, limits, setpriv } satisfies Isolation
  })

interface Sandbox {
  readonly process: Subprocess<"pipe", "pipe", "pipe">
  /** Its working directory on the host, when it has no /tmp of its own. */
  readonly workdir: string | null
  /** Its stdout carried something that is not the protocol (a function wrote to it). */
  unreadableOutput: boolean
}

const spawnSandbox = (isolation: Isolation, uid: number, dependencies: string | null): Sandbox => {
  const workdir = isolation.privateTmp ? null : mkdtempSync(join(tmpdir(), "score-fn-"))
  if (workdir && isolation.setpriv) chownSync(workdir, uid, uid)
  if (workdir && dependencies) symlinkSync(join(dependencies, "node_modules"), join(workdir, "node_modules"))
  const mounts = isolation.privateTmp
    ? ["/bin/sh", "-c", privateTmpScript(dependencies !== null), String(uid), ...(dependencies ? [dependencies] : [])]
    : []
  const user = isolation.setpriv ? [isolation.setpriv, `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--no-new-privs"] : []
  const child = Bun.spawn([...isolation.prefix, ...mounts, ...isolation.limits, ...user, process.execPath, isolation.entry], {
    cwd: workdir ?? "/",
    env: {},
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe"
  })
  return { process: child, workdir, unreadableOutput: false }
}

const endSandbox = (sandbox: Sandbox) =>
  Effect.sync(() => {
    for (const target of [-sandbox.process.pid, sandbox.process.pid]) {
      try {
        process.kill(target, "SIGKILL")
      } catch {
        // Already gone.
      }
    }
    if (sandbox.workdir) rmSync(sandbox.workdir, { recursive: true, force: true })
  })

/** An RPC client protocol over the sandbox's stdin/stdout; its end (the process died) fails what is in flight. */
const stdioProtocol = (sandbox: Sandbox) =>
  RpcClient.Protocol.make(Effect.fnUntraced(function*(writeResponse) {
    const serialization = yield* RpcSerialization.RpcSerialization
    const parser = serialization.unsafeMake()
    yield* Stream.fromReadableStream({ evaluate: () => sandbox.process.stdout, onError: (e) => e }).pipe(
      Stream.runForEach((chunk) =>
        Effect.flatMap(
          Effect.try(() => parser.decode(chunk) as ReadonlyArray<FromServerEncoded>).pipe(Effect.tapError(() => Effect.sync(() => {
            sandbox.unreadableOutput = true
          }))),
          (responses) => Effect.forEach(responses, writeResponse, { discard: true })
        )),
      // Unreadable output (a function wrote to the protocol's stdout) ends the sandbox as its exit does.
      Effect.catchAllCause(() => Effect.void),
      // Suspended: writeResponse is only the client's handler once the client runs.
      Effect.zipRight(Effect.suspend(() =>
        writeResponse({
          _tag: "ClientProtocolError",
          error: new RpcClientError.RpcClientError({ reason: "Protocol", message: "The sandbox process ended" })
        }))),
      Effect.forkScoped
    )
    return {
      send: (request) =>
        Effect.sync(() => {
          const encoded = parser.encode(request)
          if (encoded === undefined) return
          sandbox.process.stdin.write(encoded)
          sandbox.process.stdin.flush()
        }),
      supportsAck: true,
      supportsTransferables: false
    }
  }))

const SIGNALS_OF_MEMORY = ["SIGABRT", "SIGSEGV", "SIGBUS", "SIGTRAP", "SIGILL"]

/** Why a sandbox stopped without answering, from how its process ended. */
const ended = (sandbox: Sandbox, settings: SandboxSettings) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => sandbox.process.exited).pipe(Effect.timeout("2 seconds"), Effect.ignore)
    const signal = sandbox.process.signalCode === null ? null : String(sandbox.process.signalCode)
    const stderr = yield* Effect.promise(() => new Response(sandbox.process.stderr).text()).pipe(Effect.timeout("1 second"), Effect.orElseSucceed(() => ""))
    const fail = (errorType: string, errorMessage: string) => new FunctionFailed({ errorType, errorMessage, stackTrace: "", logs: stderr.slice(-4000) })
    // SIGXCPU at the soft limit, SIGKILL at the hard one (a second later): a SIGKILL before is someone else's.
    const cpuMicros = sandbox.process.resourceUsage()?.cpuTime.total ?? 0
    if (signal === "SIGXCPU" || (signal === "SIGKILL" && cpuMicros >= settings.cpuSeconds * 1e6)) {
      return fail("CpuTimeLimitExceeded", `Function exceeded its CPU time limit of ${settings.cpuSeconds} s`)
    }
    if (signal && SIGNALS_OF_MEMORY.includes(signal)) return fail("MemoryLimitExceeded", `Function exceeded its memory limit of ${settings.memoryMb} MB`)
    if (sandbox.unreadableOutput) {
      return fail("SandboxError", "The function's sandbox answered something unreadable: a function must not write to the process's stdout (console output is collected)")
    }
    return fail("SandboxError", `The function's sandbox stopped unexpectedly (${signal ?? `exit code ${sandbox.process.exitCode}`})`)
  })

export const LogicFunctionSandboxProcesses = (settings: SandboxSettings) =>
  Layer.scoped(
    LogicFunctionSandbox,
    Effect.gen(function*() {
      // Nothing starts before the first execution: a server whose workflows have no CODE step pays nothing.
      const isolationOnce = yield* Effect.cached(probeIsolation(settings))
      const spares: Array<Sandbox> = []
      let started = 0
      const spawn = (isolation: Isolation, dependencies: string | null = null) =>
        spawnSandbox(isolation, SANDBOX_UID_BASE + (started++ % SANDBOX_UIDS), dependencies)
      const refill = (isolation: Isolation) => {
        while (spares.length < settings.spares) spares.push(spawn(isolation))
      }
      // A function with dependencies gets a sandbox of its own started with them; spares have none.
      const take = (isolation: Isolation, dependencies: string | null) => {
        if (dependencies !== null) return spawn(isolation, dependencies)
        let sandbox = spares.shift()
        while (sandbox && sandbox.process.exitCode !== null) sandbox = spares.shift()
        return sandbox ?? spawn(isolation)
      }
      yield* Effect.addFinalizer(() => Effect.forEach(spares.splice(0), endSandbox, { discard: true }))
      const permits = yield* Effect.makeSemaphore(settings.maxConcurrent)

      const execute: SandboxShape["execute"] = (request, timeout, dependencies = null) =>
        Effect.flatMap(isolationOnce, (isolation) => Effect.acquireUseRelease(
          Effect.sync(() => take(isolation, dependencies)),
          (sandbox) =>
            Effect.gen(function*() {
              const client = yield* RpcClient.make(SandboxRpcs)
              return yield* client.Execute(request).pipe(
                Effect.timeoutFail({
                  duration: timeout,
                  onTimeout: () =>
                    new FunctionFailed({ errorType: "TimeoutError", errorMessage: `Function timed out after ${Duration.format(Duration.decode(timeout))}`, stackTrace: "", logs: "" })
                }),
                Effect.catchTag("RpcClientError", () => Effect.flatMap(ended(sandbox, settings), Effect.fail)),
                Effect.mapError((error) =>
                  error.errorMessage === "Out of memory"
                    ? new FunctionFailed({ ...error, errorType: "MemoryLimitExceeded", errorMessage: `Function exceeded its memory limit of ${settings.memoryMb} MB` })
                    : error
                )
              )
            }).pipe(
              Effect.provide(Layer.scoped(RpcClient.Protocol, stdioProtocol(sandbox)).pipe(Layer.provide(RpcSerialization.layerNdjson))),
              Effect.scoped
            ),
          (sandbox) => Effect.zipRight(endSandbox(sandbox), Effect.sync(() => refill(isolation)))
        )).pipe(permits.withPermits(1))
      return { execute }
    })
  )
