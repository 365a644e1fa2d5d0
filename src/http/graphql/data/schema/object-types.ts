import {
  GraphQLBoolean,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLFieldResolver,
  GraphQLEnumType,
  GraphQLID,
  type GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLString
} from "graphql"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../../../domain/metadata.js"
import { COMPOSITE_TYPES, isCompositeFieldType } from "../../../../domain/composite-types.js"
import { RATING_VALUES } from "../../../../services/metadata/columns.js"
import type { Connection, RecordValue } from "../../../../services/records/types.js"
import { isGroupable } from "../../../../services/records/group-by.js"
import { aggregateFieldsOf } from "./aggregates.js"
import { COMPOSITE_GRAPHQL_TYPES, type CompositeTypes } from "./composites.js"
import type { DataGraphQLContext } from "./context.js"
import { type ScalarMapping, scalarMapping } from "./field-types.js"
import "./field-info.js"
import { enumTypeName, isEnumValueName, isGraphQLName, typeNames, uniqueWhereTypeName } from "./names.js"
import { CursorScalar, JSONScalar } from "../../scalars.js"
import {
  enumFilter,
  GroupByDateGranularityInput,
  OrderByDateGranularityInput,
  OrderByDirection,
  PageInfo,
  UUIDFilter
} from "./shared-types.js"

/** The GraphQL types generated for one object. */
export interface ObjectTypes {
  readonly metadata: ObjectMetadata
  readonly object: GraphQLObjectType
  readonly edge: GraphQLObjectType
  readonly connection: GraphQLObjectType
  readonly filter: GraphQLInputObjectType
  readonly orderBy: GraphQLInputObjectType
  readonly create: GraphQLInputObjectType
  readonly update: GraphQLInputObjectType
  /** `{ connect: { where }, disconnect }`, taken by MANY_TO_ONE fields pointing at this object. */
  readonly relationInput: GraphQLInputObjectType
  /** `<plural>GroupBy`'s dimension input, group order input and result. */
  readonly groupBy: GraphQLInputObjectType
  readonly orderByWithGroupBy: GraphQLInputObjectType
  readonly groupByConnection: GraphQLObjectType
}

/** How one active field is represented; computed once per object so enum types are built once. */
type FieldShape =
  | { readonly kind: "relation"; readonly field: FieldMetadata; readonly target: string; readonly direction: "MANY_TO_ONE" | "ONE_TO_MANY" }
  | { readonly kind: "composite"; readonly field: FieldMetadata; readonly types: CompositeTypes }
  | { readonly kind: "enum"; readonly field: FieldMetadata; readonly enumType: GraphQLEnumType; readonly filter: GraphQLInputObjectType }
  | { readonly kind: "scalar"; readonly field: FieldMetadata; readonly mapping: ScalarMapping }

type Types = ReadonlyMap<string, ObjectTypes>

const nonNullIf = <T extends GraphQLOutputType | GraphQLInputType>(type: T, condition: boolean) =>
  condition ? new GraphQLNonNull(type) : type

/** Twenty wraps MULTI_SELECT in a list whose items are non-null unless the field is nullable. */
const listIf = <T extends GraphQLOutputType | GraphQLInputType>(type: T, isList: boolean, nullableItems: boolean) =>
  isList ? new GraphQLList(nullableItems ? type : new GraphQLNonNull(type)) : type

const isRequiredOnCreate = (field: FieldMetadata) =>
  !field.isNullable && (field.defaultValue === null || field.defaultValue === undefined)

/** Nested relations are loaded by the root field's Records call and stored under the response key. */
const fromResponseKey: GraphQLFieldResolver<RecordValue, DataGraphQLContext> = (parent, _args, _context, info) =>
  parent[info.path.key] ?? null

const aggregateFromResponseKey: GraphQLFieldResolver<Connection, DataGraphQLContext> = (parent, _args, _context, info) =>
  parent.aggregates[String(info.path.key)] ?? null

const enumValues = (field: FieldMetadata) => {
  const options = field.options?.length
    ? field.options
    : field.type === "RATING"
    ? RATING_VALUES.map((value) => ({ value, label: value }))
    : []
  return options.filter((o) => isEnumValueName(o.value))
}

const fieldShape = (object: ObjectMetadata, field: FieldMetadata, active: ReadonlySet<string>): FieldShape | null => {
  if (!field.isActive || !isGraphQLName(field.name)) return null
  if (field.type === "RELATION" || field.type === "MORPH_RELATION") {
    const target = field.relationTargetObjectMetadataId
    if (!target || !active.has(target) || !field.relationType) return null
    return { kind: "relation", field, target, direction: field.relationType }
  }
  if (isCompositeFieldType(field.type)) return { kind: "composite", field, types: COMPOSITE_GRAPHQL_TYPES[field.type] }
  if (field.type === "SELECT" || field.type === "MULTI_SELECT" || field.type === "RATING") {
    const values = enumValues(field)
    if (values.length === 0) return null
    const enumType = new GraphQLEnumType({
      name: enumTypeName(object.nameSingular, field.name),
      description: field.description,
      values: Object.fromEntries(values.map((o) => [o.value, { value: o.value, description: o.label }]))
    })
    return { kind: "enum", field, enumType, filter: enumFilter(enumType) }
  }
  const mapping = scalarMapping(field.type, field.settings)
  return mapping ? { kind: "scalar", field, mapping } : null
}

const joinColumn = (field: FieldMetadata) => `${field.name}Id`

/**
 * Twenty's findMany arguments (get-resolver-args.util.ts, in its order), also on ONE_TO_MANY relation
 * fields (object-metadata-with-relations-gql-object-type.generator.ts). `offset` skips records after
 * filter, order and cursor.
 */
export const connectionArgs = (types: ObjectTypes): GraphQLFieldConfigArgumentMap => ({
  first: { type: GraphQLInt },
  last: { type: GraphQLInt },
  offset: { type: GraphQLInt },
  before: { type: GraphQLString },
  after: { type: GraphQLString },
  filter: { type: types.filter },
  orderBy: { type: new GraphQLList(types.orderBy) }
})

const column = (field: FieldMetadata, type: GraphQLOutputType) => ({
  type,
  description: field.description,
  extensions: { score: { kind: "column" as const, name: field.name } }
})

const outputFields = (shapes: ReadonlyArray<FieldShape>, types: Types) => {
  const fields: GraphQLFieldConfigMap<RecordValue, DataGraphQLContext> = {}
  const add = (name: string, config: GraphQLFieldConfigMap<RecordValue, DataGraphQLContext>[string]) => {
    fields[name] ??= config
  }
  for (const shape of shapes) {
    const { field } = shape
    const description = field.description
    switch (shape.kind) {
      case "relation": {
        const target = types.get(shape.target)!
        if (shape.direction === "MANY_TO_ONE") {
          add(joinColumn(field), {
            type: nonNullIf(GraphQLID, !field.isNullable),
            description,
            extensions: { score: { kind: "column", name: joinColumn(field) } }
          })
          add(field.name, {
            type: target.object,
            description,
            resolve: fromResponseKey,
            extensions: { score: { kind: "relation", field: field.name, direction: "MANY_TO_ONE" } }
          })
        } else {
          add(field.name, {
            type: target.connection,
            description,
            args: connectionArgs(target),
            resolve: fromResponseKey,
            extensions: { score: { kind: "relation", field: field.name, direction: "ONE_TO_MANY" } }
          })
        }
        break
      }
      case "composite":
        add(field.name, column(field, nonNullIf(shape.types.object, !field.isNullable)))
        break
      case "enum":
        add(field.name, column(field, nonNullIf(listIf(shape.enumType, field.type === "MULTI_SELECT", field.isNullable), !field.isNullable)))
        break
      case "scalar":
        add(field.name, column(field, nonNullIf(shape.mapping.output, !field.isNullable)))
        break
    }
  }
  return fields
}

const filterFields = (shapes: ReadonlyArray<FieldShape>, types: Types, self: GraphQLInputObjectType) => {
  const fields: GraphQLInputFieldConfigMap = {}
  for (const shape of shapes) {
    const { field } = shape
    switch (shape.kind) {
      case "relation":
        if (shape.direction === "MANY_TO_ONE") {
          fields[joinColumn(field)] ??= { type: UUIDFilter }
          // Score's extension of Twenty: filter through a MANY_TO_ONE relation with the target's filter
          fields[field.name] ??= { type: types.get(shape.target)!.filter }
        }
        break
      case "composite":
        fields[field.name] ??= { type: shape.types.filter }
        break
      case "enum":
        fields[field.name] ??= { type: shape.filter }
        break
      case "scalar":
        fields[field.name] ??= { type: shape.mapping.filter }
        break
    }
  }
  return { ...fields, and: { type: new GraphQLList(self) }, or: { type: new GraphQLList(self) }, not: { type: self } }
}

const orderByFields = (shapes: ReadonlyArray<FieldShape>) => {
  const fields: GraphQLInputFieldConfigMap = {}
  for (const shape of shapes) {
    if (shape.kind === "relation") {
      if (shape.direction === "MANY_TO_ONE") fields[joinColumn(shape.field)] ??= { type: OrderByDirection }
    } else {
      fields[shape.field.name] ??= { type: shape.kind === "composite" ? shape.types.orderBy : OrderByDirection }
    }
  }
  return fields
}

/** Create and update inputs: the same fields, required ones non-null only on create. */
const inputFields = (shapes: ReadonlyArray<FieldShape>, types: Types, kind: "create" | "update") => {
  const fields: GraphQLInputFieldConfigMap = {}
  for (const shape of shapes) {
    const { field } = shape
    const required = kind === "create" && isRequiredOnCreate(field)
    const nullable = kind === "update" || field.isNullable
    const set = (name: string, type: GraphQLInputType | null) => {
      if (type) fields[name] ??= { type: nonNullIf(type, required), description: field.description }
    }
    switch (shape.kind) {
      case "relation":
        if (shape.direction === "MANY_TO_ONE") {
          set(joinColumn(field), GraphQLID)
          fields[field.name] ??= { type: types.get(shape.target)!.relationInput, description: field.description }
        }
        break
      case "composite":
        set(field.name, kind === "create" ? shape.types.create : shape.types.update)
        break
      case "enum":
        set(field.name, listIf(shape.enumType, field.type === "MULTI_SELECT", nullable))
        break
      case "scalar":
        set(field.name, field.name === "id" ? GraphQLID : shape.mapping.input)
        break
    }
  }
  return fields
}

/**
 * Twenty's connect-by-unique-field input: `id`, or one unique field (a composite by its subfields that are
 * part of the unique constraint, e.g. `domainName: { primaryLinkUrl }`).
 */
const whereUniqueFields = (object: ObjectMetadata, shapes: ReadonlyArray<FieldShape>) => {
  const fields: GraphQLInputFieldConfigMap = { id: { type: GraphQLID, description: "Connect by Id" } }
  for (const shape of shapes) {
    const { field } = shape
    if (field.name !== "id" && !field.isUnique) continue
    const description = `Connect by ${field.label || field.name}`
    if (shape.kind === "composite") {
      const subs = uniqueSubfields(field)
      if (subs.length === 0) continue
      const type = new GraphQLInputObjectType({
        name: uniqueWhereTypeName(object.nameSingular, field.name),
        fields: Object.fromEntries(subs.map((sub) => [sub.name, { type: GraphQLString, description: `Connect by ${sub.name}` }]))
      })
      fields[field.name] ??= { type, description }
    } else if (shape.kind === "scalar") {
      const type = field.name === "id" ? GraphQLID : shape.mapping.input
      if (type) fields[field.name] ??= { type, description }
    } else if (shape.kind === "enum" && field.type !== "MULTI_SELECT") {
      fields[field.name] ??= { type: shape.enumType, description }
    }
  }
  return fields
}

const uniqueSubfields = (field: FieldMetadata) =>
  isCompositeFieldType(field.type) ? COMPOSITE_TYPES[field.type].filter((sub) => sub.isIncludedInUniqueConstraint) : []

/** Names of the composite where-inputs an object's connect input brings, for clash checks. */
export const uniqueWhereTypeNames = (object: ObjectMetadata) =>
  object.fields
    .filter((f) => f.isActive && f.isUnique && uniqueSubfields(f).length > 0)
    .map((f) => uniqueWhereTypeName(object.nameSingular, f.name))

const relationInput = (object: ObjectMetadata, shapes: ReadonlyArray<FieldShape>) => {
  const names = typeNames(object.nameSingular)
  const where = new GraphQLInputObjectType({ name: names.whereUnique, fields: () => whereUniqueFields(object, shapes) })
  const connect = new GraphQLInputObjectType({
    name: names.connectInput,
    fields: { where: { type: where, description: `Find a ${object.nameSingular} record based on its unique fields` } }
  })
  return new GraphQLInputObjectType({
    name: names.relationInput,
    fields: {
      connect: { type: connect, description: `Connect to a ${object.nameSingular} record` },
      disconnect: { type: GraphQLBoolean, description: `Disconnect from a ${object.nameSingular} record` }
    }
  })
}

const isDate = (field: FieldMetadata) => field.type === "DATE" || field.type === "DATE_TIME"

/** Twenty's `<Object>GroupByInput`: one dimension per entry; a many-to-one by its id or a field of its target. */
const groupByFields = (shapes: ReadonlyArray<FieldShape>, types: Types) => {
  const fields: GraphQLInputFieldConfigMap = {}
  for (const shape of shapes) {
    const { field } = shape
    if (!isGroupable(field)) continue
    const description = field.description
    switch (shape.kind) {
      case "relation":
        if (shape.direction === "MANY_TO_ONE") {
          fields[joinColumn(field)] ??= { type: GraphQLBoolean, description }
          fields[field.name] ??= { type: types.get(shape.target)!.groupBy, description }
        }
        break
      case "composite":
        fields[field.name] ??= { type: shape.types.groupBy, description }
        break
      default:
        fields[field.name] ??= { type: isDate(field) ? GroupByDateGranularityInput : GraphQLBoolean, description }
    }
  }
  return fields
}

/** Twenty's `<Object>OrderByWithGroupByInput`: an aggregate, or a grouped field (dates with their granularity). */
const orderByWithGroupByFields = (shapes: ReadonlyArray<FieldShape>, types: Types, aggregate: GraphQLInputObjectType) => {
  const fields: GraphQLInputFieldConfigMap = { aggregate: { type: aggregate } }
  for (const shape of shapes) {
    const { field } = shape
    if (!isGroupable(field)) continue
    switch (shape.kind) {
      case "relation":
        if (shape.direction === "MANY_TO_ONE") {
          fields[joinColumn(field)] ??= { type: OrderByDirection }
          fields[field.name] ??= { type: types.get(shape.target)!.orderByWithGroupBy }
        }
        break
      case "composite":
        fields[field.name] ??= { type: shape.types.orderBy }
        break
      default:
        fields[field.name] ??= { type: isDate(field) ? OrderByDateGranularityInput : OrderByDirection }
    }
  }
  return fields
}

const orderByAggregateFields = (object: ObjectMetadata): GraphQLInputFieldConfigMap => ({
  totalCount: { type: OrderByDirection },
  ...Object.fromEntries(
    aggregateFieldsOf(object.fields.filter((f) => f.isActive && isGraphQLName(f.name))).map((a) => [a.name, { type: OrderByDirection }])
  )
})

const connectionFields = (object: ObjectMetadata, edge: GraphQLObjectType) => {
  const fields: GraphQLFieldConfigMap<Connection, DataGraphQLContext> = {
    totalCount: {
      type: GraphQLInt,
      description: "Total number of records in the connection",
      extensions: { score: { kind: "totalCount" } }
    }
  }
  for (const aggregate of aggregateFieldsOf(object.fields.filter((f) => f.isActive && isGraphQLName(f.name)))) {
    fields[aggregate.name] ??= {
      type: aggregate.type,
      description: aggregate.description,
      resolve: aggregateFromResponseKey,
      extensions: {
        score: {
          kind: "aggregate",
          aggregate: aggregate.aggregate,
          field: aggregate.field,
          ...(aggregate.subField ? { subField: aggregate.subField } : {})
        }
      }
    }
  }
  return {
    ...fields,
    edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))), extensions: { score: { kind: "edges" as const } } },
    pageInfo: { type: new GraphQLNonNull(PageInfo) }
  }
}

const buildOne = (object: ObjectMetadata, shapes: ReadonlyArray<FieldShape>, types: Types): ObjectTypes => {
  const names = typeNames(object.nameSingular)
  const description = object.description
  const objectType = new GraphQLObjectType<RecordValue, DataGraphQLContext>({
    name: names.object,
    description,
    fields: () => outputFields(shapes, types)
  })
  const edge = new GraphQLObjectType({
    name: names.edge,
    description,
    fields: {
      node: { type: new GraphQLNonNull(objectType), extensions: { score: { kind: "node" } } },
      cursor: { type: new GraphQLNonNull(CursorScalar) }
    }
  })
  const filter: GraphQLInputObjectType = new GraphQLInputObjectType({
    name: names.filter,
    description,
    fields: () => filterFields(shapes, types, filter)
  })
  return {
    metadata: object,
    object: objectType,
    edge,
    connection: new GraphQLObjectType<Connection, DataGraphQLContext>({
      name: names.connection,
      description,
      fields: () => connectionFields(object, edge)
    }),
    filter,
    orderBy: new GraphQLInputObjectType({ name: names.orderBy, description, fields: () => orderByFields(shapes) }),
    create: new GraphQLInputObjectType({ name: names.create, description, fields: () => inputFields(shapes, types, "create") }),
    update: new GraphQLInputObjectType({ name: names.update, description, fields: () => inputFields(shapes, types, "update") }),
    relationInput: relationInput(object, shapes),
    groupBy: new GraphQLInputObjectType({ name: names.groupBy, description, fields: () => groupByFields(shapes, types) }),
    orderByWithGroupBy: new GraphQLInputObjectType({
      name: names.orderByWithGroupBy,
      description,
      fields: () =>
        orderByWithGroupByFields(
          shapes,
          types,
          new GraphQLInputObjectType({ name: names.orderByWithGroupByAggregate, fields: () => orderByAggregateFields(object) })
        )
    }),
    groupByConnection: new GraphQLObjectType<Connection, DataGraphQLContext>({
      name: names.groupByConnection,
      description,
      fields: () => ({
        ...connectionFields(object, edge),
        groupByDimensionValues: { type: new GraphQLNonNull(JSONScalar), description: "The group's value of each groupBy entry, in order" }
      })
    })
  }
}

/**
 * The types of every active object, keyed by object id. Fields are thunks, so relations may point at
 * objects built later; inactive objects and fields, and relations to inactive objects, are left out.
 */
export const buildObjectTypes = (metadata: WorkspaceMetadata): Map<string, ObjectTypes> => {
  const steps = objectTypesInSteps(metadata)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/** `buildObjectTypes` one object a step, so a build can let other work run between objects. */
export function* objectTypesInSteps(metadata: WorkspaceMetadata): Generator<void, Map<string, ObjectTypes>> {
  const objects = metadata.objects.filter((o) => o.isActive && isGraphQLName(o.nameSingular) && isGraphQLName(o.namePlural))
  const active = new Set(objects.map((o) => o.id))
  const types = new Map<string, ObjectTypes>()
  for (const object of objects) {
    const shapes = object.fields.flatMap((f) => fieldShape(object, f, active) ?? [])
    types.set(object.id, buildOne(object, shapes, types))
    yield
  }
  return types
}
