import type { RecordsLimits } from "../records/types.js"

/**
 * Limits the GraphQL layer enforces before calling Records (Twenty's: 60 records per page by default,
 * 200 at most; at most 200 records per mutation). Exceeding one is BAD_USER_INPUT, never a truncated answer.
 * maxDepth counts nested relation levels below the root records.
 */
export const GRAPHQL_LIMITS: RecordsLimits = {
  defaultPageSize: 60,
  maxPageSize: 200,
  maxRecordsPerMutation: 200,
  maxDepth: 4
}

/** Twenty's global `search` refuses a limit above 100. */
export const MAX_SEARCH_LIMIT = 100

/** How many workspace schemas one process keeps built. */
export const SCHEMA_CACHE_SIZE = 200
