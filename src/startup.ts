import { Cause, ConfigError, Effect } from "effect"
import { formatConfigError } from "./platform/config.js"

const describe = (error: unknown): string => {
  if (ConfigError.isConfigError(error)) return formatConfigError(error)
  const tagged = error as { _tag?: string; message?: string; cause?: unknown }
  switch (tagged._tag) {
    case "SqlError":
      return `Database unreachable or refused the connection: ${tagged.message ?? ""} ${
        (tagged.cause as Error | undefined)?.message ?? ""
      }`.trim()
    case "RedisUnavailable":
      return tagged.message ?? "Redis unreachable"
    default:
      return tagged.message ?? String(error)
  }
}

/** Startup problems end the process with one readable line on stderr and exit code 1, never a stack trace. */
export const exitOnStartupError = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.catchAllCause(program, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.void
    const failure = Cause.failureOption(cause)
    const line = failure._tag === "Some" ? describe(failure.value) : `Startup failed: ${describe(Cause.squash(cause))}`
    return Effect.sync(() => {
      process.stderr.write(`${line}\n`)
      process.exit(1)
    })
  })
