import {
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLError,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  type SelectionNode,
  type SelectionSetNode,
  visit,
  BREAK
} from "graphql"
import type { RecordsLimits } from "../../../../services/records/types.js"
import type {
  AggregateRequest,
  ConnectionArgs,
  ConnectionSelection,
  RelationSelection,
  Selection
} from "../../../../services/records/types.js"
import "./field-info.js"

/**
 * GraphQL resolve info → Records' Selection. One Records call per root field loads every nested
 * relation, so the whole tree is read here, through aliases, inline and named fragments, @skip/@include.
 */

interface Walk {
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>
  readonly variables: Readonly<Record<string, unknown>>
  readonly limits: RecordsLimits
}

export const badUserInput = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })

const isIncluded = (walk: Walk, node: SelectionNode) => {
  const skip = getDirectiveValues(GraphQLSkipDirective, node, walk.variables)
  if (skip?.["if"] === true) return false
  const include = getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)
  return include?.["if"] !== false
}

/** Field nodes by response key. Every type condition matches: the workspace schema has no interfaces or unions. */
const collectFields = (
  walk: Walk,
  selectionSets: ReadonlyArray<SelectionSetNode>,
  into: Map<string, Array<FieldNode>> = new Map(),
  visitedFragments: Set<string> = new Set()
): Map<string, Array<FieldNode>> => {
  for (const set of selectionSets) {
    for (const selection of set.selections) {
      if (!isIncluded(walk, selection)) continue
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value
        const nodes = into.get(key)
        if (nodes) nodes.push(selection)
        else into.set(key, [selection])
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collectFields(walk, [selection.selectionSet], into, visitedFragments)
      } else {
        const name = selection.name.value
        const fragment = walk.fragments[name]
        if (!fragment || visitedFragments.has(name)) continue
        visitedFragments.add(name)
        collectFields(walk, [fragment.selectionSet], into, visitedFragments)
      }
    }
  }
  return into
}

const subSelections = (nodes: ReadonlyArray<FieldNode>) => nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []))

const objectTypeOf = (field: GraphQLField<unknown, unknown>): GraphQLObjectType => {
  const type = getNamedType(field.type)
  if (!isObjectType(type)) throw new Error(`Field ${field.name} is not of an object type`)
  return type
}

/** Twenty's pagination arguments; a page over the limit is refused rather than silently cut. */
export const checkPageSize = (args: { readonly first?: unknown; readonly last?: unknown }, limits: RecordsLimits) => {
  for (const name of ["first", "last"] as const) {
    const value = args[name]
    if (typeof value === "number" && value > limits.maxPageSize) {
      throw badUserInput(`Argument "${name}" cannot exceed ${limits.maxPageSize}`)
    }
  }
}

export const toConnectionArgs = (args: Readonly<Record<string, unknown>>, limits: RecordsLimits): ConnectionArgs => {
  checkPageSize(args, limits)
  const offset = args["offset"]
  if (offset != null && (typeof offset !== "number" || offset < 0)) throw badUserInput(`Invalid argument: "offset" must be a non-negative number`)
  const picked: Record<string, unknown> = {}
  for (const name of ["filter", "orderBy", "first", "last", "after", "before", "offset"]) {
    if (args[name] !== undefined) picked[name] = args[name]
  }
  return picked as ConnectionArgs
}

const recordSelection = (
  walk: Walk,
  type: GraphQLObjectType,
  selectionSets: ReadonlyArray<SelectionSetNode>,
  depth: number
): Selection => {
  const fields = new Set<string>()
  const relations: Array<RelationSelection> = []
  const typeFields = type.getFields()
  for (const [key, nodes] of collectFields(walk, selectionSets)) {
    const field = typeFields[nodes[0]!.name.value]
    const info = field?.extensions.score
    if (!field || !info) continue
    if (info.kind === "column") {
      fields.add(info.name)
      continue
    }
    if (info.kind !== "relation") continue
    if (depth + 1 > walk.limits.maxDepth) {
      throw badUserInput(`Relations cannot be nested more than ${walk.limits.maxDepth} levels deep`)
    }
    const other = typeFields[key]
    if (key === "id" || (other && other.extensions.score?.kind === "column")) {
      throw badUserInput(`The alias "${key}" of relation "${info.field}" hides the field "${key}"; choose another alias`)
    }
    const target = objectTypeOf(field)
    if (info.direction === "MANY_TO_ONE") {
      relations.push({ field: info.field, key, selection: recordSelection(walk, target, subSelections(nodes), depth + 1) })
    } else {
      const args = toConnectionArgs(getArgumentValues(field, nodes[0]!, walk.variables), walk.limits)
      const nested = connectionSelection(walk, target, subSelections(nodes), depth + 1)
      relations.push({ field: info.field, key, selection: nested.selection, args, connection: nested.connection })
    }
  }
  return { fields: [...fields], relations }
}

const EMPTY: Selection = { fields: [], relations: [] }

const mergeSelections = (selections: ReadonlyArray<Selection>): Selection =>
  selections.length === 1
    ? selections[0]!
    : {
      fields: [...new Set(selections.flatMap((s) => s.fields))],
      relations: selections.flatMap((s) => s.relations)
    }

/** A `<Object>Connection`: the nodes' selection (from every `edges { node }`), totalCount and aggregates. */
const connectionSelection = (
  walk: Walk,
  type: GraphQLObjectType,
  selectionSets: ReadonlyArray<SelectionSetNode>,
  depth: number
): { readonly selection: Selection; readonly connection: ConnectionSelection } => {
  const nodeSelections: Array<Selection> = []
  const aggregates: Array<AggregateRequest> = []
  let totalCount = false
  let cursors = false
  const typeFields = type.getFields()
  for (const [key, nodes] of collectFields(walk, selectionSets)) {
    const field = typeFields[nodes[0]!.name.value]
    const info = field?.extensions.score
    if (!field) continue
    if (field.name === "pageInfo") {
      for (const infoNodes of collectFields(walk, subSelections(nodes)).values()) {
        if (infoNodes[0]!.name.value === "startCursor" || infoNodes[0]!.name.value === "endCursor") cursors = true
      }
      continue
    }
    if (!info) continue
    if (info.kind === "totalCount") totalCount = true
    else if (info.kind === "aggregate") {
      aggregates.push({ kind: info.aggregate, field: info.field, key, ...(info.subField ? { subField: info.subField } : {}) })
    } else if (info.kind === "edges") {
      const edgeType = objectTypeOf(field)
      const edgeFields = edgeType.getFields()
      for (const edgeNodes of collectFields(walk, subSelections(nodes)).values()) {
        const edgeField = edgeFields[edgeNodes[0]!.name.value]
        if (edgeField?.name === "cursor") cursors = true
        if (edgeField?.extensions.score?.kind !== "node") continue
        nodeSelections.push(recordSelection(walk, objectTypeOf(edgeField), subSelections(edgeNodes), depth))
      }
    }
  }
  return {
    selection: nodeSelections.length ? mergeSelections(nodeSelections) : EMPTY,
    connection: { totalCount, aggregates, cursors }
  }
}

const walkOf = (info: GraphQLResolveInfo, limits: RecordsLimits): Walk => ({
  fragments: info.fragments,
  variables: info.variableValues,
  limits
})

const hasNoVariables = (variables: Readonly<Record<string, unknown>>) => {
  for (const _ in variables) return false
  return true
}

/** Whether a variable appears below these field nodes (fragments they spread included): in an argument or a directive. */
const usesVariables = (sets: ReadonlyArray<SelectionSetNode>, fragments: Readonly<Record<string, FragmentDefinitionNode>>) => {
  const seen = new Set<string>()
  const found = { value: false }
  const visitor = {
    Variable: () => {
      found.value = true
      return BREAK
    },
    FragmentSpread: (node: { readonly name: { readonly value: string } }) => {
      const fragment = fragments[node.name.value]
      if (!fragment || seen.has(node.name.value)) return
      seen.add(node.name.value)
      visit(fragment, visitor)
    }
  }
  for (const set of sets) {
    if (found.value) break
    visit(set, visitor)
  }
  return found.value
}

/**
 * A walk of a root field is reused while its field nodes are (a prepared document's, on the planned path)
 * when nothing below them reads a variable: the root field's own arguments, a record's id for instance, may.
 */
const walkedBelow = new WeakMap<ReadonlyArray<FieldNode>, { readonly limits: RecordsLimits; readonly walk: unknown }>()
const variableFree = new WeakMap<ReadonlyArray<FieldNode>, boolean>()
const reusableWalk = (info: GraphQLResolveInfo) => {
  if (hasNoVariables(info.variableValues)) return true
  let free = variableFree.get(info.fieldNodes)
  if (free === undefined) variableFree.set(info.fieldNodes, free = !usesVariables(subSelections(info.fieldNodes), info.fragments))
  return free
}
const memoWalk = <A>(info: GraphQLResolveInfo, limits: RecordsLimits, make: () => A): A => {
  const reusable = reusableWalk(info)
  const known = reusable ? walkedBelow.get(info.fieldNodes) : undefined
  if (known && known.limits === limits) return known.walk as A
  const walk = make()
  if (reusable) walkedBelow.set(info.fieldNodes, { limits, walk })
  return walk
}

/** The records a root field returns (`company`, `createCompany`, `createCompanies`, …). */
export const rootRecordSelection = (info: GraphQLResolveInfo, limits: RecordsLimits): Selection =>
  memoWalk(info, limits, () => {
    const type = getNamedType(info.returnType)
    if (!isObjectType(type)) throw new Error(`${info.fieldName} does not return records`)
    return recordSelection(walkOf(info, limits), type, subSelections(info.fieldNodes), 0)
  })

/** A root field returning `<Object>Connection` (or a list of them, for duplicates). */
export const rootConnectionSelection = (info: GraphQLResolveInfo, limits: RecordsLimits): ReturnType<typeof connectionSelection> =>
  memoWalk(info, limits, () => {
    const type = getNamedType(info.returnType)
    if (!isObjectType(type)) throw new Error(`${info.fieldName} does not return a connection`)
    return connectionSelection(walkOf(info, limits), type, subSelections(info.fieldNodes), 0)
  })
