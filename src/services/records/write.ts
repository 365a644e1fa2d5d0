import { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import type { RecordAction } from "../../domain/events.js"
import { NotFound } from "../../domain/errors.js"
import { recordEvents, writeToOutbox } from "../events/index.js"
import { ident } from "../metadata/columns.js"
import { type Models, objectOf } from "./models.js"
import { attempt, buildContext, building, shapeFor } from "./plan.js"
import { badInput, baseConditions, type BuildContext, filterSql, type Guard, isRelation, type Model, Params, recordJson, UUID } from "./query-builder.js"
import { denied, guardOf, memberRecordLimit, objectAccess, type Operation, ownMemberFilter, requireOperation, requireUpdatable, rowCondition } from "./access.js"
import type { Reads } from "./read.js"
import { applyConnects, connectGroups, connectLookup, relationInputs } from "./relation-inputs.js"
import type { RecordsFailure, RecordsShape } from "./service.js"
import { explain, type Statement, type Statements } from "./statements.js"
import { changeStatement, createStatement, fullSelection, upsertStatement, type WrittenRow } from "./write-statements.js"

export { fullSelection }
import type { RecordsLimits, RecordsScope, RecordValue, Selection } from "./types.js"
import { actorColumns, toColumns } from "./values.js"
import { createdByColumns, withoutCreatedBy } from "./created-by.js"

/** The caller's row filter on `object` (alias t0) where a write's target set is not built by baseConditions. */
const visibleRows = (ctx: BuildContext, object: ObjectMetadata) => {
  const rows = ctx.guard === null ? null : rowCondition(ctx, object, "t0")
  return rows === null ? [] : [rows]
}

export const setClause = (params: Params, columns: Record<string, unknown>) =>
  Object.entries(columns).map(([column, value]) => `${ident(column)} = ${params.add(value)}`)

const uniqueLookups = (model: Model, object: ObjectMetadata) =>
  [...model.fields(object)].filter((f) => f.isUnique && f.name !== "id")

export const updateSet = (ctx: BuildContext, scope: RecordsScope, columns: Record<string, unknown>) => [
  ...setClause(ctx.params, columns),
  ...setClause(ctx.params, actorColumns("updatedBy", scope.actor)),
  `"updatedAt" = now()`
]

/** The set of a soft delete (`deletedAt` now) or a restore (`deletedAt` NULL). */
export const deletedAtSet = (ctx: BuildContext, scope: RecordsScope, deleted: boolean) =>
  [`"deletedAt" = ${deleted ? "now()" : "NULL"}`, `"updatedAt" = now()`, ...setClause(ctx.params, actorColumns("updatedBy", scope.actor))]

/**
 * The writes, each atomic with its events written to the outbox: create (with upsert and nested relation
 * inputs), update, soft delete, restore and hard delete. Most are one statement (write-statements.ts); a
 * transaction only where a check or a read must follow the write in it.
 */
export const makeWrites = (
  sql: SqlClient.SqlClient,
  limits: RecordsLimits,
  { run, write }: Statements,
  { modelFor }: Models,
  { byIds }: Pick<Reads, "byIds">
) => {
  const shape = shapeFor(limits)
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

  /** A one-statement write's single row (none from a pool that answers nothing, as the SQL fixtures' does). */
  const written = (statement: Statement) =>
    Effect.map(write<WrittenRow>(statement.text, statement.params), (rows) => rows[0] ?? { n: 0, records: null, selected: null })

  /** What a write statement reads besides the full records: the caller's selection when it differs from them. */
  const targetOf = (model: Model, object: ObjectMetadata, scope: RecordsScope, selection: Selection | null) =>
    ({ model, limits, object, scope, selection })

  /** The response of a change: the selection read in its statement, else as `respond` makes it. */
  const responded = (model: Model, object: ObjectMetadata, result: WrittenRow, selection: Selection, includeDeleted: boolean, guard: Guard | null) =>
    result.selected !== null
      ? Effect.succeed(result.selected.map((record) => shape(model, object, { ...record }, selection)!))
      : respond(model, object, result.records ?? [], selection, includeDeleted, guard)

  /**
   * Runs a write: as its one statement alone when nothing else must share its transaction, else in a
   * transaction (index.ts's `committing` moves the result cache's epochs once it is over).
   */
  const runWrite = <A>(alone: boolean, write: Effect.Effect<A, RecordsFailure>) =>
    alone ? write : sql.withTransaction(write)

  /** Upsert ids: a row without one takes the id of the live record sharing one of its unique values, else a new one. */
  const upsertIds = (model: Model, object: ObjectMetadata, rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.gen(function*() {
      for (const row of rows) {
        if (row["id"] == null) {
          const existing = yield* matchExisting(model, object, row)
          if (existing) row["id"] = existing
        }
        row["id"] ??= crypto.randomUUID()
      }
    })

  /** The upsert of rows that cannot share one statement (different columns, one id twice): a statement each. */
  const upsertEach = (model: Model, object: ObjectMetadata, scope: RecordsScope, inserts: ReadonlyArray<Record<string, unknown>>,
    updates: ReadonlyArray<ReadonlyArray<string>>, guard: Guard | null) =>
    Effect.gen(function*() {
      const ids = inserts.map((row) => row["id"] as string)
      const full = fullSelection(model, object)
      const existing = new Map((yield* byIds(model, object, ids, full, true)).map((r) => [r["id"] as string, r]))
      yield* requireVisible(model, object, guard, [...existing.keys()])
      for (const [index, insert] of inserts.entries()) {
        const params = new Params()
        const names = Object.keys(insert)
        const values = names.map((n) => params.add(insert[n]))
        const set = [...updates[index]!.map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`), `"updatedAt" = now()`, `"deletedAt" = NULL`]
        yield* run(
          `INSERT INTO ${model.table(object)} (${names.map(ident).join(", ")}) VALUES (${values.join(", ")})
               ON CONFLICT ("id") DO UPDATE SET ${set.join(", ")}`,
          params.values
        )
      }
      const after = yield* byIds(model, object, ids, full, false)
      yield* emit(scope, object, "created", after.filter((r) => !existing.has(r["id"] as string)).map((record) => ({ record })))
      yield* emit(scope, object, "updated", after.flatMap((record) => {
        const before = existing.get(record["id"] as string)
        return before ? [{ record, before }] : []
      }))
      return after
    })

  /** Whether rows can be written by one multi-row statement: the same columns each, and no id twice. */
  const oneShape = (rows: ReadonlyArray<Record<string, unknown>>) => {
    const columns = Object.keys(rows[0] ?? {}).join("\u0000")
    return rows.every((row) => Object.keys(row).join("\u0000") === columns) && new Set(rows.map((r) => r["id"])).size === rows.length
  }

  const createMany: RecordsShape["createMany"] = (scope, objectName, data, selection, options) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members join through invitations")
      yield* permitted(model, object, guard, "update", selection)
      yield* checkCount(data.length)
      if (data.length === 0) return []
      const upsert = options?.upsert === true
      // Reads before the write (connect lookups, upsert matches, link checks) need no transaction: under
      // READ COMMITTED it would not have held what they read either.
      const inputs = data.map(withoutCreatedBy)
      const records = yield* withConnections(model, object, inputs.map((i) => i.record), guard)
      const rows = yield* building(model, limits, () => records.map((d) => toColumns(model, object, d, { creating: true })))
      const createdBy = yield* building(model, limits, () => inputs.map((i) => createdByColumns(i.createdBy, scope.actor)))
      yield* requireLinkedVisible(model, object, guard, rows)
      if (upsert) yield* upsertIds(model, object, rows)
      const updated = actorColumns("updatedBy", scope.actor)
      const updates = rows.map((row) => [...Object.keys(row).filter((n) => n !== "id"), ...Object.keys(updated)])
      const inserts = rows.map((row, index) => {
        row["id"] ??= crypto.randomUUID()
        return { ...row, ...createdBy[index], ...updated }
      })
      const ids = inserts.map((row) => row["id"] as string)
      // A restricted caller's rows are checked against its row filter around the write, and nested
      // relations read back after it: those need the transaction.
      const single = !upsert || (guard === null && oneShape(inserts))
      const alone = guard === null && selection.relations.length === 0 && single
      return yield* runWrite(alone, Effect.gen(function*() {
        const target = targetOf(model, object, scope, null)
        let after: ReadonlyArray<RecordValue>
        if (!single) after = yield* upsertEach(model, object, scope, inserts, updates, guard)
        else {
          const statement = yield* building(model, limits, (ctx) =>
            upsert ? upsertStatement(ctx, target, inserts, updates[0]!) : createStatement(ctx, target, inserts))
          after = (yield* written(statement)).records ?? []
        }
        yield* requireVisible(model, object, guard, ids)
        return yield* respond(model, object, after, selection, false, guard)
      }))
    }).pipe(Effect.withSpan("Records.createMany", { attributes: { object: objectName, count: data.length } }))

  /**
   * Changes the records matching `where` in one statement with their events (see changeStatement); the
   * caller's selection is read in it unless it has relations, which are read back in the transaction.
   */
  const change = (
    scope: RecordsScope,
    model: Model,
    object: ObjectMetadata,
    action: Exclude<RecordAction, "created">,
    selection: Selection,
    guard: Guard | null,
    statement: (ctx: BuildContext, target: ReturnType<typeof targetOf>) => Statement,
    includeDeleted: boolean
  ) => {
    const related = selection.relations.length > 0
    // A destroyed record's relations are read before it goes, in the statement itself.
    const alone = !related || action === "destroyed"
    const inStatement = action === "destroyed" ? (guard !== null || related ? selection : null) : (guard !== null && !related ? selection : null)
    return runWrite(alone, Effect.gen(function*() {
      const result = yield* written(yield* building(model, limits, (ctx) => statement(ctx, targetOf(model, object, scope, inStatement)), guard))
      yield* checkCount(result.n)
      return yield* responded(model, object, result, selection, includeDeleted, guard)
    }))
  }

  const updateMany: RecordsShape["updateMany"] = (scope, objectName, filter, data, selection) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      const limit = memberRecordLimit(scope, object)
      if (limit !== null && "userId" in data) return yield* denied("a workspace member's user cannot be changed")
      const visible = ownMemberFilter(limit, filter)
      yield* permitted(model, object, guard, "update", selection)
      const [record] = yield* withConnections(model, object, [data], guard)
      const columns = yield* building(model, limits, () => toColumns(model, object, record, { creating: false }))
      yield* requireLinkedVisible(model, object, guard, [columns])
      return yield* change(scope, model, object, "updated", selection, guard, (ctx, target) =>
        changeStatement(ctx, target, "updated", baseConditions(ctx, object, "t0", { filter: visible }), updateSet(ctx, scope, columns),
          Object.keys(columns)), true)
    }).pipe(Effect.withSpan("Records.updateMany", { attributes: { object: objectName } }))

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
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "softDelete", selection)
      return yield* change(scope, model, object, "deleted", selection, guard, (ctx, target) =>
        changeStatement(ctx, target, "deleted", [...baseConditions(ctx, object, "t0", { filter }), `t0."deletedAt" IS NULL`],
          deletedAtSet(ctx, scope, true)), true)
    }).pipe(Effect.withSpan("Records.deleteMany", { attributes: { object: objectName } }))

  const restoreMany: RecordsShape["restoreMany"] = (scope, objectName, filter, selection) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "softDelete", selection)
      return yield* change(scope, model, object, "restored", selection, guard, (ctx, target) =>
        changeStatement(ctx, target, "restored",
          [filterSql(ctx, object, "t0", filter, 0), `t0."deletedAt" IS NOT NULL`, ...visibleRows(ctx, object)],
          deletedAtSet(ctx, scope, false)), false)
    }).pipe(Effect.withSpan("Records.restoreMany", { attributes: { object: objectName } }))

  const destroyMany: RecordsShape["destroyMany"] = (scope, objectName, filter, selection) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      if (memberRecordLimit(scope, object) !== null) return yield* denied("members leave through deleteUserFromWorkspace")
      yield* permitted(model, object, guard, "destroy", selection)
      return yield* change(scope, model, object, "destroyed", selection, guard, (ctx, target) =>
        changeStatement(ctx, target, "destroyed", [filterSql(ctx, object, "t0", filter, 0), ...visibleRows(ctx, object)], []), true)
    }).pipe(Effect.withSpan("Records.destroyMany", { attributes: { object: objectName } }))

  return { createMany, updateOne, updateMany, deleteMany, restoreMany, destroyMany, emit, checkCount, permitted }
}
export type Writes = ReturnType<typeof makeWrites>
