import { describe, expect, test } from "bun:test"
import { GraphQLError, Kind } from "graphql"
import { DateTimeScalar, JSONObjectScalar, JSONScalar, UUIDScalar } from "../src/http/graphql/scalars.js"

/** The scalars /graphql and /metadata share (src/http/graphql/scalars.ts); no database. */

const codeOf = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions["code"] : "not a GraphQLError"
  }
  return "no error"
}

describe("shared GraphQL scalars", () => {
  test("UUID: read in any case, answered lower case; anything else is BAD_USER_INPUT", () => {
    expect(UUIDScalar.parseValue("0A9C6B2E-1111-4F3B-8A4D-2C1D3E4F5A6B")).toBe("0a9c6b2e-1111-4f3b-8a4d-2c1d3e4f5a6b")
    expect(UUIDScalar.parseLiteral({ kind: Kind.STRING, value: "0a9c6b2e-1111-4f3b-8a4d-2c1d3e4f5a6b" })).toBe(
      "0a9c6b2e-1111-4f3b-8a4d-2c1d3e4f5a6b"
    )
    expect(codeOf(() => UUIDScalar.parseValue("0a9c6b2e-1111-4f3b-8a4d"))).toBe("BAD_USER_INPUT")
    expect(codeOf(() => UUIDScalar.parseLiteral({ kind: Kind.INT, value: "1" }))).toBe("BAD_USER_INPUT")
  })

  test("DateTime: canonical strings kept, other dates and Dates as ISO, numbers and garbage refused", () => {
    expect(DateTimeScalar.serialize("2025-01-31T10:00:00.000Z")).toBe("2025-01-31T10:00:00.000Z")
    expect(DateTimeScalar.serialize("2025-01-31 10:00:00+00")).toBe("2025-01-31T10:00:00.000Z")
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2025, 0, 31, 10)))).toBe("2025-01-31T10:00:00.000Z")
    expect(DateTimeScalar.parseValue("2025-01-31T11:00:00+01:00")).toBe("2025-01-31T10:00:00.000Z")
    expect(codeOf(() => DateTimeScalar.serialize("yesterday"))).toBe("BAD_USER_INPUT")
    expect(codeOf(() => DateTimeScalar.parseValue(1738317600000))).toBe("BAD_USER_INPUT")
  })

  test("JSON and JSONObject read literals as plain values", () => {
    const literal = {
      kind: Kind.OBJECT,
      fields: [{ kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: "a" }, value: { kind: Kind.INT, value: "1" } }]
    } as const
    expect(JSONScalar.parseLiteral(literal)).toEqual({ a: 1 })
    expect(JSONObjectScalar.parseLiteral(literal)).toEqual({ a: 1 })
    expect(JSONObjectScalar.serialize({ theme: "dark" })).toEqual({ theme: "dark" })
  })
})
