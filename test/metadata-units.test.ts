import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { columnsOf, defaultToSql, ident, literal } from "../src/services/metadata/columns.js"
import { modelDdl, standardModel } from "../src/services/metadata/model.js"
import { validateDefaultValue, validateName, validateOptions } from "../src/services/metadata/validate.js"

const field = (overrides: Record<string, unknown>) => ({
  name: "f", type: "TEXT", isNullable: true, isUnique: false, defaultValue: null, options: null, settings: null, relationType: null,
  ...overrides
}) as Parameters<typeof columnsOf>[0]

describe("columns", () => {
  test("composite fields become prefixed columns", () => {
    expect(columnsOf(field({ name: "name", type: "FULL_NAME" })).map((c) => c.name)).toEqual(["nameFirstName", "nameLastName"])
    expect(columnsOf(field({ name: "amount", type: "CURRENCY" })).map((c) => [c.name, c.sqlType])).toEqual([
      ["amountAmountMicros", "numeric"],
      ["amountCurrencyCode", "text"]
    ])
  })

  test("relations: the MANY_TO_ONE side owns <name>Id, the ONE_TO_MANY side has no column", () => {
    expect(columnsOf(field({ name: "company", type: "RELATION", relationType: "MANY_TO_ONE" })).map((c) => c.name)).toEqual(["companyId"])
    expect(columnsOf(field({ name: "people", type: "RELATION", relationType: "ONE_TO_MANY" }))).toEqual([])
  })

  test("SELECT gets a CHECK on its option values and a quoted default", () => {
    const [column] = columnsOf(field({ name: "stage", type: "SELECT", defaultValue: "'NEW'", options: [{ value: "NEW" }, { value: "WON" }] }))
    expect(column!.check).toBe(`"stage" IN ('NEW', 'WON')`)
    expect(column!.defaultSql).toBe("'NEW'")
  })

  test("defaults and literals are escaped, identifiers are refused unless safe", () => {
    expect(defaultToSql("'it''s'", "text")).toBe("'it''s'")
    expect(defaultToSql("now", "timestamptz")).toBe("now()")
    expect(defaultToSql(["'A'", "'B'"], "text[]")).toBe("ARRAY['A', 'B']::text[]")
    expect(literal("O'Brien")).toBe("'O''Brien'")
    expect(() => ident(`x"; DROP TABLE users; --`)).toThrow()
    expect(ident("companyId")).toBe(`"companyId"`)
  })

  test("the standard model has every relation's inverse, and its DDL names only safe identifiers", () => {
    const objects = standardModel("00000000-0000-4000-8000-000000000000")
    const fields = new Map(objects.flatMap((o) => o.fields).map((f) => [f.id, f]))
    for (const f of fields.values()) {
      if (!f.relationType) continue
      const inverse = fields.get(f.relationTargetFieldMetadataId!)!
      expect(inverse.relationTargetFieldMetadataId).toBe(f.id)
      expect(inverse.relationType).not.toBe(f.relationType)
    }
    const ddl = modelDdl("workspace_test", objects)
    expect(ddl.filter((s) => s.startsWith("CREATE TABLE"))).toHaveLength(objects.length)
  })
})

describe("validation", () => {
  const fails = (effect: Effect.Effect<unknown, { message: string }>) => Effect.runSync(Effect.flip(effect)).message

  test("names are camelCase, at most 63 characters, and not reserved", () => {
    expect(Effect.runSync(validateName("invoiceLine2", "name"))).toBe("invoiceLine2")
    expect(fails(validateName("Invoice", "name"))).toContain("camelCase")
    expect(fails(validateName("invoice_line", "name"))).toContain("camelCase")
    expect(fails(validateName("a".repeat(64), "name"))).toContain("63")
    expect(fails(validateName("workspace", "name"))).toContain("reserved")
  })

  test("options must be UPPER_SNAKE values, unique, with labels and known colors", () => {
    expect(Effect.runSync(validateOptions("SELECT", [{ value: "A_1", label: "A" }]))![0]).toMatchObject({ value: "A_1", color: "gray", position: 0 })
    expect(fails(validateOptions("SELECT", []))).toContain("at least one option")
    expect(fails(validateOptions("SELECT", [{ value: "a", label: "A" }]))).toContain("UPPER_CASE")
    expect(fails(validateOptions("SELECT", [{ value: "A", label: "A" }, { value: "A", label: "B" }]))).toContain("duplicated")
    expect(fails(validateOptions("SELECT", [{ value: "A", label: "A", color: "chartreuse" }]))).toContain("color")
    expect(fails(validateOptions("TEXT", [{ value: "A", label: "A" }]))).toContain("only for SELECT")
  })

  test("default values must fit the type", () => {
    const options = [{ id: "1", value: "A", label: "A", color: "red", position: 0 }]
    expect(Effect.runSync(validateDefaultValue({ type: "SELECT", options }, "'A'"))).toBe("'A'")
    expect(fails(validateDefaultValue({ type: "SELECT", options }, "'B'"))).toContain("options")
    expect(Effect.runSync(validateDefaultValue({ type: "TEXT", options: null }, "hello"))).toBe("'hello'")
    expect(fails(validateDefaultValue({ type: "NUMBER", options: null }, "12"))).toContain("number")
    expect(fails(validateDefaultValue({ type: "DATE_TIME", options: null }, "tomorrow"))).toContain("now")
  })
})
