import type { RecordsLimits } from "./types.js"

/**
 * Twenty's limits: 60 records per page by default, at most 200 per page and per mutation. maxDepth
 * counts nested relation levels below the root records. GraphQL and REST enforce the same values.
 */
export const DEFAULT_LIMITS: RecordsLimits = {
  defaultPageSize: 60,
  maxPageSize: 200,
  maxRecordsPerMutation: 200,
  maxDepth: 4,
  maxRecordsPerQuery: 1_000_000
}
