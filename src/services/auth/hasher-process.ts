import type { Subprocess } from "bun"
import { Either, Schema } from "effect"
import * as os from "node:os"
import { HASHER_CHILD_SOURCE } from "./hasher-child.js"
import type { HashWork } from "./hasher.js"

/** One answer line from the hasher child. */
const Answer = Schema.parseJson(Schema.Struct({
  id: Schema.Number,
  value: Schema.optional(Schema.Union(Schema.String, Schema.Boolean)),
  error: Schema.optional(Schema.String)
}))
const decodeAnswer = Schema.decodeUnknownEither(Answer)

interface Pending {
  readonly resolve: (value: string | boolean) => void
  readonly reject: (error: Error) => void
}

interface Child {
  readonly proc: Subprocess<"pipe", "pipe", "inherit">
  readonly pending: Map<number, Pending>
}

export interface ChildHasher extends HashWork {
  /** The running child's pid, if one runs (read by tests). */
  readonly pid: () => number | undefined
  readonly stop: () => Promise<void>
}

const readLines = async (stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) => {
  const decoder = new TextDecoder()
  let buffered = ""
  const reader = stream.getReader()
  while (true) {
    const { done, value } = await reader.read()
    if (done) return
    buffered += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, end))
      buffered = buffered.slice(end + 1)
    }
  }
}

/**
 * Hashes in a `bun` child at OS priority 19, started on first use. When it dies its in-flight requests
 * fail (the next one starts a new child); each request fails after `timeoutMs` rather than hang. If no
 * child can be spawned at all, `fallback` (in-process hashing) does the work.
 */
export const makeChildHasher = (options: { readonly timeoutMs: number; readonly fallback: HashWork }): ChildHasher => {
  let child: Child | undefined
  let spawnFailed = false
  let stopped = false
  let nextId = 0

  const failAll = (of: Child, reason: string) => {
    for (const pending of of.pending.values()) pending.reject(new Error(reason))
    of.pending.clear()
  }

  const start = (): Child | undefined => {
    try {
      const proc = Bun.spawn([process.execPath, "-e", HASHER_CHILD_SOURCE], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "inherit",
        env: { PATH: process.env.PATH ?? "" }
      })
      try {
        os.setPriority(proc.pid, 19)
      } catch {
        // The child lowers itself too; a platform without priorities still hashes.
      }
      const started: Child = { proc, pending: new Map() }
      void readLines(proc.stdout, (line) => {
        const answer = decodeAnswer(line)
        if (Either.isLeft(answer)) return
        const { error, id, value } = answer.right
        const pending = started.pending.get(id)
        if (!pending) return
        started.pending.delete(id)
        if (value === undefined) pending.reject(new Error(`password hasher: ${error ?? "no answer"}`))
        else pending.resolve(value)
      }).catch(() => {})
      void proc.exited.then((code) => {
        if (child === started) child = undefined
        failAll(started, `password hasher exited (${code})`)
      })
      return started
    } catch {
      spawnFailed = true
      return undefined
    }
  }

  const request = (message: { op: "hash"; password: string } | { op: "verify"; password: string; hash: string }) => {
    if (stopped) return Promise.reject(new Error("password hasher stopped"))
    child ??= start()
    const current = child
    if (!current) return message.op === "hash" ? options.fallback.hash(message.password) : options.fallback.verify(message.password, message.hash)
    const id = nextId++
    return new Promise<string | boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        current.pending.delete(id)
        reject(new Error(`password hasher timed out after ${options.timeoutMs} ms`))
      }, options.timeoutMs)
      const settle = <A>(then: (a: A) => void) => (a: A) => {
        clearTimeout(timer)
        then(a)
      }
      current.pending.set(id, { resolve: settle(resolve), reject: settle(reject) })
      try {
        current.proc.stdin.write(JSON.stringify({ id, ...message }) + "\n")
        current.proc.stdin.flush()
      } catch (error) {
        current.pending.delete(id)
        settle(reject)(new Error(`password hasher unreachable: ${String(error)}`))
      }
    })
  }

  return {
    hash: (password) =>
      request({ op: "hash", password }).then((value) => {
        if (typeof value !== "string") throw new Error("password hasher: expected a hash")
        return value
      }),
    verify: (password, hash) => request({ op: "verify", password, hash }).then((value) => value === true),
    pid: () => (spawnFailed ? undefined : child?.proc.pid),
    stop: async () => {
      stopped = true
      const running = child
      child = undefined
      if (!running) return
      failAll(running, "password hasher stopped")
      running.proc.kill("SIGTERM")
      const exited = await Promise.race([running.proc.exited.then(() => true), Bun.sleep(2000).then(() => false)])
      if (!exited) running.proc.kill("SIGKILL")
    }
  }
}
