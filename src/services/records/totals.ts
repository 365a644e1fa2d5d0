import { createHash } from "node:crypto"
import type { ObjectMetadata } from "../../domain/metadata.js"
import type { ResultCacheShape } from "../../platform/cache/results.js"
import type { Model } from "./query-builder.js"
import type { Statement } from "./statements.js"

/**
 * Totals (count, aggregates, groups) through the result cache: a statement's result is keyed by its
 * text and parameters (so the caller's row filter, part of both, keeps roles apart), the metadata version,
 * and the write epochs of every table it reads. Statements whose answer moves without a write (the clock)
 * are never cached.
 */
interface Cached {
  readonly key: string
  readonly tables: ReadonlyArray<string>
}

const UNCACHEABLE = /\bnow\(\)|\bcurrent_(date|time|timestamp)\b|\brandom\(\)|\bclock_timestamp\b/i
const keys = new WeakMap<Statement, Cached | null>()

/** The tables a statement reads: every table of the workspace schema it names (model.table quotes them all). */
export const tablesRead = (model: Model, text: string): ReadonlyArray<string> => {
  const quoted = `"${model.metadata.schema}".`
  const tables = new Set<string>()
  for (let at = text.indexOf(quoted); at !== -1; at = text.indexOf(quoted, at + quoted.length)) {
    const start = at + quoted.length + 1
    tables.add(text.slice(start, text.indexOf("\"", start)))
  }
  return [...tables].sort()
}

const cachedOf = (model: Model, statement: Statement): Cached | null => {
  let cached = keys.get(statement)
  if (cached === undefined) {
    cached = UNCACHEABLE.test(statement.text) ? null : {
      key: createHash("sha256").update(`${model.metadata.version}\u0000${statement.text}\u0000${JSON.stringify(statement.params)}`)
        .digest("base64url"),
      tables: tablesRead(model, statement.text)
    }
    keys.set(statement, cached)
  }
  return cached
}

/** `load`'s rows for a totals statement, from the result cache while no table it reads has been written. */
export const cachedTotals = <A>(
  results: ResultCacheShape,
  model: Model,
  statement: Statement,
  load: () => Promise<A>
): Promise<A> => {
  const cached = cachedOf(model, statement)
  return cached === null ? load() : results.through(model.metadata.workspaceId, cached.key, cached.tables, load)
}

/**
 * The tables a committed write to `object` may have changed: its own, and for a hard delete or a merge
 * every table whose foreign keys lead to it (ON DELETE SET NULL / CASCADE, children moved), transitively.
 */
export const tablesWritten = (model: Model, object: ObjectMetadata, reachesReferrers: boolean): ReadonlyArray<string> => {
  const objects = new Set([object])
  if (reachesReferrers) {
    for (const written of objects) {
      for (const candidate of model.metadata.objects) {
        if (objects.has(candidate)) continue
        const refers = candidate.fields.some((f) =>
          f.relationType === "MANY_TO_ONE" && f.relationTargetObjectMetadataId === written.id
        )
        if (refers) objects.add(candidate)
      }
    }
  }
  return [...objects].map((o) => o.tableName)
}
