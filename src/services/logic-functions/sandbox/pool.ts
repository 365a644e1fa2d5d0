/**
 * Runs logic functions out of process: each execution gets its own Bun process (child.ts), started with an
 * empty environment in a fresh temporary directory, as user `nobody` (setpriv: it cannot read the server's
 * /proc/<pid>/environ or its 0600 files), in an empty network namespace unless allowed (unshare -n), under
 * RLIMIT_CPU and RLIMIT_AS (prlimit) and a wall-clock timeout. The worker talks to it over @effect/rpc on its
 * stdio. A process serves one execution and is then killed; `spares` processes are kept started ahead.
 */
import { RpcClient, RpcClientError, RpcSerialization } from "@effect/rpc"
import type { FromServerEncoded } from "@effect/rpc/RpcMessage"
import type { Subprocess } from "bun"
import { Context, Duration, Effect, Layer, Stream } from "effect"
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs"
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
  /** Runs `request` in a fresh sandbox; any failure (the function's, a limit, a crash) is a FunctionFailed. */
  readonly execute: (request: ExecuteRequest, timeout: Duration.DurationInput) => Effect.Effect<{ readonly data: unknown; readonly logs: string }, FunctionFailed>
}

export class LogicFunctionSandbox extends Context.Tag("score/LogicFunctionSandbox")<LogicFunctionSandbox, SandboxShape>() {}

const NOBODY = 65534
const MB = 1024 * 1024

/** child.ts beside this module when running from sources; `child.js` beside the bundle (scripts/run.ts). */
const childEntry = () => {
  const here = dirname(fileURLToPath(import.meta.url))
  const source = join(here, "child.ts")
  return existsSync(source) ? source : join(here, "child.js")
}

interface Isolation {
  readonly prefix: ReadonlyArray<string>
  readonly dropUser: boolean
}

/** Which isolation this machine allows; each missing part is logged once, with what it means. */
const probeIsolation = (settings: SandboxSettings) =>
  Effect.gen(function*() {
    const prefix: Array<string> = []
    const isRoot = process.getuid?.() === 0
    const unshare = Bun.which("unshare")
    if (!settings.allowNetwork) {
      const works = unshare !== null && isRoot && Bun.spawnSync([unshare, "-n", "true"], { env: {} }).exitCode === 0
      if (works) prefix.push(unshare, "-n")
      else yield* Effect.logWarning("Logic functions: no network namespace here (unshare -n needs root and the util-linux tool): functions can reach the network")
    }
    const prlimit = Bun.which("prlimit")
    if (prlimit) prefix.push(prlimit, `--cpu=${settings.cpuSeconds}:${settings.cpuSeconds + 1}`, `--as=${settings.memoryMb * MB}`, "--core=0")
    else yield* Effect.logWarning("Logic functions: prlimit not found: no CPU time or memory limit, only the wall-clock timeout")
    const setpriv = Bun.which("setpriv")
    const dropUser = isRoot && setpriv !== null
    if (dropUser) prefix.push(setpriv, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--no-new-privs")
    else yield* Effect.logWarning("Logic functions: cannot switch to an unprivileged user (needs root and setpriv): functions run as the server's user")
    return { prefix, dropUser } satisfies Isolation
  })

interface Sandbox {
  readonly process: Subprocess<"pipe", "pipe", "pipe">
  readonly workdir: string
  killedByUs: boolean
}

const spawnSandbox = (isolation: Isolation, entry: string): Sandbox => {
  const workdir = mkdtempSync(join(tmpdir(), "score-fn-"))
  if (isolation.dropUser) chownSync(workdir, NOBODY, NOBODY)
  const child = Bun.spawn([...isolation.prefix, process.execPath, entry], {
    cwd: workdir,
    env: {},
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe"
  })
  return { process: child, workdir, killedByUs: false }
}

const endSandbox = (sandbox: Sandbox) =>
  Effect.sync(() => {
    sandbox.killedByUs = true
    sandbox.process.kill("SIGKILL")
    rmSync(sandbox.workdir, { recursive: true, force: true })
  })

/** An RPC client protocol over the sandbox's stdin/stdout; its end (the process died) fails what is in flight. */
const stdioProtocol = (sandbox: Sandbox) =>
  RpcClient.Protocol.make(Effect.fnUntraced(function*(writeResponse) {
    const serialization = yield* RpcSerialization.RpcSerialization
    const parser = serialization.unsafeMake()
    yield* Stream.fromReadableStream({ evaluate: () => sandbox.process.stdout, onError: (e) => e }).pipe(
      Stream.runForEach((chunk) => Effect.forEach(parser.decode(chunk) as ReadonlyArray<FromServerEncoded>, writeResponse, { discard: true })),
      Effect.ignore,
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
    if (signal === "SIGXCPU" || signal === "SIGKILL") return fail("CpuTimeLimitExceeded", `Function exceeded its CPU time limit of ${settings.cpuSeconds} s`)
    if (signal && SIGNALS_OF_MEMORY.includes(signal)) return fail("MemoryLimitExceeded", `Function exceeded its memory limit of ${settings.memoryMb} MB`)
    return fail("SandboxError", `The function's sandbox stopped unexpectedly (${signal ?? `exit code ${sandbox.process.exitCode}`})`)
  })

export const LogicFunctionSandboxProcesses = (settings: SandboxSettings) =>
  Layer.scoped(
    LogicFunctionSandbox,
    Effect.gen(function*() {
      // Nothing starts before the first execution: a server whose workflows have no CODE step pays nothing.
      const isolationOnce = yield* Effect.cached(probeIsolation(settings))
      const entry = childEntry()
      const spares: Array<Sandbox> = []
      const refill = (isolation: Isolation) => {
        while (spares.length < settings.spares) spares.push(spawnSandbox(isolation, entry))
      }
      const take = (isolation: Isolation) => {
        let sandbox = spares.shift()
        while (sandbox && sandbox.process.exitCode !== null) sandbox = spares.shift()
        return sandbox ?? spawnSandbox(isolation, entry)
      }
      yield* Effect.addFinalizer(() => Effect.forEach(spares.splice(0), endSandbox, { discard: true }))
      const permits = yield* Effect.makeSemaphore(settings.maxConcurrent)

      const execute: SandboxShape["execute"] = (request, timeout) =>
        Effect.flatMap(isolationOnce, (isolation) => Effect.acquireUseRelease(
          Effect.sync(() => take(isolation)),
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
