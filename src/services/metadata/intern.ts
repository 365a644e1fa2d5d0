/**
 * One copy of the strings metadata rows repeat. Names, labels, descriptions, types and icons are the same
 * in every workspace on Twenty's standard model: kept once per process (up to SHARED_MAX distinct ones).
 * Ids and dates repeat within one workspace (each field names its object, a provisioning gives all rows
 * one timestamp): kept once per load. `bun bench/schema-size.ts` measured the standard model's metadata
 * at 219 KiB a workspace without, and 148 KiB with. A field's `defaultValue` and `settings` (JSON without
 * ids, the same in every workspace on a model) are kept once per process too, as one frozen value per JSON
 * text: the standard model's metadata went from 126 to ~110 KiB a workspace.
 */
const SHARED_MAX = 50_000
const shared = new Map<string, string>()

const PER_WORKSPACE = /(^id$|Id$|At$)/
const SHARED_JSON = new Set(["defaultValue", "settings"])
const sharedJson = new Map<string, unknown>()

const deepFreeze = <A>(value: A): A => {
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

/**
 * Row builders by column list: an object literal of all a row's keys keeps its properties inline (25 keys:
 * 224 bytes of heap), where an object filled key by key from `{}` grows a separate store (320 bytes).
 * Metadata rows come in two column lists (objects, fields); the bound only guards against odd callers.
 */
type RowBuilder = (source: Record<string, unknown>, value: (key: string, v: unknown) => unknown, extra: unknown) => Record<string, unknown>
const ROW_BUILDERS_MAX = 64
const rowBuilders = new Map<string, RowBuilder>()
const rowBuilder = (keys: ReadonlyArray<string>, extraKey: string | undefined): RowBuilder | undefined => {
  const signature = `${keys.join("\u0000")}\u0001${extraKey ?? ""}`
  let builder = rowBuilders.get(signature)
  if (builder === undefined) {
    if (rowBuilders.size >= ROW_BUILDERS_MAX) return undefined
    const properties = keys.map((key) => `${JSON.stringify(key)}: value(${JSON.stringify(key)}, source[${JSON.stringify(key)}])`)
    if (extraKey !== undefined) properties.push(`${JSON.stringify(extraKey)}: extra`)
    builder = new Function("source", "value", "extra", `return { ${properties.join(", ")} }`) as RowBuilder
    rowBuilders.set(signature, builder)
  }
  return builder
}

export const makeInterner = () => {
  const local = new Map<string, string>()
  const once = (pool: Map<string, string>, bounded: boolean, s: string) => {
    const hit = pool.get(s)
    if (hit !== undefined) return hit
    if (!bounded || pool.size < SHARED_MAX) pool.set(s, s)
    return s
  }
  const value = (key: string, v: unknown): unknown => {
    if (SHARED_JSON.has(key) && v !== null && typeof v === "object") {
      const text = JSON.stringify(v)
      const hit = sharedJson.get(text)
      if (hit !== undefined) return hit
      const kept = deepFreeze(Array.isArray(v) ? v.map((item) => value(key, item)) : row(v))
      if (sharedJson.size < SHARED_MAX) sharedJson.set(text, kept)
      return kept
    }
    if (typeof v === "string") return PER_WORKSPACE.test(key) ? once(local, false, v) : once(shared, true, v)
    // pg's timestamps, as jsonRow gives them (ISO, UTC): rows are interned as pg decodes them, with no copy between.
    if (v instanceof Date) return once(local, false, v.toISOString())
    if (Array.isArray(v)) return v.map((item) => value(key, item))
    if (v !== null && typeof v === "object") return row(v)
    return v
  }
  const row = <A extends object>(source: A): A => {
    // Keys, not Object.entries: a pair array per column was ~14,000 arrays per load of the standard model.
    const out: Record<string, unknown> = {}
    for (const key in source) out[key] = value(key, source[key])
    return out as A
  }
  /**
   * A metadata row (all rows of a query share their columns), built as one object literal, with `extra`
   * under `extraKey` last when given (an object's fields).
   */
  const built = <A extends object>(builder: RowBuilder | undefined, source: A, extraKey?: string, extra?: unknown): A => {
    if (builder) return builder(source as Record<string, unknown>, value, extra) as A
    const out = row(source) as Record<string, unknown>
    if (extraKey !== undefined) out[extraKey] = extra
    return out as A
  }
  const tableRow = <A extends object>(source: A, extraKey?: string, extra?: unknown): A =>
    built(rowBuilder(Object.keys(source), extraKey), source, extraKey, extra)
  /** A query's rows (one column list): the builder is found once, from the first row, not per row. */
  const tableRows = <A extends object>(sources: ReadonlyArray<A>, extraKey?: string, extraOf?: (source: A) => unknown): Array<A> => {
    if (sources.length === 0) return []
    const builder = rowBuilder(Object.keys(sources[0]!), extraKey)
    return sources.map((source) => built(builder, source, extraKey, extraOf?.(source)))
  }
  return Object.assign(tableRow, { rows: tableRows })
}
