import { type DocumentNode, execute as executeDocument, getOperationAST, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode, parse, validate } from "graphql"
import { SizedLru } from "../../../platform/lib/sized-lru.js"
import { isUnavailableGraphQLError } from "../../errors.js"
import { type DocumentLimits, documentShapeError, documentSizeError, type RequestRecordLimits, requestVolume, volumeError } from "../limits.js"
import { MutationFailed, MutationReplay, OFF_PLAN, planQuery, type QueryPlan } from "./plan.js"

/**
 * The fast lane of a GraphQL endpoint. A document that parses, validates and holds a query or mutation
 * is prepared once per (schema, document, operation) and executed from then on without re-parsing or
 * re-validating; queries and one-field mutations run from a plan (plan.ts) when one could be made, else graphql-js
 * executes. Whatever the lane does not take (a syntax or validation error, a subscription, variables
 * that do not coerce) is left, before any resolver runs, to the caller's reference path (yoga), so
 * every error answer stays the reference's.
 */

export interface GraphQLPost {
  readonly query: string
  readonly variables: Record<string, unknown> | null
  readonly operationName: string | null
}

/** What the lane answers: the status and the JSON body, yoga's for the same result. */
export interface LaneAnswer {
  readonly status: number
  readonly body: string
}

/** How this process's lanes answered, for tests and benchmarks: plan, graphql-js execute, or the reference path. */
export const laneCounts = { plan: 0, execute: 0, reference: 0 }

/**
 * A parsed document's heap, estimated from its text: graphql-js's tree with locations measured ~80 bytes per
 * character (a 200-character nested list: 15 KiB), plus the text. A prepared operation adds its plan: twice that.
 * Bounding by these bytes, not a count, keeps large documents (up to QUERY_MAX_DOCUMENT_SIZE each) from
 * multiplying the caches' memory.
 */
export const estimatedDocumentBytes = (text: string) => text.length * 100
const estimatedOperationBytes = (text: string) => 2 * estimatedDocumentBytes(text)

/** Parsed documents, per process; prepared operations, per schema (so per model with sharing on). */
export const DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024
export const OPERATION_CACHE_BYTES_PER_SCHEMA = 16 * 1024 * 1024
const NOT_TAKEN = null

/** A cache of values keyed by document text, bounded by the texts' estimated bytes: yoga's cache shape. */
const documentKeyedCache = <A>(maxBytes: number) => {
  const lru = new SizedLru<string, A>(maxBytes)
  return { get: (text: string) => lru.get(text), set: (text: string, value: A) => lru.set(text, value, estimatedDocumentBytes(text)) }
}

/**
 * yoga's parse caches (`parserAndValidationCache`) bounded by estimated bytes instead of its default 1,024
 * documents each: parsed documents as the lane's own (16 MiB), and the texts that failed to parse (1 MiB).
 */
export const yogaParserCaches = () => ({
  documentCache: documentKeyedCache<DocumentNode>(DOCUMENT_CACHE_BYTES),
  errorCache: documentKeyedCache<unknown>(1024 * 1024)
})

/** A document known to parse and validate against `schema`, with the operation to run. */
interface Prepared {
  readonly schema: GraphQLSchema
  readonly document: DocumentNode
  readonly operation: OperationDefinitionNode
  readonly operationName: string | null
  readonly plan: QueryPlan | null
  /** The operation's records bound depends on variables: checked again on every request. */
  readonly recordsVary: boolean
}

/** A POST body the lane can take: a JSON object with a string query and, when present, object variables. */
export const readPost = (body: unknown): GraphQLPost | null => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null
  const { query, variables, operationName } = body as Record<string, unknown>
  if (typeof query !== "string") return null
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return null
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return null
  return { query, variables: (variables ?? null) as Record<string, unknown> | null, operationName: operationName ?? null }
}

/** Yoga's answer for a result: status from `extensions.http` of the errors (highest wins), internals removed. */
const answerOf = (data: unknown, errors: ReadonlyArray<GraphQLError>): LaneAnswer => {
  let status = 200
  const shown = errors.map((error) => {
    const json = error.toJSON()
    const { http, unexpected: _unexpected, ...extensions } = (json.extensions ?? {}) as Record<string, unknown>
    const httpStatus = (http as { status?: number } | undefined)?.status
    if (httpStatus && httpStatus > status) status = httpStatus
    return { ...json, extensions: Object.keys(extensions).length ? extensions : undefined }
  })
  return { status, body: JSON.stringify(errors.length ? { errors: shown, data } : { data }) }
}

export const makeGraphQLEngine = (options: {
  readonly formatError: (error: GraphQLError) => GraphQLError
  /** A document over these limits is the reference path's to refuse (graphql-limits.ts), as any request error. */
  readonly limits: DocumentLimits & RequestRecordLimits
  /** The caches' bounds in estimated bytes (tests set small ones). */
  readonly cacheBytes?: { readonly documents: number; readonly operationsPerSchema: number }
}) => {
  const { limits } = options
  const bounds = options.cacheBytes ?? { documents: DOCUMENT_CACHE_BYTES, operationsPerSchema: OPERATION_CACHE_BYTES_PER_SCHEMA }
  const documents = new SizedLru<string, DocumentNode | typeof NOT_TAKEN>(bounds.documents)
  const operations = new WeakMap<GraphQLSchema, SizedLru<string, Prepared | typeof NOT_TAKEN>>()

  const documentOf = (query: string) => {
    let document = documents.get(query)
    if (document === undefined) {
      try {
        document = parse(query)
        // Over a document limit: yoga refuses it; only the refusal is remembered, not the tree.
        if (documentShapeError(document, limits)) document = NOT_TAKEN
      } catch {
        document = NOT_TAKEN
      }
      documents.set(query, document, estimatedDocumentBytes(query))
    }
    return document
  }

  const prepareUncached = (schema: GraphQLSchema, query: string, operationName: string | null) => {
    const document = documentOf(query)
    if (!document || validate(schema, document).length > 0) return NOT_TAKEN
    const operation = getOperationAST(document, operationName)
    if (!operation || operation.operation === "subscription") return NOT_TAKEN
    const bound = requestVolume(schema, document, operation, null, limits)
    if (!bound.variablesUsed && volumeError(bound, limits)) return NOT_TAKEN
    return { schema, document, operation, operationName, plan: planQuery(schema, document, operation), recordsVary: bound.variablesUsed }
  }

  /** The prepared operation for this schema, or null when the reference path must answer. */
  const prepare = (schema: GraphQLSchema, post: GraphQLPost): Prepared | null => {
    if (documentSizeError(post.query, limits)) return NOT_TAKEN
    let cache = operations.get(schema)
    if (!cache) {
      cache = new SizedLru(bounds.operationsPerSchema)
      operations.set(schema, cache)
    }
    const key = post.operationName === null ? post.query : `${post.operationName}\u0000${post.query}`
    let prepared = cache.get(key)
    if (prepared === undefined) {
      prepared = prepareUncached(schema, post.query, post.operationName)
      cache.set(key, prepared, estimatedOperationBytes(key))
    }
    return prepared
  }

  /**
   * Runs a prepared operation. Null when it ended before execution (variables that do not coerce, or
   * page sizes from variables over the records or values bound): nothing ran, and the reference path answers.
   */
  const execute = async (prepared: Prepared, context: unknown, variables: Record<string, unknown> | null) => {
    if (prepared.recordsVary) {
      if (volumeError(requestVolume(prepared.schema, prepared.document, prepared.operation, variables, limits), limits)) return NOT_TAKEN
    }
    let replayed: ReadonlyMap<string, unknown> | undefined
    if (prepared.plan) {
      let data
      try {
        data = await prepared.plan.run(context, variables)
      } catch (error) {
        if (isUnavailableGraphQLError(error)) return answerOf(null, [error])
        throw error
      }
      if (data instanceof MutationFailed) {
        laneCounts.plan++
        return answerOf(data.data, data.errors.map(options.formatError))
      }
      if (data instanceof MutationReplay) replayed = data.values
      else if (data !== OFF_PLAN) {
        laneCounts.plan++
        return { status: 200, body: JSON.stringify({ data }) }
      }
    }
    const result = await executeDocument({
      schema: prepared.schema,
      document: prepared.document,
      operationName: prepared.operationName,
      // A mutation the plan ran: its root resolver answers the value it wrote instead of writing again.
      contextValue: replayed === undefined ? context : { ...(context as object), replay: replayed },
      variableValues: variables
    })
    if (!("data" in result) || result.data === undefined) return NOT_TAKEN
    laneCounts.execute++
    return answerOf(result.data, (result.errors ?? []).map(options.formatError))
  }

  /** What the caches hold: parsed documents, and one schema's prepared operations. */
  const cacheStats = (schema: GraphQLSchema) => ({
    documents: { entries: documents.size, bytes: documents.bytes },
    operations: { entries: operations.get(schema)?.size ?? 0, bytes: operations.get(schema)?.bytes ?? 0 }
  })

  return { prepare, execute, cacheStats }
}
