import type { ObjectMetadata } from "../../domain/metadata.js"
import type { ResultCacheShape } from "../../platform/cache/results.js"
import { Lru } from "../../platform/lib/lru.js"
import { isUuid } from "../../platform/lib/uuid.js"
import { guardOf } from "./access.js"
import { createdByColumns, withoutCreatedBy } from "./created-by.js"
import { signRecords, type SignFileUrl } from "./file-urls.js"
import type { Models } from "./models.js"
import { build } from "./plan.js"
import { filterSql } from "./filters.js"
import { baseConditions, type BuildContext, isObject, type Model } from "./query-builder.js"
import type { Statement, Statements } from "./statements.js"
import { tablesWritten } from "./totals.js"
import type { RecordsLimits, RecordsScope, RecordValue, Selection } from "./types.js"
import { actorColumns, toColumns } from "./values.js"
import { deletedAtSet, updateSet } from "./write.js"
import { changeOneStatement, createOneStatement, type WrittenRow } from "./write-statements.js"

/*
 * The writes clients send most, done directly: create one record, update one by id, soft-delete (and
 * restore) one by id,
 * as plain promises outside the Effect runtime (which was about half of a write's server CPU). Each is the
 * reference write's one statement cut to one record by id (write-statements.ts createOneStatement,
 * changeOneStatement: the write, its record and its outbox event),
 * planned once per (model, object, written columns, actor) with placeholders that each request fills, then
 * the same epoch bump and file-url signing. Null, before anything runs, whenever the reference path
 * (write.ts) must answer: a restricted role (row filters, field permissions), relations in the selection,
 * nested relation inputs (connect), workspace members, any input the builders refuse (the reference answers
 * with its own error), or a workspace whose model is not in memory.
 */

/** How many writes this process's direct path ran, for tests and benchmarks. */
export const directWriteCounts = { writes: 0 }

/** A per-request value in a planned statement's parameters. */
class Slot {
  constructor(readonly index: number) {}
}

/** Stands for the id of an update or a delete while its plan is built (a filter checks its value). */
const PLACEHOLDER_ID = "00000000-0000-4000-8000-00000000d1d1"
const PLANS_KEPT = 500

interface WritePlan {
  readonly text: string
  /** The statement's parameters: constants, slots (the request's values by index) and arrays of slots. */
  readonly params: ReadonlyArray<unknown>
}

const fill = (value: unknown, values: ReadonlyArray<unknown>): unknown =>
  value instanceof Slot ? values[value.index]
    : Array.isArray(value) && value.some((v) => v instanceof Slot) ? value.map((v) => fill(v, values))
    : value

const statementOf = (plan: WritePlan, values: ReadonlyArray<unknown>): Statement =>
  ({ text: plan.text, params: plan.params.map((p) => fill(p, values)) })

/** The reference's conditions for the live record with the placeholder id (updateMany's and deleteMany's by id). */
const liveById = (ctx: BuildContext, object: ObjectMetadata) => baseConditions(ctx, object, "t0", { filter: { id: { eq: PLACEHOLDER_ID } } })

/** `params` with each occurrence of the placeholder id made a slot (index `at`); null when it is not exactly once. */
const withIdSlot = (params: ReadonlyArray<unknown>, at: number): ReadonlyArray<unknown> | null => {
  const first = params.indexOf(PLACEHOLDER_ID)
  if (first < 0 || params.lastIndexOf(PLACEHOLDER_ID) !== first) return null
  return params.map((p, i) => (i === first ? new Slot(at) : p))
}

export const makeDirectWrites = (
  limits: RecordsLimits,
  { writeDirect }: Statements,
  models: Models,
  results: ResultCacheShape,
  signFileUrl: SignFileUrl | null
) => {
  const plans = new WeakMap<Model, Lru<string, WritePlan | null>>()
  const planOf = (model: Model, key: string, make: () => WritePlan | null) => {
    let byKey = plans.get(model)
    if (!byKey) plans.set(model, byKey = new Lru(PLANS_KEPT))
    let plan = byKey.get(key)
    if (plan === undefined) {
      // A shape the builders refuse is the reference's for good (it answers why).
      try {
        plan = make()
      } catch {
        plan = null
      }
      byKey.set(key, plan)
    }
    return plan
  }

  /** The model and object when the direct path may answer for this caller and selection, else null. */
  const eligible = (scope: RecordsScope, objectName: string, selection: Selection) => {
    if (selection.relations.length > 0 || guardOf(scope) !== null || objectName === "workspaceMember") return null
    const model = models.current(scope.workspaceId)
    if (!model) return null
    let object: ObjectMetadata
    try {
      object = model.object(objectName)
    } catch {
      return null
    }
    return { model, object }
  }

  /**
   * Whether `data` is a record input the direct path writes: an object with no value relationInputs would
   * read as a nested relation input (`{ connect }`, `{ disconnect }`, on any key: the reference refuses
   * them on fields that are not many-to-one relations).
   */
  const plainInput = (data: unknown): data is Record<string, unknown> => {
    if (!isObject(data)) return false
    for (const key in data) {
      const value = data[key]
      if (isObject(value) && ("connect" in value || "disconnect" in value)) return false
    }
    return true
  }

  /** Runs a planned statement, then moves the epochs (after a failure too, as the reference does) and signs the records. */
  const written = (model: Model, object: ObjectMetadata, scope: RecordsScope, selection: Selection, statement: Statement) => {
    const bump = () => results.bumpNow(scope.workspaceId, tablesWritten(model, object, false))
    directWriteCounts.writes++
    return writeDirect<WrittenRow>(statement).then(
      (rows) =>
        bump().then(() => signRecords(signFileUrl, scope.workspaceId, model, object, selection, rows[0]?.records ?? [])[0] ?? null),
      (failure) => bump().then(() => Promise.reject(failure))
    )
  }

  /** The target of a write statement as write.ts names it: the full records, no selection read under a guard. */
  const targetOf = (model: Model, object: ObjectMetadata, scope: RecordsScope) => ({ model, limits, object, scope, selection: null })

  /** Column values of a record input, or null when the builders refuse it (the reference path answers why). */
  const columnsOf = (model: Model, object: ObjectMetadata, data: Record<string, unknown>, creating: boolean) => {
    try {
      return toColumns(model, object, data, { creating })
    } catch {
      return null
    }
  }

  /** Creates one record (no upsert): resolves to it, or rejects with the statement's RecordsFailure. */
  const createOneDirect = (scope: RecordsScope, objectName: string, data: unknown, selection: Selection): Promise<RecordValue | null> | null => {
    const found = eligible(scope, objectName, selection)
    if (!found) return null
    const { model, object } = found
    const input = withoutCreatedBy(data)
    if (!plainInput(input.record)) return null
    const row = columnsOf(model, object, input.record, true)
    if (row === null) return null
    let createdBy
    try {
      createdBy = createdByColumns(input.createdBy, scope.actor)
    } catch {
      return null
    }
    // As createMany builds it: the columns, the id, then createdBy and updatedBy.
    row["id"] ??= crypto.randomUUID()
    const insert: Record<string, unknown> = { ...row, ...createdBy, ...actorColumns("updatedBy", scope.actor) }
    const names = Object.keys(insert)
    const actor = JSON.stringify(scope.actor)
    const plan = planOf(model, `create\u0000${object.nameSingular}\u0000${actor}\u0000${names.join("\u0000")}`, () => {
      const slots = Object.fromEntries(names.map((name, i) => [name, new Slot(i)]))
      return build(model, limits, (ctx) => createOneStatement(ctx, targetOf(model, object, scope), slots))
    })
    return plan && written(model, object, scope, selection, statementOf(plan, names.map((name) => insert[name])))
  }

  /**
   * A change of the record `id` (update, soft delete, restore) as changeOneStatement writes it, `statement`
   * naming the id by PLACEHOLDER_ID once; resolves to the record, or null when no record matched.
   */
  const changeOne = (
    scope: RecordsScope,
    model: Model,
    object: ObjectMetadata,
    selection: Selection,
    id: string,
    key: string,
    values: ReadonlyArray<unknown>,
    statement: (ctx: BuildContext) => Statement
  ) => {
    const plan = planOf(model, `${key}\u0000${object.nameSingular}\u0000${JSON.stringify(scope.actor)}`, () => {
      const built = build(model, limits, statement)
      const params = withIdSlot(built.params, values.length)
      return params && { text: built.text, params }
    })
    return plan && written(model, object, scope, selection, statementOf(plan, [...values, id]))
  }

  /** Updates the live record `id` (updateOne's direct twin): the record, or null when there is none. */
  const updateOneDirect = (scope: RecordsScope, objectName: string, id: string, data: unknown, selection: Selection) => {
    if (!isUuid(id)) return null
    const found = eligible(scope, objectName, selection)
    if (!found) return null
    const { model, object } = found
    if (!plainInput(data)) return null
    const columns = columnsOf(model, object, data, false)
    if (columns === null) return null
    const names = Object.keys(columns)
    const slots = Object.fromEntries(names.map((name, i) => [name, new Slot(i)]))
    return changeOne(scope, model, object, selection, id, `update\u0000${names.join("\u0000")}`, names.map((name) => columns[name]),
      (ctx) => changeOneStatement(ctx, targetOf(model, object, scope), "updated", liveById(ctx, object), updateSet(ctx, scope, slots), names))
  }

  /** Soft-deletes the live record `id` (deleteMany by id's direct twin): the record, or null when there is none. */
  const deleteOneDirect = (scope: RecordsScope, objectName: string, id: string, selection: Selection) => {
    if (!isUuid(id)) return null
    const found = eligible(scope, objectName, selection)
    if (!found) return null
    const { model, object } = found
    return changeOne(scope, model, object, selection, id, "delete", [], (ctx) =>
      changeOneStatement(ctx, targetOf(model, object, scope), "deleted", [...liveById(ctx, object), `t0."deletedAt" IS NULL`],
        deletedAtSet(ctx, scope, true)))
  }

  /**
   * Restores the soft-deleted record `id` (restoreMany by id's direct twin, with its conditions): the record,
   * or null when no soft-deleted record has that id.
   */
  const restoreOneDirect = (scope: RecordsScope, objectName: string, id: string, selection: Selection) => {
    if (!isUuid(id)) return null
    const found = eligible(scope, objectName, selection)
    if (!found) return null
    const { model, object } = found
    return changeOne(scope, model, object, selection, id, "restore", [], (ctx) =>
      changeOneStatement(ctx, targetOf(model, object, scope), "restored",
        [filterSql(ctx, object, "t0", { id: { eq: PLACEHOLDER_ID } }, 0), `t0."deletedAt" IS NOT NULL`], deletedAtSet(ctx, scope, false)))
  }

  return { createOneDirect, updateOneDirect, deleteOneDirect, restoreOneDirect }
}

export type DirectWrites = ReturnType<typeof makeDirectWrites>
