import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLField,
  GraphQLList,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode
} from "graphql"
import type { Plugin } from "graphql-yoga"
import type { AppConfigShape } from "../../platform/config.js"
import { DEFAULT_GROUP_LIMIT, MAX_GROUP_LIMIT, RECORDS_PER_GROUP } from "../../services/records/group-by.js"

/**
 * What one GraphQL request may cost, checked before anything runs (one 564 KB document of 5,000 aliases
 * each `first: 200` once asked for a million records, 153 MB of JSON). The document checks hold for every
 * GraphQL endpoint; the records bound needs the data schema's connections and holds on /graphql.
 */
export interface DocumentLimits {
  readonly maxDocumentBytes: number
  readonly maxRootFields: number
  readonly maxAliases: number
  readonly maxFields: number
  readonly maxDepth: number
}

export interface RequestRecordLimits {
  /** Records a whole request may return: every root field, alias and nested page summed. */
  readonly maxRecords: number
  /** Leaf values (scalars, enums, subfields of composites) over all those records: the answer's size. */
  readonly maxValues: number
  readonly defaultPageSize: number
  readonly maxPageSize: number
}

export const documentLimitsOf = (config: AppConfigShape): DocumentLimits => ({
  maxDocumentBytes: config.queryMaxDocumentBytes,
  maxRootFields: config.queryMaxRootFields,
  maxAliases: config.queryMaxAliases,
  maxFields: config.queryMaxFields,
  maxDepth: config.queryMaxDepth
})

export const recordLimitsOf = (config: AppConfigShape): RequestRecordLimits => ({
  maxRecords: config.queryMaxRequestRecords,
  maxValues: config.queryMaxRequestValues,
  defaultPageSize: config.queryDefaultLimit,
  maxPageSize: config.queryMaxLimit
})

/** Refused before execution with Twenty's BAD_USER_INPUT (status 200, as yoga answers request errors to JSON clients). */
const refusal = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })

/** The document's size in UTF-8 bytes, counted only when its length does not settle it. */
export const documentSizeError = (query: string, limits: DocumentLimits): GraphQLError | null => {
  const fits = query.length * 3 <= limits.maxDocumentBytes ||
    (query.length <= limits.maxDocumentBytes && Buffer.byteLength(query) <= limits.maxDocumentBytes)
  return fits ? null : refusal(`Query too large: the document exceeds QUERY_MAX_DOCUMENT_SIZE (${limits.maxDocumentBytes} bytes)`)
}

interface Tally {
  /** Fields selected, fragments expanded (what execution would resolve). */
  readonly fields: number
  readonly aliases: number
  /** Fields directly in this selection set, fragments at this level included. */
  readonly top: number
  readonly depth: number
}

const EMPTY: Tally = { fields: 0, aliases: 0, top: 0, depth: 0 }

const fragmentsOf = (document: DocumentNode) => {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  return fragments
}

/**
 * Fields, aliases, root fields and depth of every operation in a parsed (not yet validated) document, each
 * fragment counted once and reused, so a fragment spread many times costs its size, not a walk per spread.
 */
const tallyOf = (document: DocumentNode) => {
  const fragments = fragmentsOf(document)
  const memo = new Map<string, Tally>()
  const fragmentTally = (name: string): Tally => {
    const known = memo.get(name)
    if (known) return known
    memo.set(name, EMPTY) // a cycle (refused by validation) counts nothing
    const fragment = fragments.get(name)
    const tally = fragment ? selectionTally(fragment.selectionSet) : EMPTY
    memo.set(name, tally)
    return tally
  }
  const selectionTally = (set: SelectionSetNode): Tally => {
    let fields = 0, aliases = 0, top = 0, depth = 0
    for (const selection of set.selections) {
      const inner = selection.kind === Kind.FIELD
        ? (selection.selectionSet ? selectionTally(selection.selectionSet) : EMPTY)
        : selection.kind === Kind.INLINE_FRAGMENT
        ? selectionTally(selection.selectionSet)
        : fragmentTally(selection.name.value)
      fields += inner.fields
      aliases += inner.aliases
      if (selection.kind === Kind.FIELD) {
        fields += 1
        top += 1
        if (selection.alias) aliases += 1
        depth = Math.max(depth, 1 + inner.depth)
      } else {
        top += inner.top
        depth = Math.max(depth, inner.depth)
      }
    }
    return { fields, aliases, top, depth }
  }
  let worst = EMPTY
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    const tally = selectionTally(definition.selectionSet)
    worst = {
      fields: Math.max(worst.fields, tally.fields),
      aliases: Math.max(worst.aliases, tally.aliases),
      top: Math.max(worst.top, tally.top),
      depth: Math.max(worst.depth, tally.depth)
    }
  }
  return worst
}

/** The first document limit a parsed document breaks (the largest of its operations), or null. */
export const documentShapeError = (document: DocumentNode, limits: DocumentLimits): GraphQLError | null => {
  const tally = tallyOf(document)
  if (tally.top > limits.maxRootFields) {
    return refusal(`Query too large: ${tally.top} root fields, more than QUERY_MAX_ROOT_FIELDS (${limits.maxRootFields})`)
  }
  if (tally.aliases > limits.maxAliases) {
    return refusal(`Query too large: ${tally.aliases} aliases, more than QUERY_MAX_ALIASES (${limits.maxAliases})`)
  }
  if (tally.fields > limits.maxFields) {
    return refusal(`Query too large: ${tally.fields} fields selected, more than QUERY_MAX_FIELDS (${limits.maxFields})`)
  }
  if (tally.depth > limits.maxDepth) {
    return refusal(`Query too deep: ${tally.depth} levels, more than QUERY_MAX_DEPTH (${limits.maxDepth})`)
  }
  return null
}

const isConnection = (type: GraphQLOutputType): type is GraphQLObjectType => isObjectType(type) && "edges" in type.getFields()

const fieldKind = (field: GraphQLField<unknown, unknown>) =>
  (field.extensions as { readonly score?: { readonly kind?: string } } | undefined)?.score?.kind

/** What one parent holds: records, and leaf values (the answer's size, roughly: a value is about 20-40 bytes of JSON). */
interface Volume {
  readonly records: number
  readonly values: number
}

const NOTHING: Volume = { records: 0, values: 0 }

/**
 * Upper bound of the records and leaf values an operation returns with these variables, and whether
 * variables changed them.
 */
export const requestVolume = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  limits: RequestRecordLimits
) => {
  const fragments = fragmentsOf(document)
  let variablesUsed = false
  const intArg = (field: FieldNode, name: string): number | null => {
    const value: ValueNode | undefined = field.arguments?.find((a) => a.name.value === name)?.value
    if (!value) return null
    if (value.kind === Kind.INT) return Number(value.value)
    if (value.kind !== Kind.VARIABLE) return null
    variablesUsed = true
    const given = variables?.[value.name.value]
    return typeof given === "number" && Number.isFinite(given) ? given : null
  }
  const pageSize = (field: FieldNode) => {
    const size = intArg(field, "first") ?? intArg(field, "last") ?? intArg(field, "limit") ?? limits.defaultPageSize
    return Math.min(Math.max(size, 0), limits.maxPageSize)
  }
  /** Per parent: each counted field times its records, plus what each of those holds. */
  const memo = new Map<string, Volume>()
  const perParent = (type: GraphQLObjectType | null, set: SelectionSetNode): Volume => {
    let records = 0, values = 0
    const add = (volume: Volume, times = 1) => {
      records += times * volume.records
      values += times * volume.values
    }
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value
        if (!memo.has(name)) {
          memo.set(name, NOTHING) // a cycle (refused by validation) counts nothing
          const fragment = fragments.get(name)
          const on = fragment && schema.getType(fragment.typeCondition.name.value)
          memo.set(name, fragment ? perParent(on && isObjectType(on) ? on : null, fragment.selectionSet) : NOTHING)
        }
        add(memo.get(name)!)
        continue
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition && schema.getType(selection.typeCondition.name.value)
        add(perParent(on && isObjectType(on) ? on : type, selection.selectionSet))
        continue
      }
      if (!selection.selectionSet) {
        values += 1
        continue
      }
      const field = type?.getFields()[selection.name.value]
      if (!field) continue
      const named = getNamedType(field.type)
      const inner = perParent(isObjectType(named) ? named : null, selection.selectionSet)
      const list = getNullableType(field.type) instanceof GraphQLList
      let count: number
      if (isConnection(named)) {
        const groups = list ? Math.min(intArg(selection, "limit") || DEFAULT_GROUP_LIMIT, MAX_GROUP_LIMIT) : 1
        count = list ? groups * RECORDS_PER_GROUP : pageSize(selection)
      } else if (isObjectType(named) && "id" in named.getFields() && fieldKind(field) !== "node") {
        count = list ? limits.maxPageSize : 1
      } else {
        add(inner)
        continue
      }
      records += count
      add(inner, count)
    }
    return { records, values }
  }
  const root = schema.getRootType(operation.operation)
  return { ...(root ? perParent(root, operation.selectionSet) : NOTHING), variablesUsed }
}

export const volumeError = (volume: Volume, limits: RequestRecordLimits): GraphQLError | null => {
  if (volume.records > limits.maxRecords) {
    return refusal(`Query too complex: it could return ${volume.records} records, more than QUERY_MAX_REQUEST_RECORDS (${limits.maxRecords}); request fewer aliases or smaller pages`)
  }
  if (volume.values > limits.maxValues) {
    return refusal(`Query too complex: it could return ${volume.values} field values, more than QUERY_MAX_REQUEST_VALUES (${limits.maxValues}); request fewer fields, aliases or records`)
  }
  return null
}

/**
 * The same checks in yoga: size before parsing, shape before validating (validation of a huge document
 * is itself costly), records and values before executing (page sizes may come from variables).
 */
export const useQueryLimits = (limits: DocumentLimits, records?: RequestRecordLimits): Plugin => ({
  onParse: ({ params, setParseFn }) => {
    const error = documentSizeError(typeof params.source === "string" ? params.source : params.source.body, limits)
    if (error) {
      setParseFn(() => {
        throw error
      })
    }
  },
  onValidate: ({ params, setResult }) => {
    const error = documentShapeError(params.documentAST, limits)
    if (error) setResult([error])
  },
  onExecute: ({ args, setResultAndStopExecution }) => {
    if (!records) return
    const document: DocumentNode = args.document
    const operation = document.definitions.find((d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName)
    )
    if (!operation) return
    const error = volumeError(requestVolume(args.schema, document, operation, args.variableValues, records), records)
    if (error) setResultAndStopExecution({ errors: [error] })
  }
})
