/**
 * The bundle of dist/ (scripts/run.ts builds it; test/lazy-modules.test.ts checks what an entry loads at
 * start). Code the entries share, and each library a service imports on first use (`lazyModule`), is a
 * chunk of its own (`chunk-<hash>.js`): a lazy library's chunk is parsed only when a path needs it.
 */
import { join } from "node:path"

export const ENTRIES = { main: "src/main.ts", worker: "src/jobs/worker.ts", cli: "src/cli.ts" } as const
/** Not a command: the logic functions' sandbox process, started by the bundle it sits beside (dist/child.js). */
export const SANDBOX_CHILD = "src/services/logic-functions/sandbox/child.ts"

export const bundleOptions = (root: string, outdir: string) => ({
  entrypoints: [...Object.values(ENTRIES), SANDBOX_CHILD].map((file) => join(root, file)),
  outdir,
  target: "bun" as const,
  minify: true,
  splitting: true,
  naming: { entry: "[name].[ext]", chunk: "chunk-[hash].[ext]", asset: "[name]-[hash].[ext]" },
  // Libraries' production paths (graphql-js skips its development-only instanceof diagnostics).
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  // PGlite loads its WASM and data files relative to its own module; sharp its native libvips binding.
  external: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "sharp"]
})
