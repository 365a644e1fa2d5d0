import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { NotFound } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { ident } from "../metadata/columns.js"
import { type Models, objectOf } from "./models.js"
import { attempt, building } from "./plan.js"
import { badInput, type Guard, type Model, Params } from "./query-builder.js"
import { denied, guardOf, memberRecordLimit, objectAccess, requireOperation, rowCondition } from "./access.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { Reads } from "./read.js"
import type { RecordsShape } from "./service.js"
import type { Statements } from "./statements.js"
import type { Connection, RecordFilter, RecordsLimits, RecordValue } from "./types.js"
import { actorColumns, toColumns } from "./values.js"
import { mergedColumns, mergeField } from "./merge-values.js"
import { fullSelection, setClause, type Writes } from "./write.js"

/** Fields a merge fills from the other records; a restricted caller's unreadable or read-only fields are left as they are. */
const mergedFields = (model: Model, object: ObjectMetadata, guard: Guard | null) =>
  [...model.fields(object)]
    .filter((f) => !f.isSystem && f.type !== "TS_VECTOR" && !(f.type === "RELATION" && f.relationType !== "MANY_TO_ONE"))
    .filter((f) => guard === null || objectAccess(guard, object)?.restrictedFields.has(f.name) !== true)

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)

/** A filter condition saying column `column` equals `value`, expressed on its field (composite or not). */
const columnEquals = (model: Model, object: ObjectMetadata, column: string, value: unknown): RecordFilter => {
  for (const field of model.fields(object)) {
    if (isCompositeFieldType(field.type)) {
      const sub = COMPOSITE_TYPES[field.type].find((s) => compositeColumnName(field.name, s.name) === column)
      if (sub) return { [field.name]: { [sub.name]: { eq: value } } }
    }
  }
  return { [column]: { eq: value } }
}

const emptyConnection = (): Connection => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: 0,
  aggregates: {}
})

/** Merging records into one, and finding the records that look like duplicates of others. */
export const makeMerge = (
  sql: SqlClient.SqlClient,
  limits: RecordsLimits,
  { run }: Statements,
  { modelFor }: Models,
  { byIds, findMany }: Pick<Reads, "byIds" | "findMany">,
  { emit, permitted }: Pick<Writes, "emit" | "permitted">
) => {
  /** Column values of whole live rows, for merge and duplicate detection; a restricted caller's visible ones only. */
  const rawRows = (model: Model, object: ObjectMetadata, ids: ReadonlyArray<string>, guard: Guard | null) =>
    Effect.flatMap(
      building(model, limits, (ctx) => {
        const rows = guard === null ? null : rowCondition(ctx, object, "t0")
        return {
          text: `SELECT * FROM ${model.table(object)} t0 WHERE t0."id" = ANY(${ctx.params.add(ids)}) AND t0."deletedAt" IS NULL${rows ? ` AND ${rows}` : ""}`,
          params: ctx.params.values
        }
      }, guard),
      (query) => run<Record<string, unknown>>(query.text, query.params)
    )

  const merge: RecordsShape["merge"] = (scope, objectName, ids, priority, dryRun, selection) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("workspace members are not merged")
      yield* permitted(model, object, guard, "update", selection)
      yield* attempt(() => requireOperation(guard, object, "softDelete"))
      if (!object.duplicateCriteria) {
        return yield* badInput(`Merge is only available for objects with duplicate criteria. Object '${object.nameSingular}' does not have duplicate criteria defined.`)
      }
      if (ids.length < 2) return yield* badInput("At least 2 record IDs are required for merge", "ids")
      if (!ids.every(isUuid)) return yield* badInput("ids must be UUIDs", "ids")
      if (!Number.isInteger(priority) || priority < 0 || priority >= ids.length) {
        return yield* badInput(`Invalid conflict priority '${priority}'. Valid options for ${ids.length} records: 0-${ids.length - 1}`, "conflictPriorityIndex")
      }
      const rows = yield* rawRows(model, object, ids, guard)
      const byId = new Map(rows.map((r) => [r["id"] as string, r]))
      const missing = ids.find((id) => !byId.has(id))
      if (missing) return yield* new NotFound({ message: `Record ${missing} not found` })
      const keeperId = ids[priority]!
      const ordered = [byId.get(keeperId)!, ...ids.filter((id) => id !== keeperId).map((id) => byId.get(id)!)]
      // Twenty's performDeepMerge: each field's values combined, the priority record's first.
      const values = new Map<FieldMetadata, unknown>()
      for (const field of mergedFields(model, object, guard)) {
        const value = mergeField(field, ordered)
        if (value !== undefined) values.set(field, value)
      }
      const merged: Record<string, unknown> = {}
      for (const [field, value] of values) Object.assign(merged, mergedColumns(field, value))
      const others = ids.filter((id) => id !== keeperId)
      if (dryRun) {
        // Twenty's dry run: the priority record with the merged values, a fresh id and deletedAt set.
        const [preview] = yield* byIds(model, object, [keeperId], selection, false, guard)
        const record: Record<string, unknown> = { ...preview }
        for (const [field, value] of values) {
          const key = field.type === "RELATION" || field.type === "MORPH_RELATION" ? `${field.name}Id` : field.name
          if (key in record) record[key] = value
        }
        record["id"] = crypto.randomUUID()
        if ("deletedAt" in record) record["deletedAt"] = new Date().toISOString()
        return record as RecordValue
      }
      const full = fullSelection(model, object)
      const [keeperBefore] = yield* byIds(model, object, [keeperId], full, false)
      const params = new Params()
      const set = [...setClause(params, merged), ...setClause(params, actorColumns("updatedBy", scope.actor)), `"updatedAt" = now()`]
      yield* run(`UPDATE ${model.table(object)} SET ${set.join(", ")} WHERE "id" = ${params.add(keeperId)}`, params.values)
      for (const field of model.fields(object)) {
        if (field.type !== "RELATION" || field.relationType !== "ONE_TO_MANY") continue
        const target = model.target(field)
        const inverse = model.inverse(field)
        if (guard !== null && objectAccess(guard, target)?.canUpdate !== true) {
          const [child] = yield* run(`SELECT 1 FROM ${model.table(target)} WHERE ${ident(`${inverse.name}Id`)} = ANY($1) LIMIT 1`, [others])
          if (child) return yield* denied(`merging moves ${target.nameSingular} records this role may not update`)
        }
        yield* run(`UPDATE ${model.table(target)} SET ${ident(`${inverse.name}Id`)} = $1 WHERE ${ident(`${inverse.name}Id`)} = ANY($2)`, [keeperId, others])
      }
      yield* run(`UPDATE ${model.table(object)} SET "deletedAt" = now() WHERE "id" = ANY($1)`, [others])
      const [keeperAfter] = yield* byIds(model, object, [keeperId], full, false)
      yield* emit(scope, object, "updated", [{ record: keeperAfter!, before: keeperBefore! }])
      yield* emit(scope, object, "deleted", (yield* byIds(model, object, others, full, true)).map((record) => ({ record })))
      const [result] = yield* byIds(model, object, [keeperId], selection, false, guard)
      return result!
    })).pipe(Effect.withSpan("Records.merge", { attributes: { object: objectName } }))

  const findDuplicates: RecordsShape["findDuplicates"] = (scope, objectName, input, selection) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      yield* attempt(() => requireOperation(guard, object, "read"))
      const criteria = object.duplicateCriteria ?? []
      const probes: Array<Record<string, unknown>> = []
      if (input.ids) {
        if (!input.ids.every(isUuid)) return yield* badInput("ids must be UUIDs", "ids")
        const rows = yield* rawRows(model, object, input.ids, guard)
        const byId = new Map(rows.map((r) => [r["id"] as string, r]))
        for (const id of input.ids) probes.push(byId.get(id) ?? { id })
      }
      for (const data of input.data ?? []) {
        probes.push(yield* building(model, limits, () => toColumns(model, object, data, { creating: true })))
      }
      return yield* Effect.forEach(probes, (probe) => {
        const groups = criteria
          .filter((columns) => columns.every((c) => !isEmpty(probe[c])))
          .map((columns) => ({ and: columns.map((c) => columnEquals(model, object, c, probe[c])) }))
        if (groups.length === 0) return Effect.succeed(emptyConnection())
        const filter: RecordFilter = { or: groups, ...(probe["id"] ? { not: { id: { eq: probe["id"] } } } : {}) }
        return findMany(scope, objectName, { filter }, selection, { totalCount: true, aggregates: [] })
      })
    })

  return { merge, findDuplicates }
}
