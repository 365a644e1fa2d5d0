/**
 * Issue 15's flood: one client sends 500 wrong-password signIns (32 in flight) while a second client
 * reads /graphql with a member's session; the reader must keep >= 80 % of its unloaded req/s.
 *
 * PAIRED rounds on one server: each round reads alone for --seconds, then while a fresh flood runs
 * (from a new client address, 127.0.0.N, at a new email, so every flood meets the same limits as the
 * first), then alone again; the round's "kept" is flooded / unloaded req/s, unloaded being the mean of
 * the two reads alone. Medians and spreads are printed, so one noisy
 * interval cannot make or break the ratio. After each round, one more flood of the same size runs alone
 * (no reads) and the server's CPU for it (server and hasher child, /proc) is the round's "flood CPU".
 * Then the server's CPU per refused request on each path.
 *
 * Only the server's cost should count against the reader. On a 2-core machine the flood client's own CPU
 * competes with the server, so by default (taskset, util-linux) the server and its hasher child are pinned
 * to CPU 0, and this process (the reader) and the flood child to CPU 1; the flood client is raw HTTP/1.1
 * over kept-alive sockets (bench/flood-client.ts). PostgreSQL and Redis are not ours to pin: they run
 * where the OS puts them. --old runs as before: nothing pinned, node:http flood client.
 *
 * A real server (scripts/run.ts main) on PostgreSQL and Redis, reached over TCP. --compare adds the same
 * rounds with the limits lifted (only PASSWORD_HASH_CONCURRENCY left) and with hashes on every core.
 * --hasher=inline hashes in the server process (PASSWORD_HASHER), as before the low-priority hasher child.
 *
 *   bun bench/sign-in-flood.ts [--rounds=5] [--seconds=3] [--readers=8] [--flood=500] [--refusals=3000]
 *                              [--compare] [--hasher=process|inline] [--old] [--help]
 */
import { availableParallelism } from "node:os"
import { readdirSync, readFileSync } from "node:fs"
import { type FloodCounts, floodOverNodeHttp, floodRaw } from "./flood-client.js"
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "../test/support/database.js"
import { startServer } from "../test/support/process.js"

if (process.argv.includes("--help")) {
  console.log(readFileSync(import.meta.path, "utf8").split("*/")[0]!.replace(/^\/\*\*\n|^ \* ?/gm, ""))
  process.exit(0)
}

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const ROUNDS = arg("rounds", 5)
const HASHER = process.argv.find((a) => a.startsWith("--hasher="))?.slice("--hasher=".length) ?? "process"
const SECONDS = arg("seconds", 3)
const READERS = arg("readers", 8)
const FLOOD_IN_FLIGHT = 32
const FLOOD = arg("flood", 500)
const REFUSALS = arg("refusals", 3000)
const OLD = process.argv.includes("--old")
const hasTaskset = Bun.spawnSync(["taskset", "-V"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
const PINNED = !OLD && hasTaskset && availableParallelism() >= 2
const SERVER_CPU = "0"
const CLIENT_CPU = "1"
const APP_SECRET = "bench-secret-bench-secret-bench-secret-0123456789"
const WRONG_SIGN_IN = `mutation($e: String!) { signIn(email: $e, password: "not the password") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`

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
  return { accessToken }
}

const READ = `{ companies(first: 20) { edges { node { id name employees } } } }`

/** The reader: READERS loops of /graphql reads until `stop` says so; the time of each answer. */
const read = async (base: string, token: string, stop: { done: boolean }, times: Array<number> = []) => {
  await Promise.all(Array.from({ length: READERS }, async () => {
    while (!stop.done) {
      const answer = await post(`${base}/graphql`, READ, {}, token)
      if (answer.status !== 200 || answer.body.errors) throw new Error(`read failed: ${JSON.stringify(answer.body)}`)
      times.push(performance.now())
    }
  }))
  return times
}

const readFor = async (base: string, token: string, seconds: number) => {
  const stop = { done: false }
  setTimeout(() => (stop.done = true), seconds * 1000)
  const started = performance.now()
  const times = await read(base, token, stop)
  return times.length / ((performance.now() - started) / 1000)
}

/** `count` wrong-password signIns from `localAddress`, `inFlight` at a time, over kept-alive sockets. */
const floodFrom = (base: string, localAddress: string, email: string, count: number, inFlight: number, query = WRONG_SIGN_IN) =>
  (OLD ? floodOverNodeHttp : floodRaw)(new URL(`${base}/metadata`), localAddress, JSON.stringify({ query, variables: { e: email } }), count, inFlight)


/** The flood from its own process, as a second client would be: its client-side work is not the reader's. */
const startFlood = async (base: string, localAddress: string, email: string) => {
  const child = Bun.spawn([process.execPath, import.meta.path, `--flooder=${base}`, `--from=${localAddress}`, `--email=${email}`, `--flood=${FLOOD}`, ...(OLD ? ["--old"] : [])], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit"
  })
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let out = ""
  while (!out.includes("ready\n")) out += (await lines.read()).value ?? ""
  /** Starts the flood (the child is loaded and waiting); resolves with its counts when it is over. */
  return async () => {
    child.stdin.write("go\n")
    await child.stdin.flush()
    for (let chunk = await lines.read(); !chunk.done; chunk = await lines.read()) out += chunk.value
    await child.exited
    return JSON.parse(out.trim().split("\n").at(-1)!) as FloodCounts
  }
}

const flooder = process.argv.find((a) => a.startsWith("--flooder="))?.slice("--flooder=".length)
if (flooder) {
  const value = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))!.slice(name.length + 3)
  console.log("ready")
  for await (const _ of console) break
  console.log(JSON.stringify(await floodFrom(flooder, value("from"), value("email"), FLOOD, FLOOD_IN_FLIGHT)))
  process.exit(0)
}

/** The reader's rate while one flood lasts (reads go on for at least SECONDS; the rate counts those done while the flood ran). */
const floodedRound = async (base: string, token: string, round: number) => {
  const flood = await startFlood(base, `127.0.0.${10 + round}`, `flood.${crypto.randomUUID().slice(0, 8)}@example.com`)
  const times: Array<number> = []
  const stop = { done: false }
  let floodOver = 0
  const started = performance.now()
  const flooding = flood().then((counts) => {
    floodOver = performance.now()
    stop.done = floodOver - started >= SECONDS * 1000
    return counts
  })
  setTimeout(() => (stop.done = floodOver > 0), SECONDS * 1000)
  const [counts] = await Promise.all([flooding, read(base, token, stop, times)])
  return { loaded: times.filter((t) => t <= floodOver).length / ((floodOver - started) / 1000), counts }
}

/** The server's CPU (with its hasher child) for one more flood, alone: no reads mixed into the figure. */
const floodCpuAlone = async (base: string, serverPid: number, round: number) => {
  const before = serverCpuMs(serverPid)
  await floodFrom(base, `127.0.0.${100 + round}`, `alone.${crypto.randomUUID().slice(0, 8)}@example.com`, FLOOD, FLOOD_IN_FLIGHT)
  return serverCpuMs(serverPid) - before
}

/** A process's fields after its name in /proc/<pid>/stat (Linux), or null once it is gone. */
const statOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  } catch {
    return null
  }
}

/** `pid` and every process below it (the server's hasher child), from /proc. */
const processTree = (pid: number) => {
  const parents = new Map<number, number>()
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry)
    const fields = Number.isInteger(child) ? statOf(child) : null
    if (fields) parents.set(child, Number(fields[1]))
  }
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child)
  return tree
}

/** User + system CPU time in ms of the server and its children (exited children included), /proc. */
const serverCpuMs = (pid: number) =>
  processTree(pid).reduce((sum, member) => {
    const fields = statOf(member)
    return fields ? sum + ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / 100 : sum
  }, 0)

/** Pins every thread of `pid` (and of its children now running) to `cpu`; later children inherit it. */
const pin = (pid: number, cpu: string) => {
  for (const member of processTree(pid)) {
    const result = Bun.spawnSync(["taskset", "-a", "-p", "-c", cpu, String(member)], { stdout: "ignore", stderr: "pipe" })
    if (result.exitCode !== 0) throw new Error(`taskset failed for ${member}: ${result.stderr.toString()}`)
  }
}

/**
 * Server CPU per refusal on each path: a 429 through GraphQL (the account locked, in a document the early
 * check leaves to GraphQL), a 429 before GraphQL (the address already refused), and a /graphql read.
 */
const refusalCost = async (base: string, pid: number, token: string) => {
  let before = serverCpuMs(pid)
  await floodFrom(base, "127.0.0.248", `whole.${crypto.randomUUID().slice(0, 8)}@example.com`, FLOOD, FLOOD_IN_FLIGHT)
  const perFlood = serverCpuMs(pid) - before
  const email = `refused.${crypto.randomUUID().slice(0, 8)}@example.com`
  await floodFrom(base, "127.0.0.249", email, 8, 1) // locks the account
  before = serverCpuMs(pid)
  const throughGraphQL = await floodFrom(base, "127.0.0.250", email, 25, 1, WRONG_SIGN_IN.replace("{ signIn", "{ __typename signIn"))
  const perGraphQLRefusal = (serverCpuMs(pid) - before) / 25
  await floodFrom(base, "127.0.0.250", email, 30, 4) // uses up the address's budget
  before = serverCpuMs(pid)
  const early = await floodFrom(base, "127.0.0.250", email, REFUSALS, 16)
  const perEarlyRefusal = (serverCpuMs(pid) - before) / REFUSALS
  const stop = { done: false }
  before = serverCpuMs(pid)
  setTimeout(() => (stop.done = true), SECONDS * 1000)
  const reads = (await read(base, token, stop)).length
  return {
    perFlood,
    perGraphQLRefusal,
    graphQLRefused: throughGraphQL.refused429,
    perEarlyRefusal,
    earlyRefused: early.refused429,
    perRead: (serverCpuMs(pid) - before) / reads
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
const spread = (values: ReadonlyArray<number>, digits = 0) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`

const run = async (label: string, env: Record<string, string>, measureRefusals: boolean) => {
  const database = await createTestDatabase()
  const server = await startServer({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    APP_SECRET,
    DATABASE_POOL_SIZE: "4",
    LOG_LEVEL: "Warn",
    PASSWORD_HASHER: HASHER,
    ...env
  }, 60_000)
  try {
    // Before the first sign-in: the hasher child, spawned on first use, inherits the server's CPU.
    if (PINNED) pin(server.proc.pid, SERVER_CPU)
    const { accessToken } = await setUp(server.url)
    await readFor(server.url, accessToken, 1) // warm-up
    const rounds: Array<{ unloaded: number; loaded: number; counts: FloodCounts; floodCpuMs: number }> = []
    for (let round = 0; round < ROUNDS; round++) {
      // Alone before and after the flood: their mean is the round's unloaded rate, so drift in the
      // machine's other load during a long flood weighs on both sides.
      const before = await readFor(server.url, accessToken, SECONDS)
      const flooded = await floodedRound(server.url, accessToken, round)
      const after = await readFor(server.url, accessToken, SECONDS)
      rounds.push({ unloaded: (before + after) / 2, ...flooded, floodCpuMs: await floodCpuAlone(server.url, server.proc.pid, round) })
    }
    const cost = measureRefusals ? await refusalCost(server.url, server.proc.pid, accessToken) : null
    return { label, rounds, cost }
  } finally {
    await server.stop()
    await database.drop()
  }
}

// The reader and the flood child (spawned by this process) on the other CPU than the server.
if (PINNED) pin(process.pid, CLIENT_CPU)
const cores = PINNED ? "1" : String(availableParallelism())
const lifted = { SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "100000000", SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "100000000" }
const results = [await run("Score's defaults", {}, true)]
if (process.argv.includes("--compare")) {
  results.push(await run("limits lifted, hash cap default", lifted, false))
  results.push(await run(`limits lifted, hash cap ${cores} (cores)`, { ...lifted, PASSWORD_HASH_CONCURRENCY: cores }, false))
}

console.log(`\n/graphql reads (${READERS} in flight), ${ROUNDS} paired rounds: alone for ${SECONDS} s, while ${FLOOD} wrong-password signIns run (${FLOOD_IN_FLIGHT} in flight, a new client address each round), alone again for ${SECONDS} s`)
console.log(PINNED
  ? `pinned (taskset): server and hasher child on CPU ${SERVER_CPU}, reader and flood client on CPU ${CLIENT_CPU}; raw HTTP/1.1 flood client; PostgreSQL and Redis unpinned`
  : `NOT pinned${OLD ? " (--old)" : hasTaskset ? " (fewer than 2 CPUs)" : " (no taskset: util-linux)"}: server, reader and flood client share every CPU; ${OLD ? "node:http" : "raw HTTP/1.1"} flood client`)
console.log("unloaded = mean of the round's two reads alone; kept = flooded / unloaded req/s (goal: >= 80 %); 429 = refused before hashing; hashed = wrong password checked;")
console.log("flood s = how long the flood's 500 answers took (hashes wait: the hasher runs at OS priority 19 behind the reads);")
console.log("flood CPU ms = the server's CPU (with its hasher child, /proc) for one more flood of the same size right after the round, without reads")
for (const { label, rounds, cost } of results) {
  const ratios = rounds.map((r) => (r.loaded / r.unloaded) * 100)
  console.log(`\n${label}`)
  const columns = ["round", "unloaded req/s", "flooded req/s", "kept", "429", "hashed", "other", "flood s", "flood CPU ms"]
  const row = (cells: ReadonlyArray<string>) => console.log(cells.map((cell, i) => cell.padStart(columns[i]!.length + 2)).join(""))
  row(columns)
  rounds.forEach((r, i) =>
    row([
      String(i + 1),
      r.unloaded.toFixed(0),
      r.loaded.toFixed(0),
      `${ratios[i]!.toFixed(0)} %`,
      String(r.counts.refused429),
      String(r.counts.checked),
      String(r.counts.other),
      r.counts.seconds.toFixed(2),
      r.floodCpuMs.toFixed(0)
    ]))
  row([
    "median",
    median(rounds.map((r) => r.unloaded)).toFixed(0),
    median(rounds.map((r) => r.loaded)).toFixed(0),
    `${median(ratios).toFixed(0)} %`,
    median(rounds.map((r) => r.counts.refused429)).toFixed(0),
    median(rounds.map((r) => r.counts.checked)).toFixed(0),
    median(rounds.map((r) => r.counts.other)).toFixed(0),
    median(rounds.map((r) => r.counts.seconds)).toFixed(2),
    median(rounds.map((r) => r.floodCpuMs)).toFixed(0)
  ])
  console.log(`  spread: kept ${spread(ratios)} %; unloaded ${spread(rounds.map((r) => r.unloaded))}, flooded ${spread(rounds.map((r) => r.loaded))} req/s`)
  if (cost) {
    console.log(
      `server CPU per 429 before GraphQL (address already refused): ${(cost.perEarlyRefusal * 1000).toFixed(0)} µs (${cost.earlyRefused}/${REFUSALS} refused); ` +
        `per 429 through GraphQL (account locked): ${(cost.perGraphQLRefusal * 1000).toFixed(0)} µs (${cost.graphQLRefused}/25); ` +
        `per /graphql read: ${(cost.perRead * 1000).toFixed(0)} µs`
    )
    console.log(`server CPU for one whole flood of ${FLOOD} (no reads): ${cost.perFlood.toFixed(0)} ms, the CPU of ${(cost.perFlood / cost.perRead).toFixed(0)} reads`)
  }
}
process.exit(0)
