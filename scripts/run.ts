/**
 * Runs an entry point (main, worker, cli) from a bundle in dist/, rebuilding it first when a source
 * file is newer. One bundled file loads in about half the time of hundreds of modules. Code the entries
 * share, and each library a service imports on first use (`lazyModule`), is a chunk of its own
 * (`dist/chunk-<hash>.js`): a lazy library's chunk is parsed only when a path needs it.
 */
import { readdirSync, rmSync, statSync } from "node:fs"
import { basename } from "node:path"
import { join } from "node:path"

const ENTRIES = { main: "src/main.ts", worker: "src/jobs/worker.ts", cli: "src/cli.ts" } as const
/** Not a command: the logic functions' sandbox process, started by the bundle it sits beside (dist/child.js). */
const SANDBOX_CHILD = "src/services/logic-functions/sandbox/child.ts"
const root = join(import.meta.dir, "..")
/** `build` only (re)builds dist/ (a container image does it once, at build time). */
const buildOnly = process.argv[2] === "build"
const entry = (buildOnly ? "main" : process.argv[2]) as keyof typeof ENTRIES
if (!(entry in ENTRIES)) {
  process.stderr.write(`usage: bun scripts/run.ts ${Object.keys(ENTRIES).join("|")}|build [args]\n`)
  process.exit(2)
}

const newestSource = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, item) => {
    const path = join(dir, item.name)
    return Math.max(newest, item.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }, 0)

const bundle = join(root, "dist", `${entry}.js`)
const builtAt = (() => {
  try {
    return statSync(bundle).mtimeMs
  } catch {
    return 0
  }
})()

if (builtAt < Math.max(newestSource(join(root, "src")), statSync(join(root, "bun.lock")).mtimeMs, statSync(import.meta.path).mtimeMs)) {
  const result = await Bun.build({
    entrypoints: [...Object.values(ENTRIES), SANDBOX_CHILD].map((file) => join(root, file)),
    outdir: join(root, "dist"),
    target: "bun",
    minify: true,
    splitting: true,
    naming: { entry: "[name].[ext]", chunk: "chunk-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    // Libraries' production paths (graphql-js skips its development-only instanceof diagnostics).
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    // PGlite loads its WASM and data files relative to its own module; sharp its native libvips binding.
    external: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "sharp"]
  })
  if (!result.success) {
    for (const log of result.logs) console.error(log)
    process.exit(1)
  }
  // Chunks of earlier builds (their names are content hashes) go.
  const built = new Set(result.outputs.map((output) => basename(output.path)))
  for (const file of readdirSync(join(root, "dist"))) {
    if (file.startsWith("chunk-") && !built.has(file)) rmSync(join(root, "dist", file), { force: true })
  }
}

if (!buildOnly) {
  process.argv.splice(2, 1)
  await import(bundle)
}
