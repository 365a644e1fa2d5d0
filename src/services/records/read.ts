import { SqlError } from "@effect/sql"
import { Cause, Effect, Exit } from "effect"
import type { ObjectMetadata } from "../../domain/metadata.js"
import { groupByStatement, groupLimit, RECORDS_PER_GROUP } from "./group-by.js"
import { type Models, objectOf } from "./models.js"
import { aggregateSql, answeredAggregateSql, attempt, building, type FindManyPlan, PageEdge, planFindMany, shapeFor, worstCase } from "./plan.js"
import { badInput, type Guard, type Model, recordJson } from "./query-builder.js"
import { guardOf } from "./access.js"
import type { RecordsShape } from "./service.js"
import { type PageRow, recordsStatements, type Statement, type Statements } from "./statements.js"
import type { Connection, ConnectionArgs, ConnectionSelection, Group, RecordFilter, RecordsLimits, RecordValue, Selection } from "./types.js"
import { isUuid } from "../../platform/lib/uuid.js"
import type { ResultCacheShape } from "../../platform/cache/results.js"
import { inTransaction } from "../../platform/lib/single-flight.js"
import { cachedTotals } from "./totals.js"
import { signConnection, type SignFileUrl } from "./file-urls.js"
import type { SharedPlans } from "./shared-plans.js"

const PLANS_PER_SELECTION = 64
const ONE: ConnectionSelection = { totalCount: false, aggregates: [] }
/** Stands for the id in a by-id plan; a request's own id takes its place among the parameters. */
const PLACEHOLDER_ID = "00000000-0000-4000-8000-00000000d1d0"

interface ByIdPlan {
  readonly plan: FindManyPlan
  /** Where the placeholder id sits among the page statement's parameters. */
  readonly at: number
}

/** The id of a filter that is exactly `{ id: { eq: <uuid> } }`, else null. */
const idEquality = (filter: RecordFilter): string | null => {
  let keys = 0
  for (const _ in filter) keys++
  if (keys !== 1) return null
  const id = filter["id"]
  if (typeof id !== "object" || id === null) return null
  let idKeys = 0
  for (const _ in id) idKeys++
  const eq = (id as Record<string, unknown>)["eq"]
  return idKeys === 1 && isUuid(eq) ? eq : null
}

type Aggregates = { a: Record<string, number | string | null> }

/** An Effect's failure carried through a promise (the result cache's load), restored as it was on the way back. */
class LoadFailed<E> {
  constructor(readonly cause: Cause.Cause<E>) {}
}
const settled = <A, E>(exit: Exit.Exit<A, E>): A | Promise<never> =>
  Exit.isSuccess(exit) ? exit.value : Promise.reject(new LoadFailed(exit.cause))

/** The reads: findMany, its direct twin findManyDirect, findOne, groupBy, and records by id for the writes. */
export const makeReads = (
  limits: RecordsLimits,
  statements: Statements,
  models: Models,
  results: ResultCacheShape,
  shared: SharedPlans,
  signFileUrl: SignFileUrl | null = null
) => {
  // A read of the caller's workspace may go to a read replica (statements.ts readStatement); byIds, the
  // writes' own re-read, stays on the primary.
  const { explained, readDirect, readPageAndTotals, readRun, readStatement, run } = statements
  const { modelFor } = models
  const shape = shapeFor(limits)

  // No span on the reads: on this hottest call a span cost about a third of it (writes keep theirs).
  const findMany: RecordsShape["findMany"] = (scope, objectName, args, selection, extras) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      yield* objectOf(model, objectName)
      const guard = guardOf(scope)
      const plan = yield* attempt(() => planOf(model, objectName, args, selection, extras, guard))
      const page = statementOf(model, guard, plan.page)
      const totals = plan.totals && statementOf(model, guard, plan.totals)
      // Inside a transaction the totals may count its own uncommitted writes: never cached.
      const [rows, aggregates] = totals === null
        ? [yield* explained(readStatement(scope.workspaceId, page.text, page.params, true), 1), null]
        : (yield* inTransaction)
        ? yield* explained(readPageAndTotals<Aggregates>(scope.workspaceId, page, totals), 2)
        : yield* Effect.all([
          explained(readStatement(scope.workspaceId, page.text, page.params, true), 1),
          explained(Effect.tryPromise({
            try: () => cachedTotals(results, model, totals, () => {
              recordsStatements.unsafeUpdate(1, [])
              return readDirect<Aggregates>(scope.workspaceId, totals, false)
            }),
            catch: (cause) => new SqlError.SqlError({ cause, message: "Failed to execute statement" })
          }), 0)
        ], { concurrency: 2 })
      return signConnection(signFileUrl, scope.workspaceId, model, model.object(objectName), selection, plan.answer(rows, aggregates))
    })

  const groupBy: RecordsShape["groupBy"] = (scope, objectName, args, records, extras) =>
    Effect.gen(function*() {
      const model = yield* modelFor(scope.workspaceId)
      const object = yield* objectOf(model, objectName)
      if (records) {
        const bound = (yield* attempt(() => groupLimit(args.limit))) * RECORDS_PER_GROUP * (1 + worstCase(limits, records))
        if (bound > limits.maxRecordsPerQuery) {
          return yield* badInput(
            `Query too complex: it could return ${bound} records (at most ${limits.maxRecordsPerQuery}); ask for fewer groups`,
            "limit"
          )
        }
      }
      const plan = yield* building(model, limits, (ctx) =>
        groupByStatement(ctx, object, args, extras.aggregates, (request) => aggregateSql(ctx, object, request), records,
          (request) => answeredAggregateSql(ctx, object, request)), guardOf(scope))
      const load = readRun<{
        d: ReadonlyArray<unknown>
        n: number
        a: Record<string, number | string | null>
        r?: ReadonlyArray<{ r: RecordValue; c: unknown }>
      }>(scope.workspaceId, plan.text, plan.params)
      // Groups without sample records are totals: cached as a list's are (samples would hold whole records).
      const rows = records !== null || (yield* inTransaction)
        ? yield* load
        : yield* Effect.tryPromise({
          try: () => cachedTotals(results, model, plan, () => Effect.runPromiseExit(load).then(settled)),
          catch: (e) => e
        }).pipe(Effect.catchAll((e) => e instanceof LoadFailed ? Effect.failCause(e.cause) : Effect.die(e)))
      return rows.map((row): Group => {
        const edges = (row.r ?? []).map((x) => new PageEdge(shape(model, object, x.r, records!)!, x.c))
        return {
          groupByDimensionValues: row.d,
          edges,
          pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
          totalCount: row.n,
          aggregates: row.a
        }
      })
    })

  /**
   * Plans of the direct path by model (or, for a restricted caller, by its compiled access, made for one
   * model), selection (the same object while a prepared document or a REST shape is reused) and
   * arguments: a repeated list builds no SQL, and checks a restricted caller's permissions only once.
   */
  const plans = new WeakMap<object, WeakMap<Selection, Map<string, FindManyPlan>>>()
  /** A plan's statement as the caller's workspace runs it (an unrestricted plan is its model's: shared-plans.ts). */
  const statementOf = (model: Model, guard: Guard | null, statement: Statement): Statement =>
    guard === null ? shared.localStatement(model, statement) : statement
  const planOf = (
    model: Model,
    objectName: string,
    args: ConnectionArgs,
    selection: Selection,
    extras: ConnectionSelection,
    guard: Guard | null
  ) => {
    const planModel = guard === null ? shared.planModel(model) : model
    const owner = guard === null ? planModel : guard.access
    let bySelection = plans.get(owner)
    if (!bySelection) plans.set(owner, bySelection = new WeakMap())
    let byArgs = bySelection.get(selection)
    if (!byArgs) bySelection.set(selection, byArgs = new Map())
    const key = `${objectName}\u0000${JSON.stringify(args)}\u0000${JSON.stringify(extras)}${guard === null ? "" : `\u0000${guard.memberId}`}`
    let plan = byArgs.get(key)
    if (!plan) {
      plan = planFindMany(planModel, limits, objectName, args, selection, extras, guard)
      if (byArgs.size < PLANS_PER_SELECTION) byArgs.set(key, plan)
    }
    return plan
  }

  const findManyDirect: RecordsShape["findManyDirect"] = (scope, objectName, args, selection, extras) => {
    const model = models.current(scope.workspaceId)
    if (!model) return null
    const access = scope.access
    const guard = access === undefined || access.unrestricted ? null : guardOf(scope)
    let plan: FindManyPlan
    try {
      plan = planOf(model, objectName, args, selection, extras, guard)
    } catch {
      return null
    }
    recordsStatements.unsafeUpdate(1, [])
    const page = statementOf(model, guard, plan.page)
    const totals = plan.totals && statementOf(model, guard, plan.totals)
    const signed = (connection: Connection) =>
      signConnection(signFileUrl, scope.workspaceId, model, model.object(objectName), selection, connection)
    return totals
      ? Promise.all([readDirect<PageRow>(scope.workspaceId, page, true), cachedTotals(results, model, totals, () => {
        recordsStatements.unsafeUpdate(1, [])
        return readDirect<Aggregates>(scope.workspaceId, totals, false)
      })]).then(([rows, aggregates]) => signed(plan.answer(rows, aggregates)))
      : readDirect<PageRow>(scope.workspaceId, page, true).then((rows) => signed(plan.answer(rows, null)))
  }

  /**
   * `{ id: { eq } }`, the single-record read clients send most, planned once per selection with a placeholder
   * id that each request swaps for its own: one plan whatever the id (the other filters are planned by value).
   */
  const byIdPlans = new WeakMap<object, WeakMap<Selection, Map<string, ByIdPlan | null>>>()
  const byIdPlanOf = (model: Model, objectName: string, selection: Selection, guard: Guard | null) => {
    const planModel = guard === null ? shared.planModel(model) : model
    const owner = guard === null ? planModel : guard.access
    let bySelection = byIdPlans.get(owner)
    if (!bySelection) byIdPlans.set(owner, bySelection = new WeakMap())
    let byObject = bySelection.get(selection)
    if (!byObject) bySelection.set(selection, byObject = new Map())
    const key = guard === null ? objectName : `${objectName}\u0000${guard.memberId}`
    let known = byObject.get(key)
    if (known === undefined) {
      const plan = planFindMany(planModel, limits, objectName, { filter: { id: { eq: PLACEHOLDER_ID } }, first: 1 }, selection, ONE, guard)
      const at = plan.page.params.indexOf(PLACEHOLDER_ID)
      known = at >= 0 && plan.page.params.lastIndexOf(PLACEHOLDER_ID) === at ? { plan, at } : null
      byObject.set(key, known)
    }
    return known
  }

  const findOneDirect: RecordsShape["findOneDirect"] = (scope, objectName, filter, selection) => {
    const model = models.current(scope.workspaceId)
    if (!model) return null
    const access = scope.access
    const guard = access === undefined || access.unrestricted ? null : guardOf(scope)
    const id = idEquality(filter)
    let plan: FindManyPlan
    let page: Statement
    try {
      const byId = id === null ? null : byIdPlanOf(model, objectName, selection, guard)
      if (byId) {
        plan = byId.plan
        const params = [...plan.page.params]
        params[byId.at] = id
        page = { text: statementOf(model, guard, plan.page).text, params }
      } else {
        plan = planOf(model, objectName, { filter, first: 1 }, selection, ONE, guard)
        page = statementOf(model, guard, plan.page)
      }
    } catch {
      return null
    }
    recordsStatements.unsafeUpdate(1, [])
    return readDirect<PageRow>(scope.workspaceId, page, true).then((rows) =>
      signConnection(signFileUrl, scope.workspaceId, model, model.object(objectName), selection, plan.answer(rows, null)).edges[0]?.node ?? null
    )
  }

  const findOne: RecordsShape["findOne"] = (scope, objectName, filter, selection) =>
    Effect.map(
      findMany(scope, objectName, { filter, first: 1 }, selection, { totalCount: false, aggregates: [] }),
      (connection) => connection.edges[0]?.node ?? null
    )

  /**
   * Records by id in the given order; soft-deleted ones only when asked. With a guard, the selection is
   * checked and nested relations narrowed as in any read (the ids themselves are the caller's target set).
   */
  const byIds = (
    model: Model,
    object: ObjectMetadata,
    ids: ReadonlyArray<string>,
    selection: Selection,
    includeDeleted: boolean,
    guard: Guard | null = null
  ) =>
    Effect.gen(function*() {
      if (ids.length === 0) return []
      const query = yield* building(model, limits, (ctx) => ({
        text: `SELECT ${recordJson(ctx, object, "t0", selection, 0)} AS r FROM ${model.table(object)} t0
              WHERE t0."id" = ANY(${ctx.params.add(ids)})${includeDeleted ? "" : ` AND t0."deletedAt" IS NULL`}`,
        params: ctx.params.values
      }), guard)
      const rows = yield* run<{ r: RecordValue }>(query.text, query.params)
      const byId = new Map(rows.map((row) => [row.r["id"] as string, row.r]))
      return ids.flatMap((id) => {
        const record = byId.get(id)
        return record ? [shape(model, object, record, selection)!] : []
      })
    })

  return { findMany, findManyDirect, findOne, findOneDirect, groupBy, byIds }
}

export type Reads = ReturnType<typeof makeReads>
