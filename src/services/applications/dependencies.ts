/**
 * An app's npm dependencies: the package.json and yarn.lock its CLI uploads (folder Dependencies), installed
 * with `bun install --production --ignore-scripts` (frozen to the lockfile when there is one; bun reads Yarn
 * lockfiles, v1 and Berry) into `DATA_DIR/app-dependencies/<checksum of both>`, which is reused by every
 * app and function with the same files. The sandbox resolves a function's imports from its node_modules.
 */
import { Duration, Effect, Schema } from "effect"
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { BadUserInput } from "../../domain/errors.js"

/** What core.application.dependencies keeps: the files, and the checksum naming their installation. */
export const AppDependencies = Schema.Struct({
  checksum: Schema.String,
  packageJson: Schema.String,
  yarnLock: Schema.NullOr(Schema.String)
})
export type AppDependencies = typeof AppDependencies.Type

const PackageJson = Schema.parseJson(Schema.Struct({
  dependencies: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
}))

/** Null when the package.json lists no dependency (nothing to install); BadUserInput when it does not parse. */
export const appDependencies = (packageJson: string, yarnLock: string | null) =>
  Effect.gen(function*() {
    const parsed = yield* Schema.decodeUnknown(PackageJson)(packageJson).pipe(
      Effect.mapError(() => new BadUserInput({ message: "The app's package.json is not valid JSON with a dependencies object of versions" }))
    )
    if (Object.keys(parsed.dependencies ?? {}).length === 0) return null
    const hasher = new Bun.CryptoHasher("sha256")
    hasher.update(packageJson)
    hasher.update("\0")
    hasher.update(yarnLock ?? "")
    return { checksum: hasher.digest("hex"), packageJson, yarnLock } satisfies AppDependencies
  })

export const dependenciesRoot = (dataDir: string) => resolve(dataDir, "app-dependencies")

/** The installation's directory (holding node_modules) for these files. */
export const dependenciesDir = (dataDir: string, dependencies: AppDependencies) => join(dependenciesRoot(dataDir), dependencies.checksum)

/** Marks a finished installation: a directory without it is not used. */
const INSTALLED = ".installed"

const lastLines = (text: string) => text.trim().split("\n").slice(-6).join(" ").slice(0, 800)

/**
 * The installed directory for `dependencies`: reused when present, else installed into a temporary
 * directory renamed into place once complete (a concurrent install of the same files loses the rename and
 * uses the winner's). The install gets no server environment and ends at `timeout`.
 */
export const installDependencies = (dataDir: string, dependencies: AppDependencies, timeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const target = dependenciesDir(dataDir, dependencies)
    if (existsSync(join(target, INSTALLED))) return target
    const root = dependenciesRoot(dataDir)
    const staging = join(root, `.staging-${crypto.randomUUID()}`)
    const failed = (reason: string) => new BadUserInput({ message: `Installing the app's npm dependencies failed: ${reason}` })
    return yield* Effect.acquireUseRelease(
      Effect.try({ catch: (e) => failed(e instanceof Error ? e.message : String(e)), try: () => {
        mkdirSync(staging, { recursive: true })
        writeFileSync(join(staging, "package.json"), dependencies.packageJson)
        if (dependencies.yarnLock !== null) writeFileSync(join(staging, "yarn.lock"), dependencies.yarnLock)
        return Bun.spawn([
          process.execPath, "install", "--production", "--ignore-scripts", "--no-progress",
          ...(dependencies.yarnLock !== null ? ["--frozen-lockfile"] : [])
        ], {
          cwd: staging,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(root, ".home"), BUN_INSTALL_CACHE_DIR: join(root, ".cache") },
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe"
        })
      } }),
      (child) =>
        Effect.gen(function*() {
          const [code, stderr] = yield* Effect.promise(() => Promise.all([child.exited, new Response(child.stderr).text()])).pipe(
            Effect.timeoutFail({ duration: timeout, onTimeout: () => failed(`it took longer than ${Duration.format(Duration.decode(timeout))}`) })
          )
          if (code !== 0) return yield* failed(lastLines(stderr) || `bun install exited with code ${code}`)
          writeFileSync(join(staging, INSTALLED), new Date().toISOString())
          try {
            renameSync(staging, target)
          } catch {
            if (!existsSync(join(target, INSTALLED))) return yield* failed("its directory could not be put in place")
          }
          return target
        }),
      (child) =>
        Effect.sync(() => {
          child.kill("SIGKILL")
          rmSync(staging, { recursive: true, force: true })
        })
    )
  }).pipe(Effect.withSpan("Applications.installDependencies", { attributes: { checksum: dependencies.checksum } }))
