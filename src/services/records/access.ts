import { Forbidden } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { type Access, CURRENT_WORKSPACE_MEMBER, type ObjectAccess, PERMISSION_DENIED_MESSAGE } from "../../domain/permissions.js"
import { type BuildContext, col, type Guard, type Model, QueryInputError } from "./build-context.js"
import { filterSql } from "./filters.js"
import type { RecordFilter, RecordsScope } from "./types.js"

/*
 * Record permissions, checked while SQL is built: every name a caller gives (selection, filter, order,
 * aggregate, group) resolves through the builders, which ask here. Without a guard (the system, the
 * owner, unrestricted roles) nothing here runs beyond a null test.
 */

/** The scope's guard, or null when the caller is unrestricted. */
export const guardOf = (scope: RecordsScope): Guard | null =>
  scope.access && !scope.access.unrestricted ? { access: scope.access, memberId: scope.actor.workspaceMemberId } : null

export const denied = (detail?: string) =>
  new Forbidden({ message: detail ? `${PERMISSION_DENIED_MESSAGE}: ${detail}` : PERMISSION_DENIED_MESSAGE, subCode: "PERMISSION_DENIED" })

const deny = (detail?: string): never => {
  throw new QueryInputError(denied(detail))
}

/** The role's access to `object`, or null when it cannot read it. */
export const objectAccess = (guard: Guard, object: ObjectMetadata): ObjectAccess | null => guard.access.objects.get(object.nameSingular) ?? null

export type Operation = "read" | "update" | "softDelete" | "destroy"

const allowed = (access: ObjectAccess | null, operation: Operation) =>
  access !== null && (operation === "read" ? access.canRead
    : operation === "update" ? access.canUpdate
    : operation === "softDelete" ? access.canSoftDelete
    : access.canDestroy)

/** Throws FORBIDDEN unless the guard allows `operation` on `object`'s records. */
export const requireOperation = (guard: Guard | null, object: ObjectMetadata, operation: Operation) => {
  if (guard && !allowed(objectAccess(guard, object), operation)) deny()
}

/** In a builder: the caller's name must be readable (a role's own row filter is not checked). */
export const requireReadable = (ctx: BuildContext, object: ObjectMetadata, field?: FieldMetadata) => {
  const guard = ctx.guard
  if (guard === null || ctx.trusted > 0) return
  const access = objectAccess(guard, object)
  if (!access) return deny()
  if (field && access.restrictedFields.get(field.name)?.canRead === false) {
    deny(`no permission to read field "${field.name}" on "${object.nameSingular}"`)
  }
}

/** Whether a field may be shown to the guard's caller (for default selections and search text). */
export const fieldReadable = (guard: Guard | null, object: ObjectMetadata, field: FieldMetadata) => {
  if (guard === null) return true
  const access = objectAccess(guard, object)
  return access !== null && access.restrictedFields.get(field.name)?.canRead !== false
}

/** Whether a caller with `access` (none: unrestricted) may read `object`'s records. */
export const canReadObject = (access: Access | undefined, object: ObjectMetadata) =>
  access === undefined || access.unrestricted || access.objects.has(object.nameSingular)

/** Whether a caller with `access` may read `field` of `object` (for default selections: REST, OpenAPI). */
export const canReadField = (access: Access | undefined, object: ObjectMetadata, field: FieldMetadata) =>
  access === undefined || access.unrestricted ||
  (access.objects.has(object.nameSingular) && access.objects.get(object.nameSingular)!.restrictedFields.get(field.name)?.canRead !== false)

/**
 * Throws FORBIDDEN when one of the written names may not be updated, or links a record to an object the
 * role cannot read (as a connect to it would be refused).
 */
export const requireUpdatable = (guard: Guard | null, model: Model, object: ObjectMetadata, records: ReadonlyArray<unknown>) => {
  if (guard === null) return
  const access = objectAccess(guard, object)
  if (!access?.canUpdate) return deny()
  for (const record of records) {
    if (typeof record !== "object" || record === null) continue
    for (const [key, value] of Object.entries(record)) {
      const found = model.field(object, key)
      if (!found) continue
      const field = found.field
      if (access.restrictedFields.get(field.name)?.canUpdate === false) {
        deny(`no permission to write field "${field.name}" on "${object.nameSingular}"`)
      }
      if (value != null && field.relationType === "MANY_TO_ONE" && !objectAccess(guard, model.target(field))) {
        deny(`no permission to read "${model.target(field).nameSingular}" records to link them`)
      }
    }
  }
}

/** The row filter with the caller's workspaceMember id in place; null when it names the member and there is none. */
const boundFilter = (filter: unknown, memberId: string | null): unknown => {
  if (filter === CURRENT_WORKSPACE_MEMBER) {
    if (memberId === null) throw NO_MEMBER
    return memberId
  }
  if (Array.isArray(filter)) return filter.map((f) => boundFilter(f, memberId))
  if (typeof filter === "object" && filter !== null) {
    return Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, boundFilter(v, memberId)]))
  }
  return filter
}
const NO_MEMBER = Symbol("no workspace member")
/** Row filters that filter on relations whose own row filters do the same stop here (matching nothing). */
const MAX_ROW_FILTER_NESTING = 3

/**
 * The role's row filter on `object` as a SQL condition on alias `alias`, or null when it sees every row.
 * A filter naming the current member matches nothing for a caller without one (an API key).
 */
export const rowCondition = (ctx: BuildContext, object: ObjectMetadata, alias: string): string | null => {
  const guard = ctx.guard
  if (guard === null) return null
  const filter = objectAccess(guard, object)?.rowFilter
  if (!filter) return null
  if (ctx.trusted > MAX_ROW_FILTER_NESTING) return "false"
  let bound: RecordFilter
  try {
    bound = boundFilter(filter, guard.memberId) as RecordFilter
  } catch (e) {
    if (e === NO_MEMBER) return "false"
    throw e
  }
  ctx.trusted++
  try {
    return `(${filterSql(ctx, object, alias, bound, 0)})`
  } finally {
    ctx.trusted--
  }
}

/**
 * A timeline activity's `properties` carry its record's values (`diff`, `before`, `after`): for a restricted
 * caller, the values of fields it may not read on the activity's target object are taken out. Null when
 * nothing needs to be (then the column is read as it is).
 */
export const redactedProperties = (ctx: BuildContext, object: ObjectMetadata, field: FieldMetadata, alias: string): string | null => {
  const guard = ctx.guard
  if (guard === null || object.nameSingular !== "timelineActivity" || field.name !== "properties") return null
  const column = col(alias, "properties")
  const branches: Array<string> = []
  for (const link of ctx.model.fields(object)) {
    if (link.relationType !== "MANY_TO_ONE" || link.name === "workspaceMember" || !link.relationTargetObjectMetadataId) continue
    const target = ctx.model.target(link)
    const hidden = [...objectAccess(guard, target)?.restrictedFields ?? []].filter(([, r]) => !r.canRead).map(([name]) => name)
    if (hidden.length === 0) continue
    const keys = hidden.flatMap((name) => {
      const hiddenField = ctx.model.field(target, name)?.field
      return hiddenField?.relationType === "MANY_TO_ONE" ? [name, `${name}Id`] : [name]
    })
    let redacted = column
    for (const key of keys) {
      for (const part of ["diff", "before", "after"]) redacted = `(${redacted} #- ${ctx.params.add(`{${part},${key}}`)}::text[])`
    }
    branches.push(`WHEN ${col(alias, `${link.name}Id`)} IS NOT NULL THEN ${redacted}`)
  }
  return branches.length === 0 ? null : `CASE ${branches.join(" ")} ELSE ${column} END`
}

/**
 * Twenty's workspaceMember pre-query hooks: a signed-in member without WORKSPACE_MEMBERS writes only
 * their own workspaceMember record (never its `userId`) and creates, removes or restores none; members
 * join and leave through invitations and deleteUserFromWorkspace. API keys and the system are not limited.
 * Returns the member id the write is limited to, or null when it is not limited.
 */
export const memberRecordLimit = (scope: RecordsScope, object: ObjectMetadata): string | null =>
  object.nameSingular === "workspaceMember" && scope.access !== undefined && scope.actor.source === "MANUAL" &&
    !scope.access.flags.has("WORKSPACE_MEMBERS")
    ? scope.actor.workspaceMemberId ?? ""
    : null

/** `filter` narrowed to the caller's own workspaceMember record when the write is limited (see memberRecordLimit). */
export const ownMemberFilter = (limit: string | null, filter: RecordFilter): RecordFilter =>
  limit === null ? filter : { and: [filter, { id: { eq: limit || "00000000-0000-0000-0000-000000000000" } }] }
