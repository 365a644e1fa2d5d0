/**
 * The contract between the data APIs (GraphQL /graphql, REST /rest) and the records service.
 * Inputs are Twenty's own shapes as plain JSON, so both front doors hand them over unchanged.
 */
import type { Actor } from "../../domain/actor.js"
import type { Access } from "../../domain/permissions.js"

export type OrderDirection = "AscNullsFirst" | "AscNullsLast" | "DescNullsFirst" | "DescNullsLast"

/**
 * Twenty's filter input: `{ name: { ilike: "%a%" } }`, composite subfields
 * `{ name: { firstName: { eq: "Ada" } } }`, relations `{ company: { name: { eq: "Acme" } } }`, ids of a
 * MANY_TO_ONE relation `{ companyId: { in: [...] } }`, and `and: [...]`, `or: [...]`, `not: {...}`.
 * Operators: eq neq gt gte lt lte in like ilike startsWith endsWith is ("NULL" | "NOT_NULL")
 * containsAny containsIlike isEmptyArray.
 */
export type RecordFilter = Readonly<Record<string, unknown>>

/** `[{ name: "AscNullsFirst" }, { name: { lastName: "DescNullsLast" } }]`; a single object is accepted too. */
export type RecordOrderBy =
  | ReadonlyArray<Readonly<Record<string, OrderDirection | Readonly<Record<string, OrderDirection>>>>>
  | Readonly<Record<string, OrderDirection | Readonly<Record<string, OrderDirection>>>>

export interface ConnectionArgs {
  readonly filter?: RecordFilter | null
  readonly orderBy?: RecordOrderBy | null
  readonly first?: number | null
  readonly last?: number | null
  /** Opaque cursors returned in `edges[].cursor` / `pageInfo`. */
  readonly after?: string | null
  readonly before?: string | null
  /** Records skipped after filter, order and cursor (Twenty's findMany `offset`), a validated integer ≥ 0. */
  readonly offset?: number | null
}

export type AggregateKind =
  | "countEmpty"
  | "countNotEmpty"
  | "countUniqueValues"
  | "percentageEmpty"
  | "percentageNotEmpty"
  | "min"
  | "max"
  | "avg"
  | "sum"
  | "countTrue"
  | "countFalse"

export interface AggregateRequest {
  readonly kind: AggregateKind
  /** Field name; for composites the aggregate applies to `subField` (e.g. amount → amountMicros). */
  readonly field: string
  readonly subField?: string
  /** Key under which the value is returned in `Connection.aggregates` (the GraphQL response key). */
  readonly key: string
}

/** What a connection should compute besides its edges. */
export interface ConnectionSelection {
  readonly totalCount: boolean
  readonly aggregates: ReadonlyArray<AggregateRequest>
  /** false: no edge cursor nor pageInfo cursor is asked for (a nested connection then reads none). */
  readonly cursors?: boolean
}

/**
 * Twenty's group-by query: `groupBy` entries as Twenty writes them (`{ stage: true }`,
 * `{ createdAt: { granularity: "MONTH", timeZone: "Europe/Paris" } }`, `{ address: { addressCity: true } }`,
 * `{ companyId: true }`, `{ company: { name: true } }`); `orderBy` orders the groups (`{ aggregate: { totalCount: … } }`
 * or a grouped field), `orderByForRecords` the sample records of each group.
 */
export interface GroupByArgs {
  readonly groupBy: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly filter?: RecordFilter | null
  readonly orderBy?: ReadonlyArray<Readonly<Record<string, unknown>>> | null
  readonly orderByForRecords?: RecordOrderBy | null
  readonly limit?: number | null
  readonly offsetForRecords?: number | null
  /** Aggregates asked for by name (`sumEmployees`, REST's `aggregate`), beside the selection's. */
  readonly aggregateNames?: ReadonlyArray<string> | null
}

/** Which parts of each record to return. */
export interface Selection {
  /** Scalar and composite field names, and join columns such as `companyId`. `id` is always returned. */
  readonly fields: ReadonlyArray<string>
  readonly relations: ReadonlyArray<RelationSelection>
}

export interface RelationSelection {
  /** The relation field's name in metadata. */
  readonly field: string
  /** Key of the result in the parent record (the GraphQL response key: alias or field name). */
  readonly key: string
  readonly selection: Selection
  /** ONE_TO_MANY only: the nested connection's arguments and extras. */
  readonly args?: ConnectionArgs
  readonly connection?: ConnectionSelection
}

/**
 * A record in Twenty's GraphQL shape: scalars by field name, composites as nested objects
 * (`name: { firstName, lastName }`), MANY_TO_ONE relations as a nested record or null, ONE_TO_MANY
 * relations as a Connection, both under `RelationSelection.key`. Dates are ISO strings.
 */
export type RecordValue = Record<string, unknown>

export interface PageInfo {
  readonly hasNextPage: boolean
  readonly hasPreviousPage: boolean
  readonly startCursor: string | null
  readonly endCursor: string | null
}

export interface Connection {
  readonly edges: ReadonlyArray<{ readonly node: RecordValue; readonly cursor: string }>
  readonly pageInfo: PageInfo
  /** Present when requested. */
  readonly totalCount?: number
  /** By AggregateRequest.key. */
  readonly aggregates: Readonly<Record<string, number | string | null>>
}

/** One group: its dimension values (one per groupBy entry), aggregates and up to 10 sample records. */
export interface Group extends Connection {
  readonly groupByDimensionValues: ReadonlyArray<unknown>
}

/** Who performs a write (moved to the domain types; re-exported for the records API). */
export type { Actor }

/** Every records operation runs for one workspace, as one actor, within what its role allows. */
export interface RecordsScope {
  readonly workspaceId: string
  readonly actor: Actor
  /** The caller's compiled permissions; absent or unrestricted: nothing is checked (the system, the owner). */
  readonly access?: Access | undefined
}

/** Limits like Twenty's; exceeding one is BAD_USER_INPUT, never a silently truncated answer. */
export interface RecordsLimits {
  readonly defaultPageSize: number
  readonly maxPageSize: number
  readonly maxRecordsPerMutation: number
  readonly maxDepth: number
  /** Records one query may return counting nested pages (complexity); beyond it the query is refused. */
  readonly maxRecordsPerQuery: number
}
