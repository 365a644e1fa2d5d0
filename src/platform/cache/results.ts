import { createHash } from "node:crypto"
import { Context, Effect, Layer, Runtime, Schedule } from "effect"
import { Redis } from "../redis/index.js"
import { Lru } from "../lib/lru.js"
import { cacheLookups } from "../metrics/index.js"

const HIT = { cache: "results", result: "hit" } as const
const MISS = { cache: "results", result: "miss" } as const

/**
 * Results of whole-table reads (totalCount, aggregates, group counts) kept under the write epochs of the
 * tables they read: every committed write to a table moves its epoch, so a result is served only while
 * no table it read has been written since it was computed. Exact, never stale: a result is stored under the
 * epochs read before it was computed, and only while they are still current, so a write that committed
 * meanwhile (and moved one) leaves it unreachable, or unstored.
 */
export interface ResultCacheShape {
  /**
   * `load`'s answer for `key` (a statement's text and parameters, hashed) over `tables`: the stored one if
   * computed at the tables' current epochs, else loaded and stored. A plain promise: it serves the direct reads.
   */
  readonly through: <A>(workspaceId: string, key: string, tables: ReadonlyArray<string>, load: () => Promise<A>) => Promise<A>
  /**
   * Moves the epochs of `tables` (after their write committed): every instance's next read over them is
   * loaded again. Never fails; a bump Redis refused is retried in the background, and until it lands this
   * instance loads every result itself.
   */
  readonly bump: (workspaceId: string, tables: ReadonlyArray<string>) => Effect.Effect<void>
  /** `bump` as a plain promise (never rejects), for the direct writes. */
  readonly bumpNow: (workspaceId: string, tables: ReadonlyArray<string>) => Promise<void>
  /** Moves the workspace's own epoch, which every result of the workspace is stored under: after writes whose tables are not listed. */
  readonly bumpWorkspace: (workspaceId: string) => Effect.Effect<void>
}

export class ResultCache extends Context.Tag("score/ResultCache")<ResultCache, ResultCacheShape>() {}

/** How long a result stays stored (a result also ends with the next write to a table it read). */
const RESULT_TTL_MS = 10 * 60_000
const MEMORY_RESULTS = 10_000
/** Not a table name (those are identifiers): the workspace-wide epoch. */
const WORKSPACE_EPOCH = "*"

/** Concurrent misses of one result at one epoch share a load (each write would otherwise start a stampede of counts). */
const sharedLoads = () => {
  const pending = new Map<string, Promise<unknown>>()
  return <A>(key: string, load: () => Promise<A>): Promise<A> => {
    const running = pending.get(key)
    if (running) return running as Promise<A>
    const started = load().finally(() => pending.delete(key))
    pending.set(key, started)
    return started
  }
}

/** One process (embedded mode, unit tests): epochs and results in memory, written and read synchronously. */
export const ResultCacheMemory = Layer.sync(ResultCache, (): ResultCacheShape => {
  const epochs = new Map<string, number>()
  const results = new Lru<string, { readonly json: string; readonly until: number }>(MEMORY_RESULTS)
  const shared = sharedLoads()
  const stampOf = (workspaceId: string, tables: ReadonlyArray<string>) =>
    [WORKSPACE_EPOCH, ...tables].map((table) => epochs.get(`${workspaceId}:${table}`) ?? 0).join(".")
  const bumpNow = (workspaceId: string, tables: ReadonlyArray<string>) => {
    for (const table of tables) epochs.set(`${workspaceId}:${table}`, (epochs.get(`${workspaceId}:${table}`) ?? 0) + 1)
  }
  const bump = (workspaceId: string, tables: ReadonlyArray<string>) => Effect.sync(() => bumpNow(workspaceId, tables))
  return {
    through: (workspaceId, key, tables, load) => {
      const stamp = stampOf(workspaceId, tables)
      const entry = `${workspaceId}:${key}@${stamp}`
      const hit = results.get(entry)
      // Kept as JSON, as Redis keeps it: every reader gets its own copy.
      if (hit && hit.until > Date.now()) {
        cacheLookups.inc(HIT)
        return Promise.resolve(JSON.parse(hit.json))
      }
      cacheLookups.inc(MISS)
      return shared(entry, load).then((value) => {
        if (stampOf(workspaceId, tables) === stamp) results.set(entry, { json: JSON.stringify(value), until: Date.now() + RESULT_TTL_MS })
        return value
      })
    },
    bump,
    bumpNow: (workspaceId, tables) => {
      bumpNow(workspaceId, tables)
      return Promise.resolve()
    },
    bumpWorkspace: (workspaceId) => bump(workspaceId, [WORKSPACE_EPOCH])
  }
})

/**
 * An epoch that does not exist yet starts at the server's clock in microseconds, not 0: an epoch key
 * evicted or expired comes back as a value no stored result was computed at. So epochs can expire: an
 * hour after the last write (and results are kept 10 minutes at most anyway).
 */
const EPOCH_TTL_MS = 60 * 60_000
const EPOCH_START = `local function epoch(key)
  local value = redis.call('GET', key)
  if value then return value end
  local now = redis.call('TIME')
  value = now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('SET', key, value, 'PX', ${EPOCH_TTL_MS})
  return value
end
local function stamp()
  local parts = {}
  for i, key in ipairs(KEYS) do parts[i] = epoch(key) end
  return table.concat(parts, '.')
end
`

/** KEYS: the tables' epochs; ARGV[1]: the result's key. The stamp read and the result stored at it. */
const READ = `${EPOCH_START}
local current = stamp()
return { current, redis.call('GET', ARGV[1] .. '@' .. current) }`

/** ARGV: key, the stamp read before loading, the value, its lifetime. Stored only if no epoch moved since. */
const STORE = `${EPOCH_START}
if stamp() == ARGV[2] then redis.call('SET', ARGV[1] .. '@' .. ARGV[2], ARGV[3], 'PX', ARGV[4]) end
return 1`

const BUMP = `${EPOCH_START}
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCR', key)
    redis.call('PEXPIRE', key, ${EPOCH_TTL_MS})
  else
    epoch(key)
  end
end
return 1`

/** Every script of the result cache (a test runs each one on a Redis Cluster). */
export const resultCacheScripts = { read: READ, store: STORE, bump: BUMP }

/** A Lua script sent once per connection (EVALSHA, then EVAL when Redis does not know it yet). */
const script = (client: Context.Tag.Service<Redis>["client"], source: string) => {
  const sha = createHash("sha1").update(source).digest("hex")
  return (keys: ReadonlyArray<string>, ...args: ReadonlyArray<string | number>): Promise<unknown> =>
    client.evalsha(sha, keys.length, ...keys, ...args).catch((e: Error) =>
      e.message.startsWith("NOSCRIPT") ? client.eval(source, keys.length, ...keys, ...args) : Promise.reject(e)
    )
}

/**
 * Bumps coalesced: while one script is in flight, the keys asked for meanwhile wait and go together in the
 * next one, sent when the flight lands. Each key still moves after its writer committed (a batch is sent
 * after every request in it was made, never folded into a flight already sent), so the epochs stay exact;
 * concurrent writers share round trips (at 8 concurrent creates, about 3 writes per script).
 */
export const coalesced = (send: (keys: ReadonlyArray<string>) => Promise<unknown>) => {
  interface Batch {
    readonly keys: Set<string>
    readonly waiters: Array<{ readonly resolve: () => void; readonly reject: (error: unknown) => void }>
  }
  let flying = false
  let next: Batch | null = null
  const launch = (batch: Batch) => {
    flying = true
    send([...batch.keys]).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (error) => batch.waiters.forEach((w) => w.reject(error))
    ).finally(() => {
      const queued = next
      next = null
      if (queued) launch(queued)
      else flying = false
    })
  }
  return (keys: ReadonlyArray<string>) =>
    new Promise<void>((resolve, reject) => {
      const batch = flying ? (next ??= { keys: new Set(), waiters: [] }) : { keys: new Set<string>(), waiters: [] }
      for (const key of keys) batch.keys.add(key)
      batch.waiters.push({ resolve, reject })
      if (!flying) launch(batch)
    })
}

/** Shared by every instance through Redis: one round trip per read, whatever the table's size. */
export const ResultCacheRedis = Layer.scoped(
  ResultCache,
  Effect.gen(function*() {
    const { client, prefix, slotTag } = yield* Redis
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    const shared = sharedLoads()
    const [read, store, runBumpScript] = [script(client, READ), script(client, STORE), script(client, BUMP)]
    // A workspace's epochs and results share a slot on a cluster (its id is their hash tag): the scripts read
    // and write them together, and workspaces spread over the masters.
    const epochKey = (workspaceId: string, table: string) => `${prefix}cache:epoch:${slotTag(workspaceId)}:${table}`
    /** An epoch key without its table (tables are identifiers or `*`, never with a colon). */
    const workspaceOfEpoch = (key: string) => key.slice(0, key.lastIndexOf(":"))
    const epochKeys = (workspaceId: string, tables: ReadonlyArray<string>) =>
      [WORKSPACE_EPOCH, ...tables].map((table) => epochKey(workspaceId, table))
    // Bumps Redis refused and not yet retried: until they land, this instance trusts no stored result.
    let owed = 0
    // A batch holds several workspaces' epochs: one script per workspace, each in its own slot on a cluster.
    const sendBump = coalesced((keys) => {
      const byWorkspace = new Map<string, Array<string>>()
      for (const key of keys) {
        const workspace = workspaceOfEpoch(key)
        byWorkspace.set(workspace, [...byWorkspace.get(workspace) ?? [], key])
      }
      return Promise.all([...byWorkspace.values()].map((group) => runBumpScript(group)))
    })
    const runBump = (keys: ReadonlyArray<string>) => Effect.tryPromise(() => sendBump(keys))

    const through: ResultCacheShape["through"] = async (workspaceId, key, tables, load) => {
      if (owed > 0) return load()
      const keys = epochKeys(workspaceId, tables)
      const entry = `${prefix}cache:results:${slotTag(workspaceId)}:${key}`
      let stamp: string
      let stored: string | null
      try {
        ;[stamp, stored] = await read(keys, entry) as [string, string | null]
      } catch {
        return load()
      }
      if (stored !== null) {
        cacheLookups.inc(HIT)
        return JSON.parse(stored)
      }
      cacheLookups.inc(MISS)
      const value = await shared(`${entry}@${stamp}`, load)
      store(keys, entry, stamp, JSON.stringify(value), RESULT_TTL_MS).catch(() => {})
      return value
    }

    const retryBump = (keys: ReadonlyArray<string>, error: unknown) =>
      Effect.gen(function*() {
        owed++
        yield* Effect.logError("result cache: a write epoch could not be moved; retrying", error)
        yield* runBump(keys).pipe(
          Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
          Effect.ensuring(Effect.sync(() => owed--)),
          Effect.forkDaemon
        )
      })
    const bump = (keys: ReadonlyArray<string>) =>
      runBump(keys).pipe(Effect.asVoid, Effect.catchAll((e) => retryBump(keys, e)))
    const bumpNow = (keys: ReadonlyArray<string>) =>
      sendBump(keys).then(() => {}, (e) => runPromise(retryBump(keys, e)))
    return {
      through,
      bump: (workspaceId, tables) => bump(tables.map((table) => epochKey(workspaceId, table))),
      bumpNow: (workspaceId, tables) => bumpNow(tables.map((table) => epochKey(workspaceId, table))),
      bumpWorkspace: (workspaceId) => bump([epochKey(workspaceId, WORKSPACE_EPOCH)])
    }
  })
)
