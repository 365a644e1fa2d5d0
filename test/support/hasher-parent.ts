/** A parent that starts a password hasher child, prints its pid, then waits to be killed (password-hasher.test.ts). */
import { inlineHashWork } from "../../src/services/auth/hasher.js"
import { makeChildHasher } from "../../src/services/auth/hasher-process.js"

const hasher = makeChildHasher({ timeoutMs: 30_000, fallback: inlineHashWork })
await hasher.hash("parent-check-password")
console.log(`hasher ${hasher.pid()}`)
setInterval(() => {}, 1000)
