/**
 * Issue 15's flood: one client sends 500 wrong-password signIns (32 in flight) while a second client
 * reads /graphql with a member's session; prints the reader's req/s alone, while the flood lasts and over
 * a window from its start, with Score's limits, with them lifted (only PASSWORD_HASH_CONCURRENCY left:
 * half the cores by default), and lifted with hashes on every core, side by side. A real server
 * (scripts/run.ts main) on PostgreSQL and Redis, reached over TCP, so the flood has a client address;
 * the flood comes from its own process, as a second client would.
 *
 *   bun bench/sign-in-flood.ts [--seconds=5] [--readers=8] [--flood=500]
 */
import { availableParallelism } from "node:os"
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "../test/support/database.js"
import { startServer } from "../test/support/process.js"

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const SECONDS = arg("seconds", 5)
const READERS = arg("readers", 8)
const FLOOD_IN_FLIGHT = 32
const FLOOD = arg("flood", 500)
const APP_SECRET = "bench-secret-bench-secret-bench-secret-0123456789"

const post = async (url: string, query: string, variables: Record<string, unknown>, token?: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables })
  })
  return { status: response.status, body: (await response.json()) as any }
}

const must = (answer: { body: any }) => {
  if (answer.body.errors) throw new Error(JSON.stringify(answer.body.errors))
  return answer.body.data
}

const setUp = async (base: string) => {
  const email = `flood.${crypto.randomUUID().slice(0, 8)}@example.com`
  const password = "correct horse battery"
  const signUp = must(await post(`${base}/metadata`, `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) {
    tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email, p: password })).signUp
  const created = must(await post(`${base}/metadata`, `mutation { signUpInNewWorkspace(input: { displayName: "Flood" }) { loginToken { token } } }`, {}, signUp.tokens.accessOrWorkspaceAgnosticToken.token))
  const tokens = must(await post(`${base}/metadata`, `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
    tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: created.signUpInNewWorkspace.loginToken.token })).getAuthTokensFromLoginToken.tokens
  const accessToken: string = tokens.accessOrWorkspaceAgnosticToken.token
  for (let i = 0; i < 20; i++) {
    must(await post(`${base}/graphql`, `mutation($d: CompanyCreateInput!) { createCompany(data: $d) { id } }`, { d: { name: `Company ${i}`, employees: i } }, accessToken))
  }
  return { email, accessToken }
}

const READ = `{ companies(first: 20) { edges { node { id name employees } } } }`

/** The reader: READERS loops of /graphql reads until `stop` says so; req/s over that time. */
const read = async (base: string, token: string, stop: { done: boolean }, times: Array<number> = []) => {
  let done = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: READERS }, async () => {
    while (!stop.done) {
      const answer = await post(`${base}/graphql`, READ, {}, token)
      if (answer.status !== 200 || answer.body.errors) throw new Error(`read failed: ${JSON.stringify(answer.body)}`)
      done++
      times.push(performance.now())
    }
  }))
  return done / ((performance.now() - started) / 1000)
}

const readFor = (base: string, token: string, seconds: number) => {
  const stop = { done: false }
  setTimeout(() => (stop.done = true), seconds * 1000)
  return read(base, token, stop)
}

/** The flooder: FLOOD wrong-password signIns, FLOOD_IN_FLIGHT at a time, then `stop`. */
const floodHere = async (base: string, email: string, stop: { done: boolean }) => {
  const counts = { sent: 0, refused429: 0, checked: 0, other: 0, seconds: 0 }
  const started = performance.now()
  const loop = async () => {
    while (counts.sent < FLOOD) {
      counts.sent++
      const answer = await post(`${base}/metadata`, `mutation($e: String!) { signIn(email: $e, password: "not the password") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email })
      const code = answer.body.errors?.[0]?.extensions?.code
      if (answer.status === 429) counts.refused429++
      else if (code === "FORBIDDEN") counts.checked++
      else counts.other++
    }
  }
  await Promise.all(Array.from({ length: FLOOD_IN_FLIGHT }, loop))
  counts.seconds = (performance.now() - started) / 1000
  stop.done = true
  return counts
}

/** The flood from its own process, as a second client would be: its client-side work is not the reader's. */
const startFlood = async (base: string, email: string) => {
  const child = Bun.spawn([process.execPath, import.meta.path, `--flooder=${base}`, `--email=${email}`, `--flood=${FLOOD}`], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit"
  })
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let out = ""
  while (!out.includes("ready\n")) out += (await lines.read()).value ?? ""
  /** Starts the flood (the child is loaded and waiting); resolves with its counts when it is over. */
  return async (stop: { done: boolean }) => {
    child.stdin.write("go\n")
    await child.stdin.flush()
    for (let chunk = await lines.read(); !chunk.done; chunk = await lines.read()) out += chunk.value
    await child.exited
    stop.done = true
    return JSON.parse(out.trim().split("\n").at(-1)!) as Awaited<ReturnType<typeof floodHere>>
  }
}

const flooder = process.argv.find((a) => a.startsWith("--flooder="))?.slice("--flooder=".length)
if (flooder) {
  const email = process.argv.find((a) => a.startsWith("--email="))!.slice("--email=".length)
  console.log("ready")
  for await (const _ of console) break
  console.log(JSON.stringify(await floodHere(flooder, email, { done: false })))
  process.exit(0)
}

const run = async (label: string, env: Record<string, string>) => {
  const database = await createTestDatabase()
  const server = await startServer({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    APP_SECRET,
    DATABASE_POOL_SIZE: "4",
    LOG_LEVEL: "Warn",
    ...env
  }, 60_000)
  try {
    const { email, accessToken } = await setUp(server.url)
    await readFor(server.url, accessToken, 1) // warm-up
    const unloaded = await readFor(server.url, accessToken, SECONDS)
    const flood = await startFlood(server.url, email)
    // Reads go on while the flood lasts, and at least SECONDS: both rates come from the same reads.
    const started = performance.now()
    const times: Array<number> = []
    const stop = { done: false }
    let floodOver = 0
    const flooding = flood({ done: false }).then((counts) => {
      floodOver = performance.now()
      stop.done = performance.now() - started >= SECONDS * 1000
      return counts
    })
    setTimeout(() => (stop.done = floodOver > 0), SECONDS * 1000)
    const [counts] = await Promise.all([flooding, read(server.url, accessToken, stop, times)])
    const ended = performance.now()
    const loaded = times.filter((t) => t <= floodOver).length / ((floodOver - started) / 1000)
    const window = times.length / ((ended - started) / 1000)
    return { label, unloaded, loaded, window, counts }
  } finally {
    await server.stop()
    await database.drop()
  }
}

const cores = String(availableParallelism())
const lifted = { SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "100000000", SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "100000000" }
const rows = [
  await run("Score's defaults", {}),
  await run("limits lifted, hash cap default", lifted),
  await run(`limits lifted, hash cap ${cores} (cores)`, { ...lifted, PASSWORD_HASH_CONCURRENCY: cores })
]
console.log(`\n/graphql reads (${READERS} in flight): alone for ${SECONDS} s; then while ${FLOOD} wrong-password signIns run (${FLOOD_IN_FLIGHT} in flight), and over the ${SECONDS} s from the flood's start (or the flood, if longer)`)
console.log("setting".padEnd(36), "unloaded req/s".padStart(15), "during flood".padStart(13), "kept".padStart(6), `${SECONDS} s window`.padStart(11), "kept".padStart(6), "   flood: s / 429 / hashed / other")
for (const r of rows) {
  console.log(
    r.label.padEnd(36),
    r.unloaded.toFixed(0).padStart(15),
    r.loaded.toFixed(0).padStart(13),
    `${((r.loaded / r.unloaded) * 100).toFixed(0)} %`.padStart(6),
    r.window.toFixed(0).padStart(11),
    `${((r.window / r.unloaded) * 100).toFixed(0)} %`.padStart(6),
    `   ${r.counts.seconds.toFixed(2)} / ${r.counts.refused429} / ${r.counts.checked} / ${r.counts.other}`
  )
}
process.exit(0)
