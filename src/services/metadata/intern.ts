/**
 * One copy of the strings metadata rows repeat. Names, labels, descriptions, types and icons are the same
 * in every workspace on Twenty's standard model: kept once per process (up to SHARED_MAX distinct ones).
 * Ids and dates repeat within one workspace (each field names its object, a provisioning gives all rows
 * one timestamp): kept once per load. `bun bench/schema-size.ts` measured the standard model's metadata
 * at 219 KiB a workspace without, and 148 KiB with.
 */
const SHARED_MAX = 50_000
const shared = new Map<string, string>()

const PER_WORKSPACE = /(^id$|Id$|At$)/

export const makeInterner = () => {
  const local = new Map<string, string>()
  const once = (pool: Map<string, string>, bounded: boolean, s: string) => {
    const hit = pool.get(s)
    if (hit !== undefined) return hit
    if (!bounded || pool.size < SHARED_MAX) pool.set(s, s)
    return s
  }
  const value = (key: string, v: unknown): unknown => {
    if (typeof v === "string") return PER_WORKSPACE.test(key) ? once(local, false, v) : once(shared, true, v)
    if (Array.isArray(v)) return v.map((item) => value(key, item))
    if (v !== null && typeof v === "object") return row(v)
    return v
  }
  const row = <A extends object>(source: A): A => {
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(source)) out[key] = value(key, v)
    return out as A
  }
  return row
}
