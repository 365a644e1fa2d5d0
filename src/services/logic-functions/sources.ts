/**
 * Twenty's `Sources`: a function's files as `{ path: content }`, flat (`"src/index.ts"`) or nested by folder
 * (`{ src: { "index.ts": … } }`). The sandbox gets the handler file alone (no imports between files yet).
 */
import { Schema } from "effect"

export interface Sources {
  readonly [path: string]: string | Sources
}

export const Sources: Schema.Schema<Sources> = Schema.Record({
  key: Schema.String,
  value: Schema.Union(Schema.String, Schema.suspend((): Schema.Schema<Sources> => Sources))
})

/** Sources larger than this (their JSON) are refused. */
export const MAX_SOURCES_BYTES = 512 * 1024

export const defaultSources = (sourceHandlerPath: string, handlerName: string): Sources => ({
  [sourceHandlerPath]: `export const ${handlerName} = async (params: { a: string; b: number }): Promise<object> => {
  const { a, b } = params
  // Replace with your own logic: the returned value is the step's result.
  return { message: \`Hello, input: \${a} and \${b}\` }
}
`
})

/** The file at `path`, looked up flat first, then folder by folder. */
export const fileAt = (sources: Sources, path: string): string | null => {
  const flat = sources[path]
  if (typeof flat === "string") return flat
  const [head, ...rest] = path.split("/")
  const folder = head === undefined ? undefined : sources[head]
  if (folder === undefined || rest.length === 0) return null
  return typeof folder === "string" ? null : fileAt(folder, rest.join("/"))
}

const RUNNABLE = /\.(ts|mts|cts|js|mjs|cjs)$/

/** The sandbox's file name for the handler: its extension decides TypeScript or JavaScript. */
export const sandboxFileName = (path: string) => {
  const extension = RUNNABLE.exec(path)?.[0]
  return `handler${extension ?? ".ts"}`
}

/** `sources` with the file at `path` replaced by `content` (where it is, flat or in its folders; else flat). */
export const withFile = (sources: Sources, path: string, content: string): Sources => {
  if (typeof sources[path] === "string" || !path.includes("/")) return { ...sources, [path]: content }
  const [head, ...rest] = path.split("/")
  const folder = sources[head!]
  if (folder === undefined || typeof folder === "string" || fileAt(folder, rest.join("/")) === null) return { ...sources, [path]: content }
  return { ...sources, [head!]: withFile(folder, rest.join("/"), content) }
}
