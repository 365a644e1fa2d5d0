import type { Effect } from "effect"
import type { RecordsFailure, RecordsShape } from "../../../../services/records/service.js"
import type { RecordsScope } from "../../../../services/records/types.js"
import type { TimelineCalendarEventsWithTotal } from "../../../../services/mail-timeline/calendar-events.js"
import type { TimelineTarget } from "../../../../services/mail-timeline/target.js"
import type { TimelineThreadsWithTotal } from "../../../../services/mail-timeline/threads.js"

/** Twenty's timeline queries for a caller, run as the request runs Records calls. */
export interface TimelineReads {
  readonly threads: (scope: RecordsScope, target: TimelineTarget, page: number, pageSize: number) => Promise<TimelineThreadsWithTotal>
  readonly calendarEvents: (scope: RecordsScope, target: TimelineTarget, page: number, pageSize: number) => Promise<TimelineCalendarEventsWithTotal>
}

/** What the workspace schema's resolvers expect in the GraphQL context; /graphql provides it per request. */
export interface DataGraphQLContext {
  /** Runs a Records call; typed failures become GraphQL errors with Twenty's codes, defects INTERNAL_SERVER_ERROR. */
  readonly run: <A>(effect: Effect.Effect<A, RecordsFailure>) => Promise<A>
  readonly records: RecordsShape
  readonly timeline: TimelineReads
  /** The caller as a Records scope, resolved at most once per request and only if a resolver asks. */
  readonly scope: () => Promise<RecordsScope>
  /**
   * Root fields a planned mutation already resolved, by response key (data/plan.ts): graphql-js completes
   * these values, the resolver does not write again.
   */
  readonly replay?: ReadonlyMap<string, unknown>
}
