/**
 * Twenty's `Sources`: a function's files as `{ path: content }`, flat (`"src/index.ts"`) or nested by folder
 * (`{ src: { "index.ts": … } }`). The sandbox gets every file, so the handler imports the others (`./utils`).
 */
import { Schema } from "effect"
import type { SourceFile } from "./sandbox/protocol.js"

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

/** A relative path that stays inside the function's directory: no leading `/`, no `..`, `.` or empty segment. */
export const isContainedPath = (path: string) =>
  path.length > 0 && !path.startsWith("/") && !path.includes("\\") && !path.includes("\0") &&
  path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..")

/** Every file of `sources`, nested folders joined by `/`. */
export const flattenSources = (sources: Sources, prefix = ""): Array<SourceFile> =>
  Object.entries(sources).flatMap(([name, value]) =>
    typeof value === "string" ? [{ path: `${prefix}${name}`, content: value }] : flattenSources(value, `${prefix}${name}/`))

/**
 * What the sandbox writes for one execution: the function's files and the handler's path among them (a
 * handler path without a runnable extension is written as TypeScript, `<path>.ts`). Null when the handler
 * is missing; a path leaving the function's directory is named, to be refused.
 */
export const sandboxFiles = (sources: Sources, sourceHandlerPath: string) => {
  const handler = fileAt(sources, sourceHandlerPath)
  if (handler === null) return null
  const handlerPath = RUNNABLE.test(sourceHandlerPath) ? sourceHandlerPath : `${sourceHandlerPath}.ts`
  const files = [...flattenSources(sources).filter((file) => file.path !== sourceHandlerPath), { path: handlerPath, content: handler }]
  return { files, handlerPath, outside: files.find((file) => !isContainedPath(file.path))?.path ?? null }
}

/** `sources` with the file at `path` replaced by `content` (where it is, flat or in its folders; else flat). */
export const withFile = (sources: Sources, path: string, content: string): Sources => {
  if (typeof sources[path] === "string" || !path.includes("/")) return { ...sources, [path]: content }
  const [head, ...rest] = path.split("/")
  const folder = sources[head!]
  if (folder === undefined || typeof folder === "string" || fileAt(folder, rest.join("/")) === null) return { ...sources, [path]: content }
  return { ...sources, [head!]: withFile(folder, rest.join("/"), content) }
}
