import {
  GraphQLBoolean,
  type GraphQLFieldConfig,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString
} from "graphql"
import type { SearchInput } from "../../../../services/records/service.js"
import type { DataGraphQLContext } from "./context.js"
import { MAX_SEARCH_LIMIT } from "./limits.js"
import { UUIDScalar } from "../../scalars.js"
import { badUserInput } from "./selection.js"
import { DateFilter, UUIDFilter } from "./shared-types.js"

/** Twenty's global `search` query (core-modules/search): one ranked list over every searchable object. */

const SearchRecord = new GraphQLObjectType({
  name: "SearchRecord",
  fields: {
    recordId: { type: new GraphQLNonNull(UUIDScalar) },
    objectNameSingular: { type: new GraphQLNonNull(GraphQLString) },
    objectLabelSingular: { type: GraphQLString },
    label: { type: new GraphQLNonNull(GraphQLString) },
    imageUrl: { type: GraphQLString },
    tsRankCD: { type: new GraphQLNonNull(GraphQLFloat) },
    tsRank: { type: new GraphQLNonNull(GraphQLFloat) }
  }
})

const SearchResultEdge = new GraphQLObjectType({
  name: "SearchResultEdge",
  fields: { node: { type: new GraphQLNonNull(SearchRecord) }, cursor: { type: new GraphQLNonNull(GraphQLString) } }
})

const SearchResultPageInfo = new GraphQLObjectType({
  name: "SearchResultPageInfo",
  fields: { endCursor: { type: GraphQLString }, hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) } }
})

const SearchResultConnection = new GraphQLObjectType({
  name: "SearchResultConnection",
  fields: {
    edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(SearchResultEdge))) },
    pageInfo: { type: new GraphQLNonNull(SearchResultPageInfo) }
  }
})

const ObjectRecordFilterInput: GraphQLInputObjectType = new GraphQLInputObjectType({
  name: "ObjectRecordFilterInput",
  fields: () => ({
    and: { type: new GraphQLList(new GraphQLNonNull(ObjectRecordFilterInput)) },
    not: { type: ObjectRecordFilterInput },
    or: { type: new GraphQLList(new GraphQLNonNull(ObjectRecordFilterInput)) },
    id: { type: UUIDFilter },
    createdAt: { type: DateFilter },
    updatedAt: { type: DateFilter },
    deletedAt: { type: DateFilter }
  })
})

/** Pages go on from a hit's cursor (`after`); the answer says whether hits ranked after the last one exist. */
export const searchField: GraphQLFieldConfig<unknown, DataGraphQLContext, SearchInput> = {
  type: new GraphQLNonNull(SearchResultConnection),
  args: {
    searchInput: { type: new GraphQLNonNull(GraphQLString) },
    limit: { type: new GraphQLNonNull(GraphQLInt) },
    after: { type: GraphQLString },
    includedObjectNameSingulars: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    filter: { type: ObjectRecordFilterInput },
    excludedObjectNameSingulars: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) }
  },
  resolve: async (_source, args, context) => {
    if (args.limit > MAX_SEARCH_LIMIT) throw badUserInput(`Limit cannot exceed ${MAX_SEARCH_LIMIT} items`)
    if (args.limit < 0) throw badUserInput("Limit must be positive")
    const page = await context.run(context.records.search(await context.scope(), {
      searchInput: args.searchInput,
      limit: args.limit,
      after: args.after ?? null,
      includedObjectNameSingulars: args.includedObjectNameSingulars ?? null,
      excludedObjectNameSingulars: args.excludedObjectNameSingulars ?? null,
      filter: args.filter ?? null
    }))
    return { edges: page.edges, pageInfo: { endCursor: page.edges.at(-1)?.cursor ?? null, hasNextPage: page.hasNextPage } }
  }
}
