import { GraphQLError, GraphQLScalarType, Kind } from "graphql"
import { isUuid } from "../../../platform/lib/uuid.js"


const badInput = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })

const parseUuid = (value: unknown) => {
  if (typeof value === "string" && isUuid(value)) return value.toLowerCase()
  throw badInput(`Invalid UUID: ${JSON.stringify(value)}`)
}

export const UUIDScalar = new GraphQLScalarType({
  name: "UUID",
  serialize: (value) => String(value),
  parseValue: parseUuid,
  parseLiteral: (ast) => parseUuid(ast.kind === Kind.STRING ? ast.value : undefined)
})

const toIso = (value: unknown) => {
  const date = value instanceof Date ? value : new Date(value as string)
  if (Number.isNaN(date.getTime())) throw badInput(`Invalid DateTime: ${JSON.stringify(value)}`)
  return date.toISOString()
}

export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  serialize: toIso,
  parseValue: toIso,
  parseLiteral: (ast) => toIso(ast.kind === Kind.STRING ? ast.value : undefined)
})

const identity = new GraphQLScalarType({ name: "JSON" })

export const JSONScalar = identity
export const JSONObjectScalar = new GraphQLScalarType({ name: "JSONObject" })
