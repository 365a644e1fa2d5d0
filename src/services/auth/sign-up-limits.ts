import { Effect } from "effect"
import { Forbidden, TooManyRequests } from "../../domain/errors.js"
import type { AppConfigShape } from "../../platform/config.js"

/** Admits at most `limit` events per key in each fixed window of `windowMs`. */
export const makeWindowCounter = (limit: number, windowMs: number, now: () => number = Date.now) => {
  const windows = new Map<string, { start: number; count: number }>()
  return (key: string): boolean => {
    const at = now()
    if (windows.size > 10_000) {
      for (const [k, w] of windows) if (at - w.start >= windowMs) windows.delete(k)
    }
    let window = windows.get(key)
    if (!window || at - window.start >= windowMs) {
      window = { start: at, count: 0 }
      windows.set(key, window)
    }
    if (window.count >= limit) return false
    window.count++
    return true
  }
}

const signUpDisabled = new Forbidden({ message: "Sign up is disabled", subCode: "SIGNUP_DISABLED" })

/**
 * Public sign-up and workspace creation (each workspace is a PostgreSQL schema): IS_SIGN_UP_DISABLED
 * turns both off, otherwise sign-ups are limited per client address per hour and new workspaces per
 * minute for the whole process. The CLI does not go through here.
 */
export const makeSignUpLimits = (config: AppConfigShape) => {
  const perAddress = makeWindowCounter(config.signUpMaxPerAddressPerHour, 3_600_000)
  const workspacesPerMinute = makeWindowCounter(config.workspaceCreationMaxPerMinute, 60_000)
  return {
    /** Without a known address (no socket, as in-process calls) only the switch applies. */
    admitSignUp: (clientAddress: string | null): Effect.Effect<void, Forbidden | TooManyRequests> => {
      if (config.isSignUpDisabled) return Effect.fail(signUpDisabled)
      return clientAddress === null || perAddress(clientAddress)
        ? Effect.void
        : Effect.fail(new TooManyRequests({
          message: `Too many sign-ups from this address: at most ${config.signUpMaxPerAddressPerHour} per hour (SIGN_UP_MAX_PER_IP_PER_HOUR)`
        }))
    },
    admitWorkspaceCreation: (): Effect.Effect<void, Forbidden | TooManyRequests> => {
      if (config.isSignUpDisabled) return Effect.fail(signUpDisabled)
      return workspacesPerMinute("all")
        ? Effect.void
        : Effect.fail(new TooManyRequests({
          message: `Too many new workspaces: at most ${config.workspaceCreationMaxPerMinute} per minute (WORKSPACE_CREATION_MAX_PER_MINUTE), retry in a minute`
        }))
    }
  }
}
