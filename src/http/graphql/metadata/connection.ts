import { BadUserInput } from "../../../domain/errors.js"
import { toGraphQLError } from "../../errors.js"

export interface CursorPaging {
  readonly first?: number | null
  readonly last?: number | null
  readonly after?: string | null
  readonly before?: string | null
}

const encode = (id: string) => Buffer.from(id).toString("base64url")
const decode = (cursor: string) => Buffer.from(cursor, "base64url").toString()

const invalid = (message: string) => toGraphQLError(new BadUserInput({ message, field: "paging" }))

/** A Relay connection over an in-memory list (metadata lists are small and already loaded). */
export const connection = <T extends { readonly id: string }>(items: ReadonlyArray<T>, paging: CursorPaging = {}) => {
  let start = 0
  let end = items.length
  const position = (cursor: string) => {
    const index = items.findIndex((item) => item.id === decode(cursor))
    if (index === -1) throw invalid(`Invalid cursor: ${cursor}`)
    return index
  }
  if (paging.after) start = position(paging.after) + 1
  if (paging.before) end = position(paging.before)
  if (paging.first != null && paging.first < 0) throw invalid("paging.first must not be negative")
  if (paging.last != null && paging.last < 0) throw invalid("paging.last must not be negative")
  let slice = items.slice(start, Math.max(start, end))
  let hasNextPage = false
  let hasPreviousPage = start > 0
  if (paging.first != null && slice.length > paging.first) {
    slice = slice.slice(0, paging.first)
    hasNextPage = true
  }
  if (paging.last != null && slice.length > paging.last) {
    slice = slice.slice(slice.length - paging.last)
    hasPreviousPage = true
  }
  const edges = slice.map((node) => ({ node, cursor: encode(node.id) }))
  return {
    edges,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: hasNextPage || end < items.length,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null
    }
  }
}

type Comparison = { is?: boolean | null; isNot?: boolean | null; eq?: string | null; neq?: string | null; in?: ReadonlyArray<string> | null; notIn?: ReadonlyArray<string> | null }

const matches = (value: unknown, c: Comparison) =>
  (c.is == null || value === c.is) && (c.isNot == null || value !== c.isNot) &&
  (c.eq == null || value === c.eq) && (c.neq == null || value !== c.neq) &&
  (c.in == null || c.in.includes(value as string)) && (c.notIn == null || !c.notIn.includes(value as string))

/** nestjs-query style filters as Twenty's metadata API takes them: field comparisons with and/or. */
export const applyFilter = <T>(item: T, filter: Record<string, any> | null | undefined): boolean => {
  if (!filter) return true
  return Object.entries(filter).every(([key, condition]) => {
    if (condition == null) return true
    if (key === "and") return (condition as Array<any>).every((f) => applyFilter(item, f))
    if (key === "or") return (condition as Array<any>).some((f) => applyFilter(item, f))
    return matches((item as Record<string, unknown>)[key], condition as Comparison)
  })
}
