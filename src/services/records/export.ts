import { stringify } from "csv-stringify/sync"
import { Effect } from "effect"
import { COMPOSITE_TYPES, isCompositeFieldType } from "../../domain/composite-types.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import type { RecordsFailure, RecordsShape } from "./service.js"
import type { RecordFilter, RecordOrderBy, RecordsScope, RecordValue, Selection } from "./types.js"

export type ExportFormat = "csv" | "jsonl"

export interface ExportQuery {
  readonly filter?: RecordFilter | null
  readonly orderBy?: RecordOrderBy | null
}

const NO_EXTRAS = { totalCount: false, aggregates: [], cursors: true }

/**
 * A filtered, ordered list read page after page through the records service's cursors (keyset), each page
 * the service's largest: any size, one page in memory at a time, the caller's permissions as in any read.
 * The first page is read before this answers, so a bad filter fails here instead of mid-stream.
 */
export const exportPages = (
  records: RecordsShape,
  scope: RecordsScope,
  object: ObjectMetadata,
  query: ExportQuery,
  selection: Selection
): Effect.Effect<AsyncGenerator<ReadonlyArray<RecordValue>>, RecordsFailure> => {
  const page = (after: string | null) =>
    records.findMany(scope, object.nameSingular, {
      filter: query.filter ?? null,
      orderBy: query.orderBy ?? null,
      first: records.limits.maxPageSize,
      ...(after ? { after } : {})
    }, selection, NO_EXTRAS)
  return Effect.map(page(null), (first) =>
    (async function*() {
      let current = first
      while (true) {
        yield current.edges.map((edge) => edge.node)
        if (!current.pageInfo.hasNextPage || !current.pageInfo.endCursor) return
        current = await Effect.runPromise(page(current.pageInfo.endCursor))
      }
    })())
}

/** CSV columns of a selection: a field, or one column per composite subfield (`name.firstName`), as imports read them. */
export const csvColumns = (object: ObjectMetadata, selection: Selection): ReadonlyArray<readonly [string, string | null]> =>
  selection.fields.flatMap((name): Array<readonly [string, string | null]> => {
    const field = object.fields.find((f) => f.name === name)
    return field && isCompositeFieldType(field.type)
      ? COMPOSITE_TYPES[field.type].map((sub) => [name, sub.name] as const)
      : [[name, null] as const]
  })

const cell = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)

/** The export as text chunks: a CSV header then a chunk per page, or one JSON line per record. */
export async function* exportText(
  format: ExportFormat,
  pages: AsyncGenerator<ReadonlyArray<RecordValue>>,
  columns: ReadonlyArray<readonly [string, string | null]>,
  shape: (record: RecordValue) => RecordValue
): AsyncGenerator<string> {
  if (format === "csv") yield stringify([columns.map(([name, sub]) => (sub ? `${name}.${sub}` : name))])
  for await (const page of pages) {
    if (page.length === 0) continue
    if (format === "jsonl") {
      yield page.map((record) => JSON.stringify(shape(record))).join("\n") + "\n"
      continue
    }
    yield stringify(page.map((record) => columns.map(([name, sub]) => {
      const value = record[name]
      return cell(sub === null ? value : (value as Record<string, unknown> | null | undefined)?.[sub])
    })))
  }
}
