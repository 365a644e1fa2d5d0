import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql"
import { isUuid } from "../../platform/lib/uuid.js"

/**
 * The GraphQL scalars of both APIs, named as Twenty names them: /graphql (data/schema) uses them all,
 * /metadata uses UUID, DateTime, JSON and JSONObject. Values stay plain JSON for Records.
 * (Merged from two copies: /metadata's DateTime also took epoch numbers through `new Date(n)`; none of
 * its fields or arguments carries one, so the stricter strings-and-Dates-only reading serves both.)
 */

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })

const stringOf = (ast: ValueNode) => (ast.kind === Kind.STRING ? ast.value : undefined)

/** Twenty's uuid.scalar.ts wording: "UUID must be a string", "Invalid UUID". */
const parseUuid = (value: unknown) => {
  if (typeof value !== "string") throw badInput("UUID must be a string")
  if (isUuid(value)) return value.toLowerCase()
  throw badInput("Invalid UUID")
}

export const UUIDScalar = new GraphQLScalarType({
  name: "UUID",
  description: "A UUID",
  serialize: (value) => String(value),
  parseValue: parseUuid,
  parseLiteral: (ast) => parseUuid(stringOf(ast))
})

/** What Date#toISOString gives, and what Records' SQL writes: kept as is, no Date round trip. */
const CANONICAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const parseDateTime = (value: unknown) => {
  if (typeof value === "string" && CANONICAL_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return value
  const date = value instanceof Date ? value : typeof value === "string" ? new Date(value) : new Date(Number.NaN)
  // Twenty's date-time.scalar.ts wording
  if (Number.isNaN(date.getTime())) throw badInput("Invalid date format, expected ISO date string")
  return date.toISOString()
}

export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  description: "A date-time string in ISO 8601",
  // Records' SQL writes canonical date-times (valid by construction): those need no Date.parse.
  serialize: (value) => (typeof value === "string" && CANONICAL_DATE_TIME.test(value) ? value : parseDateTime(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(stringOf(ast))
})

/** Dates (`2025-01-31`) or date-times; kept as given, since DATE fields want the plain date. */
const parseDate = (value: unknown) => {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value).toISOString()
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value
  throw badInput(`Invalid Date: ${JSON.stringify(value)}`)
}

export const DateScalar = new GraphQLScalarType({
  name: "Date",
  description: "A date (YYYY-MM-DD) or an ISO 8601 date-time",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.INT ? Number(ast.value) : stringOf(ast))
})

/** Any JSON value; literals are read by graphql-js's untyped value reader (the scalar default). */
export const JSONScalar = new GraphQLScalarType({ name: "JSON", description: "Any JSON value" })

/** /metadata only (workspace member userVars): a JSON object, read like JSON. */
export const JSONObjectScalar = new GraphQLScalarType({ name: "JSONObject" })

const NUMERIC = /^-?\d+(\.\d+)?$/

const parseBigFloat = (value: unknown) => {
  if ((typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && NUMERIC.test(value))) return value
  throw badInput(`Invalid BigFloat: ${JSON.stringify(value)}`)
}

/** Arbitrary-precision numbers: read as given (strings keep precision), written as JSON numbers like Twenty. */
export const BigFloatScalar = new GraphQLScalarType({
  name: "BigFloat",
  description: "A big floating point number",
  serialize: (value) => (typeof value === "number" ? value : Number.parseFloat(String(value))),
  parseValue: parseBigFloat,
  parseLiteral: (ast) =>
    parseBigFloat(ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? ast.value : stringOf(ast))
})

const parseBigInt = (value: unknown) => {
  const text = typeof value === "number" || typeof value === "bigint" ? String(value) : value
  if (typeof text !== "string" || !/^-?\d+$/.test(text)) throw badInput(`Invalid BigInt: ${JSON.stringify(value)}`)
  const number = Number(text)
  return Number.isSafeInteger(number) ? number : text
}

export const BigIntScalar = new GraphQLScalarType({
  name: "BigInt",
  description: "A 64-bit integer (a string beyond 2^53)",
  serialize: parseBigInt,
  parseValue: parseBigInt,
  parseLiteral: (ast) => parseBigInt(ast.kind === Kind.INT ? ast.value : stringOf(ast))
})

/** Twenty's position.scalar.ts wording, for variables and (shorter) for literals. */
const parsePosition = (value: unknown) => {
  if ((typeof value === "number" && Number.isFinite(value)) || value === "first" || value === "last") return value
  throw badInput(`Invalid position value: '${String(value)}'. Position must be 'first', 'last', or a number`)
}

export const PositionScalar = new GraphQLScalarType({
  name: "Position",
  description: "A record position in a list: a number, or 'first' / 'last' on input",
  serialize: (value) => (typeof value === "number" ? value : Number(value)),
  parseValue: parsePosition,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value)
    if (ast.kind === Kind.STRING && (ast.value === "first" || ast.value === "last")) return ast.value
    throw badInput("Invalid position value")
  }
})

const stringScalar = (name: string, description: string) => {
  const parse = (value: unknown) => {
    if (typeof value === "string") return value
    throw badInput(`${name} must be a string`)
  }
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => parse(stringOf(ast))
  })
}

export const CursorScalar = stringScalar("Cursor", "A cursor for pagination")
export const ConnectionCursorScalar = stringScalar("ConnectionCursor", "Cursor for paging through collections")
export const TSVectorScalar = stringScalar("TSVector", "A PostgreSQL tsvector")

/** The workspace schema's scalars (/graphql). */
export const SCALARS = [
  UUIDScalar,
  DateTimeScalar,
  DateScalar,
  JSONScalar,
  BigFloatScalar,
  BigIntScalar,
  PositionScalar,
  CursorScalar,
  ConnectionCursorScalar,
  TSVectorScalar
]
