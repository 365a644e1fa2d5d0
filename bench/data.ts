/**
 * Data benchmark: the workspace data APIs (GraphQL at POST /graphql, REST at /rest/*) on a seeded workspace of
 * 10,000 companies, 50,000 people and 20,000 opportunities, next to PostGraphile 5 serving the same tables
 * (bench/peer.ts) and the floor of the raw node-postgres driver running the equivalent SQL from this process.
 * One file: every scenario shares the seed, the load loops and the SQL counting, and reads as one list.
 *
 *   bun bench/data.ts
 *
 * Starts `bun scripts/run.ts main` in live mode (PostgreSQL, Redis) on a fresh database, signs up, creates a
 * workspace and an API key over HTTP, seeds the workspace schema with INSERT … SELECT generate_series, warms the
 * server's JIT with 3,000 mixed reads (15 s at most), then runs each scenario as a bounded closed loop (warm-up 1 s,
 * then 5 s or a request cap). HTTP reads are loaded by wrk when the machine has it (installed from Debian when
 * missing; `BENCH_LOAD=fetch` keeps this process's fetch loop), the writes (create, update, soft delete) and the
 * raw-driver scenarios by this process. CPU per request is read from /proc: for the process answering (Score or
 * PostGraphile) and for the PostgreSQL backends of the scenario's connections (by application_name). Everything it starts
 * it stops: the server gets SIGTERM, the database is dropped WITH (FORCE), pools are closed, our Redis cache keys
 * deleted.
 *
 * SQL per request is the delta of pg_stat_database.xact_commit over a scenario (warm-up included, divided by the
 * warm-up and measured requests together), less new sessions (each commits one transaction at start-up) and the
 * idle background rate. PostgreSQL 15 flushes a backend's counters at most once a second while it works, and an idle
 * backend's last second only after PGSTAT_IDLE_INTERVAL (10 s) or when it exits, so the end value is read once the
 * server's pool has closed its idle connections (pg-pool's 10 s idle timeout; found by application_name in
 * pg_stat_activity) and the raw-driver scenarios have ended their pool. Statements inside one transaction count
 * once: for the write scenarios the figure is transactions per request.
 *
 * The writes (create, update, soft delete; keys gql…, rest…, pgl…, pg…Create/Update/Delete) run last, since new companies
 * change the lists' first rows; update and delete write companies past the first 100 by id, and once every one of
 * them is deleted the delete scenarios restore them (GraphQL's restoreCompany, REST's PATCH …/:id/restore, both on
 * the direct write path; PostGraphile's and the raw floor's an update of deletedAt). PostGraphile's delete
 * removes the row, so its soft delete is updateCompanyByRowId setting deletedAt; Score's writes also write their
 * outbox event in the same statement, which neither PostGraphile nor the raw floor does.
 *
 * Prints a table and a final `RESULT {json}` line.
 *
 *   bun bench/data.ts --only=gqlList,pgList   runs only these scenarios (keys as in RESULT)
 *   bun bench/data.ts --quick                 no settling between scenarios (no SQL/request): quicker paired rounds
 *   BENCH_PEER=0 bun bench/data.ts            without PostGraphile (its scenarios, keys pgl…, are not run)
 *   bun bench/data.ts --hold                  seeds, prints the port and API key, and keeps the server up until ^C
 *   BENCH_SERVER_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" bun bench/data.ts --hold   profiles the server
 *   BENCH_FROM_SOURCE=1 …                     runs src/main.ts instead of the minified bundle (readable profiles)
 */
import { SQL } from "bun"
import IORedis from "ioredis"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { installPeer, type Peer, PEER_APP, peerDocuments, peerGraphql, startPeer } from "./peer.js"
import { collect, freePort, healthy } from "./support.js"

const ROOT = path.resolve(import.meta.dir, "..")
const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = "redis://127.0.0.1:6379"
const REDIS_KEY_PREFIX = `score-bench:${process.pid}:` // its own keys and channels: never a running server's or test's
const APP_SECRET = "bench-secret-0123456789-0123456789-abcdef" // 40 characters
const READY_TIMEOUT_MS = 60_000 // includes a bundle rebuild by scripts/run.ts when src/ changed

const COMPANIES = 10_000
const PEOPLE_PER_COMPANY = 5
const OPPORTUNITIES_PER_COMPANY = 2

const CONCURRENCY = 32
const CREATE_CONCURRENCY = 8
const WARMUP_MS = 1_000
const LOAD_MS = 5_000
const READ_CAP = 100_000 // requests per phase, whichever comes first with LOAD_MS
const CREATE_CAP = 20_000
const PG_POOL_SIZE = 20
const JIT_WARMUP_REQUESTS = 3_000 // once, mixed GraphQL and REST reads, before anything is measured…
const JIT_WARMUP_MAX_MS = 15_000 // …or for this long, whichever comes first
const IDLE_WINDOW_MS = 2_000
const SERVER_APP = "score" // application_name of the server's connections (src/services/database)
const RAW_APP = "bench-raw"
const SERVER_SETTLE_CAP_MS = 20_000 // the server's pool closes idle connections after 10 s (pg-pool's default)
const POOL_SETTLE_CAP_MS = 5_000 // our own pool is ended at once
const FALLBACK_SETTLE_MS = 11_000 // > PGSTAT_IDLE_INTERVAL (10 s), if no backend can be told apart
const WATCHDOG_MS = 900_000

const flag = (name: string) => process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))
const HOLD = flag("hold") !== undefined
const ONLY = flag("only")?.split("=")[1]?.split(",").filter(Boolean) ?? null
/** No settling between scenarios (about 15 s each): no SQL/request figure, for quick paired rounds. */
const QUICK = flag("quick") !== undefined
const SERVER_FLAGS = (process.env["BENCH_SERVER_FLAGS"] ?? "").split(/\s+/).filter(Boolean)

/** node-postgres ships no types and @types/pg is not installed: the little used here, typed by hand. */
interface PgPool {
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ rows: Array<Record<string, any>> }>
  end(): Promise<void>
  on(event: "error", listener: (error: Error) => void): void
}
interface PgModule {
  readonly Pool: new (config: { connectionString: string; max: number; application_name?: string }) => PgPool
}
const PG_MODULE: string = "pg" // a dependency of @effect/sql-pg; a non-literal specifier keeps tsc off the untyped module
const loadPg = async () => ((await import(PG_MODULE)) as { default: PgModule }).default

// ---------------------------------------------------------------------------------------------------------
// Clean-up bookkeeping: everything started is recorded so every exit path can undo it

const leftovers = {
  server: null as Bun.Subprocess | null,
  peer: null as Peer | null,
  database: null as string | null,
  pools: new Set<PgPool>(),
  sqls: new Set<SQL>()
}

const began = performance.now()
const progress = (message: string) => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(0)}s] ${message}`)

const openSql = (url: string) => {
  const sql = new SQL(url)
  leftovers.sqls.add(sql)
  return sql
}
const closeSql = async (sql: SQL) => {
  leftovers.sqls.delete(sql)
  await sql.close()
}

const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.href
}

/** CPU time (user + system, all threads) of a process in ms, from /proc; clock ticks are 1/100 s on Linux. */
const cpuMs = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024
const loadAverage = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number)

const ident = (name: string) => `"${name.replace(/"/g, `""`)}"`
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`
const textArray = (values: ReadonlyArray<string>) => `ARRAY[${values.map(literal).join(", ")}]::text[]`

// ---------------------------------------------------------------------------------------------------------
// Server process

const stopPeer = async () => {
  const peer = leftovers.peer
  leftovers.peer = null
  await peer?.stop()
}

const stopServer = async () => {
  const proc = leftovers.server
  leftovers.server = null
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill("SIGTERM")
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000)
  await proc.exited
  clearTimeout(timer)
}

/** `bun scripts/run.ts main` in live mode; resolves once /healthz answers 200. */
const startServer = async (url: string) => {
  const port = freePort()
  const output = { text: "" }
  const env = { ...process.env }
  for (const name of ["DATABASE_URL", "REDIS_URL", "APP_SECRET", "DATA_DIR", "DATABASE_POOL_SIZE"]) delete env[name]
  const started = performance.now()
  const proc = Bun.spawn([process.execPath, ...SERVER_FLAGS, ...(process.env["BENCH_FROM_SOURCE"] ? ["src/main.ts"] : ["scripts/run.ts", "main"])], {
    cwd: ROOT,
    // LOG_LEVEL takes Effect's labels (Warn, not Warning: the README's `Warning` and `None` are refused at start).
    env: {
      // API keys' budgets (API_RATE_LIMITING_*) out of the way: this measures reads, not the throttle.
      API_RATE_LIMITING_SHORT_LIMIT: "1000000",
      API_RATE_LIMITING_LONG_LIMIT: "1000000",
      ...env,
      DATABASE_URL: url,
      REDIS_URL,
      REDIS_KEY_PREFIX,
      APP_SECRET,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "Warn"
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  leftovers.server = proc
  collect(proc.stdout, output)
  collect(proc.stderr, output)
  while (!(await healthy(port))) {
    if (proc.exitCode !== null || performance.now() - started > READY_TIMEOUT_MS) {
      await stopServer()
      throw new Error(`server did not become ready (exit ${proc.exitCode}):\n${output.text.slice(-2000)}`)
    }
    await Bun.sleep(25)
  }
  return { port, proc, readyMs: performance.now() - started, log: () => output.text }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP clients (loopback only)

const metadataGql = async (port: number, query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const response = await fetch(`http://127.0.0.1:${port}/metadata`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables })
  })
  const body = await response.json() as { data?: any; errors?: Array<{ message: string }> }
  if (response.status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`/metadata call failed (${response.status}): ${JSON.stringify(body.errors)}`)
  }
  return body.data
}

/** signUp → signUpInNewWorkspace → getAuthTokensFromLoginToken → createApiKey → generateApiKeyToken. */
const setupAccount = async (port: number) => {
  const email = `bench.data.${crypto.randomUUID().slice(0, 8)}@example.com`
  const password = "correct horse battery"
  const signUp = (await metadataGql(port, `mutation($email: String!, $password: String!) {
    signUp(email: $email, password: $password) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { email, password })).signUp
  const created = (await metadataGql(port, `mutation { signUpInNewWorkspace(input: { displayName: "Bench Data" }) {
    loginToken { token } workspace { id } } }`, {}, signUp.tokens.accessOrWorkspaceAgnosticToken.token)).signUpInNewWorkspace
  const tokens = (await metadataGql(port, `mutation($t: String!) {
    getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: created.loginToken.token }))
    .getAuthTokensFromLoginToken.tokens
  const accessToken: string = tokens.accessOrWorkspaceAgnosticToken.token
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  const key = (await metadataGql(port, `mutation($exp: String!) {
    createApiKey(input: { name: "bench-data", expiresAt: $exp }) { id } }`, { exp: expiresAt }, accessToken)).createApiKey
  const apiKey: string = (await metadataGql(port, `mutation($id: UUID!, $exp: String!) {
    generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`, { id: key.id, exp: expiresAt }, accessToken))
    .generateApiKeyToken.token
  return { workspaceId: created.workspace.id as string, apiKey }
}

const clip = (text: string, n = 300) => (text.length > n ? `${text.slice(0, n)}…` : text)

const makeClients = (port: number, apiKey: string) => {
  const auth = { authorization: `Bearer ${apiKey}` }
  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables })
    })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${clip(text)}`)
    const body = JSON.parse(text) as { data?: any; errors?: Array<{ message: string }> }
    if (body.errors?.length) throw new Error(`GraphQL errors: ${clip(JSON.stringify(body.errors))}`)
    if (!body.data) throw new Error(`no data: ${clip(text)}`)
    return body.data
  }
  const rest = async (pathAndQuery: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, { headers: auth })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${clip(text)}`)
    return JSON.parse(text)
  }
  /** 404 means the route is not there (yet); anything else means /graphql exists. */
  const graphqlStatus = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query: "{ __typename }" })
    })
    await response.arrayBuffer()
    return response.status
  }
  /** A REST write: its JSON body, or an error unless the status is `expected`. */
  const restWrite = async (method: string, pathAndQuery: string, body: unknown, expected: number) => {
    const response = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, {
      method,
      headers: { "content-type": "application/json", ...auth },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    if (response.status !== expected) throw new Error(`HTTP ${response.status}: ${clip(text)}`)
    return JSON.parse(text)
  }
  return { graphql, rest, restWrite, graphqlStatus }
}

// ---------------------------------------------------------------------------------------------------------
// Seed: realistic, varied, deterministic. About 4% of first names contain "an" (ilike '%an%').

const FIRST_NAMES = [
  "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David",
  "Barbara", "Richard", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Lisa", "Matthew",
  "Betty", "Mark", "Margaret", "Paul", "Ashley", "Steven", "Kimberly", "Emily", "Kevin", "Donna", "Michelle", "George",
  "Dorothy", "Edward", "Carol", "Ronald", "Amy", "Timothy", "Melissa", "Jason", "Deborah", "Jeffrey", "Rebecca", "Gary",
  "Laura", "Jacob", "Sharon", "Nicholas", "Cynthia", "Eric", "Kathleen", "Helen", "Larry", "Olivia", "Scott", "Emma",
  "Frank", "Chloe", "Peter", "Sophie", "Gregory", "Grace", "Raymond", "Julia", "Samuel", "Victoria", "Patrick", "Alice",
  "Jack", "Rose", "Dennis", "Ruth", "Jerry", "Judith", "Tyler", "Marie", "Aaron", "Kelly", "Jose", "Nicole", "Henry",
  "Hugo", "Zoe", "Louis", "Leo", "Lucas", "Noah", "Liam", "Mia", "Ella", "Oscar", "Felix", "Ines", "Yuki",
  "Daniel", "Anna", "Ryan", "Megan"
]
const LAST_NAMES = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
  "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
  "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
  "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
  "Campbell", "Mitchell", "Carter", "Roberts", "Mueller", "Dubois", "Rossi", "Kowalski", "Tanaka", "Silva", "Novak",
  "Jensen", "Schmidt", "Moreau", "Okafor"
]
const JOB_TITLES = [
  "CEO", "CTO", "CFO", "VP Sales", "Account Executive", "Sales Manager", "Software Engineer", "Product Manager",
  "Marketing Director", "Customer Success Manager", "Head of Operations", "Designer", "Data Analyst", "Recruiter",
  "Office Manager", "Solutions Architect", "Procurement Lead"
]
const CITIES = ["New York", "London", "Paris", "Berlin", "San Francisco", "Toronto", "Madrid", "Tokyo", "Sydney", "Lagos", "Austin", "Lyon"]
const COMPANY_PREFIXES = [
  "Northwind", "Blue Harbor", "Silver Peak", "Red Rock", "Green Valley", "Summit", "Atlas", "Pioneer", "Horizon",
  "Evergreen", "Ironwood", "Bright Path", "Cedar", "Falcon", "Granite", "Lakeside", "Maple", "Nova", "Orion", "Pinnacle",
  "Quantum", "Riverbend", "Sterling", "Trident", "Union", "Vertex", "Westfield", "Zenith", "Crescent", "Aurora"
]
const COMPANY_SUFFIXES = [
  "Analytics", "Logistics", "Systems", "Labs", "Foods", "Health", "Capital", "Robotics", "Energy", "Media", "Software",
  "Partners", "Consulting", "Networks", "Biotech", "Motors", "Retail", "Security", "Studios", "Travel"
]
const LEGAL_FORMS = ["Inc", "LLC", "Ltd", "GmbH", "Group", "SA"]
const DEAL_KINDS = ["New business", "Renewal", "Expansion", "Pilot", "Enterprise plan", "Upsell"]
const STAGES = ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"]

/** `array[1 + (n * k) mod len]` with bigint arithmetic (n·k overflows int4 at 50,000 rows). */
const pick = (array: string, n: string, k: number, offset = 0) =>
  `${array}[1 + ((${n})::bigint * ${k} + ${offset}) % array_length(${array}, 1)]`

const seed = async (url: string, schema: string) => {
  const s = ident(schema)
  const sql = openSql(url)
  try {
    const started = performance.now()
    await sql.unsafe(`
      WITH l AS (SELECT ${textArray(COMPANY_PREFIXES)} AS pre, ${textArray(COMPANY_SUFFIXES)} AS suf,
                        ${textArray(LEGAL_FORMS)} AS form, ${textArray(CITIES)} AS city)
      INSERT INTO ${s}.company (name, "domainNamePrimaryLinkUrl", "domainNamePrimaryLinkLabel", employees,
        "annualRecurringRevenueAmountMicros", "annualRecurringRevenueCurrencyCode", "addressAddressCity",
        "idealCustomerProfile", position, "createdAt", "updatedAt")
      SELECT x.name, x.url, '', 1 + (i::bigint * 7919) % 5000, ((i::bigint * 104729) % 900 + 1) * 100000 * 1000000,
             CASE WHEN i % 5 = 0 THEN 'EUR' ELSE 'USD' END, ${pick("l.city", "i", 7)}, i % 7 = 0, i,
             now() - make_interval(mins => i), now() - make_interval(mins => i)
      FROM l CROSS JOIN generate_series(0, ${COMPANIES - 1}) i
        CROSS JOIN LATERAL (SELECT l.pre[1 + i % 30] || ' ' || l.suf[1 + (i / 30) % 20] || ' ' || ${pick("l.form", "i", 13)} AS name,
                        'https://' || lower(regexp_replace(l.pre[1 + i % 30] || l.suf[1 + (i / 30) % 20], '[^A-Za-z]', '', 'g'))
                          || '-' || i || '.com' AS url) x`)
    await sql.unsafe(`
      WITH l AS (SELECT ${textArray(FIRST_NAMES)} AS first, ${textArray(LAST_NAMES)} AS last,
                        ${textArray(JOB_TITLES)} AS title, ${textArray(CITIES)} AS city)
      INSERT INTO ${s}.person ("nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle", city,
        "phonesPrimaryPhoneNumber", "companyId", position, "createdAt", "updatedAt")
      SELECT nm.f, nm.la, lower(nm.f) || '.' || lower(nm.la) || '.' || m.n || '@' || substr(c."domainNamePrimaryLinkUrl", 9),
             ${pick("l.title", "m.n", 31, 3)}, ${pick("l.city", "m.n", 11)}, lpad(((m.n::bigint * 7919) % 10000000)::text, 7, '0'),
             c.id, m.n, now() - make_interval(secs => m.n), now() - make_interval(secs => m.n)
      FROM ${s}.company c CROSS JOIN generate_series(0, ${PEOPLE_PER_COMPANY - 1}) k CROSS JOIN l
        CROSS JOIN LATERAL (SELECT c.position::int * ${PEOPLE_PER_COMPANY} + k AS n) m
        CROSS JOIN LATERAL (SELECT ${pick("l.first", "m.n", 7919)} AS f, ${pick("l.last", "m.n", 104729, 7)} AS la) nm`)
    await sql.unsafe(`
      WITH l AS (SELECT ${textArray(DEAL_KINDS)} AS kind, ${textArray(STAGES)} AS stage)
      INSERT INTO ${s}.opportunity (name, stage, "amountAmountMicros", "amountCurrencyCode", "closeDate", "companyId",
        "pointOfContactId", position, "createdAt", "updatedAt")
      SELECT c.name || ' – ' || ${pick("l.kind", "m.n", 5)}, ${pick("l.stage", "m.n", 7)},
             ((m.n::bigint * 7919) % 500 + 1) * 1000 * 1000000, CASE WHEN m.n % 4 = 0 THEN 'EUR' ELSE 'USD' END,
             now() + make_interval(days => m.n % 180), c.id, p.id, m.n, now() - make_interval(secs => m.n), now()
      FROM ${s}.company c CROSS JOIN generate_series(0, ${OPPORTUNITIES_PER_COMPANY - 1}) k CROSS JOIN l
        CROSS JOIN LATERAL (SELECT c.position::int * ${OPPORTUNITIES_PER_COMPANY} + k AS n) m
        JOIN ${s}.person p ON p.position = c.position * ${PEOPLE_PER_COMPANY} + k * 2`)
    // VACUUM too: left to autovacuum, the seed's inserts get vacuumed during whichever scenario runs then.
    await sql.unsafe(`VACUUM (ANALYZE) ${s}.company`)
    await sql.unsafe(`VACUUM (ANALYZE) ${s}.person`)
    await sql.unsafe(`VACUUM (ANALYZE) ${s}.opportunity`)
    const seedMs = performance.now() - started
    const [counts] = await sql.unsafe(`
      SELECT (SELECT count(*) FROM ${s}.company)::int AS companies, (SELECT count(*) FROM ${s}.person)::int AS people,
             (SELECT count(*) FROM ${s}.opportunity)::int AS opportunities,
             (SELECT count(*) FROM ${s}.person WHERE "nameFirstName" ILIKE '%an%')::int AS "ilikeMatches",
             (SELECT count(DISTINCT stage) FROM ${s}.opportunity)::int AS stages,
             pg_size_pretty(pg_total_relation_size('${s}.person'::regclass)) AS "personSize"`)
    return { seedMs, ...counts } as {
      seedMs: number
      companies: number
      people: number
      opportunities: number
      ilikeMatches: number
      stages: number
      personSize: string
    }
  } finally {
    await closeSql(sql)
  }
}

// ---------------------------------------------------------------------------------------------------------
// The SQL a hand-written client would send (the raw-driver floor)

const rawQueries = (schema: string, columns: Reference["columns"] = { company: ["id"], person: ["id"] }) => {
  const s = ident(schema)
  const list = (names: ReadonlyArray<string>) => names.map(ident).join(", ")
  const ilike = `"deletedAt" IS NULL AND "nameFirstName" ILIKE $1`
  return {
    i: `SELECT id, name, employees, "domainNamePrimaryLinkUrl", "createdAt" FROM ${s}.company WHERE id = $1 AND "deletedAt" IS NULL`,
    iAll: `SELECT ${list(columns.company)} FROM ${s}.company WHERE id = $1 AND "deletedAt" IS NULL`,
    aAll: `SELECT ${list(columns.company)} FROM ${s}.company WHERE "deletedAt" IS NULL ORDER BY id LIMIT 21`,
    aCount: `SELECT count(*)::int AS n FROM ${s}.company WHERE "deletedAt" IS NULL`,
    cAll: `SELECT ${list(columns.person)} FROM ${s}.person WHERE ${ilike} ORDER BY id LIMIT 21`,
    cCount: `SELECT count(*)::int AS n FROM ${s}.person WHERE ${ilike}`,
    d: `INSERT INTO ${s}.company (name, employees) VALUES ($1, $2) RETURNING id, name, employees, "createdAt"`,
    a: `SELECT id, name, employees, "domainNamePrimaryLinkUrl", "createdAt" FROM ${s}.company
        WHERE "deletedAt" IS NULL ORDER BY id LIMIT 20`,
    b: `SELECT c.id, c.name, c.employees, c."domainNamePrimaryLinkUrl", c."createdAt", p.people
        FROM ${s}.company c
        LEFT JOIN LATERAL (
          SELECT coalesce(json_agg(json_build_object('id', x.id, 'firstName', x."nameFirstName", 'lastName', x."nameLastName",
                   'primaryEmail', x."emailsPrimaryEmail") ORDER BY x.id), '[]'::json) AS people
          FROM (SELECT id, "nameFirstName", "nameLastName", "emailsPrimaryEmail" FROM ${s}.person
                WHERE "companyId" = c.id AND "deletedAt" IS NULL ORDER BY id LIMIT 5) x) p ON true
        WHERE c."deletedAt" IS NULL ORDER BY c.id LIMIT 20`,
    c: `SELECT id, "nameFirstName", "nameLastName", "emailsPrimaryEmail", "jobTitle" FROM ${s}.person
        WHERE "deletedAt" IS NULL AND "nameFirstName" ILIKE $1 ORDER BY id LIMIT 20`,
    update: `UPDATE ${s}.company SET employees = $2, "updatedAt" = now() WHERE id = $1 AND "deletedAt" IS NULL
        RETURNING id, name, employees, "updatedAt"`,
    // A soft delete and its undo, as Score's deleteCompany and restoreCompany write them.
    softDelete: `UPDATE ${s}.company SET "deletedAt" = now(), "updatedAt" = now() WHERE id = $1 AND "deletedAt" IS NULL
        RETURNING id, "deletedAt"`,
    restore: `UPDATE ${s}.company SET "deletedAt" = NULL, "updatedAt" = now() WHERE id = $1 AND "deletedAt" IS NOT NULL
        RETURNING id, "deletedAt"`,
    // Past the first 100 ids, which the read scenarios' checks compare.
    writeIds: `SELECT id FROM ${s}.company WHERE "deletedAt" IS NULL ORDER BY id OFFSET 100`
  }
}

// ---------------------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  readonly requests: number
  readonly errors: number
  readonly firstError: string | null
  readonly elapsedMs: number
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!

/** `concurrency` workers calling `call` back to back for `durationMs` or until `cap` requests have started. */
const closedLoop = async (concurrency: number, durationMs: number, cap: number, call: () => Promise<unknown>): Promise<LoadResult> => {
  const latencies: Array<number> = []
  let started = 0
  let errors = 0
  let firstError: string | null = null
  const begin = performance.now()
  const deadline = begin + durationMs
  const worker = async () => {
    while (performance.now() < deadline && started < cap) {
      started++
      const t0 = performance.now()
      try {
        await call()
      } catch (error) {
        errors++
        firstError ??= error instanceof Error ? error.message : String(error)
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = performance.now() - begin
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    rps: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99)
  }
}

/**
 * wrk (C, one thread) as the load generator for HTTP reads: a JavaScript fetch loop costs this 2-core machine
 * about 0.08 ms of CPU per request, as much as a fast server, so with it the benchmark partly measures itself.
 * Installed from Debian's packages when missing (apt-get, as root); without it the fetch loop is used.
 */
const findWrk = () => {
  if (process.env["BENCH_LOAD"] === "fetch") return null
  const which = () => Bun.spawnSync(["sh", "-c", "command -v wrk"]).stdout.toString().trim() || null
  let found = which()
  if (!found && process.getuid?.() === 0) {
    progress("wrk not found: installing it from Debian's packages")
    Bun.spawnSync(["sh", "-c", "apt-get install -y -q wrk >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1)"])
    found = which()
  }
  if (!found) progress("wrk unavailable: HTTP load from this process's fetch loop")
  return found
}

const wrkLoop = async (
  wrk: string,
  port: number,
  token: string,
  request: NonNullable<Scenario["http"]>,
  concurrency: number,
  durationMs: number
): Promise<LoadResult> => {
  const script = path.join(os.tmpdir(), `score-bench-${process.pid}.lua`)
  const lua = (value: string) => JSON.stringify(value) // a JSON string is a valid Lua string literal here (ASCII)
  fs.writeFileSync(script, [
    `wrk.method = ${lua(request.method)}`,
    `wrk.headers["authorization"] = ${lua(`Bearer ${token}`)}`,
    ...(request.body ? [`wrk.headers["content-type"] = "application/json"`, `wrk.body = ${lua(request.body)}`] : []),
    `done = function(summary, latency, requests)`,
    `  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,`,
    `    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,`,
    `    latency:percentile(50), latency:percentile(99), summary.errors.status))`,
    `end`
  ].join("\n"))
  const proc = Bun.spawn([wrk, "-t1", `-c${concurrency}`, `-d${Math.max(1, Math.round(durationMs / 1000))}s`, "-s", script,
    `http://127.0.0.1:${port}${request.path}`], { stdout: "pipe", stderr: "pipe" })
  const text = await new Response(proc.stdout).text()
  await proc.exited
  fs.rmSync(script, { force: true })
  const match = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(text)
  if (!match) throw new Error(`wrk gave no result: ${clip(text)}`)
  const [requests, durationUs, errors, p50Us, p99Us, statusErrors] = match.slice(1).map(Number) as [number, number, number, number, number, number]
  return {
    requests,
    errors,
    firstError: errors > 0 ? `${statusErrors} non-2xx answers, ${errors - statusErrors} socket errors` : null,
    elapsedMs: durationUs / 1000,
    rps: requests / (durationUs / 1e6),
    p50Ms: p50Us / 1000,
    p99Ms: p99Us / 1000
  }
}

/**
 * Committed transactions of the bench database less its sessions (a backend's start-up commits one transaction, and
 * the pools reconnect after each settle), read from the admin database so that reading does not count.
 */
const commitCounter = (admin: SQL, database: string) => async () => {
  const [row] = await admin.unsafe(`SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = $1`, [database])
  return { value: Number(row.xact_commit) - Number(row.sessions), sessions: Number(row.sessions), at: performance.now() }
}
type Counter = ReturnType<typeof commitCounter>

/**
 * Waits until no backend named `application` is connected to the bench database (a backend flushes its pending
 * statistics as it exits, just after leaving pg_stat_activity), then until xact_commit stops moving. When backends
 * are expected but none is seen, a fixed wait longer than PGSTAT_IDLE_INTERVAL instead.
 */
const settler = (admin: SQL, database: string, counter: Counter) =>
async (application: string, capMs: number, expectConnections: boolean) => {
  const started = performance.now()
  const connected = async () => {
    const [row] = await admin.unsafe(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
      [database, application]
    )
    return row.n as number
  }
  // The server's revocation-epoch check (once a second) keeps one of its connections busy: that one stays open,
  // and flushes its statistics within about a second since it works every second.
  const staying = application === SERVER_APP ? 1 : 0
  let n = await connected()
  if (n === 0 && expectConnections) await Bun.sleep(FALLBACK_SETTLE_MS)
  while (n > staying && performance.now() - started < capMs) {
    await Bun.sleep(200)
    n = await connected()
  }
  if (n > staying) progress(`${n} ${application} connections still open after ${capMs} ms; reading the counter anyway`)
  if (staying > 0) await Bun.sleep(1_500)
  let last = (await counter()).value
  for (let i = 0; i < 10; i++) {
    await Bun.sleep(400)
    const now = (await counter()).value
    if (now === last) break
    last = now
  }
  return performance.now() - started
}
type Settle = ReturnType<typeof settler>

interface Scenario {
  readonly key: string
  readonly label: string
  /** Who answers: Score's GraphQL or REST, the PostGraphile peer, or the raw driver from this process. */
  readonly api: "graphql" | "rest" | "peer" | "pg"
  readonly concurrency: number
  readonly cap: number
  readonly call: () => Promise<unknown>
  /** The same request for wrk (HTTP reads): with wrk on the machine, the load comes from it instead of `call`. */
  readonly http?: { readonly method: "GET" | "POST"; readonly path: string; readonly body?: string }
  /** The first response, checked before any load: null when right, else what is wrong. */
  readonly check: (result: any) => string | null
  readonly before?: () => Promise<void>
  readonly after?: () => Promise<void>
  /** Whose connections must be gone before the end value is read (and whose backends' CPU counts), how long to wait at most. */
  readonly settle: { readonly application: string; readonly capMs: number; readonly expectConnections: boolean }
}

type Outcome =
  | { readonly status: "unavailable" | "invalid"; readonly reason: string }
  | {
    readonly status: "ok"
    readonly load: LoadResult
    readonly warmRequests: number
    readonly sqlPerRequest: number
    readonly serverCpuMsPerRequest: number | null
    /** CPU of the PostgreSQL backends serving the scenario (its application's connections), per request. */
    readonly dbCpuMsPerRequest: number
    readonly clientCpuMsPerRequest: number
  }

interface HttpLoad {
  readonly wrk: string
  readonly token: string
}

/** The process answering a scenario's HTTP requests: its port and pid (CPU per request). */
interface Answerer {
  readonly port: number
  readonly pid: number
}

const runScenario = async (
  scenario: Scenario,
  counter: Counter,
  settle: Settle,
  backgroundPerSecond: number,
  answerer: Answerer | null,
  httpLoad: HttpLoad | null,
  backends: (application: string) => Promise<ReadonlyArray<number>>
): Promise<Outcome> => {
  /** The summed CPU of the scenario's backends; one that has gone since counts as its last reading. */
  const seen = new Map<number, number>()
  const backendCpuMs = async () => {
    for (const pid of await backends(scenario.settle.application)) {
      try {
        seen.set(pid, cpuMs(pid))
      } catch {
        // ended between the query and the read
      }
    }
    return [...seen.values()].reduce((a, b) => a + b, 0)
  }
  const loop = (durationMs: number) =>
    httpLoad && answerer && scenario.http
      ? wrkLoop(httpLoad.wrk, answerer.port, httpLoad.token, scenario.http, scenario.concurrency, durationMs)
      : closedLoop(scenario.concurrency, durationMs, scenario.cap, scenario.call)
  await scenario.before?.()
  try {
    let problem: string | null
    try {
      problem = scenario.check(await scenario.call())
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error)
    }
    if (problem) {
      await scenario.after?.()
      return { status: "invalid", reason: problem }
    }
    const start = await counter()
    const warm = await loop(WARMUP_MS)
    const dbBefore = await backendCpuMs()
    const cpuBefore = answerer ? cpuMs(answerer.pid) : 0
    const clientBefore = process.cpuUsage()
    const load = await loop(LOAD_MS)
    const client = process.cpuUsage(clientBefore)
    const dbCpuMsPerRequest = (await backendCpuMs() - dbBefore) / load.requests
    const clientCpuMsPerRequest = (client.user + client.system) / 1000 / load.requests
    const serverCpuMsPerRequest = answerer ? (cpuMs(answerer.pid) - cpuBefore) / load.requests : null
    await scenario.after?.()
    if (QUICK) return { status: "ok", load, warmRequests: warm.requests, sqlPerRequest: NaN, serverCpuMsPerRequest, dbCpuMsPerRequest, clientCpuMsPerRequest }
    await settle(scenario.settle.application, scenario.settle.capMs, scenario.settle.expectConnections)
    const end = await counter()
    const background = backgroundPerSecond * ((end.at - start.at) / 1000)
    const sqlPerRequest = Math.max(0, end.value - start.value - background) / (warm.requests + load.requests)
    return { status: "ok", load, warmRequests: warm.requests, sqlPerRequest, serverCpuMsPerRequest, dbCpuMsPerRequest, clientCpuMsPerRequest }
  } catch (error) {
    await scenario.after?.().catch(() => {})
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

const COMPANY_FIELDS = "id name employees domainName { primaryLinkUrl } createdAt"
const PERSON_FIELDS = "id name { firstName lastName } emails { primaryEmail }"
const GQL_A = `query { companies(first: 20) { edges { node { ${COMPANY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`
const GQL_A_COUNT = `query { companies(first: 20) { edges { node { ${COMPANY_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount } }`
const GQL_B = `query { companies(first: 20) { edges { node { ${COMPANY_FIELDS}
  people(first: 5) { edges { node { ${PERSON_FIELDS} } } } } } pageInfo { hasNextPage endCursor } } }`
const GQL_C = `query { people(filter: { name: { firstName: { ilike: "%an%" } } }, first: 20) {
  edges { node { ${PERSON_FIELDS} jobTitle } } pageInfo { hasNextPage endCursor } } }`
const GQL_D = `mutation($data: CompanyCreateInput!) { createCompany(data: $data) { id name employees createdAt } }`
const GQL_D_UPDATE = `mutation($id: UUID!, $data: CompanyUpdateInput!) { updateCompany(id: $id, data: $data) { id name employees updatedAt } }`
const GQL_D_DELETE = `mutation($id: UUID!) { deleteCompany(id: $id) { id deletedAt } }`
const GQL_D_RESTORE = `mutation($id: UUID!) { restoreCompany(id: $id) { id deletedAt } }`
/** Scenarios whose SQL/req counts transactions (statements inside one count once). */
const WRITES = new Set([
  "gqlCreate", "pglCreate", "pgCreate", "gqlUpdate", "pglUpdate", "pgUpdate", "gqlDelete", "pglDelete", "pgDelete",
  "restCreate", "restUpdate", "restDelete"
])
const UPDATED_COMPANIES = 2_000 // updates cycle over these (c=8: two requests rarely wait on one row's lock)
const REST_E = "/rest/companies?limit=20&depth=0"
const REST_F = "/rest/companies?limit=20&depth=1"
const REST_G = `/rest/people?filter=${encodeURIComponent(`name.firstName[ilike]:"%an%"`)}&limit=20&depth=0`
const GQL_I = `query($id: UUID!) { company(filter: { id: { eq: $id } }) { ${COMPANY_FIELDS} } }`

interface Reference {
  /** GraphQL selection of every field REST's depth=0 list returns for a company (read from a REST answer). */
  readonly restCompanyFields: string
  /** The company every by-id scenario reads (the 8th by id). */
  readonly companyId: string
  /** Every column but the search vector: the raw floor's and PostGraphile's equivalent of REST's fields. */
  readonly columns: { readonly company: ReadonlyArray<string>; readonly person: ReadonlyArray<string> }
  readonly companyIds: ReadonlyArray<string>
  readonly personIds: ReadonlyArray<string>
  readonly companies: number
  readonly ilikeMatches: number
}

/** A record's keys as a GraphQL selection: objects get their keys; arrays, nulls and scalars are leaves. */
const selectionOf = (record: Record<string, unknown>): string =>
  Object.entries(record).map(([key, value]) =>
    value && typeof value === "object" && !Array.isArray(value) ? `${key} { ${selectionOf(value as Record<string, unknown>)} }` : key
  ).join(" ")

const sameIds = (got: ReadonlyArray<string>, want: ReadonlyArray<string>, what: string) =>
  got.length === want.length && got.every((id, i) => id === want[i])
    ? null
    : `${what}: ids differ from the raw query's (${got.length} vs ${want.length}; first ${got[0]} vs ${want[0]})`

const all = (checks: ReadonlyArray<string | null>) => checks.find((c) => c !== null) ?? null

/** The PostGraphile peer's reads, checked against the same rows as Score's. */
const peerScenarios = (port: number, ref: Reference): Array<Scenario> => {
  const docs = peerDocuments(ref.columns)
  const read = {
    api: "peer" as const,
    concurrency: CONCURRENCY,
    cap: READ_CAP,
    settle: { application: PEER_APP, capMs: SERVER_SETTLE_CAP_MS, expectConnections: true }
  }
  const post = (query: string, variables: Record<string, unknown> = {}) => ({
    call: () => peerGraphql(port, query, variables),
    http: { method: "POST" as const, path: "/graphql", body: JSON.stringify({ query, variables }) }
  })
  const ids = (connection: any) => (connection?.edges ?? []).map((e: any) => e.node.rowId)
  const company = (data: any) => data.companyByRowId?.rowId === ref.companyId ? null : `unexpected ${clip(JSON.stringify(data))}`
  return [
    { key: "pglList", label: "(p-a) PostGraphile list 20 companies", ...read, ...post(docs.list), check: (data) => sameIds(ids(data.allCompanies), ref.companyIds, "companies") },
    {
      key: "pglNested",
      label: "(p-b) PostGraphile 20 companies × 5 people",
      ...read,
      ...post(docs.nested),
      check: (data) => data.allCompanies?.edges?.every((e: any) => e.node.peopleByCompanyId.edges.length === 5) ? null : "not 20 × 5"
    },
    { key: "pglIlike", label: "(p-c) PostGraphile people ilike %an%, 20", ...read, ...post(docs.ilike), check: (data) => sameIds(ids(data.allPeople), ref.personIds, "people") },
    { key: "pglById", label: "(p-i) PostGraphile companyByRowId", ...read, ...post(docs.byId, { id: ref.companyId }), check: company },
    {
      key: "pglListAll",
      label: "(p-e) PostGraphile 20 companies, every column, totalCount",
      ...read,
      ...post(docs.listAll),
      check: (data) => all([sameIds(ids(data.allCompanies), ref.companyIds, "companies"), data.allCompanies.totalCount === ref.companies ? null : "totalCount"])
    },
    {
      key: "pglIlikeAll",
      label: "(p-g) PostGraphile people ilike, every column, totalCount",
      ...read,
      ...post(docs.ilikeAll),
      check: (data) => all([sameIds(ids(data.allPeople), ref.personIds, "people"), data.allPeople.totalCount === ref.ilikeMatches ? null : "totalCount"])
    },
    { key: "pglByIdAll", label: "(p-j) PostGraphile companyByRowId, every column", ...read, ...post(docs.byIdAll, { id: ref.companyId }), check: company }
  ]
}

/**
 * The companies the update and delete scenarios write, and whose turn is next. Deletes and restores share one
 * count over every scenario: a pass over the ids soft-deletes them, the next restores them.
 */
interface WriteTargets {
  readonly created: () => number
  readonly updated: () => { readonly id: string; readonly n: number }
  readonly deleted: () => { readonly id: string; readonly restore: boolean }
  /** Loads the ids the update and delete scenarios write, once (before their first scenario). */
  readonly load: () => Promise<void>
}

const peerWrites = (port: number, targets: WriteTargets): Array<Scenario> => {
  const docs = peerDocuments({ company: [], person: [] })
  const write = {
    api: "peer" as const,
    concurrency: CREATE_CONCURRENCY,
    cap: CREATE_CAP,
    settle: { application: PEER_APP, capMs: SERVER_SETTLE_CAP_MS, expectConnections: true }
  }
  const unexpected = (data: unknown) => `unexpected ${clip(JSON.stringify(data))}`
  return [
    {
      key: "pglCreate",
      label: "(p-d) PostGraphile createCompany (c=8)",
      ...write,
      call: () => {
        const n = targets.created()
        return peerGraphql(port, docs.create, { company: { name: `Bench Created ${n}`, employees: n % 1000 } })
      },
      check: (data) => typeof data.createCompany?.company?.rowId === "string" ? null : unexpected(data)
    },
    {
      key: "pglUpdate",
      label: "(p-du) PostGraphile updateCompanyByRowId (c=8)",
      ...write,
      before: targets.load,
      call: () => {
        const { id, n } = targets.updated()
        return peerGraphql(port, docs.update, { id, patch: { employees: n % 997, updatedAt: new Date().toISOString() } })
      },
      check: (data) => typeof data.updateCompanyByRowId?.company?.employees === "number" ? null : unexpected(data)
    },
    {
      key: "pglDelete",
      label: "(p-dd) PostGraphile soft delete: updateCompanyByRowId deletedAt (c=8)",
      ...write,
      before: targets.load,
      call: () => {
        const { id, restore } = targets.deleted()
        const now = new Date().toISOString()
        return peerGraphql(port, docs.softDelete, { id, patch: { deletedAt: restore ? null : now, updatedAt: now } })
      },
      check: (data) => data.updateCompanyByRowId?.company?.rowId ? null : unexpected(data)
    }
  ]
}

const buildScenarios = (
  clients: ReturnType<typeof makeClients>,
  pg: PgModule,
  databaseUrlForPool: string,
  schema: string,
  ref: Reference,
  peer: { readonly port: number } | null
): Array<Scenario> => {
  const { graphql, rest, restWrite } = clients
  const gqlRestFields = `query { companies(first: 20) { totalCount edges { node { ${ref.restCompanyFields} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
  const gqlRestFieldsNoCount = gqlRestFields.replace("totalCount ", "")
  const restById = (depth: number) => `/rest/companies/${ref.companyId}?depth=${depth}`
  const serverSettle = { application: SERVER_APP, capMs: SERVER_SETTLE_CAP_MS, expectConnections: true }
  const read = { concurrency: CONCURRENCY, cap: READ_CAP, settle: serverSettle }
  const edges = (connection: any): Array<any> => connection?.edges?.map((e: any) => e.node) ?? []
  const nameMatches = (people: Array<any>, get: (p: any) => string) =>
    people.every((p) => /an/i.test(get(p))) ? null : `a person without "an" in the first name came back`

  let pool: PgPool | null = null
  const openPool = async () => {
    const created = new pg.Pool({ connectionString: databaseUrlForPool, max: PG_POOL_SIZE, application_name: RAW_APP })
    created.on("error", () => {}) // an idle client dropped by the server must not crash the bench
    leftovers.pools.add(created)
    pool = created
  }
  const closePool = async () => {
    const current = pool
    pool = null
    if (!current) return
    leftovers.pools.delete(current)
    await current.end()
  }
  const raw = rawQueries(schema, ref.columns)
  const pgRead = {
    concurrency: CONCURRENCY,
    cap: READ_CAP,
    settle: { application: RAW_APP, capMs: POOL_SETTLE_CAP_MS, expectConnections: false },
    before: openPool,
    after: closePool
  }
  const write = { concurrency: CREATE_CONCURRENCY, cap: CREATE_CAP, settle: serverSettle }
  const pgWrite = { ...pgRead, concurrency: CREATE_CONCURRENCY, cap: CREATE_CAP }
  let created = 0
  let updated = 0
  let deleted = 0
  // Companies the update and delete scenarios write (loaded once, on a pool of their own).
  let writeIds: ReadonlyArray<string> = []
  const loadWriteIds = async () => {
    if (writeIds.length > 0) return
    const loader = new pg.Pool({ connectionString: databaseUrlForPool, max: 1, application_name: RAW_APP })
    try {
      writeIds = (await loader.query(raw.writeIds)).rows.map((r) => r["id"] as string)
    } finally {
      await loader.end()
    }
  }
  const targets: WriteTargets = {
    created: () => ++created,
    updated: () => {
      const n = ++updated
      return { id: writeIds[n % Math.min(UPDATED_COMPANIES, writeIds.length)]!, n }
    },
    deleted: () => {
      const n = deleted++
      return { id: writeIds[n % writeIds.length]!, restore: Math.floor(n / writeIds.length) % 2 === 1 }
    },
    load: loadWriteIds
  }
  const peerWrite = (key: string) => (peer ? peerWrites(peer.port, targets).filter((s) => s.key === key) : [])

  return [
    {
      key: "gqlList",
      label: "(a) GraphQL list 20 companies",
      api: "graphql",
      ...read,
      call: () => graphql(GQL_A),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: GQL_A, variables: {} }) },
      check: (data) => {
        const nodes = edges(data.companies)
        return all([
          nodes.length === 20 ? null : `${nodes.length} companies instead of 20`,
          sameIds(nodes.map((n) => n.id), ref.companyIds, "companies"),
          typeof nodes[0]?.domainName?.primaryLinkUrl === "string" ? null : "domainName.primaryLinkUrl missing"
        ])
      }
    },
    {
      key: "gqlListCount",
      label: "(a+) same + totalCount",
      api: "graphql",
      ...read,
      call: () => graphql(GQL_A_COUNT),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: GQL_A_COUNT, variables: {} }) },
      check: (data) => data.companies?.totalCount === ref.companies ? null : `totalCount ${data.companies?.totalCount}, want ${ref.companies}`
    },
    {
      key: "gqlListRestFields",
      label: "(a*) same + totalCount, REST's fields",
      api: "graphql",
      ...read,
      call: () => graphql(gqlRestFields),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: gqlRestFields, variables: {} }) },
      check: (data) => {
        const nodes = edges(data.companies)
        return all([
          data.companies?.totalCount === ref.companies ? null : `totalCount ${data.companies?.totalCount}`,
          sameIds(nodes.map((n) => n.id), ref.companyIds, "companies")
        ])
      }
    },
    {
      key: "gqlNested",
      label: "(b) GraphQL 20 companies × 5 people",
      api: "graphql",
      ...read,
      call: () => graphql(GQL_B),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: GQL_B, variables: {} }) },
      check: (data) => {
        const nodes = edges(data.companies)
        return all([
          nodes.length === 20 ? null : `${nodes.length} companies instead of 20`,
          nodes.every((n) => edges(n.people).length === 5) ? null : "a company without exactly 5 people",
          typeof edges(nodes[0]?.people)[0]?.emails?.primaryEmail === "string" ? null : "people.emails.primaryEmail missing"
        ])
      }
    },
    {
      key: "gqlIlike",
      label: "(c) GraphQL people ilike %an%, 20",
      api: "graphql",
      ...read,
      call: () => graphql(GQL_C),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: GQL_C, variables: {} }) },
      check: (data) => {
        const nodes = edges(data.people)
        return all([
          nodes.length === 20 ? null : `${nodes.length} people instead of 20`,
          nameMatches(nodes, (p) => p.name?.firstName ?? ""),
          sameIds(nodes.map((n) => n.id), ref.personIds, "people")
        ])
      }
    },
    {
      key: "restList",
      label: "(e) REST list 20 companies, depth=0",
      api: "rest",
      ...read,
      call: () => rest(REST_E),
      http: { method: "GET", path: REST_E },
      check: (body) => {
        const companies: Array<any> = body?.data?.companies ?? []
        return all([
          companies.length === 20 ? null : `${companies.length} companies instead of 20`,
          sameIds(companies.map((c) => c.id), ref.companyIds, "companies"),
          body.totalCount === ref.companies ? null : `totalCount ${body.totalCount}`
        ])
      }
    },
    {
      key: "restDepth1",
      label: "(f) REST list 20 companies, depth=1",
      api: "rest",
      ...read,
      call: () => rest(REST_F),
      http: { method: "GET", path: REST_F },
      check: (body) => {
        const companies: Array<any> = body?.data?.companies ?? []
        return all([
          companies.length === 20 ? null : `${companies.length} companies instead of 20`,
          companies.every((c) => Array.isArray(c.people) && c.people.length === 5) ? null : "people not expanded to 5 per company",
          companies.every((c) => Array.isArray(c.opportunities) && c.opportunities.length === 2) ? null : "opportunities not expanded"
        ])
      }
    },
    {
      key: "restIlike",
      label: "(g) REST people ilike %an%, 20",
      api: "rest",
      ...read,
      call: () => rest(REST_G),
      http: { method: "GET", path: REST_G },
      check: (body) => {
        const people: Array<any> = body?.data?.people ?? []
        return all([
          people.length === 20 ? null : `${people.length} people instead of 20`,
          nameMatches(people, (p) => p.name?.firstName ?? ""),
          sameIds(people.map((p) => p.id), ref.personIds, "people"),
          body.totalCount === ref.ilikeMatches ? null : `totalCount ${body.totalCount}, want ${ref.ilikeMatches}`
        ])
      }
    },
    {
      key: "gqlListRestFieldsNoCount",
      label: "(a**) same, REST's fields, no totalCount",
      api: "graphql",
      ...read,
      call: () => graphql(gqlRestFieldsNoCount),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: gqlRestFieldsNoCount, variables: {} }) },
      check: (data) => sameIds(edges(data.companies).map((n) => n.id), ref.companyIds, "companies")
    },
    {
      key: "gqlById",
      label: "(i) GraphQL company(filter: { id: { eq } })",
      api: "graphql",
      ...read,
      call: () => graphql(GQL_I, { id: ref.companyId }),
      http: { method: "POST", path: "/graphql", body: JSON.stringify({ query: GQL_I, variables: { id: ref.companyId } }) },
      check: (data) => data.company?.id === ref.companyId && typeof data.company.domainName?.primaryLinkUrl === "string"
        ? null
        : `unexpected company ${clip(JSON.stringify(data))}`
    },
    {
      key: "restById",
      label: "(j) REST company by id, depth=0",
      api: "rest",
      ...read,
      call: () => rest(restById(0)),
      http: { method: "GET", path: restById(0) },
      check: (body) => body?.data?.company?.id === ref.companyId ? null : `unexpected company ${clip(JSON.stringify(body))}`
    },
    {
      key: "restById1",
      label: "(j1) REST company by id, depth=1",
      api: "rest",
      ...read,
      call: () => rest(restById(1)),
      http: { method: "GET", path: restById(1) },
      check: (body) => body?.data?.company?.people?.length === 5 ? null : `people not expanded: ${clip(JSON.stringify(body))}`
    },
    ...(peer ? peerScenarios(peer.port, ref) : []),
    {
      key: "pgList",
      label: "(h-a) raw pg: list 20 companies",
      api: "pg",
      ...pgRead,
      call: () => pool!.query(raw.a),
      check: (result) => sameIds(result.rows.map((r: any) => r.id), ref.companyIds, "companies")
    },
    {
      key: "pgNested",
      label: "(h-b) raw pg: 20 companies × 5 people",
      api: "pg",
      ...pgRead,
      call: () => pool!.query(raw.b),
      check: (result) =>
        result.rows.length === 20 && result.rows.every((r: any) => r.people.length === 5) ? null : "not 20 × 5 rows"
    },
    {
      key: "pgIlike",
      label: "(h-c) raw pg: people ilike %an%, 20",
      api: "pg",
      ...pgRead,
      call: () => pool!.query(raw.c, ["%an%"]),
      check: (result) => sameIds(result.rows.map((r: any) => r.id), ref.personIds, "people")
    },
    {
      key: "pgById",
      label: "(h-i) raw pg: company by id",
      api: "pg",
      ...pgRead,
      call: () => pool!.query(raw.i, [ref.companyId]),
      check: (result) => result.rows[0]?.id === ref.companyId ? null : "not the company"
    },
    {
      key: "pgListAll",
      label: "(h-e) raw pg: 20 companies, every column, + count(*)",
      api: "pg",
      ...pgRead,
      call: () => Promise.all([pool!.query(raw.aAll), pool!.query(raw.aCount)]),
      check: ([page, count]) => all([
        sameIds(page.rows.slice(0, 20).map((r: any) => r.id), ref.companyIds, "companies"),
        count.rows[0]?.n === ref.companies ? null : `count ${count.rows[0]?.n}`
      ])
    },
    {
      key: "pgIlikeAll",
      label: "(h-g) raw pg: people ilike, every column, + count(*)",
      api: "pg",
      ...pgRead,
      call: () => Promise.all([pool!.query(raw.cAll, ["%an%"]), pool!.query(raw.cCount, ["%an%"])]),
      check: ([page, count]) => all([
        sameIds(page.rows.slice(0, 20).map((r: any) => r.id), ref.personIds, "people"),
        count.rows[0]?.n === ref.ilikeMatches ? null : `count ${count.rows[0]?.n}`
      ])
    },
    {
      key: "pgByIdAll",
      label: "(h-j) raw pg: company by id, every column",
      api: "pg",
      ...pgRead,
      call: () => pool!.query(raw.iAll, [ref.companyId]),
      check: (result) => result.rows[0]?.id === ref.companyId ? null : "not the company"
    },
    // The writes come last: new companies would change the lists' first 20 ids. Updates before deletes: an update
    // skips a soft-deleted company. Each has Score's, PostGraphile's and the raw driver's scenario.
    {
      key: "gqlCreate",
      label: "(d) GraphQL createCompany (c=8)",
      api: "graphql",
      ...write,
      call: () => {
        const n = targets.created()
        return graphql(GQL_D, { data: { name: `Bench Created ${n}`, employees: n % 1000 } })
      },
      check: (data) =>
        typeof data.createCompany?.id === "string" && data.createCompany.name?.startsWith("Bench Created")
          ? null
          : `unexpected createCompany result ${clip(JSON.stringify(data))}`
    },
    ...peerWrite("pglCreate"),
    {
      key: "pgCreate",
      label: "(h-d) raw pg: INSERT … RETURNING (c=8)",
      api: "pg",
      ...pgWrite,
      call: () => {
        const n = targets.created()
        return pool!.query(raw.d, [`Bench Created ${n}`, n % 1000])
      },
      check: (result) => result.rows[0]?.name?.startsWith("Bench Created") ? null : "no row inserted"
    },
    {
      key: "gqlUpdate",
      label: "(d-u) GraphQL updateCompany (c=8)",
      api: "graphql",
      ...write,
      before: loadWriteIds,
      call: () => {
        const { id, n } = targets.updated()
        return graphql(GQL_D_UPDATE, { id, data: { employees: n % 997 } })
      },
      check: (data) => typeof data.updateCompany?.employees === "number" ? null : `unexpected updateCompany result ${clip(JSON.stringify(data))}`
    },
    ...peerWrite("pglUpdate"),
    {
      key: "pgUpdate",
      label: "(h-du) raw pg: UPDATE … RETURNING (c=8)",
      api: "pg",
      ...pgWrite,
      before: () => loadWriteIds().then(openPool),
      call: () => {
        const { id, n } = targets.updated()
        return pool!.query(raw.update, [id, n % 997])
      },
      check: (result) => result.rows.length === 1 ? null : "no row updated"
    },
    // REST's create and update after GraphQL's (before the deletes: an update skips a soft-deleted company).
    {
      key: "restCreate",
      label: "(r-d) REST POST /rest/companies (c=8)",
      api: "rest",
      ...write,
      call: () => {
        const n = targets.created()
        return restWrite("POST", "/rest/companies", { name: `Bench Created ${n}`, employees: n % 1000 }, 201)
      },
      check: (body) => body.data?.createCompany?.name?.startsWith("Bench Created") ? null : `unexpected create result ${clip(JSON.stringify(body))}`
    },
    {
      key: "restUpdate",
      label: "(r-du) REST PATCH /rest/companies/:id (c=8)",
      api: "rest",
      ...write,
      before: loadWriteIds,
      call: () => {
        const { id, n } = targets.updated()
        return restWrite("PATCH", `/rest/companies/${id}`, { employees: n % 997 }, 200)
      },
      check: (body) => typeof body.data?.updateCompany?.employees === "number" ? null : `unexpected update result ${clip(JSON.stringify(body))}`
    },
    {
      key: "gqlDelete",
      label: "(d-d) GraphQL deleteCompany (soft; restores once all are deleted) (c=8)",
      api: "graphql",
      ...write,
      before: loadWriteIds,
      call: () => {
        const { id, restore } = targets.deleted()
        return graphql(restore ? GQL_D_RESTORE : GQL_D_DELETE, { id })
      },
      check: (data) =>
        typeof data.deleteCompany?.deletedAt === "string" || (data.restoreCompany && data.restoreCompany.deletedAt === null)
          ? null
          : `unexpected deleteCompany result ${clip(JSON.stringify(data))}`
    },
    ...peerWrite("pglDelete"),
    {
      key: "pgDelete",
      label: "(h-dd) raw pg: soft delete, UPDATE deletedAt … RETURNING (c=8)",
      api: "pg",
      ...pgWrite,
      before: () => loadWriteIds().then(openPool),
      call: () => {
        const { id, restore } = targets.deleted()
        return pool!.query(restore ? raw.restore : raw.softDelete, [id])
      },
      check: (result) => result.rows.length === 1 ? null : "no row soft-deleted"
    },
    // Once every company is deleted, REST's restore (`PATCH /rest/companies/:id/restore`, Twenty's path) undoes them.
    {
      key: "restDelete",
      label: "(r-dd) REST DELETE /rest/companies/:id?soft_delete=true (c=8)",
      api: "rest",
      ...write,
      before: loadWriteIds,
      call: () => {
        const { id, restore } = targets.deleted()
        return restore
          ? restWrite("PATCH", `/rest/companies/${id}/restore`, undefined, 200)
          : restWrite("DELETE", `/rest/companies/${id}?soft_delete=true`, undefined, 200)
      },
      check: (body) => body.data?.deleteCompany?.id || body.data?.restoreCompany?.deletedAt === null ? null : `unexpected delete result ${clip(JSON.stringify(body))}`
    }
  ]
}

// ---------------------------------------------------------------------------------------------------------
// Report

/** [workload, Score's scenario, PostGraphile's, the raw floor's]: the goals are Score ≥ 1.0× PostGraphile, reads ≥ 0.8× raw. */
const SIDE_BY_SIDE: ReadonlyArray<readonly [string, string, string | null, string | null]> = [
  ["list 20 companies (GraphQL)", "gqlList", "pglList", "pgList"],
  ["20 companies × 5 people (GraphQL)", "gqlNested", "pglNested", "pgNested"],
  ["people ilike %an% (GraphQL)", "gqlIlike", "pglIlike", "pgIlike"],
  ["one company by id (GraphQL)", "gqlById", "pglById", "pgById"],
  ["create one company (GraphQL, c=8)", "gqlCreate", "pglCreate", "pgCreate"],
  ["update one company (GraphQL, c=8)", "gqlUpdate", "pglUpdate", "pgUpdate"],
  ["soft-delete one company (GraphQL, c=8)", "gqlDelete", "pglDelete", "pgDelete"],
  ["create one company (REST POST, c=8)", "restCreate", "pglCreate", "pgCreate"],
  ["update one company (REST PATCH, c=8)", "restUpdate", "pglUpdate", "pgUpdate"],
  ["soft-delete one company (REST DELETE, c=8)", "restDelete", "pglDelete", "pgDelete"],
  ["REST list 20 companies (+ totalCount)", "restList", "pglListAll", "pgListAll"],
  ["GraphQL, REST's fields + totalCount", "gqlListRestFields", "pglListAll", "pgListAll"],
  ["GraphQL, REST's fields, no totalCount", "gqlListRestFieldsNoCount", null, null],
  ["REST people ilike (+ totalCount)", "restIlike", "pglIlikeAll", "pgIlikeAll"],
  ["REST one company by id, depth=0", "restById", "pglByIdAll", "pgByIdAll"],
  ["REST one company by id, depth=1", "restById1", null, null]
]

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

const report = (input: {
  seed: Awaited<ReturnType<typeof seed>>
  readyMs: number
  graphqlStatus: number
  backgroundPerSecond: number
  scenarios: ReadonlyArray<Scenario>
  outcomes: ReadonlyMap<string, Outcome>
  serverProblems: ReadonlyArray<string>
  loadGenerator: string
  totalMs: number
  load: { readonly before: ReadonlyArray<number>; readonly after: ReadonlyArray<number> }
  rss: { readonly before: number; readonly after: number }
}) => {
  const { seed: seeded, scenarios, outcomes } = input
  const graphqlAvailable = input.graphqlStatus !== 404
  console.log(`\nScore data benchmark (bun ${Bun.version}, ${os.cpus().length} CPUs, server, PostgreSQL and this client on one machine)\n`)
  console.log(
    `seed: ${seeded.companies} companies, ${seeded.people} people (${seeded.personSize}), ${seeded.opportunities} opportunities ` +
      `(${seeded.stages} stages) in ${(seeded.seedMs / 1000).toFixed(1)} s; firstName ILIKE '%an%' matches ${seeded.ilikeMatches} people ` +
      `(${(seeded.ilikeMatches / seeded.people * 100).toFixed(1)}%)`
  )
  console.log(
    `server ready in ${(input.readyMs / 1000).toFixed(1)} s; POST /graphql ${graphqlAvailable ? `answers ${input.graphqlStatus}` : "answers 404: GraphQL scenarios unavailable"}; ` +
      `idle background ${input.backgroundPerSecond.toFixed(2)} commits/s`
  )
  console.log(
    `HTTP load: ${input.loadGenerator}\n` +
    `machine load average (1/5/15 min) before scenarios ${input.load.before.join(" ")}, after ${input.load.after.join(" ")} ` +
      `(${os.cpus().length} CPUs shared by server, PostgreSQL, this client and anything else running)\n`
  )
  const header = ["scenario", "req/s", "p50 ms", "p99 ms", "requests", "errors", "SQL/req", "srv CPU ms/req", "db CPU ms/req", "client CPU ms/req"]
  const rows = scenarios.map((s) => {
    const o = outcomes.get(s.key)
    if (!o || o.status !== "ok") return [s.label, o ? o.status : "not run", "", "", "", "", "", "", "", ""]
    return [
      s.label,
      o.load.rps.toFixed(0),
      o.load.p50Ms.toFixed(2),
      o.load.p99Ms.toFixed(2),
      String(o.load.requests),
      String(o.load.errors),
      Number.isNaN(o.sqlPerRequest) ? "-" : `${o.sqlPerRequest.toFixed(2)}${WRITES.has(s.key) ? " tx" : ""}`,
      o.serverCpuMsPerRequest === null ? "-" : o.serverCpuMsPerRequest.toFixed(2),
      o.dbCpuMsPerRequest.toFixed(2),
      o.clientCpuMsPerRequest.toFixed(2)
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("  "))
  for (const row of rows) console.log(line(row))
  for (const s of scenarios) {
    const o = outcomes.get(s.key)
    if (o && o.status !== "ok") console.log(`  ${s.label}: ${o.status}: ${clip(o.reason, 240)}`)
    if (o?.status === "ok" && o.load.firstError) console.log(`  ${s.label}: first error: ${clip(o.load.firstError, 240)}`)
  }
  const rps = (key: string) => {
    const o = outcomes.get(key)
    return o?.status === "ok" ? o.load.rps : null
  }
  const ratio = (a: string, b: string) => {
    const x = rps(a)
    const y = rps(b)
    return x !== null && y !== null && y > 0 ? x / y : null
  }
  const ratios = {
    graphqlListOverRawPg: ratio("gqlList", "pgList"),
    restListOverGraphqlList: ratio("restList", "gqlList"),
    restListOverGraphqlListWithCount: ratio("restList", "gqlListCount"),
    restListOverGraphqlSameFields: ratio("restList", "gqlListRestFields"),
    graphqlNestedOverRawPg: ratio("gqlNested", "pgNested"),
    graphqlIlikeOverRawPg: ratio("gqlIlike", "pgIlike"),
    restListOverGraphqlSameFieldsNoCount: ratio("restList", "gqlListRestFieldsNoCount"),
    ...Object.fromEntries(SIDE_BY_SIDE.flatMap(([, score, peer, floor]): Array<[string, number | null]> => [
      ...(peer ? [[`${score}OverPostGraphile`, ratio(score, peer)] as [string, number | null]] : []),
      ...(floor ? [[`${score}OverRawPg`, ratio(score, floor)] as [string, number | null]] : [])
    ])),
    restIlikeOverGraphqlIlike: ratio("restIlike", "gqlIlike")
  }
  console.log("\nSide by side (req/s; the PostGraphile and raw figures answer the same rows and fields, see bench/peer.ts)\n")
  const sideHeader = ["workload", "Score", "PostGraphile", "raw pg", "Score/PG", "Score/raw"]
  const sideRows = SIDE_BY_SIDE.map(([label, score, peer, floor]) => {
    const [a, b, c] = [rps(score), peer ? rps(peer) : null, floor ? rps(floor) : null]
    const cell = (n: number | null, digits = 0) => (n === null ? "-" : n.toFixed(digits))
    return [label, cell(a), cell(b), cell(c), cell(a !== null && b ? a / b : null, 2), cell(a !== null && c ? a / c : null, 2)]
  })
  const sideWidths = sideHeader.map((h, i) => Math.max(h.length, ...sideRows.map((r) => r[i]!.length)))
  const sideLine = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(sideWidths[i]!) : c.padStart(sideWidths[i]!))).join("  ")
  console.log(sideLine(sideHeader))
  console.log(sideWidths.map((w) => "-".repeat(w)).join("  "))
  for (const row of sideRows) console.log(sideLine(row))
  const show = (value: number | null, goal: string) => (value === null ? "n/a" : `${value.toFixed(2)}  (${goal})`)
  console.log("")
  console.log(`GraphQL(a) / raw pg(a)        ${show(ratios.graphqlListOverRawPg, "goal ≥ 0.5")}`)
  console.log(`REST(e) / GraphQL(a)          ${show(ratios.restListOverGraphqlList, "goal 0.9–1.1; REST always adds totalCount")}`)
  console.log(`REST(e) / GraphQL(a+count)    ${show(ratios.restListOverGraphqlListWithCount, "same statements; REST returns 4x the fields")}`)
  console.log(`REST(e) / GraphQL(a*)         ${show(ratios.restListOverGraphqlSameFields, "same fields and count: goal 0.9–1.1")}`)
  console.log(`GraphQL(b) / raw pg(b)        ${show(ratios.graphqlNestedOverRawPg, "nested")}`)
  console.log(`GraphQL(c) / raw pg(c)        ${show(ratios.graphqlIlikeOverRawPg, "ilike")}`)
  console.log(`REST(g) / GraphQL(c)          ${show(ratios.restIlikeOverGraphqlIlike, "ilike; REST adds totalCount")}`)
  console.log(`server RSS before / after     ${input.rss.before.toFixed(0)} / ${input.rss.after.toFixed(0)} MiB`)
  console.log(`server WARN/ERROR log lines   ${input.serverProblems.length}`)
  for (const problem of input.serverProblems.slice(0, 5)) console.log(`  ${clip(problem, 300)}`)
  console.log(`total run time                ${(input.totalMs / 1000).toFixed(0)} s`)

  const result = {
    bun: Bun.version,
    cpus: os.cpus().length,
    seed: {
      companies: seeded.companies,
      people: seeded.people,
      opportunities: seeded.opportunities,
      seconds: round(seeded.seedMs / 1000, 2),
      ilikeMatches: seeded.ilikeMatches
    },
    graphql: graphqlAvailable ? "available" : "unavailable",
    backgroundCommitsPerSecond: round(input.backgroundPerSecond, 2),
    concurrency: { read: CONCURRENCY, create: CREATE_CONCURRENCY, pgPool: PG_POOL_SIZE },
    scenarios: Object.fromEntries(scenarios.map((s) => {
      const o = outcomes.get(s.key)
      if (!o) return [s.key, { status: "not run" }]
      if (o.status !== "ok") return [s.key, { status: o.status, reason: clip(o.reason, 200) }]
      return [s.key, {
        status: "ok",
        rps: round(o.load.rps),
        p50Ms: round(o.load.p50Ms, 2),
        p99Ms: round(o.load.p99Ms, 2),
        requests: o.load.requests,
        errors: o.load.errors,
        sqlPerRequest: round(o.sqlPerRequest, 2),
        serverCpuMsPerRequest: o.serverCpuMsPerRequest === null ? null : round(o.serverCpuMsPerRequest, 2),
        dbCpuMsPerRequest: round(o.dbCpuMsPerRequest, 2),
        clientCpuMsPerRequest: round(o.clientCpuMsPerRequest, 2)
      }]
    })),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, v === null ? null : round(v, 3)])),
    serverWarnOrErrorLines: input.serverProblems.length,
    loadAverage: input.load,
    serverRssMiB: { before: round(input.rss.before), after: round(input.rss.after) },
    totalSeconds: round(input.totalMs / 1000),
    loadGenerator: input.loadGenerator
  }
  console.log(`\nRESULT ${JSON.stringify(result)}`)
}

// ---------------------------------------------------------------------------------------------------------
// Main and clean-up

const main = async () => {
  const name = `score_bench_data_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
  const admin = openSql(ADMIN_URL)
  await admin.unsafe(`CREATE DATABASE ${name}`)
  leftovers.database = name
  const url = databaseUrl(name)
  const peerStarted = !ONLY || ONLY.some((key) => key.startsWith("pgl"))
  const peerInstall = peerStarted ? installPeer(progress).catch((e) => String(e)) : Promise.resolve("not asked for (--only)")
  progress(`database ${name}; starting the server`)
  const server = await startServer(url)
  progress(`server ready in ${server.readyMs.toFixed(0)} ms on port ${server.port}`)
  const account = await setupAccount(server.port)
  const clients = makeClients(server.port, account.apiKey)

  const bench = openSql(url)
  const [source] = await bench.unsafe(`SELECT schema FROM core."dataSource" WHERE "workspaceId" = $1`, [account.workspaceId])
  const schema: string = source.schema
  const raw = rawQueries(schema)
  await closeSql(bench)
  const seeded = await seed(url, schema)
  progress(`seeded ${schema} in ${seeded.seedMs.toFixed(0)} ms: ${seeded.companies}/${seeded.people}/${seeded.opportunities}, ${seeded.ilikeMatches} ilike matches`)

  const check = openSql(url)
  const columnsOf = async (table: string) =>
    (await check.unsafe(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
      AND data_type <> 'tsvector' ORDER BY ordinal_position`, [schema, table])).map((r: any) => r.c as string)
  const companyIds = (await check.unsafe(raw.a)).map((r: any) => r.id)
  const ref: Reference = {
    restCompanyFields: selectionOf((await clients.rest(REST_E)).data.companies[0]),
    companyId: companyIds[7],
    columns: { company: await columnsOf("company"), person: await columnsOf("person") },
    companyIds,
    personIds: (await check.unsafe(raw.c, ["%an%"])).map((r: any) => r.id),
    companies: seeded.companies,
    ilikeMatches: seeded.ilikeMatches
  }
  await closeSql(check)

  const graphqlStatus = await clients.graphqlStatus()
  progress(`POST /graphql → ${graphqlStatus}${graphqlStatus === 404 ? " (GraphQL scenarios unavailable)" : ""}`)

  if (HOLD) {
    console.log(`server http://127.0.0.1:${server.port} (pid ${server.proc.pid}); API key:\n${account.apiKey}\nschema ${schema}; ^C stops and cleans up`)
    await new Promise(() => {}) // until SIGINT
  }

  const peer = peerStarted
    ? await (async () => {
      const unavailable = await peerInstall
      if (unavailable) return progress(`PostGraphile peer unavailable: ${unavailable}`), null
      const started = await startPeer(url, schema, PG_POOL_SIZE)
      leftovers.peer = started
      progress(`PostGraphile ready in ${started.readyMs.toFixed(0)} ms on port ${started.port}`)
      return started
    })()
    : null
  const pg = await loadPg()
  const every = buildScenarios(clients, pg, url, schema, ref, peer)
  const scenarios = every.filter((s) => !ONLY || ONLY.includes(s.key))

  // A fresh server runs its first thousand requests through the interpreter and baseline JIT: without this,
  // whichever scenario comes first pays for compiling the shared request path (twice the CPU per request).
  // The cheap reads only: depth=1 and the REST ilike count cost PostgreSQL far more than they exercise the server.
  // From every scenario, not only those selected by --only (with none of these selected it warmed nothing).
  const warmable = every.filter((s) =>
    ["gqlList", "gqlListCount", "gqlNested", "gqlIlike", "restList"].includes(s.key) && (s.api === "rest" || graphqlStatus !== 404)
  )
  const warm = async (who: string, calls: ReadonlyArray<Scenario>) => {
    if (calls.length === 0) return
    let turn = 0
    const jit = await closedLoop(CONCURRENCY, JIT_WARMUP_MAX_MS, JIT_WARMUP_REQUESTS, () => calls[turn++ % calls.length]!.call())
    progress(`${who} JIT warm-up: ${jit.requests} mixed requests in ${(jit.elapsedMs / 1000).toFixed(1)} s, ${jit.errors} errors`)
  }
  await warm("Score", warmable)
  await warm("PostGraphile", every.filter((s) => ["pglList", "pglNested", "pglIlike", "pglById"].includes(s.key)))

  // Idle background: settle first (warm-up traffic still unflushed), then a 2 s idle window, settled again.
  const counter = commitCounter(admin, name)
  const settle = settler(admin, name, counter)
  const backends = async (application: string) =>
    (await admin.unsafe(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`, [name, application]))
      .map((row: { pid: number }) => row.pid)
  if (peer && !QUICK) await settle(PEER_APP, SERVER_SETTLE_CAP_MS, true)
  await settle(SERVER_APP, SERVER_SETTLE_CAP_MS, true)
  const idleStart = await counter()
  await Bun.sleep(IDLE_WINDOW_MS)
  await settle(SERVER_APP, SERVER_SETTLE_CAP_MS, false)
  const idleEnd = await counter()
  const backgroundPerSecond = Math.max(0, idleEnd.value - idleStart.value) / ((idleEnd.at - idleStart.at) / 1000)
  progress(`idle background ${backgroundPerSecond.toFixed(2)} commits/s`)
  const wrk = findWrk()
  const httpLoad = wrk ? { wrk, token: account.apiKey } : null
  const answererOf = (scenario: Scenario): Answerer | null =>
    scenario.api === "pg" ? null : scenario.api === "peer" ? peer : { port: server.port, pid: server.proc.pid }
  const outcomes = new Map<string, Outcome>()
  const loadBefore = loadAverage()
  const rssBefore = rssMiB(server.proc.pid)
  // Creates run a path reads do not (the insert, its events, the write's answer): warmed the same way before the
  // first write is measured, so the first write scenario does not pay for compiling it (GraphQL create, first in
  // line, measured 0.29 ms of server CPU per request). Creates only: the update scenarios prepare their own rows.
  let writesWarmed = false
  for (const scenario of scenarios) {
    if (!writesWarmed && WRITES.has(scenario.key)) {
      writesWarmed = true
      await warm("Score writes", every.filter((s) => ["gqlCreate", "restCreate"].includes(s.key)).filter((s) => s.api === "rest" || graphqlStatus !== 404))
      await warm("PostGraphile writes", every.filter((s) => ["pglCreate"].includes(s.key)))
      // The warm-up's rows and events vacuumed now, not by autovacuum during the first write scenario (measured:
      // GraphQL create run first 2,874 req/s, 0.23 ms server CPU; run after REST's create 3,624, 0.16).
      const vacuum = new SQL(url)
      await vacuum.unsafe(`VACUUM (ANALYZE)`)
      await vacuum.close()
    }
    if (scenario.api === "graphql" && graphqlStatus === 404) {
      outcomes.set(scenario.key, { status: "unavailable", reason: "POST /graphql answered 404" })
      continue
    }
    const outcome = await runScenario(scenario, counter, settle, backgroundPerSecond, answererOf(scenario), httpLoad, backends)
    outcomes.set(scenario.key, outcome)
    progress(
      outcome.status === "ok"
        ? `${scenario.label}: ${outcome.load.rps.toFixed(0)} req/s, p50 ${outcome.load.p50Ms.toFixed(2)} ms, ` +
          `p99 ${outcome.load.p99Ms.toFixed(2)} ms, ${outcome.load.errors} errors, ${QUICK ? "-" : outcome.sqlPerRequest.toFixed(2)} SQL/req`
        : `${scenario.label}: ${outcome.status}: ${clip(outcome.reason, 200)}`
    )
  }

  const rssAfter = rssMiB(server.proc.pid)
  await stopServer()
  await stopPeer()
  const serverProblems = server.log().split("\n").filter((l) => /level=(WARN|WARNING|ERROR|FATAL)/i.test(l))
  report({
    seed: seeded,
    readyMs: server.readyMs,
    graphqlStatus,
    backgroundPerSecond,
    scenarios,
    outcomes,
    serverProblems,
    totalMs: performance.now() - began,
    load: { before: loadBefore, after: loadAverage() },
    rss: { before: rssBefore, after: rssAfter },
    loadGenerator: wrk ? "wrk (1 thread) for HTTP reads; fetch loop for the writes" : "fetch loop in this process"
  })
}

/** Deletes the Redis cache entries naming this run's workspace, users, roles and API keys. */
const dropCacheEntries = async (database: string) => {
  const ids = new Set<string>()
  const sql = new SQL(databaseUrl(database))
  try {
    const rows = await sql.unsafe(`
      SELECT id::text FROM core.workspace UNION ALL SELECT id::text FROM core."user"
      UNION ALL SELECT id::text FROM core.role UNION ALL SELECT id::text FROM core."apiKey"`)
    for (const row of rows) ids.add(row.id)
  } catch {
    // no core schema (the server never started): nothing cached
  } finally {
    await sql.close()
  }
  if (ids.size === 0) return 0
  const redis = new IORedis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on("error", () => {})
  let deleted = 0
  try {
    await redis.connect()
    let cursor = "0"
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_KEY_PREFIX}cache:*`, "COUNT", 1000)
      cursor = next
      const ours = keys.filter((key) => key.split(":").some((part) => ids.has(part)))
      if (ours.length) deleted += await redis.del(...ours)
    } while (cursor !== "0")
  } finally {
    redis.disconnect()
  }
  return deleted
}

/** Stops the server, closes pools and connections, deletes our cache keys, drops the database; safe twice. */
const cleanUp = async () => {
  await stopServer().catch((e) => console.error(`could not stop the server: ${e}`))
  await stopPeer().catch((e) => console.error(`could not stop PostGraphile: ${e}`))
  await Promise.all([...leftovers.pools].map((p) => p.end().catch(() => {})))
  leftovers.pools.clear()
  await Promise.all([...leftovers.sqls].map((s) => s.close().catch(() => {})))
  leftovers.sqls.clear()
  const database = leftovers.database
  leftovers.database = null
  if (!database) return
  const keys = await dropCacheEntries(database).catch((e) => (console.error(`cache clean-up failed: ${e}`), 0))
  const admin = new SQL(ADMIN_URL)
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  } catch (e) {
    console.error(`could not drop ${database}: ${e}`)
  } finally {
    await admin.close()
  }
  progress(`cleaned up: server stopped, database ${database} dropped, ${keys} Redis cache keys deleted`)
}

let aborting = false
const abort = (reason: string, code: number) => {
  if (aborting) return
  aborting = true
  console.error(reason)
  void cleanUp().finally(() => process.exit(code))
}

process.on("SIGINT", () => abort("interrupted, cleaning up", 130))
process.on("SIGTERM", () => abort("terminated, cleaning up", 143))
const watchdog = HOLD ? undefined : setTimeout(() => abort(`benchmark exceeded ${WATCHDOG_MS / 1000} s, aborting`, 1), WATCHDOG_MS)

try {
  await main()
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  clearTimeout(watchdog)
  if (!aborting) await cleanUp()
}
