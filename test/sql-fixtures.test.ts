/**
 * SQL snapshot fixtures: each `test/sql-fixtures/<name>.json` is a records read (findMany, groupBy or
 * search) or a one-statement write (createMany, updateMany, deleteMany, destroyMany) and `<name>.sql` the
 * exact statements it sends, with their parameters. The records service runs
 * on Twenty's standard model with a `pg` pool that only records what it is asked (no database), so a
 * change to generated SQL shows in review. Regenerate with `UPDATE_SQL_FIXTURES=1 bun test test/sql-fixtures.test.ts`.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, test } from "bun:test"
import { Effect, Layer, ManagedRuntime } from "effect"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { WorkspaceMetadata } from "../src/domain/metadata.js"
import { CacheMemory } from "../src/platform/cache/index.js"
import { ResultCache } from "../src/platform/cache/results.js"
import { PgPool, PgReads } from "../src/platform/database/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { standardModel } from "../src/services/metadata/model.js"
import { DEFAULT_LIMITS, Records, RecordsLive } from "../src/services/records/index.js"
import type { RecordsScope } from "../src/services/records/types.js"

const DIR = join(import.meta.dir, "sql-fixtures")
const UPDATE = process.env["UPDATE_SQL_FIXTURES"] === "1"
const WORKSPACE = "00000000-0000-4000-8000-000000000000"

const metadata: WorkspaceMetadata = { workspaceId: WORKSPACE, version: 1, schema: "workspace_fixture", objects: standardModel(WORKSPACE) }
const scope: RecordsScope = { workspaceId: WORKSPACE, actor: { source: "API", workspaceMemberId: null, name: "fixture" } }

interface Sent {
  readonly text: string
  readonly values: ReadonlyArray<unknown>
}
const sent: Array<Sent> = []
const pool = {
  query: (config: { text: string; values: Array<unknown> }) => {
    sent.push({ text: config.text, values: config.values })
    return Promise.resolve({ rows: [] })
  }
}

const layer = RecordsLive(DEFAULT_LIMITS).pipe(
  Layer.provide(Layer.mergeAll(
    // Reads and one-statement writes never touch the SqlClient: they go to the pool.
    Layer.succeed(SqlClient.SqlClient, {} as SqlClient.SqlClient),
    Layer.succeed(Metadata, { get: () => Effect.succeed(metadata), current: () => metadata } as unknown as typeof Metadata.Service),
    Layer.succeed(PgPool, pool as unknown as typeof PgPool.Service),
    Layer.succeed(PgReads, null),
    CacheMemory,
    // Every statement is sent: the fixtures pin SQL, not what the result cache spares (test/result-cache.test.ts).
    Layer.succeed(ResultCache, { through: (_w, _k, _t, load) => load(), bump: () => Effect.void, bumpNow: () => Promise.resolve(), bumpWorkspace: () => Effect.void })
  ))
)

type Input =
  | { readonly kind: "findMany"; readonly object: string; readonly args: any; readonly selection: any; readonly extras: any }
  | { readonly kind: "groupBy"; readonly object: string; readonly args: any; readonly records: any; readonly extras: any }
  | { readonly kind: "search"; readonly input: any }
  | { readonly kind: "createMany"; readonly object: string; readonly data: any; readonly selection: any; readonly options?: any }
  | { readonly kind: "updateMany"; readonly object: string; readonly filter: any; readonly data: any; readonly selection: any }
  | { readonly kind: "deleteMany"; readonly object: string; readonly filter: any; readonly selection: any }
  | { readonly kind: "destroyMany"; readonly object: string; readonly filter: any; readonly selection: any }

const runtime = ManagedRuntime.make(layer)

const statementsOf = async (input: Input): Promise<Array<Sent>> => {
  sent.length = 0
  await runtime.runPromise(Effect.flatMap(Records, (records): Effect.Effect<unknown, unknown> =>
    input.kind === "findMany"
      ? records.findMany(scope, input.object, input.args, input.selection, input.extras)
      : input.kind === "groupBy"
      ? records.groupBy(scope, input.object, input.args, input.records, input.extras)
      : input.kind === "createMany"
      ? records.createMany(scope, input.object, input.data, input.selection, input.options)
      : input.kind === "updateMany"
      ? records.updateMany(scope, input.object, input.filter, input.data, input.selection)
      : input.kind === "deleteMany"
      ? records.deleteMany(scope, input.object, input.filter, input.selection)
      : input.kind === "destroyMany"
      ? records.destroyMany(scope, input.object, input.filter, input.selection)
      : records.search(scope, input.input)))
  return [...sent]
}

/** The direct read of a findMany (the workspace's model is in memory once findMany ran). */
const directStatementsOf = async (input: Extract<Input, { kind: "findMany" }>): Promise<Array<Sent>> => {
  const records = await runtime.runPromise(Records)
  sent.length = 0
  const answer = records.findManyDirect(scope, input.object, input.args, input.selection, input.extras)
  expect(answer).not.toBeNull()
  await answer
  return [...sent]
}

/** The standard model's object ids are made afresh each run: a parameter naming one is written by its name. */
const objectIds = new Map(metadata.objects.map((o) => [o.id, `<${o.nameSingular} id>`]))
const stable = (value: unknown) => (typeof value === "string" ? objectIds.get(value) ?? value : value)

/** Statements as the fixture file holds them: each text, then its parameters as a JSON comment. */
const render = (statements: ReadonlyArray<Sent>) =>
  statements.map((s) => `${s.text.split("\n").map((line) => line.trimEnd()).join("\n")}\n-- params: ${JSON.stringify(s.values.map(stable))}\n`)
    .join("\n")

const names = readdirSync(DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort()

describe("SQL fixtures of the query builder", () => {
  test("there are fixtures", () => {
    expect(names.length).toBeGreaterThanOrEqual(6)
  })

  for (const name of names) {
    test(name, async () => {
      const input = JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Input
      const actual = render(await statementsOf(input))
      const file = join(DIR, `${name}.sql`)
      if (UPDATE) writeFileSync(file, actual)
      expect(existsSync(file)).toBe(true)
      expect(actual).toBe(readFileSync(file, "utf8"))
      // The direct read sends the very statements of findMany.
      if (input.kind === "findMany") expect(render(await directStatementsOf(input))).toBe(actual)
    })
  }
})
