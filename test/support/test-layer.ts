/**
 * Stub layers for unit tests, as Effect's examples/http-server does: `makeTestLayer(Webhooks)({ matching })`
 * is a Layer of the tag whose other members die with "not implemented: <tag>.<member>" when used, so a
 * test names only what the code under test may touch.
 */
import { Context, Effect, Layer } from "effect"

const unimplemented = (key: string, member: string) => {
  const dead = Effect.die(`not implemented: ${key}.${member}`)
  // Members are either effects or functions returning effects: this stub is both.
  const stub = () => dead
  Object.assign(stub, dead)
  Object.setPrototypeOf(stub, Object.getPrototypeOf(dead))
  return stub
}

export const makeTestLayer = <I, S extends object>(tag: Context.Tag<I, S>) => (partial: Partial<S>): Layer.Layer<I> =>
  Layer.succeed(
    tag,
    new Proxy(partial as S, {
      get: (target, member) => {
        if (member in target) return (target as Record<PropertyKey, unknown>)[member]
        // Symbols and `then` are probes by the runtime and by `await`, not calls of a member.
        if (typeof member === "symbol" || member === "then") return undefined
        return unimplemented(tag.key, member)
      }
    })
  )
