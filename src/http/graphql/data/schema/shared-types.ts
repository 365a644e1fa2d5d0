import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString
} from "graphql"
import { DATE_GRANULARITIES, WEEK_START_DAYS } from "../../../../services/records/group-by.js"
import { BigFloatScalar, BigIntScalar, ConnectionCursorScalar, DateScalar, UUIDScalar } from "../../scalars.js"

/**
 * Types that are the same in every workspace schema (Twenty's graphql-types/{enum,input,object}).
 * graphql-js types are immutable, so one instance serves every schema.
 */

export const FilterIs = new GraphQLEnumType({
  name: "FilterIs",
  description: "This enum to filter by nullability",
  values: {
    NULL: { value: "NULL", description: "Nulish values" },
    NOT_NULL: { value: "NOT_NULL", description: "Non-nulish values" }
  }
})

export const OrderByDirection = new GraphQLEnumType({
  name: "OrderByDirection",
  description: "This enum is used to specify the order of results",
  values: {
    AscNullsFirst: { value: "AscNullsFirst", description: "Ascending order, nulls first" },
    AscNullsLast: { value: "AscNullsLast", description: "Ascending order, nulls last" },
    DescNullsFirst: { value: "DescNullsFirst", description: "Descending order, nulls first" },
    DescNullsLast: { value: "DescNullsLast", description: "Descending order, nulls last" }
  }
})

export const PageInfo = new GraphQLObjectType({
  name: "PageInfo",
  fields: {
    startCursor: { type: ConnectionCursorScalar },
    endCursor: { type: ConnectionCursorScalar },
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) }
  }
})

/** `eq gt gte in lt lte neq is` over one scalar: Twenty's Float/Int/BigFloat/BigInt/Date filters. */
const comparisonFilter = (name: string, scalar: GraphQLInputType) =>
  new GraphQLInputObjectType({
    name,
    fields: {
      eq: { type: scalar },
      gt: { type: scalar },
      gte: { type: scalar },
      in: { type: new GraphQLList(new GraphQLNonNull(scalar)) },
      lt: { type: scalar },
      lte: { type: scalar },
      neq: { type: scalar },
      is: { type: FilterIs }
    }
  })

export const StringFilter = new GraphQLInputObjectType({
  name: "StringFilter",
  fields: {
    eq: { type: GraphQLString },
    gt: { type: GraphQLString },
    gte: { type: GraphQLString },
    in: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    lt: { type: GraphQLString },
    lte: { type: GraphQLString },
    neq: { type: GraphQLString },
    startsWith: { type: GraphQLString },
    endsWith: { type: GraphQLString },
    like: { type: GraphQLString, description: "Pattern match with % wildcard (e.g. %value%)" },
    ilike: { type: GraphQLString, description: "Case-insensitive match with % wildcard (e.g. %value%)" },
    regex: { type: GraphQLString },
    iregex: { type: GraphQLString },
    is: { type: FilterIs }
  }
})

/** Twenty's uuid-filter.input-type.ts: ordered comparisons too (ids compare as PostgreSQL uuids). */
export const UUIDFilter = new GraphQLInputObjectType({
  name: "UUIDFilter",
  fields: {
    eq: { type: UUIDScalar },
    gt: { type: UUIDScalar },
    gte: { type: UUIDScalar },
    in: { type: new GraphQLList(UUIDScalar) },
    lt: { type: UUIDScalar },
    lte: { type: UUIDScalar },
    neq: { type: UUIDScalar },
    is: { type: FilterIs }
  }
})

export const FloatFilter = comparisonFilter("FloatFilter", GraphQLFloat)
export const IntFilter = comparisonFilter("IntFilter", GraphQLInt)
export const BigFloatFilter = comparisonFilter("BigFloatFilter", BigFloatScalar)
export const BigIntFilter = comparisonFilter("BigIntFilter", BigIntScalar)
/** Twenty filters DATE and DATE_TIME fields with the same DateFilter. */
export const DateFilter = comparisonFilter("DateFilter", DateScalar)

export const BooleanFilter = new GraphQLInputObjectType({
  name: "BooleanFilter",
  fields: { eq: { type: GraphQLBoolean }, is: { type: FilterIs } }
})

export const RawJsonFilter = new GraphQLInputObjectType({
  name: "RawJsonFilter",
  fields: { is: { type: FilterIs }, like: { type: GraphQLString } }
})

export const ArrayFilter = new GraphQLInputObjectType({
  name: "ArrayFilter",
  fields: {
    containsIlike: { type: GraphQLString },
    is: { type: FilterIs },
    isEmptyArray: { type: GraphQLBoolean }
  }
})

export const TSVectorFilter = new GraphQLInputObjectType({
  name: "TSVectorFilter",
  fields: { search: { type: GraphQLString } }
})

/** `<Enum>Filter` for SELECT, MULTI_SELECT and RATING fields (and ACTOR.source). */
export const enumFilter = (enumType: GraphQLEnumType) =>
  new GraphQLInputObjectType({
    name: `${enumType.name}Filter`,
    fields: {
      eq: { type: enumType },
      neq: { type: enumType },
      in: { type: new GraphQLList(enumType) },
      containsAny: { type: new GraphQLList(enumType) },
      is: { type: FilterIs },
      isEmptyArray: { type: GraphQLBoolean }
    }
  })

/** Every type above, so each workspace schema carries them whether or not a field uses them. */
export const DateGranularityEnum = new GraphQLEnumType({
  name: "DateGranularityEnum",
  description: "Date granularity options (e.g. DAY, MONTH, QUARTER, YEAR, WEEK, DAY_OF_THE_WEEK, MONTH_OF_THE_YEAR, QUARTER_OF_THE_YEAR)",
  values: Object.fromEntries(DATE_GRANULARITIES.map((value) => [value, { value }]))
})

export const FirstDayOfTheWeek = new GraphQLEnumType({
  name: "FirstDayOfTheWeek",
  description: "First day of the week",
  values: Object.fromEntries(WEEK_START_DAYS.map((value) => [value, { value }]))
})

/** A date field in `groupBy`: its bucket, the week's first day and the time zone the buckets are cut in. */
export const GroupByDateGranularityInput = new GraphQLInputObjectType({
  name: "GroupByDateGranularityInput",
  fields: {
    granularity: { type: DateGranularityEnum },
    weekStartDay: { type: FirstDayOfTheWeek },
    timeZone: { type: GraphQLString }
  }
})

/** A date field in a group-by's `orderBy`: the direction, for the granularity it is grouped by. */
export const OrderByDateGranularityInput = new GraphQLInputObjectType({
  name: "OrderByDateGranularityInput",
  fields: {
    orderBy: { type: OrderByDirection },
    granularity: { type: DateGranularityEnum }
  }
})

export const SHARED_TYPES = [
  FilterIs,
  OrderByDirection,
  PageInfo,
  StringFilter,
  UUIDFilter,
  FloatFilter,
  IntFilter,
  BigFloatFilter,
  BigIntFilter,
  DateFilter,
  BooleanFilter,
  RawJsonFilter,
  ArrayFilter,
  TSVectorFilter,
  DateGranularityEnum,
  FirstDayOfTheWeek,
  GroupByDateGranularityInput,
  OrderByDateGranularityInput
]
