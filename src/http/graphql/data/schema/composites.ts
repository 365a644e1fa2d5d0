import {
  GraphQLBoolean,
  GraphQLEnumType,
  type GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLString
} from "graphql"
import {
  ACTOR_SOURCES,
  COMPOSITE_FIELD_TYPES,
  COMPOSITE_TYPES,
  type CompositeFieldType,
  type CompositeSubField
} from "../../../../domain/composite-types.js"
import { pascalCase } from "./names.js"
import { BigFloatScalar, JSONScalar, UUIDScalar } from "../../scalars.js"
import { BigFloatFilter, enumFilter, OrderByDirection, RawJsonFilter, StringFilter, UUIDFilter } from "./shared-types.js"

/**
 * Composite field types (`FullName`, `Links`, `Currency`, `Actor`, …) with their `…CreateInput`,
 * `…UpdateInput`, `…FilterInput` and `…OrderByInput`, shared by every workspace schema.
 */
export interface CompositeTypes {
  readonly object: GraphQLObjectType
  readonly create: GraphQLInputObjectType
  readonly update: GraphQLInputObjectType
  readonly filter: GraphQLInputObjectType
  readonly orderBy: GraphQLInputObjectType
  /** One subfield → true (not JSON ones), for `<plural>GroupBy`. */
  readonly groupBy: GraphQLInputObjectType
}

/** Subfields Twenty never accepts as input (the server fills them). */
const HIDDEN_IN_INPUT: Partial<Record<CompositeFieldType, ReadonlyArray<string>>> = {
  ACTOR: ["workspaceMemberId", "name"]
}

export const ActorSourceEnum = new GraphQLEnumType({
  name: "ActorSourceEnum",
  values: Object.fromEntries(ACTOR_SOURCES.map((source) => [source, { value: source, description: source.toLowerCase() }]))
})

const ActorSourceEnumFilter = enumFilter(ActorSourceEnum)

interface SubFieldTypes {
  readonly output: GraphQLOutputType
  readonly input: GraphQLInputType
  readonly filter: GraphQLInputType
}

const subFieldTypes = (sub: CompositeSubField): SubFieldTypes => {
  switch (sub.type) {
    case "NUMERIC":
      return { output: BigFloatScalar, input: BigFloatScalar, filter: BigFloatFilter }
    case "RAW_JSON":
      return { output: JSONScalar, input: JSONScalar, filter: RawJsonFilter }
    case "UUID":
      return { output: UUIDScalar, input: UUIDScalar, filter: UUIDFilter }
    case "SELECT":
      return { output: ActorSourceEnum, input: ActorSourceEnum, filter: ActorSourceEnumFilter }
    default:
      return { output: GraphQLString, input: GraphQLString, filter: StringFilter }
  }
}

const required = <T extends GraphQLOutputType | GraphQLInputType>(type: T, isRequired: boolean | undefined) =>
  isRequired ? new GraphQLNonNull(type) : type

const inputFields = (type: CompositeFieldType, kind: "create" | "update"): GraphQLInputFieldConfigMap => {
  const hidden = HIDDEN_IN_INPUT[type] ?? []
  return Object.fromEntries(
    COMPOSITE_TYPES[type]
      .filter((sub) => !hidden.includes(sub.name))
      .map((sub) => {
        const input = subFieldTypes(sub).input
        return [sub.name, { type: kind === "create" ? required(input, sub.isRequired) : input }]
      })
  )
}

const buildCompositeTypes = (type: CompositeFieldType): CompositeTypes => {
  const name = pascalCase(type)
  const subs = COMPOSITE_TYPES[type]
  return {
    object: new GraphQLObjectType({
      name,
      fields: Object.fromEntries(subs.map((sub) => [sub.name, { type: required(subFieldTypes(sub).output, sub.isRequired) }]))
    }),
    create: new GraphQLInputObjectType({ name: `${name}CreateInput`, fields: inputFields(type, "create") }),
    update: new GraphQLInputObjectType({ name: `${name}UpdateInput`, fields: inputFields(type, "update") }),
    filter: new GraphQLInputObjectType({
      name: `${name}FilterInput`,
      fields: Object.fromEntries(subs.map((sub) => [sub.name, { type: subFieldTypes(sub).filter }]))
    }),
    orderBy: new GraphQLInputObjectType({
      name: `${name}OrderByInput`,
      fields: Object.fromEntries(subs.map((sub) => [sub.name, { type: OrderByDirection }]))
    }),
    groupBy: new GraphQLInputObjectType({
      name: `${name}GroupByInput`,
      fields: Object.fromEntries(subs.filter((sub) => sub.type !== "RAW_JSON").map((sub) => [sub.name, { type: GraphQLBoolean }]))
    })
  }
}

export const COMPOSITE_GRAPHQL_TYPES: Readonly<Record<CompositeFieldType, CompositeTypes>> = Object.fromEntries(
  COMPOSITE_FIELD_TYPES.map((type) => [type, buildCompositeTypes(type)])
) as Record<CompositeFieldType, CompositeTypes>

/** Every composite type, so they appear in the schema whether or not a field uses them (as in Twenty). */
export const allCompositeTypes = () =>
  Object.values(COMPOSITE_GRAPHQL_TYPES).flatMap((t) => [t.object, t.create, t.update, t.filter, t.orderBy, t.groupBy])
