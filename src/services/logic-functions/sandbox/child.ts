/**
 * A sandbox process: started by the worker's pool (pool.ts) with an empty environment, as an unprivileged
 * user, in its own network namespace and under CPU and memory limits; answers `Execute` on stdin/stdout.
 * Each process runs one function and is then ended, so nothing a function leaves behind reaches another.
 */
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Effect, Layer, Sink, Stream } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, relative, resolve } from "node:path"
import { FunctionFailed, SandboxRpcs } from "./protocol.js"

// The protocol owns stdout: a function's console output is collected and answered as its logs.
const writeProtocol = process.stdout.write.bind(process.stdout)
const logs: Array<string> = []
const collect = (level: string) => (...args: Array<unknown>) => {
  logs.push(`${level} ${args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" ")}`)
}
for (const level of ["log", "info", "warn", "error", "debug"] as const) console[level] = collect(level.toUpperCase())
process.stdout.write = () => true

/** Bun reports a source that does not parse as a BuildMessage carrying its position. */
const syntaxError = (error: unknown) => {
  if (!(error instanceof Error) || error.name !== "BuildMessage") return null
  const position = (error as { position?: { line?: number; column?: number } | null }).position
  return `Syntax error: ${error.message}${position?.line ? ` (line ${position.line}, column ${position.column ?? 0})` : ""}`
}

const failed = (error: unknown) =>
  new FunctionFailed({
    errorType: syntaxError(error) !== null ? "SyntaxError" : error instanceof Error ? error.name : "Error",
    errorMessage: syntaxError(error) ?? (error instanceof Error ? error.message : String(error)),
    stackTrace: error instanceof Error ? error.stack ?? "" : "",
    logs: logs.join("\n")
  })

/** `path` under the working directory; the worker checked it too, this keeps a bad one from writing elsewhere. */
const contained = (path: string) => {
  const full = resolve(process.cwd(), path)
  const inside = relative(process.cwd(), full)
  if (inside === "" || inside.startsWith("..") || resolve(process.cwd(), inside) !== full) throw new Error(`File path ${path} is outside the function's directory`)
  return full
}

const Handlers = SandboxRpcs.toLayer({
  Execute: ({ env, files, handlerPath, handlerName, params }) =>
    Effect.tryPromise({
      try: async () => {
        for (const file of files) {
          const path = contained(file.path)
          mkdirSync(dirname(path), { recursive: true })
          writeFileSync(path, file.content)
        }
        Object.assign(process.env, env ?? {})
        const module = await import(contained(handlerPath))
        const handler = handlerName.split(".").reduce<any>((at, key) => (at === null || at === undefined ? undefined : at[key]), module)
        if (typeof handler !== "function") throw new TypeError(`The function does not export ${handlerName}`)
        const data = await handler(params)
        // Only JSON travels back: a value that is not (a function, a cycle) is an error, not a silent null.
        return { data: data === undefined ? null : JSON.parse(JSON.stringify(data)), logs: logs.join("\n") }
      },
      catch: failed
    })
})

const stdio = RpcServer.layerProtocolStdio({
  stdin: Stream.fromReadableStream({ evaluate: () => Bun.stdin.stream(), onError: (e) => e }),
  stdout: Sink.forEach((chunk: Uint8Array | string) => Effect.sync(() => writeProtocol(chunk)))
})

RpcServer.layer(SandboxRpcs).pipe(
  Layer.provide(Handlers),
  Layer.provide(stdio),
  Layer.provide(RpcSerialization.layerNdjson),
  Layer.launch,
  Effect.runFork
)
