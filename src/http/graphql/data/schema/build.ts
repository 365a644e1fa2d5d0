import {
  type GraphQLFieldConfigMap,
  type GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isInputObjectType,
  isInterfaceType,
  isObjectType
} from "graphql"
import type { ObjectMetadata, WorkspaceMetadata } from "../../../../domain/metadata.js"
import { allCompositeTypes } from "./composites.js"
import type { DataGraphQLContext } from "./context.js"
import { FILE_TYPES } from "./field-types.js"
import { resolverNames, typeNames } from "./names.js"
import { objectTypesInSteps, type ObjectTypes, uniqueWhereTypeNames } from "./object-types.js"
import { mutationFields, queryFields } from "./root-fields.js"
import { SCALARS } from "../../scalars.js"
import { searchField } from "./search.js"
import { SHARED_TYPES } from "./shared-types.js"
import { timelineQueryFields } from "./timeline-fields.js"

type RootFields = GraphQLFieldConfigMap<unknown, DataGraphQLContext>

/** Types every workspace schema carries, whatever its objects (as Twenty's orphaned types). */
const STATIC_TYPES: ReadonlyArray<GraphQLNamedType> = [...SCALARS, ...SHARED_TYPES, ...FILE_TYPES, ...allCompositeTypes()]

const STATIC_TYPE_NAMES: ReadonlySet<string> = new Set([
  "Mutation",
  "Subscription",
  ...Object.keys(
    new GraphQLSchema({
      query: new GraphQLObjectType({ name: "Query", fields: { search: searchField, ...timelineQueryFields } }),
      types: STATIC_TYPES
    }).getTypeMap()
  )
])

/**
 * Objects whose type or root field names would clash with another's are left out: metadata validation
 * should make that impossible, and a clash must not take the whole workspace API down.
 */
const withoutClashes = (objects: ReadonlyArray<ObjectMetadata>) => {
  const typeNamesUsed = new Set(STATIC_TYPE_NAMES)
  const rootNamesUsed = new Set(["search", ...Object.keys(timelineQueryFields)])
  const kept: Array<ObjectMetadata> = []
  const skipped: Array<string> = []
  for (const object of objects) {
    if (!object.isActive) continue
    const types = [...Object.values(typeNames(object.nameSingular)), ...uniqueWhereTypeNames(object)]
    const roots = Object.values(resolverNames(object.nameSingular, object.namePlural))
    if (types.some((n) => typeNamesUsed.has(n)) || roots.some((n) => rootNamesUsed.has(n))) {
      skipped.push(object.nameSingular)
      continue
    }
    types.forEach((n) => typeNamesUsed.add(n))
    roots.forEach((n) => rootNamesUsed.add(n))
    kept.push(object)
  }
  return { kept, skipped }
}

const namedTypesOf = (types: ObjectTypes): Array<GraphQLNamedType> => [
  types.object,
  types.edge,
  types.connection,
  types.filter,
  types.orderBy,
  types.create,
  types.update,
  types.relationInput,
  types.groupBy,
  types.orderByWithGroupBy,
  types.groupByConnection
]

/**
 * The executable `/graphql` schema of one workspace at one metadata version, built with graphql-js
 * constructors (names from metadata are never parsed as SDL). Only active objects and fields appear.
 * `skipped` names the objects left out because their names clash.
 */
export const buildWorkspaceSchema = (metadata: WorkspaceMetadata) => {
  const steps = workspaceSchemaInSteps(metadata)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * `buildWorkspaceSchema` in steps of about one object: its types made, then its types' fields and root
 * fields resolved (graphql-js does it in `new GraphQLSchema`, most of a build), so the constructor has less
 * left. The standard model's build, 20–35 ms in one piece (more on a loaded machine), is 36 steps.
 */
export function* workspaceSchemaInSteps(metadata: WorkspaceMetadata): Generator<void, { schema: GraphQLSchema; skipped: Array<string> }> {
  const { kept, skipped } = withoutClashes(metadata.objects)
  const objects = [...(yield* objectTypesInSteps({ ...metadata, objects: kept })).values()]
  const query: RootFields = {}
  const mutation: RootFields = {}
  for (const types of objects) {
    for (const type of namedTypesOf(types)) {
      if (isObjectType(type) || isInputObjectType(type) || isInterfaceType(type)) type.getFields()
    }
    Object.assign(query, queryFields(types))
    Object.assign(mutation, mutationFields(types))
    yield
  }
  const queryType = new GraphQLObjectType<unknown, DataGraphQLContext>({ name: "Query", fields: { ...query, search: searchField, ...timelineQueryFields } })
  const mutationType = new GraphQLObjectType<unknown, DataGraphQLContext>({ name: "Mutation", fields: mutation })
  queryType.getFields()
  yield
  mutationType.getFields()
  yield
  const schema = new GraphQLSchema({ query: queryType, mutation: mutationType, types: [...STATIC_TYPES, ...objects.flatMap(namedTypesOf)] })
  return { schema, skipped }
}
