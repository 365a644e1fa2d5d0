import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { Metadata } from "../metadata/index.js"
import { ident } from "../metadata/columns.js"
import { Records } from "../records/index.js"
import type { RecordsScope } from "../records/types.js"

/** The record whose timeline is asked for: Twenty's ...FromPersonId, ...FromCompanyId, ...FromOpportunityId. */
export interface TimelineTarget {
  readonly object: "person" | "company" | "opportunity"
  readonly id: string
}

/** Twenty's TIMELINE_THREADS_MAX_PAGE_SIZE and TIMELINE_CALENDAR_EVENTS_MAX_PAGE_SIZE. */
export const TIMELINE_MAX_PAGE_SIZE = 50

/** The page's offset; bad numbers are BAD_USER_INPUT (Twenty: class-validator's @Max on pageSize). */
export const pageOffset = (page: number, pageSize: number) =>
  pageSize > TIMELINE_MAX_PAGE_SIZE
    ? Effect.fail(new BadUserInput({ message: `pageSize must not be greater than ${TIMELINE_MAX_PAGE_SIZE}`, field: "pageSize" }))
    : pageSize < 1
    ? Effect.fail(new BadUserInput({ message: "pageSize must not be less than 1", field: "pageSize" }))
    : page < 1
    ? Effect.fail(new BadUserInput({ message: "page must not be less than 1", field: "page" }))
    : Effect.succeed((page - 1) * pageSize)

/**
 * The people whose mail and events make the timeline, as SQL over `$1` (the target's id): the person, a
 * company's people, or the people of an opportunity's company (as Twenty's GetMessagesService).
 */
const peopleSql = (schema: string, target: TimelineTarget) => {
  const person = `${ident(schema)}.person`
  switch (target.object) {
    case "person":
      return `SELECT $1::uuid AS id`
    case "company":
      return `SELECT p.id FROM ${person} p WHERE p."companyId" = $1 AND p."deletedAt" IS NULL`
    case "opportunity":
      return `SELECT p.id FROM ${person} p JOIN ${ident(schema)}.opportunity o ON o."companyId" = p."companyId"
               WHERE o.id = $1 AND o."deletedAt" IS NULL AND p."deletedAt" IS NULL`
  }
}

/**
 * The caller reads the target as any read would (its role's object and row permissions: FORBIDDEN when it
 * may not read the object); null when the record is absent or hidden, else the workspace schema and the
 * people subquery.
 */
export const readableTarget = (scope: RecordsScope, target: TimelineTarget) =>
  Effect.gen(function*() {
    const records = yield* Records
    const found = yield* records.findOne(scope, target.object, { id: { eq: target.id } }, { fields: [], relations: [] })
    if (!found) return null
    const schema = (yield* Effect.flatMap(Metadata, (m) => m.get(scope.workspaceId))).schema
    return { schema, people: peopleSql(schema, target) }
  })
