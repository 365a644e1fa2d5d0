/**
 * Metadata benchmark: workspace provisioning time, how fast a new field reaches a second instance, and how
 * one database behaves as it fills up with workspaces (catalog size, provisioning time, cold metadata loads).
 *
 * Everything runs in-process (ManagedRuntime + `services(infrastructure(...))`, as test/support/app.ts does)
 * against fresh PostgreSQL databases created here and dropped at the end, and the machine's Redis.
 *
 *   bun bench/metadata.ts [workspaces=1000] [--budget-s=360]
 *
 * `workspaces` is how many the growth phase provisions into one database; `--budget-s` bounds that phase
 * (it stops at the end of the 100-workspace bucket that crosses the budget and says so).
 * Prints a table and a final `RESULT {json}` line.
 */
import { HttpApp } from "@effect/platform"
import { SQL } from "bun"
import { ConfigProvider, Effect, ManagedRuntime, Redacted } from "effect"
import IORedis from "ioredis"
import * as os from "node:os"
import { makeHttpApp } from "../src/http/app.js"
import { infrastructure, type Services, services } from "../src/layers/index.js"
import { Auth } from "../src/services/auth/index.js"
import { PasswordHasher } from "../src/services/auth/hasher.js"
import { insertUser } from "../src/services/auth/users.js"
import { appConfig } from "../src/platform/config.js"
import { Metadata } from "../src/services/metadata/index.js"
import { Workspaces } from "../src/services/workspace/index.js"

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = "redis://127.0.0.1:6379"
const REDIS_KEY_PREFIX = `score-bench:${process.pid}:` // its own keys and channels: never a running server's or test's
const APP_SECRET = "bench-secret-0123456789-0123456789-abcdef" // 40 characters
const PASSWORD = "correct horse battery"

const PROVISION_WARMUP = 5
const PROVISION_SAMPLES = 50
const HTTP_WARMUP = 3
const RACE_SIZE = 4
const HTTP_SAMPLES = 20
const FIELD_SAMPLES = 10
const FIELD_VISIBLE_TIMEOUT_MS = 10_000
const GROWTH_CONCURRENCY = 4
const GROWTH_BUCKET = 100
const COLD_SAMPLES = 20
const REMOVE_SAMPLES = 3
const WATCHDOG_MS = 14 * 60_000

const args = process.argv.slice(2)
const GROWTH_TARGET = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000)
const GROWTH_BUDGET_MS = Number(/^--budget-s=(\d+)$/.exec(args.find((a) => a.startsWith("--budget-s=")) ?? "")?.[1] ?? 360) *
  1000

// ---------------------------------------------------------------------------------------------------------
// Statistics and output

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

interface Stats {
  readonly n: number
  readonly p50: number
  readonly p95: number
  readonly max: number
  readonly min: number
}

const stats = (values: ReadonlyArray<number>): Stats => ({
  n: values.length,
  p50: percentile(values, 0.5),
  p95: percentile(values, 0.95),
  max: values.length ? Math.max(...values) : NaN,
  min: values.length ? Math.min(...values) : NaN
})

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits
const ms = (n: number) => (Number.isNaN(n) ? "n/a" : n >= 100 ? `${n.toFixed(0)} ms` : `${n.toFixed(1)} ms`)
const statsRow = (s: Stats) => `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)} (n=${s.n})`
const statsJson = (s: Stats) => ({ n: s.n, p50Ms: round(s.p50), p95Ms: round(s.p95), maxMs: round(s.max) })
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

const printTable = (rows: ReadonlyArray<readonly [string, string]>) => {
  const width = Math.max(...rows.map(([label]) => label.length))
  for (const [label, value] of rows) console.log(label === "" ? "" : `${label.padEnd(width)}  ${value}`)
}

const progress = (message: string) => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(0)}s] ${message}`)
const began = performance.now()

const timed = async <A>(run: () => Promise<A>): Promise<[A, number]> => {
  const t0 = performance.now()
  const value = await run()
  return [value, performance.now() - t0]
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
const inPool = async <T, R>(items: ReadonlyArray<T>, concurrency: number, fn: (item: T) => Promise<R>) => {
  const results: Array<R> = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}

// ---------------------------------------------------------------------------------------------------------
// Databases and instances; everything created is recorded so every exit path can clean up

const leftovers = { databases: new Set<string>(), instances: new Set<Instance>() }

const withAdmin = async <A>(run: (sql: SQL) => Promise<A>, url = ADMIN_URL) => {
  const sql = new SQL(url)
  try {
    return await run(sql)
  } finally {
    await sql.close()
  }
}

const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.href
}

const createDatabase = async (tag: string) => {
  const name = `score_bench_${tag}_${process.pid}_${crypto.randomUUID().slice(0, 8)}`
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name}`))
  leftovers.databases.add(name)
  return { name, url: databaseUrl(name) }
}

type Gql = (
  query: string,
  variables?: Record<string, unknown>,
  token?: string
) => Promise<{ status: number; data?: any; errors?: Array<{ message: string }> }>

interface Instance {
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>
  readonly gql: Gql
  readonly close: () => Promise<void>
}

/** One in-process Score instance: the services layer on PostgreSQL and Redis, and the HTTP app if asked. */
const startInstance = async (url: string, options: { poolSize: number; http: boolean }): Promise<Instance> => {
  const settings = {
    DATABASE_URL: url,
    REDIS_URL,
    REDIS_KEY_PREFIX,
    APP_SECRET,
    DATABASE_POOL_SIZE: String(options.poolSize),
    LOG_LEVEL: "Error",
    HOST: "127.0.0.1"
  }
  const config = await Effect.runPromise(
    appConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings)))))
  )
  const runtime = ManagedRuntime.make(services(infrastructure(config, Redacted.make(APP_SECRET))))
  let closed = false
  const instance: Instance = {
    run: (effect) => runtime.runPromise(effect),
    gql: () => Promise.reject(new Error("instance started without HTTP")),
    close: async () => {
      if (closed) return
      closed = true
      leftovers.instances.delete(instance)
      await runtime.dispose()
    }
  }
  leftovers.instances.add(instance)
  if (!options.http) {
    await runtime.runtime()
    return instance
  }
  const app = await runtime.runPromise(makeHttpApp)
  const handler = HttpApp.toWebHandlerRuntime(await runtime.runtime())(app)
  const gql: Gql = async (query, variables = {}, token) => {
    const response = await handler(
      new Request("http://127.0.0.1/metadata", {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables })
      })
    )
    return { status: response.status, ...(await response.json() as any) }
  }
  return { ...instance, gql, close: instance.close }
}

const must = (result: Awaited<ReturnType<Gql>>) => {
  if (result.status !== 200 || result.errors?.length || !result.data) {
    throw new Error(`GraphQL call failed (${result.status}): ${JSON.stringify(result.errors)}`)
  }
  return result.data
}

const email = (tag: string) => `bench.${tag}.${crypto.randomUUID().slice(0, 12)}@example.com`

/** Twenty's flow over HTTP: signUp → signUpInNewWorkspace → getAuthTokensFromLoginToken, each step timed. */
const signUpFlow = async (instance: Instance) => {
  const [signUp, signUpMs] = await timed(async () =>
    must(
      await instance.gql(
        `mutation($email: String!, $password: String!) { signUp(email: $email, password: $password) {
          tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
        { email: email("http"), password: PASSWORD }
      )
    ).signUp
  )
  const [created, workspaceMs] = await timed(async () =>
    must(
      await instance.gql(
        `mutation { signUpInNewWorkspace(input: { displayName: "Bench" }) { loginToken { token } workspace { id } } }`,
        {},
        signUp.tokens.accessOrWorkspaceAgnosticToken.token
      )
    ).signUpInNewWorkspace
  )
  const [tokens, tokensMs] = await timed(async () =>
    must(
      await instance.gql(
        `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
          tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
        { t: created.loginToken.token }
      )
    ).getAuthTokensFromLoginToken.tokens
  )
  return {
    workspaceId: created.workspace.id as string,
    accessToken: tokens.accessOrWorkspaceAgnosticToken.token as string,
    signUpMs,
    workspaceMs,
    tokensMs
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. Provisioning time on an almost empty database

const provisioning = async (a: Instance) => {
  const users = []
  for (let i = 0; i < PROVISION_WARMUP + PROVISION_SAMPLES; i++) {
    users.push(await a.run(Effect.flatMap(Auth, (auth) => auth.signUp({ email: email("ws"), password: PASSWORD }))))
  }
  const times: Array<number> = []
  for (const [i, signedUp] of users.entries()) {
    const [, elapsed] = await timed(() =>
      a.run(Effect.flatMap(Workspaces, (w) => w.create({ displayName: `Bench ${i}`, ownerUserId: signedUp.user.id })))
    )
    if (i >= PROVISION_WARMUP) times.push(elapsed)
  }
  // Same display name from concurrent sign-ups (e.g. two "Acme"s at once): the subdomain is checked, then inserted.
  const raceName = `Race ${crypto.randomUUID().slice(0, 8)}`
  const racers = []
  for (let i = 0; i < RACE_SIZE; i++) {
    racers.push(await a.run(Effect.flatMap(Auth, (auth) => auth.signUp({ email: email("race"), password: PASSWORD }))))
  }
  const raced = await Promise.allSettled(racers.map((r) =>
    a.run(Effect.flatMap(Workspaces, (w) => w.create({ displayName: raceName, ownerUserId: r.user.id })))
  ))
  const raceFailures = raced.flatMap((r) => r.status === "rejected" ? [String(r.reason).split("\n")[0]!] : [])
  const flows = []
  for (let i = 0; i < HTTP_WARMUP + HTTP_SAMPLES; i++) {
    const flow = await signUpFlow(a)
    if (i >= HTTP_WARMUP) flows.push(flow)
  }
  return {
    create: stats(times),
    httpWorkspace: stats(flows.map((f) => f.workspaceMs)),
    httpFlow: stats(flows.map((f) => f.signUpMs + f.workspaceMs + f.tokensMs)),
    httpSignUp: stats(flows.map((f) => f.signUpMs)),
    raceFailures
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2. A field created through instance A, polled for through instance B

const OBJECTS = `{ objects(paging: { first: 100 }) { edges { node { id nameSingular fields(paging: { first: 1 }) {
  totalCount } } } } }`
const FIELD = `query($id: UUID!) { field(id: $id) { id name } }`

const crossInstance = async (a: Instance, b: Instance) => {
  const account = await signUpFlow(a)
  const objects = must(await a.gql(OBJECTS, {}, account.accessToken)).objects.edges.map((e: any) => e.node)
  const person = objects.find((o: any) => o.nameSingular === "person")
  if (!person) throw new Error("no person object in a new workspace")
  const warmReads: Array<number> = []
  for (let i = 0; i < 20; i++) warmReads.push((await timed(async () => must(await b.gql(OBJECTS, {}, account.accessToken))))[1])
  const samples: Array<{ createMs: number; afterResponseMs: number; polls: number; reloadPollMs: number }> = []
  for (let i = 0; i < FIELD_SAMPLES; i++) {
    for (let j = 0; j < 3; j++) must(await b.gql(OBJECTS, {}, account.accessToken)) // B holds the current version
    const t0 = performance.now()
    const created = must(
      await a.gql(
        `mutation($field: CreateFieldInput!) { createOneField(input: { field: $field }) { id } }`,
        { field: { objectMetadataId: person.id, name: `benchField${i}`, label: `Bench field ${i}`, type: "TEXT" } },
        account.accessToken
      )
    ).createOneField
    const t1 = performance.now()
    let polls = 0
    let lastPollMs = NaN
    for (;;) {
      polls++
      const p0 = performance.now()
      const result = await b.gql(FIELD, { id: created.id }, account.accessToken)
      lastPollMs = performance.now() - p0
      if (result.data?.field?.id === created.id) break
      if (performance.now() - t1 > FIELD_VISIBLE_TIMEOUT_MS) {
        throw new Error(`field ${created.id} not visible on instance B after ${FIELD_VISIBLE_TIMEOUT_MS} ms`)
      }
    }
    samples.push({ createMs: t1 - t0, afterResponseMs: performance.now() - t1, polls, reloadPollMs: lastPollMs })
  }
  return {
    warmRead: stats(warmReads),
    create: stats(samples.map((s) => s.createMs)),
    visible: stats(samples.map((s) => s.afterResponseMs)),
    visibleFromStart: stats(samples.map((s) => s.createMs + s.afterResponseMs)),
    reloadPoll: stats(samples.map((s) => s.reloadPollMs)),
    polls: samples.map((s) => s.polls)
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. Growth: many workspaces in one database

interface Snapshot {
  readonly workspaces: number
  readonly classes: number
  readonly attributes: number
  readonly catalogBytes: number
  readonly databaseBytes: number
  readonly fieldRows: number
}

const snapshot = (url: string): Promise<Snapshot> =>
  withAdmin(async (sql) => {
    const [row] = await sql.unsafe(`
      SELECT (SELECT count(*) FROM core.workspace)::int AS workspaces,
             (SELECT count(*) FROM pg_class)::int AS classes,
             (SELECT count(*) FROM pg_attribute)::int AS attributes,
             (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r')::bigint AS "catalogBytes",
             pg_database_size(current_database())::bigint AS "databaseBytes",
             (SELECT count(*) FROM core."fieldMetadata")::int AS "fieldRows"`)
    return {
      workspaces: row.workspaces,
      classes: row.classes,
      attributes: row.attributes,
      catalogBytes: Number(row.catalogBytes),
      databaseBytes: Number(row.databaseBytes),
      fieldRows: row.fieldRows
    }
  }, url)

/** Execution time of the statements Metadata.get runs on a miss, as PostgreSQL reports it. */
const explainLoad = (url: string, workspaceId: string) =>
  withAdmin(async (sql) => {
    const statements = {
      dataSource: `SELECT schema FROM core."dataSource" WHERE "workspaceId" = '${workspaceId}'`,
      objectMetadata:
        `SELECT * FROM core."objectMetadata" WHERE "workspaceId" = '${workspaceId}' ORDER BY "createdAt", "nameSingular"`,
      fieldMetadata: `SELECT * FROM core."fieldMetadata" WHERE "workspaceId" = '${workspaceId}' ORDER BY "createdAt", id`
    }
    const out: Record<string, { ms: number; rows: number; plan: string }> = {}
    for (const [name, statement] of Object.entries(statements)) {
      const [row] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`)
      const plan = (row["QUERY PLAN"] as Array<any>)[0]
      const nodes: Array<string> = []
      for (let node = plan.Plan; node; node = node.Plans?.[0]) {
        nodes.push(`${node["Node Type"]}${node["Index Name"] ? ` ${node["Index Name"]}` : ""}`)
      }
      out[name] = { ms: plan["Execution Time"], rows: plan.Plan["Actual Rows"], plan: nodes.join(" > ") }
    }
    return out
  }, url)

const growth = async () => {
  const database = await createDatabase("growth")
  const instance = await startInstance(database.url, { poolSize: GROWTH_CONCURRENCY + 2, http: false })
  const started = performance.now()
  const passwordHash = await instance.run(Effect.flatMap(PasswordHasher, (hasher) => hasher.hash(PASSWORD)))
  const snapshots: Array<Snapshot> = [await snapshot(database.url)]
  const buckets: Array<{ upTo: number; stats: Stats; wallMs: number }> = []
  const workspaceIds: Array<string> = []
  let stoppedEarly = false
  const provisionOne = (ownerUserId: string, name: string) =>
    instance.run(Effect.flatMap(Workspaces, (w) => w.create({ displayName: name, ownerUserId })))
  const newUser = () => instance.run(insertUser({ email: email("grow"), passwordHash }))
  while (workspaceIds.length < GROWTH_TARGET) {
    const size = Math.min(GROWTH_BUCKET, GROWTH_TARGET - workspaceIds.length)
    const users = []
    for (let i = 0; i < size; i++) users.push(await newUser())
    const bucketStart = performance.now()
    const results = await inPool(users, GROWTH_CONCURRENCY, async (user) => {
      const [workspace, elapsed] = await timed(() => provisionOne(user.id, `Grow ${crypto.randomUUID().slice(0, 8)}`))
      workspaceIds.push(workspace.id)
      return elapsed
    })
    buckets.push({ upTo: workspaceIds.length, stats: stats(results), wallMs: performance.now() - bucketStart })
    snapshots.push(await snapshot(database.url))
    const last = buckets.at(-1)!
    progress(`growth: ${workspaceIds.length} workspaces, bucket ${statsRow(last.stats)}, ${(size / last.wallMs * 1000).toFixed(1)} ws/s`)
    if (workspaceIds.length < GROWTH_TARGET && performance.now() - started > GROWTH_BUDGET_MS) {
      stoppedEarly = true
      break
    }
  }
  const growthMs = performance.now() - started
  const provisioned = workspaceIds.length

  // The same sequential measurement as phase 1, now on the full database.
  const sequential: Array<number> = []
  for (let i = 0; i < 10; i++) {
    const user = await newUser()
    const [workspace, elapsed] = await timed(() => provisionOne(user.id, `Probe ${crypto.randomUUID().slice(0, 8)}`))
    workspaceIds.push(workspace.id)
    sequential.push(elapsed)
  }

  // A cold instance: nothing in its local tier, and these workspaces were never read, so not in Redis either.
  const [cold, coldStartMs] = await timed(() => startInstance(database.url, { poolSize: 5, http: false }))
  const picks = Array.from({ length: COLD_SAMPLES + 1 }, (_, i) => workspaceIds[Math.floor((i * workspaceIds.length) / (COLD_SAMPLES + 1))]!)
  const getMetadata = (id: string) => cold.run(Effect.flatMap(Metadata, (m) => m.get(id)))
  const [firstMetadata, coldFirstMs] = await timed(() => getMetadata(picks[0]!))
  const coldMisses: Array<number> = []
  for (const id of picks.slice(1)) coldMisses.push((await timed(() => getMetadata(id)))[1])
  const warmHits: Array<number> = []
  for (let i = 0; i < 20; i++) warmHits.push((await timed(() => getMetadata(picks[0]!)))[1])
  const metadataJsonBytes = JSON.stringify(firstMetadata).length
  const explain = await explainLoad(database.url, picks[0]!)
  await cold.close()

  // Removal at this size (a workspace's rows go by ON DELETE CASCADE).
  const removals: Array<number> = []
  for (const id of workspaceIds.slice(-REMOVE_SAMPLES)) {
    removals.push((await timed(() => instance.run(Effect.flatMap(Workspaces, (w) => w.remove(id)))))[1])
  }
  await instance.close()
  return {
    database,
    growthMs,
    stoppedEarly,
    provisioned,
    buckets,
    snapshots,
    sequential: stats(sequential),
    coldStartMs,
    coldFirstMs,
    coldMiss: stats(coldMisses),
    warmHit: stats(warmHits),
    objectsPerWorkspace: firstMetadata.objects.length,
    fieldsPerWorkspace: firstMetadata.objects.reduce((n, o) => n + o.fields.length, 0),
    metadataJsonBytes,
    explain,
    remove: stats(removals)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

type Provisioning = Awaited<ReturnType<typeof provisioning>>
type Cross = Awaited<ReturnType<typeof crossInstance>>
type Growth = Awaited<ReturnType<typeof growth>>

const report = (p: Provisioning, c: Cross, g: Growth, tablesPerWorkspace: number) => {
  const at = (n: number) => g.snapshots.find((s) => s.workspaces === n) ?? null
  const first = g.snapshots[0]!
  const last = g.snapshots.at(-1)!
  console.log(`\nScore metadata benchmark (bun ${Bun.version}, ${os.cpus().length} CPUs, PostgreSQL 127.0.0.1:5432)\n`)
  printTable([
    ["1. Workspaces.create, fresh db, sequential", statsRow(p.create)],
    ["   HTTP signUpInNewWorkspace mutation", statsRow(p.httpWorkspace)],
    ["   HTTP signUp (argon2id hash)", statsRow(p.httpSignUp)],
    ["   HTTP full flow (signUp + ws + tokens)", statsRow(p.httpFlow)],
    [
      `   ${RACE_SIZE} concurrent creates, same displayName`,
      `${p.raceFailures.length} failed${p.raceFailures.length ? `: ${p.raceFailures[0]!.slice(0, 90)}` : ""}`
    ],
    ["   standard model per workspace", `${g.objectsPerWorkspace} objects, ${g.fieldsPerWorkspace} fields, ${tablesPerWorkspace} relations in pg_class`],
    ["", ""],
    ["2. objects query on B, warm", statsRow(c.warmRead)],
    ["   createOneField on A", statsRow(c.create)],
    ["   visible on B after A's response", statsRow(c.visible)],
    ["   visible on B from mutation start", statsRow(c.visibleFromStart)],
    ["   the poll that saw it (B reloads)", statsRow(c.reloadPoll)],
    ["   polls until visible", c.polls.join(", ")],
    ["", ""],
    [`3. growth: ${g.provisioned} workspaces, c=${GROWTH_CONCURRENCY}`, `${(g.growthMs / 1000).toFixed(1)} s${g.stoppedEarly ? ` (stopped early: budget ${GROWTH_BUDGET_MS / 1000} s)` : ""}`]
  ])
  console.log("\n   workspaces | create p50 / p95 / max (c=4) | ws/s | pg_class | pg_attribute | catalog   | database")
  for (const s of g.snapshots) {
    const bucket = g.buckets.find((b) => b.upTo === s.workspaces)
    const timing = bucket ? `${ms(bucket.stats.p50)} / ${ms(bucket.stats.p95)} / ${ms(bucket.stats.max)}` : "-"
    const rate = bucket ? (bucket.stats.n / bucket.wallMs * 1000).toFixed(1) : "-"
    console.log(
      `   ${String(s.workspaces).padStart(10)} | ${timing.padEnd(28)} | ${rate.padStart(4)} | ${String(s.classes).padStart(8)} | ${
        String(s.attributes).padStart(12)
      } | ${mib(s.catalogBytes).padStart(9)} | ${mib(s.databaseBytes)}`
    )
  }
  console.log("")
  printTable([
    [`   Workspaces.create sequential at ${last.workspaces}`, `${statsRow(g.sequential)} (vs p50 ${ms(p.create.p50)} on a fresh db)`],
    ["   catalog growth per workspace", `${((last.classes - first.classes) / last.workspaces).toFixed(0)} pg_class rows, ${((last.attributes - first.attributes) / last.workspaces).toFixed(0)} pg_attribute rows, ${mib((last.catalogBytes - first.catalogBytes) / last.workspaces)} catalog, ${mib((last.databaseBytes - first.databaseBytes) / last.workspaces)} database`],
    ["   cold instance start (layers, migrations check)", ms(g.coldStartMs)],
    ["   Metadata.get, first call on cold instance", ms(g.coldFirstMs)],
    ["   Metadata.get, cache miss (other workspaces)", statsRow(g.coldMiss)],
    ["   Metadata.get, local hit", statsRow(g.warmHit)],
    ["   one workspace's metadata as JSON", `${(g.metadataJsonBytes / 1024).toFixed(0)} KiB (kept per workspace in each instance's Map)`],
    ...Object.entries(g.explain).map(([name, e]) =>
      [`   EXPLAIN ANALYZE ${name}`, `${e.ms.toFixed(2)} ms, ${e.rows} rows, ${e.plan}`] as const
    ),
    [`   Workspaces.remove at ${last.workspaces}`, statsRow(g.remove)]
  ])
  const snapshotAt = (n: number) => {
    const s = at(n)
    return s && { pgClass: s.classes, pgAttribute: s.attributes, catalogBytes: s.catalogBytes, databaseBytes: s.databaseBytes }
  }
  const result = {
    bun: Bun.version,
    cpus: os.cpus().length,
    provisioning: {
      workspacesCreate: statsJson(p.create),
      httpSignUpInNewWorkspace: statsJson(p.httpWorkspace),
      httpSignUp: statsJson(p.httpSignUp),
      httpFullFlow: statsJson(p.httpFlow),
      sameNameConcurrentCreateFailures: p.raceFailures.length,
      objectsPerWorkspace: g.objectsPerWorkspace,
      fieldsPerWorkspace: g.fieldsPerWorkspace,
      relationsPerWorkspace: tablesPerWorkspace
    },
    crossInstanceField: {
      createOneField: statsJson(c.create),
      visibleAfterResponse: statsJson(c.visible),
      visibleFromStart: statsJson(c.visibleFromStart),
      polls: c.polls,
      warmObjectsQuery: statsJson(c.warmRead)
    },
    growth: {
      target: GROWTH_TARGET,
      provisioned: g.provisioned,
      stoppedEarly: g.stoppedEarly,
      seconds: round(g.growthMs / 1000),
      concurrency: GROWTH_CONCURRENCY,
      buckets: g.buckets.map((b) => ({ upTo: b.upTo, ...statsJson(b.stats), wsPerSecond: round(b.stats.n / b.wallMs * 1000) })),
      snapshots: Object.fromEntries([0, 100, 500, 1000, last.workspaces].map((n) => [n, snapshotAt(n)])),
      sequentialCreateAtEnd: statsJson(g.sequential),
      coldInstanceStartMs: round(g.coldStartMs),
      metadataGetColdFirstMs: round(g.coldFirstMs),
      metadataGetMiss: statsJson(g.coldMiss),
      metadataGetHit: statsJson(g.warmHit),
      metadataJsonBytes: g.metadataJsonBytes,
      explainMs: Object.fromEntries(Object.entries(g.explain).map(([k, v]) => [k, round(v.ms, 2)])),
      workspacesRemove: statsJson(g.remove)
    }
  }
  console.log(`\nRESULT ${JSON.stringify(result)}`)
}

// ---------------------------------------------------------------------------------------------------------
// Main and clean-up

const main = async () => {
  progress(`starting; growth target ${GROWTH_TARGET} workspaces, budget ${GROWTH_BUDGET_MS / 1000} s`)
  const database = await createDatabase("meta")
  const a = await startInstance(database.url, { poolSize: 5, http: true })
  const before = await snapshot(database.url)
  const p = await provisioning(a)
  const after = await snapshot(database.url)
  const tablesPerWorkspace = Math.round((after.classes - before.classes) / after.workspaces)
  progress(`provisioning: Workspaces.create ${statsRow(p.create)}`)
  const b = await startInstance(database.url, { poolSize: 5, http: true })
  const c = await crossInstance(a, b)
  progress(`cross-instance: visible after ${statsRow(c.visible)}`)
  await b.close()
  await a.close()
  const g = await growth()
  report(p, c, g, tablesPerWorkspace)
}

/** Deletes this run's Redis cache entries: every key naming a workspace, user, role or API key of ours. */
const dropCacheEntries = async (databases: ReadonlyArray<string>) => {
  const ids = new Set<string>()
  for (const name of databases) {
    await withAdmin(async (sql) => {
      const rows = await sql.unsafe(`
        SELECT id::text FROM core.workspace UNION ALL SELECT id::text FROM core."user"
        UNION ALL SELECT id::text FROM core.role UNION ALL SELECT id::text FROM core."apiKey"`)
      for (const row of rows) ids.add(row.id)
    }, databaseUrl(name)).catch(() => {})
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

/** Closes every instance, deletes our cache entries and drops our databases; safe to call twice. */
const cleanUp = async () => {
  await Promise.all([...leftovers.instances].map((i) => i.close().catch(() => {})))
  const databases = [...leftovers.databases]
  leftovers.databases.clear()
  if (databases.length === 0) return
  const keys = await dropCacheEntries(databases).catch((e) => (console.error(`cache clean-up failed: ${e}`), 0))
  for (const name of databases) {
    await withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((e) =>
      console.error(`could not drop ${name}: ${e}`)
    )
  }
  progress(`cleaned up: dropped ${databases.length} databases, deleted ${keys} Redis cache keys`)
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
const watchdog = setTimeout(() => abort(`benchmark exceeded ${WATCHDOG_MS / 60_000} min, aborting`, 1), WATCHDOG_MS)

try {
  await main()
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  clearTimeout(watchdog)
  if (!aborting) await cleanUp()
}
