/**
 * Twenty's HTTP route triggers (`httpRouteTriggerSettings: { path, httpMethod, isAuthRequired }`): a request to
 * `/s/<path>` runs the function whose path matches, `:name` segments becoming path parameters.
 */
import { Schema } from "effect"
import type { LogicFunctionRow } from "./store.js"

export const HttpRouteTriggerSettings = Schema.Struct({
  path: Schema.String,
  httpMethod: Schema.String,
  isAuthRequired: Schema.optionalWith(Schema.Boolean, { default: () => true })
})
export type HttpRouteTriggerSettings = typeof HttpRouteTriggerSettings.Type

const segments = (path: string) => path.split("/").filter((s) => s.length > 0)

/** The path parameters when `pattern` (`/users/:id`) matches `path`, else null. */
export const matchRoute = (pattern: string, path: string): Record<string, string> | null => {
  const want = segments(pattern)
  const got = segments(path)
  if (want.length !== got.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    const g = got[i]!
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g)
    else if (w !== g) return null
  }
  return params
}

/** The functions among `rows` whose route matches, with their settings and parameters. */
export const routeMatches = (rows: ReadonlyArray<LogicFunctionRow>, path: string) =>
  rows.flatMap((fn) => {
    const settings = Schema.decodeUnknownOption(HttpRouteTriggerSettings)(fn.httpRouteTriggerSettings)
    if (settings._tag === "None") return []
    const params = matchRoute(settings.value.path, path)
    return params === null ? [] : [{ fn, settings: settings.value, pathParameters: params }]
  })
