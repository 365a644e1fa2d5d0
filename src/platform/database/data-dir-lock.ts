import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { DataDirInUse } from "../../domain/errors.js"

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const holderOf = (file: string): number | null => {
  const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

/**
 * Only one process may open the embedded database: PGlite is a single session, and two processes on the
 * same files would corrupt them. The lock is a file holding the owner's pid, created exclusively; one left
 * by a process that died is taken over.
 */
export const lockDataDir = (dir: string) =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const file = path.join(dir, "server.pid")
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 })
          return Effect.succeed(file)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") return Effect.die(error)
          const holder = holderOf(file)
          if (holder !== null && holder !== process.pid && isAlive(holder)) {
            return Effect.fail(
              new DataDirInUse({
                message: `Score is already running on DATA_DIR ${dir} (pid ${holder}): one process at a time opens ` +
                  "the embedded database (`bun run cli` sends its commands to the running server)"
              })
            )
          }
          fs.rmSync(file, { force: true })
        }
      }
      return Effect.fail(new DataDirInUse({ message: `Cannot lock DATA_DIR ${dir} (${file} keeps reappearing)` }))
    }),
    (file) => Effect.sync(() => fs.rmSync(file, { force: true }))
  )
