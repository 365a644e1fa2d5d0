import { describe, expect, test } from "bun:test"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../src/domain/metadata.js"
import { Duration } from "effect"
import { LocalTier } from "../src/platform/cache/index.js"
import { SizedLru } from "../src/platform/lib/sized-lru.js"
import { modelFingerprint } from "../src/services/metadata/fingerprint.js"
import { buildSchema } from "graphql"
import { DOCUMENT_CACHE_BYTES, estimatedDocumentBytes, makeGraphQLEngine, yogaParserCaches } from "../src/http/graphql/data/engine.js"
import { parse } from "graphql"

describe("SizedLru", () => {
  test("evicts the least recently used entries until the bytes fit, never the newest", () => {
    const lru = new SizedLru<string, number>(100)
    lru.set("a", 1, 40)
    lru.set("b", 2, 40)
    expect(lru.get("a")).toBe(1) // a is now the most recently used
    lru.set("c", 3, 40)
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([1, undefined, 3])
    expect(lru.bytes).toBe(80)
    lru.set("huge", 4, 500)
    expect([lru.size, lru.bytes, lru.get("huge")]).toEqual([1, 500, 4])
    lru.set("huge", 5, 10)
    expect([lru.size, lru.bytes]).toEqual([1, 10])
  })
})

describe("the cache's local tier", () => {
  test("expired entries leave as new ones come, not only when read again", async () => {
    const local = new LocalTier()
    for (let i = 0; i < 100; i++) local.set(`workspace:${i}`, { i }, Duration.millis(5))
    local.set("long", { kept: true }, Duration.seconds(10))
    expect(local.size).toBe(101)
    await Bun.sleep(20)
    local.set("next", { i: 1 }, Duration.seconds(10))
    expect(local.size).toBe(2)
  })
})

const field = (id: string, name: string, extra: Partial<FieldMetadata> = {}): FieldMetadata => ({
  id, workspaceId: "w", objectMetadataId: "o", name, label: name, type: "TEXT", description: null, icon: null,
  isCustom: false, isActive: true, isSystem: false, isNullable: true, isUnique: false, isUIReadOnly: false,
  isLabelSyncedWithName: false, defaultValue: null, options: null, settings: null, relationType: null,
  relationTargetObjectMetadataId: null, relationTargetFieldMetadataId: null, onDelete: null, morphId: null,
  createdAt: "2026-01-01", updatedAt: "2026-01-01", ...extra
})
const object = (id: string, name: string, fields: ReadonlyArray<FieldMetadata>): ObjectMetadata => ({
  id, workspaceId: "w", nameSingular: name, namePlural: `${name}s`, labelSingular: name, labelPlural: `${name}s`,
  description: null, icon: null, shortcut: null, tableName: name, isCustom: false, isActive: true, isSystem: false,
  isRemote: false, isSearchable: false, isUIReadOnly: false, isLabelSyncedWithName: false,
  labelIdentifierFieldMetadataId: fields.find((f) => f.name === "name")?.id ?? null, imageIdentifierFieldMetadataId: null, duplicateCriteria: null,
  createdAt: "2026-01-01", updatedAt: "2026-01-01", fields
})
/** A two-object model whose ids, dates, workspace and schema all depend on `tag`. */
const model = (tag: string, options: { label?: string; fieldOrder?: "ab" | "ba" } = {}): WorkspaceMetadata => {
  const company = `${tag}-company`
  const fields = [
    field(`${tag}-name`, "name", { label: options.label ?? "Name", createdAt: tag }),
    field(`${tag}-owner`, "owner", {
      type: "RELATION", relationType: "MANY_TO_ONE", relationTargetObjectMetadataId: `${tag}-person`,
      relationTargetFieldMetadataId: `${tag}-companies`, morphId: `${tag}-morph`
    })
  ]
  return {
    workspaceId: tag, version: 1, schema: `workspace_${tag}`,
    objects: [
      object(company, "company", options.fieldOrder === "ba" ? [...fields].reverse() : fields),
      object(`${tag}-person`, "person", [field(`${tag}-companies`, "companies", { relationTargetObjectMetadataId: company })])
    ]
  }
}

describe("modelFingerprint", () => {
  test("equal for models that differ only in ids, dates, workspace, schema and field order", () => {
    expect(modelFingerprint(model("x"))).toBe(modelFingerprint(model("y", { fieldOrder: "ba" })))
  })
  test("different when anything of the model itself differs", () => {
    expect(modelFingerprint(model("x"))).not.toBe(modelFingerprint(model("y", { label: "Title" })))
    const moved = model("y")
    const retargeted = { ...moved, objects: [moved.objects[0]!, { ...moved.objects[1]!, nameSingular: "human" }] }
    expect(modelFingerprint(model("x"))).not.toBe(modelFingerprint(retargeted))
  })
  const withName = (m: WorkspaceMetadata, extra: Partial<FieldMetadata>) => ({
    ...m,
    objects: [{ ...m.objects[0]!, fields: m.objects[0]!.fields.map((f) => (f.name === "name" ? { ...f, ...extra } : f)) }, m.objects[1]!]
  })
  test("values of another type or nesting are another model", () => {
    const prints = [
      { defaultValue: 1 }, { defaultValue: "1" }, { defaultValue: [1] }, { defaultValue: { value: 1 } }, { defaultValue: true },
      { settings: { a: { b: "c" } } }, { settings: { a: "b", c: null } }, { settings: { a: ["b", "c"] } }, { settings: { a: ["b"], c: [] } },
      { defaultValue: new Date(0) }, { defaultValue: new Date(1) }, { defaultValue: 1n }, { defaultValue: 2n }
    ].map((extra) => modelFingerprint(withName(model("x"), extra)))
    expect(new Set(prints).size).toBe(prints.length)
    expect(modelFingerprint(withName(model("x"), { settings: { a: [1, "b"] } })))
      .toBe(modelFingerprint(withName(model("y"), { settings: { a: [1, "b"] } })))
  })
  test("a morph group is named alike whatever order its fields were read in", () => {
    const morphs = (tag: string, order: "ab" | "ba") => {
      const m = model(tag)
      const pair = [
        field(`${tag}-ta`, "targetA", { morphId: `${tag}-group` }),
        field(`${tag}-tb`, "targetB", { morphId: `${tag}-group` })
      ]
      const fields = [...m.objects[1]!.fields, ...(order === "ab" ? pair : [...pair].reverse())]
      return { ...m, objects: [m.objects[0]!, { ...m.objects[1]!, fields }] }
    }
    expect(modelFingerprint(morphs("x", "ab"))).toBe(modelFingerprint(morphs("y", "ba")))
  })
})

describe("the /graphql lane's document caches", () => {
  const limits = {
    maxDocumentBytes: 100_000, maxRootFields: 10, maxAliases: 10, maxFields: 100, maxDepth: 10,
    maxRecords: 1000, maxValues: 10_000, defaultPageSize: 60, maxPageSize: 200
  }
  const schema = buildSchema("type Query { a(n: Int): Int, b: String }")
  const post = (query: string) => ({ query, variables: null, operationName: null })

  test("are bounded by estimated bytes, not a count: long documents leave room for fewer", () => {
    const engine = makeGraphQLEngine({ formatError: (e) => e, limits, cacheBytes: { documents: 200_000, operationsPerSchema: 300_000 } })
    // Each document different (a literal per query), ~400 characters: ~40 KB estimated, ~80 KB as an operation.
    const padding = " ".repeat(380)
    for (let i = 0; i < 50; i++) expect(engine.prepare(schema, post(`{ a(n: ${i})${padding} }`))).not.toBeNull()
    const stats = engine.cacheStats(schema)
    expect(stats.documents.bytes).toBeLessThanOrEqual(200_000)
    expect(stats.operations.bytes).toBeLessThanOrEqual(300_000)
    expect(stats.documents.entries).toBe(Math.floor(200_000 / estimatedDocumentBytes(`{ a(n: 49)${padding} }`)))
    // Short documents: many more fit in the same bytes.
    for (let i = 0; i < 200; i++) engine.prepare(schema, post(`{ a(n: ${i}) }`))
    expect(engine.cacheStats(schema).documents.entries).toBeGreaterThan(100)
    expect(engine.cacheStats(schema).documents.bytes).toBeLessThanOrEqual(200_000)
  })

  test("yoga's parse cache keeps what fits its bytes: large documents push out the oldest", () => {
    const { documentCache } = yogaParserCaches()
    const large = (i: number) => `{ a(n: ${i}) }${" ".repeat(100_000)}`
    const perDocument = estimatedDocumentBytes(large(0))
    const fits = Math.floor(DOCUMENT_CACHE_BYTES / perDocument)
    for (let i = 0; i <= fits; i++) documentCache.set(large(i), parse(large(i)))
    expect(documentCache.get(large(0))).toBeUndefined()
    expect(documentCache.get(large(1))).toBeDefined()
    expect(documentCache.get(large(fits))).toBeDefined()
  })
})

describe("metadata rows as the interner builds them", () => {
  test("keep every column's value and order, the extra key last, and share repeated strings between loads", async () => {
    const { makeInterner } = await import("../src/services/metadata/intern.js")
    const source = { id: "f-1", name: "employees", label: "Employees", createdAt: new Date("2026-01-02T03:04:05.000Z"), settings: { a: [1, { b: 2 }] }, options: [{ id: "o-1", label: "A" }], isNullable: true, defaultValue: null }
    const first = makeInterner()(source, "fields", ["x"]) as Record<string, unknown>
    expect(Object.keys(first)).toEqual([...Object.keys(source), "fields"])
    expect(first).toEqual({ ...source, createdAt: "2026-01-02T03:04:05.000Z", fields: ["x"] })
    const second = makeInterner()({ ...source, id: "f-2" }) as Record<string, unknown>
    expect(second["settings"]).toBe(first["settings"]) // one frozen value per JSON text, per process
    expect(second["id"]).toBe("f-2")
    expect("fields" in second).toBe(false)
    // Rows of many column lists (not metadata's two): still built right after the builders' bound.
    for (let i = 0; i < 100; i++) expect(makeInterner()({ [`column${i}`]: i, id: "x" })).toEqual({ [`column${i}`]: i, id: "x" })
  })
})
