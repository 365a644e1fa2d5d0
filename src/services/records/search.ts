import { Effect } from "effect"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { ident } from "../metadata/columns.js"
import type { Models } from "./models.js"
import { attempt, building } from "./plan.js"
import { badInput, baseConditions, type Guard, type Model, QueryInputError, searchableText } from "./query-builder.js"
import { fieldReadable, guardOf, objectAccess } from "./access.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { RecordsShape, SearchHit } from "./service.js"
import type { Statements } from "./statements.js"
import type { RecordFilter, RecordsLimits } from "./types.js"

interface SearchCursor {
  readonly rank: number
  readonly objectNameSingular: string
  readonly recordId: string
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Best rank first, then object name and id (uuid text order is PostgreSQL's uuid order). */
const searchOrder = (a: SearchHit, b: SearchHit) =>
  b.tsRank - a.tsRank || compareText(a.objectNameSingular, b.objectNameSingular) || compareText(a.recordId, b.recordId)

const encodeSearchCursor = (hit: SearchHit) =>
  Buffer.from(JSON.stringify({ rank: hit.tsRank, objectNameSingular: hit.objectNameSingular, recordId: hit.recordId })).toString("base64url")

const decodeSearchCursor = (cursor: string): SearchCursor => {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Partial<SearchCursor>
    if (typeof value.rank === "number" && typeof value.objectNameSingular === "string" && isUuid(value.recordId)) {
      return value as SearchCursor
    }
  } catch {
    // fall through
  }
  throw new QueryInputError(badInput(`Invalid cursor: ${cursor}`, "after"))
}

const labelExpression = (field: FieldMetadata) =>
  field.type === "FULL_NAME"
    ? `concat_ws(' ', t0.${ident(`${field.name}FirstName`)}, t0.${ident(`${field.name}LastName`)})`
    : field.type === "TEXT"
    ? `t0.${ident(field.name)}`
    : `t0."id"::text`


/** Cross-object search: each searchable object's hits ranked, then merged in one order with cursors. */
export const makeSearch = (limits: RecordsLimits, { run }: Statements, { modelFor }: Models) => {
  const search: RecordsShape["search"] = (scope, input) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const term = input.searchInput.trim()
      const after = input.after ? yield* attempt(() => decodeSearchCursor(input.after!)) : null
      const included = input.includedObjectNameSingulars
      const excluded = new Set(input.excludedObjectNameSingulars ?? [])
      const guard = guardOf(scope)
      // Objects the caller may not read are skipped silently, as Twenty does.
      const objects = model.metadata.objects.filter((o) =>
        o.isActive && o.isSearchable && (!included || included.includes(o.nameSingular)) && !excluded.has(o.nameSingular) &&
        (guard === null || objectAccess(guard, o) !== null)
      )
      const fetched = Math.max(0, Math.min(input.limit, limits.maxPageSize)) + 1
      const hits = yield* Effect.forEach(objects, (object) => searchObject(model, object, term, fetched, input.filter ?? null, after, guard), {
        concurrency: 4
      })
      const ranked = hits.flat().sort(searchOrder)
      const page = ranked.slice(0, Math.max(0, input.limit))
      return { edges: page.map((hit) => ({ node: hit, cursor: encodeSearchCursor(hit) })), hasNextPage: ranked.length > page.length }
    })

  /** One object's hits ranked after `after` (rank, then object name, then id: the order of searchOrder). */
  const searchObject = (
    model: Model,
    object: ObjectMetadata,
    term: string,
    limit: number,
    filter: RecordFilter | null,
    after: SearchCursor | null,
    guard: Guard | null
  ) =>
    Effect.gen(function*() {
      const label = object.fields.find((f) => f.id === object.labelIdentifierFieldMetadataId)
      if (!label) return []
      // An unreadable label field shows the record's id, as a label-less record does.
      const labelSql = fieldReadable(guard, object, label) ? labelExpression(label) : `t0."id"::text`
      const haystack = searchableText(model, object, "t0", guard)
      if (haystack === null) return []
      const query = yield* building(model, limits, (ctx) => {
        const escaped = term.replace(/[\\%_]/g, "\\$&")
        const prefix = ctx.params.add(`${escaped}%`)
        const where = [...baseConditions(ctx, object, "t0", { filter }), term === "" ? "true" : `${haystack} ILIKE ${ctx.params.add(`%${escaped}%`)}`]
        const next = after === null ? "true"
          : object.nameSingular > after.objectNameSingular ? `s.rank <= ${ctx.params.add(after.rank)}`
          : object.nameSingular < after.objectNameSingular ? `s.rank < ${ctx.params.add(after.rank)}`
          : `(s.rank < ${ctx.params.add(after.rank)} OR (s.rank = ${ctx.params.add(after.rank)} AND s.id > ${ctx.params.add(after.recordId)}))`
        return {
          text: `SELECT s.id, s.label, s.rank FROM (
                  SELECT t0."id" AS id, ${labelSql} AS label, (CASE WHEN ${labelSql} ILIKE ${prefix} THEN 2 ELSE 1 END)::float AS rank
                  FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}) s
                WHERE ${next} ORDER BY s.rank DESC, s.id LIMIT ${limit}`,
          params: ctx.params.values
        }
      }, guard)
      const rows = yield* run<{ id: string; label: string | null; rank: number }>(query.text, query.params)
      return rows.map((row): SearchHit => ({
        recordId: row.id,
        objectNameSingular: object.nameSingular,
        objectLabelSingular: object.labelSingular,
        label: row.label ?? "",
        imageUrl: null,
        tsRankCD: row.rank,
        tsRank: row.rank
      }))
    })

  return { search }
}
