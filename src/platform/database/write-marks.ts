import type { RedisConnections } from "../redis/index.js"

/**
 * A WAL position ("16/B374D848") as 16 upper-case hex digits, so that positions compare as strings
 * (here and in Redis' Lua) in WAL order.
 */
export const walPosition = (lsn: string): string => {
  const [high = "0", low = "0"] = lsn.split("/")
  return high.toUpperCase().padStart(8, "0") + low.toUpperCase().padStart(8, "0")
}

/**
 * The WAL position each workspace's last committed write reached, kept `ttlMs` (beyond it any replica still
 * in use has replayed it, being at most DATABASE_READ_MAX_LAG_MS behind). A read of the workspace may use a
 * replica only once its replay passed that position: read-your-writes, for every instance sharing the store.
 */
export interface WriteMarks {
  /** Raises the workspace's mark to `position` (never lowers it). */
  readonly raise: (workspaceId: string, position: string) => Promise<void>
  /** The workspace's mark; null: no write within the ttl. Rejects when the store cannot answer. */
  readonly get: (workspaceId: string) => Promise<string | null>
}

/** One process (no REDIS_URL): marks in memory, so read-your-writes holds per instance only. */
export const writeMarksMemory = (ttlMs: number): WriteMarks => {
  const marks = new Map<string, { position: string; until: number }>()
  return {
    raise: async (workspaceId, position) => {
      const now = Date.now()
      const known = marks.get(workspaceId)
      if (marks.size > 100_000) for (const [id, mark] of marks) if (mark.until < now) marks.delete(id)
      marks.set(workspaceId, { position: known && known.until >= now && known.position > position ? known.position : position, until: now + ttlMs })
    },
    get: async (workspaceId) => {
      const mark = marks.get(workspaceId)
      return mark && mark.until >= Date.now() ? mark.position : null
    }
  }
}

// One key per workspace, so a Redis Cluster keeps each script on one slot.
export const RAISE_WRITE_MARK = `local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`

/** Marks in Redis, shared by every instance: a client's next request may land on another one. */
export const writeMarksRedis = (redis: RedisConnections, ttlMs: number): WriteMarks => {
  const key = (workspaceId: string) => `${redis.prefix}replica:wrote:${workspaceId}`
  return {
    raise: async (workspaceId, position) => {
      await redis.client.eval(RAISE_WRITE_MARK, 1, key(workspaceId), position, String(ttlMs))
    },
    get: (workspaceId) => redis.client.get(key(workspaceId))
  }
}
