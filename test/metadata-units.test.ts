import { describe, expect, test } from "bun:test"
import { SqlError } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput, Conflict } from "../src/domain/errors.js"
import type { WorkspaceMetadata } from "../src/domain/metadata.js"
import { explainSqlError } from "../src/services/metadata/change.js"
import { columnsOf, defaultToSql, ident, literal } from "../src/services/metadata/columns.js"
import { fieldFromDefinition, modelDdl, objectFromDefinition, standardModel } from "../src/services/metadata/model.js"
import { camelCaseOf, relationPair, standardLinks } from "../src/services/metadata/relations.js"
import { validateDefaultValue, validateName, validateOptions } from "../src/services/metadata/validate.js"
import { isUniqueViolation, pgErrorCode } from "../src/platform/lib/pg-errors.js"

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
    expect(fails(validateOptions("SELECT", []))).toBe("Options are required for enum fields")
    expect(fails(validateOptions("SELECT", [{ value: "a", label: "A" }]))).toContain("UPPER_CASE")
    expect(fails(validateOptions("SELECT", [{ value: "A", label: "A" }, { value: "A", label: "B" }]))).toBe('Duplicated option value "A"')
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

describe("SQLSTATE mapping", () => {
  const sqlError = (cause: unknown) => new SqlError.SqlError({ cause, message: "refused" })

  test("pgErrorCode reads the server's code and nothing else", () => {
    expect(pgErrorCode(sqlError({ code: "23505" }))).toBe("23505")
    expect(pgErrorCode(sqlError({ code: 57 }))).toBeUndefined()
    expect(pgErrorCode(sqlError(undefined))).toBeUndefined()
    expect(pgErrorCode(sqlError(null))).toBeUndefined()
  })

  test("isUniqueViolation is true only for a SqlError caused by 23505", () => {
    expect(isUniqueViolation(sqlError({ code: "23505" }))).toBe(true)
    expect(isUniqueViolation(sqlError({ code: "23503" }))).toBe(false)
    expect(isUniqueViolation({ code: "23505" })).toBe(false)
  })

  test("a metadata change refused by PostgreSQL is the user's input or a conflict, other failures stay", () => {
    expect(explainSqlError(sqlError({ code: "23505" }))).toBeInstanceOf(BadUserInput)
    expect(explainSqlError(sqlError({ code: "23502" }))).toBeInstanceOf(BadUserInput)
    expect(explainSqlError(sqlError({ code: "42P07" }))).toBeInstanceOf(Conflict)
    expect(explainSqlError(sqlError({ code: "42701" }))).toBeInstanceOf(Conflict)
    const other = sqlError({ code: "08006" })
    expect(explainSqlError(other)).toBe(other)
  })
})

describe("relations of new objects and fields", () => {
  const workspaceId = "00000000-0000-4000-8000-000000000001"
  const metadata = (): WorkspaceMetadata => ({ workspaceId, version: 1, schema: "workspace_test", objects: standardModel(workspaceId) })
  const byName = (m: WorkspaceMetadata, name: string) => m.objects.find((o) => o.nameSingular === name)!
  const now = new Date().toISOString()

  test("labels become camelCase names", () => {
    expect(camelCaseOf("Timeline Activities")).toBe("timelineActivities")
    expect(camelCaseOf("  2nd  best-Friends ")).toBe("ndBestFriends")
  })

  test("a custom object is linked from timeline, notes, tasks, attachments and favorites, both sides wired", () => {
    const m = metadata()
    const object = objectFromDefinition({ nameSingular: "rocket", namePlural: "rockets", labelSingular: "Rocket", labelPlural: "Rockets", labelIdentifierField: "id", fields: [] }, workspaceId, true, now)
    const links = standardLinks(m, object)
    expect(links.map((l) => [l.owner.nameSingular, l.field.name, l.inverse.name])).toEqual([
      ["timelineActivity", "targetRocket", "timelineActivities"],
      ["noteTarget", "targetRocket", "noteTargets"],
      ["taskTarget", "targetRocket", "taskTargets"],
      ["attachment", "targetRocket", "attachments"],
      ["favorite", "rocket", "favorites"]
    ])
    for (const { owner, field, inverse } of links) {
      expect([field.relationType, field.onDelete, field.objectMetadataId, field.relationTargetObjectMetadataId]).toEqual(["MANY_TO_ONE", "CASCADE", owner.id, object.id])
      expect([inverse.relationType, inverse.objectMetadataId, inverse.relationTargetObjectMetadataId, inverse.isSystem]).toEqual(["ONE_TO_MANY", object.id, owner.id, true])
      expect([field.relationTargetFieldMetadataId, inverse.relationTargetFieldMetadataId]).toEqual([inverse.id, field.id])
    }
  })

  test("a relation field gets its inverse, and the MANY_TO_ONE side gets the join column", async () => {
    const m = metadata()
    const person = byName(m, "person")
    const company = byName(m, "company")
    const newField = () => fieldFromDefinition({ name: "sponsor", label: "Sponsor", type: "RELATION" }, { workspaceId, objectMetadataId: person.id }, true, now)

    const manyToOne = newField()
    const pair = await Effect.runPromise(relationPair(m, person, manyToOne, { type: "MANY_TO_ONE", targetObjectMetadataId: company.id, targetFieldLabel: "Sponsored People" }, now))
    expect([pair.inverse.name, pair.inverse.relationType, pair.inverse.objectMetadataId]).toEqual(["sponsoredPeople", "ONE_TO_MANY", company.id])
    expect([manyToOne.onDelete, manyToOne.relationTargetFieldMetadataId, pair.inverse.relationTargetFieldMetadataId]).toEqual(["SET_NULL", pair.inverse.id, manyToOne.id])
    const altered = (statements: ReadonlyArray<string>) => new Set(statements.flatMap((s) => /^ALTER TABLE (\S+)/.exec(s)?.[1] ?? []))
    expect(altered(pair.statements)).toEqual(new Set([`"workspace_test"."person"`]))
    expect(pair.statements.some((s) => s.includes(`"sponsorId"`) && s.includes(`REFERENCES "workspace_test"."company"`))).toBe(true)

    const oneToMany = newField()
    const flipped = await Effect.runPromise(relationPair(m, person, oneToMany, { type: "ONE_TO_MANY", targetObjectMetadataId: company.id, targetFieldLabel: "Patron", onDelete: "CASCADE" }, now))
    expect([oneToMany.onDelete, flipped.inverse.onDelete, flipped.inverse.relationType]).toEqual([null, "CASCADE", "MANY_TO_ONE"])
    expect(altered(flipped.statements)).toEqual(new Set([`"workspace_test"."company"`]))
    expect(flipped.statements.some((s) => s.includes(`"patronId"`) && s.includes(`REFERENCES "workspace_test"."person"`))).toBe(true)

    const wrongType = await Effect.runPromise(Effect.flip(relationPair(m, person, newField(), { type: "MANY_TO_MANY" as "MANY_TO_ONE", targetObjectMetadataId: company.id, targetFieldLabel: "X" }, now)))
    expect(wrongType).toMatchObject({ _tag: "BadUserInput", field: "relationCreationPayload" })
    const noTarget = await Effect.runPromise(Effect.flip(relationPair(m, person, newField(), { type: "MANY_TO_ONE", targetObjectMetadataId: "not-a-uuid", targetFieldLabel: "X" }, now)))
    expect(noTarget).toMatchObject({ _tag: "BadUserInput", message: "Object targeted by field to create not found" })
  })
})
