import {
  GraphQLBoolean,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  GraphQLError,
  type GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLObjectType,
  type GraphQLResolveInfo
} from "graphql"
import { Effect } from "effect"
import { isDatabaseUnavailable } from "../../../../platform/database/index.js"
import type { RecordsLimits } from "../../../../services/records/types.js"
import { NotFound } from "../../../../domain/errors.js"
import { isRecordsFailure } from "../../../../services/records/service.js"
import type { GroupByArgs, RecordFilter, RecordsScope, RecordValue } from "../../../../services/records/types.js"
import type { DataGraphQLContext } from "./context.js"
import { resolverNames } from "./names.js"
import { connectionArgs, type ObjectTypes } from "./object-types.js"
import { UUIDScalar } from "../../scalars.js"
import { badUserInput, rootConnectionSelection, rootRecordSelection, toConnectionArgs } from "./selection.js"

/** Query and mutation fields of one object, named and typed as Twenty's root type generator does. */

type Args = Record<string, unknown>
type RootField = GraphQLFieldConfig<unknown, DataGraphQLContext, Args>

const notFound = () => new GraphQLError("Record not found", { extensions: { code: "NOT_FOUND", userFriendlyMessage: "Record not found" } })

const byId = (id: unknown): RecordFilter => ({ id: { eq: id } })

const firstOrNotFound = (records: ReadonlyArray<RecordValue>) => {
  if (!records[0]) throw notFound()
  return records[0]
}

const checkBatchSize = (data: ReadonlyArray<unknown>, limits: RecordsLimits) => {
  if (data.length > limits.maxRecordsPerMutation) {
    throw badUserInput(`Cannot create more than ${limits.maxRecordsPerMutation} records at once`)
  }
}

/**
 * A resolver calling Records once. `prepare` reads arguments and the selection (and may refuse them)
 * before the caller's scope is resolved, so bad input costs no lookup.
 */
const resolver = <A>(prepare: (context: DataGraphQLContext, args: Args, info: GraphQLResolveInfo) => (scope: RecordsScope) => Promise<A>) =>
async (_source: unknown, args: Args, context: DataGraphQLContext, info: GraphQLResolveInfo): Promise<A> => {
  const key = info.path.key
  if (context.replay?.has(String(key))) return context.replay.get(String(key)) as A
  const call = prepare(context, args, info)
  return call(await context.scope())
}

/**
 * A direct write's answer (Records.*Direct); its failure becomes the reference's GraphQL error through
 * `ctx.run`, so both paths answer the same errors.
 */
const directly = <A>(ctx: DataGraphQLContext, write: Promise<A>): Promise<A> =>
  write.catch((failure) => ctx.run(isRecordsFailure(failure) ? Effect.fail(failure) : Effect.die(failure)))

const nonNullList = <T extends GraphQLObjectType | GraphQLInputObjectType>(type: T) => new GraphQLList(new GraphQLNonNull(type))

export const queryFields = (types: ObjectTypes): GraphQLFieldConfigMap<unknown, DataGraphQLContext> => {
  const object = types.metadata.nameSingular
  const names = resolverNames(types.metadata.nameSingular, types.metadata.namePlural)
  const fields: Record<string, RootField> = {
    [names.findMany]: {
      type: types.connection,
      args: connectionArgs(types),
      resolve: resolver((ctx, args, info) => {
        const connectionArgs = toConnectionArgs(args, ctx.records.limits)
        const { selection, connection } = rootConnectionSelection(info, ctx.records.limits)
        return (scope) => {
          const viaEffect = () => ctx.run(ctx.records.findMany(scope, object, connectionArgs, selection, connection))
          // A database that did not answer is not asked again through the Effect path: the request fails now.
          return ctx.records.findManyDirect(scope, object, connectionArgs, selection, connection)
            ?.catch((error) => isDatabaseUnavailable(error) ? ctx.run(Effect.fail(error)) : viaEffect()) ?? viaEffect()
        }
      })
    },
    [names.findOne]: {
      type: types.object,
      args: { filter: { type: new GraphQLNonNull(types.filter) } },
      resolve: resolver((ctx, args, info) => {
        const selection = rootRecordSelection(info, ctx.records.limits)
        const filter = args["filter"] as RecordFilter
        return async (scope) => {
          const viaEffect = () => ctx.run(ctx.records.findOne(scope, object, filter, selection))
          const record = await (ctx.records.findOneDirect(scope, object, filter, selection)
            ?.catch((error) => isDatabaseUnavailable(error) ? ctx.run(Effect.fail(error)) : viaEffect()) ?? viaEffect())
          if (!record) throw notFound()
          return record
        }
      })
    }
  }
  fields[names.groupBy] = {
    type: new GraphQLList(new GraphQLNonNull(types.groupByConnection)),
    args: {
      groupBy: { type: new GraphQLNonNull(nonNullList(types.groupBy)) },
      filter: { type: types.filter },
      orderBy: { type: new GraphQLList(types.orderByWithGroupBy) },
      orderByForRecords: { type: new GraphQLList(types.orderBy) },
      viewId: { type: UUIDScalar },
      limit: { type: GraphQLInt },
      offsetForRecords: { type: GraphQLInt }
    },
    resolve: resolver((ctx, args, info) => {
      // Score has no saved views (Twenty's view objects) for a viewId to name.
      if (args["viewId"] != null) throw badUserInput(`View ${String(args["viewId"])} not found`)
      const { selection, connection } = rootConnectionSelection(info, ctx.records.limits)
      // Sample records only when edges.node asks for fields, as in Twenty.
      const records = selection.fields.length > 0 || selection.relations.length > 0 ? selection : null
      const groupByArgs: GroupByArgs = {
        groupBy: args["groupBy"] as GroupByArgs["groupBy"],
        filter: (args["filter"] ?? null) as RecordFilter | null,
        orderBy: (args["orderBy"] ?? null) as GroupByArgs["orderBy"],
        orderByForRecords: (args["orderByForRecords"] ?? null) as GroupByArgs["orderByForRecords"],
        limit: (args["limit"] ?? null) as number | null,
        offsetForRecords: (args["offsetForRecords"] ?? null) as number | null
      }
      return (scope) => ctx.run(ctx.records.groupBy(scope, object, groupByArgs, records, connection))
    })
  }
  if (types.metadata.duplicateCriteria) {
    fields[names.findDuplicates] = {
      type: nonNullList(types.connection),
      args: { ids: { type: new GraphQLList(UUIDScalar) }, data: { type: new GraphQLList(types.create) } },
      resolve: resolver((ctx, args, info) => {
        const ids = args["ids"] as ReadonlyArray<string> | null | undefined
        const data = args["data"] as ReadonlyArray<Record<string, unknown>> | null | undefined
        if (ids && data) throw badUserInput("You cannot provide both data and ids")
        if (!ids && !data) throw badUserInput("You must provide either data or ids")
        const { selection } = rootConnectionSelection(info, ctx.records.limits)
        return (scope) => ctx.run(ctx.records.findDuplicates(scope, object, ids ? { ids } : { data: data! }, selection))
      })
    }
  }
  return fields
}

export const mutationFields = (types: ObjectTypes): GraphQLFieldConfigMap<unknown, DataGraphQLContext> => {
  const object = types.metadata.nameSingular
  const names = resolverNames(types.metadata.nameSingular, types.metadata.namePlural)
  const id = { type: new GraphQLNonNull(UUIDScalar) }
  const filter = { type: new GraphQLNonNull(types.filter) }
  const upsert = { type: GraphQLBoolean }
  const many = nonNullList(types.object)

  /** deleteX / destroyX / restoreX by id go through the "many" call with an id filter. */
  const oneById = (method: "deleteMany" | "destroyMany" | "restoreMany"): RootField => ({
    type: types.object,
    args: { id },
    resolve: resolver((ctx, args, info) => {
      const selection = rootRecordSelection(info, ctx.records.limits)
      return async (scope) => {
        const direct = method === "deleteMany" ? ctx.records.deleteOneDirect(scope, object, args["id"] as string, selection)
          : method === "restoreMany" ? ctx.records.restoreOneDirect(scope, object, args["id"] as string, selection)
          : null
        if (direct) {
          const record = await directly(ctx, direct)
          return firstOrNotFound(record ? [record] : [])
        }
        return firstOrNotFound(await ctx.run(ctx.records[method](scope, object, byId(args["id"]), selection)))
      }
    })
  })
  const manyByFilter = (method: "deleteMany" | "destroyMany" | "restoreMany"): RootField => ({
    type: many,
    args: { filter },
    resolve: resolver((ctx, args, info) => {
      const selection = rootRecordSelection(info, ctx.records.limits)
      return (scope) => ctx.run(ctx.records[method](scope, object, args["filter"] as RecordFilter, selection))
    })
  })

  const fields: Record<string, RootField> = {
    [names.createOne]: {
      type: types.object,
      args: { data: { type: new GraphQLNonNull(types.create) }, upsert },
      resolve: resolver((ctx, args, info) => {
        const selection = rootRecordSelection(info, ctx.records.limits)
        const data = [args["data"] as Record<string, unknown>]
        const upsert = args["upsert"] === true
        return async (scope) => {
          const direct = upsert ? null : ctx.records.createOneDirect(scope, object, data[0], selection)
          if (direct) {
            const record = await directly(ctx, direct)
            return firstOrNotFound(record ? [record] : [])
          }
          return firstOrNotFound(await ctx.run(ctx.records.createMany(scope, object, data, selection, { upsert })))
        }
      })
    },
    [names.createMany]: {
      type: many,
      args: { data: { type: new GraphQLNonNull(nonNullList(types.create)) }, upsert },
      resolve: resolver((ctx, args, info) => {
        const data = args["data"] as ReadonlyArray<Record<string, unknown>>
        checkBatchSize(data, ctx.records.limits)
        const selection = rootRecordSelection(info, ctx.records.limits)
        return (scope) => ctx.run(ctx.records.createMany(scope, object, data, selection, { upsert: args["upsert"] === true }))
      })
    },
    [names.updateOne]: {
      type: types.object,
      args: { id, data: { type: new GraphQLNonNull(types.update) } },
      resolve: resolver((ctx, args, info) => {
        const selection = rootRecordSelection(info, ctx.records.limits)
        const recordId = args["id"] as string
        const data = args["data"] as Record<string, unknown>
        return async (scope) => {
          const direct = ctx.records.updateOneDirect(scope, object, recordId, data, selection)
          if (!direct) return ctx.run(ctx.records.updateOne(scope, object, recordId, data, selection))
          return (await directly(ctx, direct)) ?? ctx.run(Effect.fail(new NotFound({ message: `Record ${recordId} not found` })))
        }
      })
    },
    [names.updateMany]: {
      type: many,
      args: { data: { type: new GraphQLNonNull(types.update) }, filter },
      resolve: resolver((ctx, args, info) => {
        const selection = rootRecordSelection(info, ctx.records.limits)
        return (scope) =>
          ctx.run(
            ctx.records.updateMany(scope, object, args["filter"] as RecordFilter, args["data"] as Record<string, unknown>, selection)
          )
      })
    },
    [names.deleteOne]: oneById("deleteMany"),
    [names.deleteMany]: manyByFilter("deleteMany"),
    [names.destroyOne]: oneById("destroyMany"),
    [names.destroyMany]: manyByFilter("destroyMany"),
    [names.restoreOne]: oneById("restoreMany"),
    [names.restoreMany]: manyByFilter("restoreMany")
  }
  if (types.metadata.duplicateCriteria) {
    fields[names.mergeMany] = {
      type: types.object,
      args: {
        ids: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(UUIDScalar))) },
        conflictPriorityIndex: { type: new GraphQLNonNull(GraphQLInt) },
        dryRun: { type: GraphQLBoolean }
      },
      resolve: resolver((ctx, args, info) => {
        const selection = rootRecordSelection(info, ctx.records.limits)
        const ids = args["ids"] as ReadonlyArray<string>
        return (scope) =>
          ctx.run(ctx.records.merge(scope, object, ids, args["conflictPriorityIndex"] as number, args["dryRun"] === true, selection))
      })
    }
  }
  return fields
}
