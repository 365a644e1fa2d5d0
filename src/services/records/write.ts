import { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import type { RecordAction } from "../../domain/events.js"
import { NotFound } from "../../domain/errors.js"
import { recordEvents, writeToOutbox } from "../events/index.js"
import { ident } from "../metadata/columns.js"
import { type Models, objectOf } from "./models.js"
import { attempt, buildContext, building } from "./plan.js"
import { badInput, baseConditions, type BuildContext, filterSql, type Guard, isRelation, type Model, Params, recordJson, UUID } from "./query-builder.js"
import { denied, guardOf, memberRecordLimit, objectAccess, type Operation, ownMemberFilter, requireOperation, requireUpdatable, rowCondition } from "./access.js"
import type { Reads } from "./read.js"
import { applyConnects, connectGroups, connectLookup, relationInputs } from "./relation-inputs.js"
import type { RecordsShape } from "./service.js"
import { explain, type Statements } from "./statements.js"
import type { RecordsLimits, RecordsScope, RecordValue, Selection } from "./types.js"
import { actorColumns, toColumns } from "./values.js"
import { createdByColumns, withoutCreatedBy } from "./created-by.js"

/** Every active field at depth 0: what events carry. */
export const fullSelection = (model: Model, object: ObjectMetadata): Selection => ({
  fields: [...model.fields(object)].flatMap((f) =>
    f.type === "TS_VECTOR" ? [] : f.type === "RELATION" || f.type === "MORPH_RELATION"
      ? (f.relationType === "MANY_TO_ONE" ? [`${f.name}Id`] : [])
      : [f.name]
  ),
  relations: []
})

/** The caller's row filter on `object` (alias t0) where a write's target set is not built by baseConditions. */
const visibleRows = (ctx: BuildContext, object: ObjectMetadata) => {
  const rows = ctx.guard === null ? null : rowCondition(ctx, object, "t0")
  return rows === null ? [] : [rows]
}

export const setClause = (params: Params, columns: Record<string, unknown>) =>
  Object.entries(columns).map(([column, value]) => `${ident(column)} = ${params.add(value)}`)

const uniqueLookups = (model: Model, object: ObjectMetadata) =>
  [...model.fields(object)].filter((f) => f.isUnique && f.name !== "id")

const updateSet = (ctx: BuildContext, scope: RecordsScope, columns: Record<string, unknown>) => [
  ...setClause(ctx.params, columns),
  ...setClause(ctx.params, actorColumns("updatedBy", scope.actor)),
  `"updatedAt" = now()`
]

/**
 * The writes, each in one transaction with its events written to the outbox: create (with upsert and
 * nested relation inputs), update, soft delete, restore and hard delete.
 */
export const makeWrites = (
  sql: SqlClient.SqlClient,
  limits: RecordsLimits,
  { run }: Statements,
  { modelFor }: Models,
  { byIds }: Pick<Reads, "byIds">
) => {
  /**
   * Records for the response: the full depth-0 records serve any selection without relations for an
   * unrestricted caller; a restricted one gets its selection, read as its reads are.
   */
  const respond = (
    model: Model,
    object: ObjectMetadata,
    records: ReadonlyArray<RecordValue>,
    selection: Selection,
    includeDeleted: boolean,
    guard: Guard | null
  ) =>
    selection.relations.length === 0 && guard === null
      ? Effect.succeed(records)
      : byIds(model, object, records.map((r) => r["id"] as string), selection, includeDeleted, guard)

  /**
   * A restricted caller's write: the operation must be allowed on the object and the response's selection
   * readable, checked before anything is written.
   */
  const permitted = (model: Model, object: ObjectMetadata, guard: Guard | null, operation: Operation, selection: Selection) =>
    guard === null ? Effect.void : attempt(() => {
      requireOperation(guard, object, operation)
      recordJson(buildContext(model, limits, guard), object, "t0", selection, 0)
    })

  /** FORBIDDEN when one of `ids` falls outside the caller's row filter on `object` (a create or an upsert's target). */
  const requireVisible = (model: Model, object: ObjectMetadata, guard: Guard | null, ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      if (guard === null || ids.length === 0) return
      const query = yield* building(model, limits, (ctx) => {
        const rows = rowCondition(ctx, object, "t0")
        return rows === null ? null : {
          text: `SELECT count(*)::int AS n FROM ${model.table(object)} t0 WHERE t0."id" = ANY(${ctx.params.add(ids)}) AND ${rows} IS NOT TRUE`,
          params: ctx.params.values
        }
      }, guard)
      if (query === null) return
      const [outside] = yield* run<{ n: number }>(query.text, query.params)
      if ((outside?.n ?? 0) > 0) return yield* denied("the record is outside the rows this role may write")
    })

  /**
   * FORBIDDEN when a write links a record (a MANY_TO_ONE join column) to a target row outside the caller's
   * row filter on the target object: a hidden record can be neither linked to nor probed through a link.
   */
  const requireLinkedVisible = (model: Model, object: ObjectMetadata, guard: Guard | null, rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.gen(function*() {
      if (guard === null) return
      for (const field of model.fields(object)) {
        if (field.relationType !== "MANY_TO_ONE" || !isRelation(field)) continue
        const target = model.target(field)
        if (!objectAccess(guard, target)?.rowFilter) continue
        const linked = [...new Set(rows.flatMap((row) => {
          const id = row[`${field.name}Id`]
          return typeof id === "string" ? [id] : []
        }))]
        yield* requireVisible(model, target, guard, linked)
      }
    })

  const emit = (
    scope: RecordsScope,
    object: ObjectMetadata,
    action: RecordAction,
    changes: ReadonlyArray<{ readonly record: RecordValue; readonly before?: RecordValue }>
  ) => writeToOutbox(recordEvents(scope.workspaceId, object, action, scope.actor, changes)).pipe(
    Effect.provideService(SqlClient.SqlClient, sql),
    Effect.catchIf((e): e is SqlError.SqlError => e instanceof SqlError.SqlError, (e) => Effect.fail(explain(e)))
  )

  /** Upsert: a record without id takes the id of the live record sharing one of its unique values. */
  const matchExisting = (model: Model, object: ObjectMetadata, columns: Record<string, unknown>) =>
    Effect.gen(function*() {
      for (const field of uniqueLookups(model, object)) {
        const keys = isCompositeFieldType(field.type)
          ? COMPOSITE_TYPES[field.type].filter((s) => s.isIncludedInUniqueConstraint).map((s) => compositeColumnName(field.name, s.name))
          : [field.name]
        const key = keys.find((k) => columns[k] != null && columns[k] !== "")
        if (!key) continue
        const rows = yield* run<{ id: string }>(
          `SELECT id FROM ${model.table(object)} WHERE ${ident(key)} = $1 AND "deletedAt" IS NULL LIMIT 1`,
          [columns[key]]
        )
        if (rows[0]) return rows[0].id
      }
      return null
    })

  /**
   * Records to write with their nested relation inputs (connect / disconnect) turned into `<field>Id`; a
   * restricted caller connects only to records it may read. Then each written field must be updatable.
   */
  const withConnections = (model: Model, object: ObjectMetadata, data: ReadonlyArray<unknown>, guard: Guard | null) =>
    Effect.gen(function*() {
      const { records, connects } = yield* attempt(() => relationInputs(model, object, data))
      for (const group of connectGroups(connects)) {
        const target = group[0]!.target
        const lookup = yield* attempt(() => {
          if (guard === null) return connectLookup(model, group)
          requireOperation(guard, target, "read")
          return connectLookup(model, group, (params) => rowCondition(buildContext(model, limits, guard, params), target, "t0"))
        })
        const rows = yield* run<Record<string, unknown>>(lookup.text, lookup.params)
        yield* attempt(() => applyConnects(records, group, rows))
      }
      if (guard !== null) yield* attempt(() => requireUpdatable(guard, model, object, records))
      return records
    })

  const checkCount = (count: number) =>
    count > limits.maxRecordsPerMutation
      ? Effect.fail(badInput(`Cannot change more than ${limits.maxRecordsPerMutation} records at once (${count} match)`))
      : Effect.void

  const createMany: RecordsShape["createMany"] = (scope, objectName, data, selection, options) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members join through invitations")
      yield* permitted(model, object, guard, "update", selection)
      yield* checkCount(data.length)
      const inputs = data.map(withoutCreatedBy)
      const records = yield* withConnections(model, object, inputs.map((i) => i.record), guard)
      const rows = yield* building(model, limits, () => records.map((d) => toColumns(model, object, d, { creating: true })))
      const createdBy = yield* building(model, limits, () => inputs.map((i) => createdByColumns(i.createdBy, scope.actor)))
      yield* requireLinkedVisible(model, object, guard, rows)
      const ids: Array<string> = []
      for (const row of rows) {
        if (row["id"] == null && options?.upsert) {
          const existing = yield* matchExisting(model, object, row)
          if (existing) row["id"] = existing
        }
        row["id"] ??= crypto.randomUUID()
        ids.push(row["id"] as string)
      }
      const updated = actorColumns("updatedBy", scope.actor)
      const full = fullSelection(model, object)
      const existing = options?.upsert
        ? new Map((yield* byIds(model, object, ids, full, true)).map((r) => [r["id"] as string, r]))
        : new Map<string, RecordValue>()
      if (options?.upsert) {
        yield* requireVisible(model, object, guard, [...existing.keys()])
        for (const [index, row] of rows.entries()) {
          const params = new Params()
          const insert = { ...row, ...createdBy[index], ...updated }
          const names = Object.keys(insert)
          const values = names.map((n) => params.add(insert[n]))
          const updates = [...Object.keys(row).filter((n) => n !== "id"), ...Object.keys(updated)]
            .map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`)
          yield* run(
            `INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")}) VALUES (${values.join(", ")})
                 ON CONFLICT ("id") DO UPDATE SET ${[...updates, `"updatedAt" = now()`, `"deletedAt" = NULL`].join(", ")}`,
            params.values
          )
        }
      } else if (rows.length > 0) {
        const params = new Params()
        const names = [...new Set(rows.flatMap((r) => Object.keys(r))), ...Object.keys(createdBy[0]!), ...Object.keys(updated)]
        const tuples = rows.map((row, index) => {
          const full: Record<string, unknown> = { ...row, ...createdBy[index], ...updated }
          return `(${names.map((n) => (n in full ? params.add(full[n]) : "DEFAULT")).join(", ")})`
        })
        yield* run(`INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")}) VALUES ${tuples.join(", ")}`, params.values)
      }
      yield* requireVisible(model, object, guard, ids)
      const after = yield* byIds(model, object, ids, full, false)
      yield* emit(scope, object, "created", after.filter((r) => !existing.has(r["id"] as string)).map((record) => ({ record })))
      yield* emit(scope, object, "updated", after.flatMap((record) => {
        const before = existing.get(record["id"] as string)
        return before ? [{ record, before }] : []
      }))
      return yield* respond(model, object, after, selection, false, guard)
    })).pipe(Effect.withSpan("Records.createMany", { attributes: { object: objectName, count: data.length } }))

  /**
   * The matching records (full, as events carry them: not the caller's selection), locked for the rest of
   * the transaction; refused beyond the mutation limit.
   */
  const lockedRecords = (
    model: Model,
    object: ObjectMetadata,
    where: (ctx: BuildContext) => Array<string>,
    selection: Selection,
    guard: Guard | null
  ) =>
    Effect.gen(function*() {
      const query = yield* building(model, limits, (ctx) => {
        const conditions = where(ctx)
        ctx.trusted++
        return {
          text: `SELECT ${recordJson(ctx, object, "t0", selection, 0)} AS r FROM ${model.table(object)} t0
              WHERE ${conditions.join(" AND ")} ORDER BY t0."id" LIMIT ${limits.maxRecordsPerMutation + 1} FOR UPDATE OF t0`,
          params: ctx.params.values
        }
      }, guard)
      const rows = yield* run<{ r: RecordValue }>(query.text, query.params)
      yield* checkCount(rows.length)
      return rows.map((row) => row.r)
    })

  /** Applies `change` to the rows matching `where` (built against alias t0) and returns their ids. */
  const mutateWhere = (
    model: Model,
    object: ObjectMetadata,
    where: (ctx: BuildContext) => Array<string>,
    set: (ctx: BuildContext) => Array<string>,
    guard: Guard | null
  ) =>
    Effect.gen(function*() {
      const count = yield* building(model, limits, (ctx) => ({
        text: `SELECT count(*)::int AS n FROM ${model.table(object)} t0 WHERE ${where(ctx).join(" AND ")}`,
        params: ctx.params.values
      }), guard)
      const update = yield* building(model, limits, (ctx) => {
        const assignments = set(ctx)
        return {
          text: `UPDATE ${model.table(object)} AS t0 SET ${assignments.join(", ")} WHERE ${where(ctx).join(" AND ")} RETURNING t0."id"`,
          params: ctx.params.values
        }
      }, guard)
      const [counted] = yield* run<{ n: number }>(count.text, count.params)
      yield* checkCount(counted?.n ?? 0)
      return (yield* run<{ id: string }>(update.text, update.params)).map((row) => row.id)
    })

  const updateMany: RecordsShape["updateMany"] = (scope, objectName, filter, data, selection) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      const limit = memberRecordLimit(scope, object)
      if (limit !== null && "userId" in data) return yield* denied("a workspace member's user cannot be changed")
      filter = ownMemberFilter(limit, filter)
      yield* permitted(model, object, guard, "update", selection)
      const [record] = yield* withConnections(model, object, [data], guard)
      const columns = yield* building(model, limits, () => toColumns(model, object, record, { creating: false }))
      yield* requireLinkedVisible(model, object, guard, [columns])
      const full = fullSelection(model, object)
      const before = yield* lockedRecords(model, object, (ctx) => baseConditions(ctx, object, "t0", { filter }), full, guard)
      const ids = before.map((r) => r["id"] as string)
      if (ids.length > 0) {
        const update = yield* building(model, limits, (ctx) => ({
          text: `UPDATE ${model.table(object)} SET ${updateSet(ctx, scope, columns).join(", ")} WHERE "id" = ANY(${ctx.params.add(ids)})`,
          params: ctx.params.values
        }))
        yield* run(update.text, update.params)
      }
      const after = yield* byIds(model, object, ids, full, true)
      const beforeById = new Map(before.map((r) => [r["id"] as string, r]))
      yield* emit(scope, object, "updated", after.map((record) => ({ record, before: beforeById.get(record["id"] as string)! })))
      return yield* respond(model, object, after, selection, true, guard)
    })).pipe(Effect.withSpan("Records.updateMany", { attributes: { object: objectName } }))

  const updateOne: RecordsShape["updateOne"] = (scope, objectName, id, data, selection) =>
    Effect.gen(function*() {
      if (!UUID.test(id)) return yield* badInput(`Invalid id: ${id}`, "id")
      if (objectName === "workspaceMember") {
        const model = yield* modelFor(scope.workspaceId)
        const limit = memberRecordLimit(scope, yield* objectOf(model, objectName))
        if (limit !== null && limit !== id) return yield* denied("only your own workspace member record")
      }
      const records = yield* updateMany(scope, objectName, { id: { eq: id } }, data, selection)
      return records[0] ?? (yield* new NotFound({ message: `Record ${id} not found` }))
    })

  const deleteMany: RecordsShape["deleteMany"] = (scope, objectName, filter, selection) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "softDelete", selection)
      const ids = yield* mutateWhere(
        model,
        object,
        (ctx) => [...baseConditions(ctx, object, "t0", { filter }), `t0."deletedAt" IS NULL`],
        (ctx) => [`"deletedAt" = now()`, `"updatedAt" = now()`, ...setClause(ctx.params, actorColumns("updatedBy", scope.actor))],
        guard
      )
      const after = yield* byIds(model, object, ids, fullSelection(model, object), true)
      yield* emit(scope, object, "deleted", after.map((record) => ({ record })))
      return yield* respond(model, object, after, selection, true, guard)
    })).pipe(Effect.withSpan("Records.deleteMany", { attributes: { object: objectName } }))

  const restoreMany: RecordsShape["restoreMany"] = (scope, objectName, filter, selection) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "softDelete", selection)
      const ids = yield* mutateWhere(
        model,
        object,
        (ctx) => [filterSql(ctx, object, "t0", filter, 0), `t0."deletedAt" IS NOT NULL`, ...visibleRows(ctx, object)],
        (ctx) => [`"deletedAt" = NULL`, `"updatedAt" = now()`, ...setClause(ctx.params, actorColumns("updatedBy", scope.actor))],
        guard
      )
      const after = yield* byIds(model, object, ids, fullSelection(model, object), false)
      yield* emit(scope, object, "restored", after.map((record) => ({ record })))
      return yield* respond(model, object, after, selection, false, guard)
    })).pipe(Effect.withSpan("Records.restoreMany", { attributes: { object: objectName } }))

  const destroyMany: RecordsShape["destroyMany"] = (scope, objectName, filter, selection) =>
    sql.withTransaction(Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "destroy", selection)
      const query = yield* building(model, limits, (ctx) => {
        const where = [filterSql(ctx, object, "t0", filter, 0), ...visibleRows(ctx, object)]
        return { text: `SELECT t0."id" FROM ${model.table(object)} t0 WHERE ${where.join(" AND ")}`, params: ctx.params.values }
      }, guard)
      const ids = (yield* run<{ id: string }>(query.text, query.params)).map((row) => row.id)
      yield* checkCount(ids.length)
      const before = yield* byIds(model, object, ids, fullSelection(model, object), true)
      const records = selection.relations.length === 0 && guard === null ? before : yield* byIds(model, object, ids, selection, true, guard)
      if (ids.length > 0) yield* run(`DELETE FROM ${model.table(object)} WHERE "id" = ANY($1)`, [ids])
      yield* emit(scope, object, "destroyed", before.map((record) => ({ record })))
      return records
    })).pipe(Effect.withSpan("Records.destroyMany", { attributes: { object: objectName } }))

  return { createMany, updateOne, updateMany, deleteMany, restoreMany, destroyMany, emit, checkCount, permitted }
}
export type Writes = ReturnType<typeof makeWrites>
