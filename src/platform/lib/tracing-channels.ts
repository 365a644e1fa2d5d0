import diagnostics from "node:diagnostics_channel"

/**
 * Gives Bun's TracingChannel Node's `hasSubscribers` (Node ≥ 20.13: any of its five channels has a
 * subscriber). Bun 1.4's has none, and ioredis skips tracing only when it reads `false`: it traced every
 * command for no one (its arguments copied and matched against regexes, a context object, a wrapper promise,
 * five publications), about a third of its client CPU per EVALSHA (loaded machine, 4 × 20,000 interleaved: 18–32
 * → 14–18 µs). A subscriber (Sentry's ioredis integration) still sees every command.
 */
export const installTracingChannelHasSubscribers = () => {
  const prototype: object = Object.getPrototypeOf(diagnostics.tracingChannel("score:probe"))
  if ("hasSubscribers" in prototype) return
  Object.defineProperty(prototype, "hasSubscribers", {
    configurable: true,
    get(this: diagnostics.TracingChannel<object, object>) {
      return this.start.hasSubscribers || this.end.hasSubscribers || this.asyncStart.hasSubscribers ||
        this.asyncEnd.hasSubscribers || this.error.hasSubscribers
    }
  })
}
