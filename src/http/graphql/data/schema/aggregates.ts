import { GraphQLFloat, GraphQLInt, type GraphQLScalarType } from "graphql"
import type { FieldMetadata } from "../../../../domain/metadata.js"
import type { AggregateKind } from "../../../../services/records/types.js"
import { capitalize } from "./names.js"
import { DateTimeScalar } from "../../scalars.js"

/** One aggregate field of `<Object>Connection`, e.g. `countEmptyName` or `sumAmountAmountMicros`. */
export interface AggregateField {
  readonly name: string
  readonly type: GraphQLScalarType
  readonly description: string
  readonly aggregate: AggregateKind
  readonly field: string
  readonly subField?: string
}

const COUNTS: ReadonlyArray<readonly [AggregateKind, GraphQLScalarType, string]> = [
  ["countUniqueValues", GraphQLInt, "Number of unique values for"],
  ["countEmpty", GraphQLInt, "Number of empty values for"],
  ["countNotEmpty", GraphQLInt, "Number of non-empty values for"],
  ["percentageEmpty", GraphQLFloat, "Percentage of empty values for"],
  ["percentageNotEmpty", GraphQLFloat, "Percentage of non-empty values for"]
]

const NUMERIC: ReadonlyArray<readonly [AggregateKind, string]> = [
  ["min", "Minimum amount contained in the field"],
  ["max", "Maximum amount contained in the field"],
  ["avg", "Average amount contained in the field"],
  ["sum", "Sum of amounts contained in the field"]
]

const typeSpecific = (field: FieldMetadata): Array<AggregateField> => {
  const F = capitalize(field.name)
  const of = (aggregate: AggregateKind, name: string, type: GraphQLScalarType, description: string, subField?: string) => ({
    name,
    type,
    description: `${description} ${field.name}`,
    aggregate,
    field: field.name,
    ...(subField ? { subField } : {})
  })
  switch (field.type) {
    case "DATE":
    case "DATE_TIME":
      return [
        of("min", `min${F}`, DateTimeScalar, "Earliest date contained in the field"),
        of("max", `max${F}`, DateTimeScalar, "Latest date contained in the field")
      ]
    case "BOOLEAN":
      return [
        of("countTrue", `countTrue${F}`, GraphQLInt, "Count of true values in the field"),
        of("countFalse", `countFalse${F}`, GraphQLInt, "Count of false values in the field")
      ]
    case "NUMBER":
      return NUMERIC.map(([kind, description]) => of(kind, `${kind}${F}`, GraphQLFloat, description))
    case "CURRENCY":
      return NUMERIC.map(([kind, description]) => of(kind, `${kind}${F}AmountMicros`, GraphQLFloat, description, "amountMicros"))
    default:
      return []
  }
}

/**
 * Twenty's aggregates (get-available-aggregations-from-object-fields.util.ts): counts and percentages on
 * every non-relation field, min/max on dates, countTrue/countFalse on booleans, min/max/avg/sum on numbers
 * and on a currency's amountMicros. `totalCount` is added by the connection type itself.
 */
export const aggregateFieldsOf = (fields: ReadonlyArray<FieldMetadata>): Array<AggregateField> =>
  fields
    .filter((f) => f.type !== "RELATION" && f.type !== "MORPH_RELATION")
    .flatMap((field) => [
      ...COUNTS.map(([aggregate, type, description]) => ({
        name: `${aggregate}${capitalize(field.name)}`,
        type,
        description: `${description} ${field.name}`,
        aggregate,
        field: field.name
      })),
      ...typeSpecific(field)
    ])
