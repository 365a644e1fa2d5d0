/**
 * The low-priority hasher process: `bun -e` runs this source (the server is bundled, so the child is a
 * string, not a file). One JSON request per stdin line, one answer per stdout line; stdin closing (the
 * parent exited or crashed) or the parent changing ends it.
 */
export const HASHER_CHILD_SOURCE = `
const os = require("node:os")
try { os.setPriority(0, 19) } catch {}
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 1000).unref()
const answer = (id, result) => process.stdout.write(JSON.stringify({ id, ...result }) + "\\n")
const run = (request) => request.op === "hash"
  ? Bun.password.hash(request.password, { algorithm: "argon2id" })
  : Bun.password.verify(request.password, request.hash).catch(() => false)
for await (const line of console) {
  if (!line) continue
  let request
  try { request = JSON.parse(line) } catch { continue }
  run(request).then(
    (value) => answer(request.id, { value }),
    (error) => answer(request.id, { error: String(error && error.message || error) })
  )
}
process.exit(0)
`
