import { ACTOR_SOURCES } from "../../domain/composite-types.js"
import type { Actor } from "../../domain/actor.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { badInput, QueryInputError } from "./query-builder.js"
import { actorColumns } from "./values.js"

const fail = (message: string, field: string): never => {
  throw new QueryInputError(badInput(message, field))
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A create input without its `createdBy`, which createdByColumns reads apart. */
export const withoutCreatedBy = (data: unknown): { readonly record: unknown; readonly createdBy: unknown } => {
  if (!isObject(data) || !("createdBy" in data)) return { record: data, createdBy: undefined }
  const { createdBy, ...record } = data
  return { record, createdBy }
}

/**
 * The createdBy columns of a new record, as Twenty's CreatedByFromAuthContextService.injectCreatedBy sets
 * them: an input without a name takes the caller's actor, keeping an explicit `source` (a client importing
 * says IMPORT); an input with a name is kept as given.
 */
export const createdByColumns = (input: unknown, actor: Actor) => {
  if (input === undefined || input === null) return actorColumns("createdBy", actor)
  if (!isObject(input)) return fail(`Field "createdBy" takes an object of subfields`, "createdBy")
  const { source, name, workspaceMemberId, context, ...rest } = input
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) fail(`"${unknown}" is not a subfield of createdBy`, `createdBy.${unknown}`)
  if (source != null && !ACTOR_SOURCES.includes(source as (typeof ACTOR_SOURCES)[number])) {
    fail(`Invalid value ${JSON.stringify(source)} for createdBy.source: expected one of ${ACTOR_SOURCES.join(", ")}`, "createdBy.source")
  }
  if (name != null && typeof name !== "string") fail(`Invalid value ${JSON.stringify(name)} for createdBy.name: expected a string`, "createdBy.name")
  if (workspaceMemberId != null && !isUuid(workspaceMemberId)) {
    fail(`Invalid value ${JSON.stringify(workspaceMemberId)} for createdBy.workspaceMemberId: expected a UUID`, "createdBy.workspaceMemberId")
  }
  if (context != null && !isObject(context)) fail(`Invalid value for createdBy.context: expected an object`, "createdBy.context")
  const given = source == null ? actor.source : (source as string)
  if (name == null || name === "") return actorColumns("createdBy", { ...actor, source: given })
  return actorColumns("createdBy", {
    source: given,
    name: name as string,
    workspaceMemberId: (workspaceMemberId as string | null | undefined) ?? null,
    context: (context as Record<string, unknown> | null | undefined) ?? {}
  })
}
