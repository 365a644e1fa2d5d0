import { DEFAULT_LIMITS } from "../../../../services/records/limits.js"

/** The records service's limits, checked here too so a bad request fails before any SQL. */
export const GRAPHQL_LIMITS = DEFAULT_LIMITS

/** Twenty's global `search` refuses a limit above 100. */
export const MAX_SEARCH_LIMIT = 100

/** How many workspaces' last answered schemas are remembered (references to the shared ones). */
export const ANSWERED_SCHEMAS = 2_000
