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

/**
 * Twenty's search cursor (search.service.ts): the last hit's ranks and the last record id shown per object.
 * `lastObjectNameSingular` (ours) places ties between objects exactly, where Twenty's cursor can skip some.
 */
interface SearchCursor {
  readonly lastRanks: { readonly tsRankCD: number; readonly tsRank: number }
  readonly lastRecordIdsPerObject: Readonly<Record<string, string>>
  readonly lastObjectNameSingular?: string
}

/** Twenty's standard-objects-by-priority-rank.ts: the higher, the earlier among equal ranks. */
const PRIORITY: Readonly<Record<string, number>> = { person: 5, company: 4, opportunity: 3, note: 2, task: 1 }
const priorityOf = (name: string) => PRIORITY[name] ?? 0

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Twenty's format-search-terms.ts: every word a prefix, joined with & or |. */
const searchTerms = (input: string, operator: "&" | "|") =>
  input.trim() === "" ? "" : input.trim().split(/\s+/).map((word) => `${word.replace(/[\\:'&|!()@<>]/g, "\\$&")}:*`).join(` ${operator} `)

const encodeSearchCursor = (cursor: SearchCursor) => Buffer.from(JSON.stringify(cursor)).toString("base64")

const decodeSearchCursor = (cursor: string): SearchCursor => {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64").toString()) as Partial<SearchCursor>
    const ranks = value.lastRanks
    const ids = value.lastRecordIdsPerObject
    if (
      typeof ranks?.tsRankCD === "number" && typeof ranks.tsRank === "number" && typeof ids === "object" && ids !== null &&
      Object.values(ids).every(isUuid) && (value.lastObjectNameSingular === undefined || typeof value.lastObjectNameSingular === "string")
    ) return value as SearchCursor
  } catch {
    // fall through
  }
  throw new QueryInputError(badInput(`Invalid cursor: ${cursor}`, "after"))
}

/** Twenty's label: the label field, a full name's first and last names joined by a space. */
const labelExpression = (field: FieldMetadata) =>
  field.type === "FULL_NAME"
    ? `concat(coalesce(t0.${ident(`${field.name}FirstName`)}, ''), ' ', coalesce(t0.${ident(`${field.name}LastName`)}, ''))`
    : field.type === "TEXT"
    ? `coalesce(t0.${ident(field.name)}, '')`
    : `t0."id"::text`

/** twenty-shared's getLogoUrlFromDomainName: the company's domain on twenty-icons.com. */
const logoUrl = (domain: string | null) => {
  if (!domain) return ""
  let host: string
  try {
    host = new URL(/^https?:\/\//.test(domain.trim()) ? domain.trim() : `https://${domain.trim()}`).hostname.replace(/^www\./, "")
  } catch {
    host = domain.replace(/(https?:\/\/)|(www\.)/g, "").replace(/\/$/, "")
  }
  return host ? `https://twenty-icons.com/${host}` : ""
}

/**
 * Cross-object search as Twenty's search.service.ts: each searchable object's records whose searchable text
 * matches every word (or any word) as a prefix, ranked by ts_rank_cd then ts_rank, then by object
 * (person, company, opportunity, note, task, then the others) and id. An empty input lists every record.
 */
export const makeSearch = (limits: RecordsLimits, { readRun }: Statements, { modelFor }: Models) => {
  const search: RecordsShape["search"] = (scope, input) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const after = input.after ? yield* attempt(() => decodeSearchCursor(input.after!)) : null
      const included = input.includedObjectNameSingulars
      const excluded = new Set(input.excludedObjectNameSingulars ?? [])
      const guard = guardOf(scope)
      // Objects the caller may not read are skipped silently, as Twenty does.
      const objects = model.metadata.objects.filter((o) =>
        o.isActive && o.isSearchable && (!included || included.length === 0 || included.includes(o.nameSingular)) &&
        !excluded.has(o.nameSingular) && (guard === null || objectAccess(guard, o) !== null)
      )
      // The order of objects among equal ranks: priority, then their order in the metadata.
      const place = (name: string) => {
        const index = objects.findIndex((o) => o.nameSingular === name)
        return [-priorityOf(name), index === -1 ? objects.length : index] as const
      }
      const objectOrder = (a: string, b: string) => {
        const [pa, ia] = place(a)
        const [pb, ib] = place(b)
        return pa - pb || ia - ib
      }
      const fetched = Math.max(0, Math.min(input.limit, limits.maxPageSize)) + 1
      const hits = yield* Effect.forEach(
        objects,
        (object) => searchObject(model, object, input.searchInput, fetched, input.filter ?? null, after, objectOrder, guard),
        { concurrency: 4 }
      )
      const ranked = hits.flat().sort((a, b) =>
        b.tsRankCD - a.tsRankCD || b.tsRank - a.tsRank || objectOrder(a.objectNameSingular, b.objectNameSingular) ||
        compareText(a.recordId, b.recordId)
      )
      const page = ranked.slice(0, Math.max(0, input.limit))
      const lastIds: Record<string, string> = { ...after?.lastRecordIdsPerObject }
      const edges = page.map((hit) => {
        lastIds[hit.objectNameSingular] = hit.recordId
        const cursor = encodeSearchCursor({
          lastRanks: { tsRankCD: hit.tsRankCD, tsRank: hit.tsRank },
          lastRecordIdsPerObject: { ...lastIds },
          lastObjectNameSingular: hit.objectNameSingular
        })
        return { node: hit, cursor }
      })
      return { edges, hasNextPage: ranked.length > page.length }
    })

  /** One object's hits after `after`, in Twenty's order: ts_rank_cd, ts_rank, id. */
  const searchObject = (
    model: Model,
    object: ObjectMetadata,
    input: string,
    limit: number,
    filter: RecordFilter | null,
    after: SearchCursor | null,
    objectOrder: (a: string, b: string) => number,
    guard: Guard | null
  ) =>
    Effect.gen(function*() {
      const label = object.fields.find((f) => f.id === object.labelIdentifierFieldMetadataId)
      if (!label) return []
      // An unreadable label field shows the record's id, as a label-less record does.
      const labelSql = fieldReadable(guard, object, label) ? labelExpression(label) : `t0."id"::text`
      const haystack = searchableText(model, object, "t0", guard)
      if (haystack === null) return []
      const domain = object.nameSingular === "company" ? object.fields.find((f) => f.name === "domainName" && f.type === "LINKS") : undefined
      const imageSql = domain && fieldReadable(guard, object, domain) ? `t0.${ident(`${domain.name}PrimaryLinkUrl`)}` : "NULL::text"
      const query = yield* building(model, limits, (ctx) => {
        const all = searchTerms(input, "&")
        const any = searchTerms(input, "|")
        const vector = `to_tsvector('simple', ${haystack})`
        const rankCd = all === "" ? "0::real" : `ts_rank_cd(${vector}, to_tsquery('simple', ${ctx.params.add(all)}))`
        const rank = any === "" ? "0::real" : `ts_rank(${vector}, to_tsquery('simple', ${ctx.params.add(any)}))`
        const matches = all === "" ? "true"
          : `(${vector} @@ to_tsquery('simple', ${ctx.params.add(all)}) OR ${vector} @@ to_tsquery('simple', ${ctx.params.add(any)}))`
        const where = [...baseConditions(ctx, object, "t0", { filter }), matches]
        let next = "true"
        if (after !== null) {
          const cd = ctx.params.add(after.lastRanks.tsRankCD)
          const r = ctx.params.add(after.lastRanks.tsRank)
          const lastId = after.lastRecordIdsPerObject[object.nameSingular]
          const last = after.lastObjectNameSingular
          // Among equal ranks: objects placed before the last hit's are done, the last hit's own go on by id.
          const tie = last === undefined
            ? (lastId === undefined ? "true" : `s.id > ${ctx.params.add(lastId)}`)
            : last === object.nameSingular ? (lastId === undefined ? "true" : `s.id > ${ctx.params.add(lastId)}`)
            : objectOrder(object.nameSingular, last) < 0 ? "false" : "true"
          next = `(s.cd < ${cd}::real OR (s.cd = ${cd}::real AND s.rank < ${r}::real) OR (s.cd = ${cd}::real AND s.rank = ${r}::real AND ${tie}))`
        }
        return {
          text: `SELECT s.id, s.label, s.image, s.cd, s.rank FROM (
                  SELECT t0."id" AS id, ${labelSql} AS label, ${imageSql} AS image, ${rankCd} AS cd, ${rank} AS rank
                  FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}) s
                WHERE ${next} ORDER BY s.cd DESC, s.rank DESC, s.id LIMIT ${limit}`,
          params: ctx.params.values
        }
      }, guard)
      const rows = yield* readRun<{ id: string; label: string | null; image: string | null; cd: number; rank: number }>(object.workspaceId, query.text, query.params)
      return rows.map((row): SearchHit => ({
        recordId: row.id,
        objectNameSingular: object.nameSingular,
        objectLabelSingular: object.labelSingular,
        label: row.label ?? "",
        imageUrl: domain ? logoUrl(row.image) : "",
        tsRankCD: Number(row.cd),
        tsRank: Number(row.rank)
      }))
    })

  return { search }
}
