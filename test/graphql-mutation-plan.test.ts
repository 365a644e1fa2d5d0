/**
 * The /graphql engine's planned mutations (http/graphql/data/plan.ts) on a small schema: the write resolves
 * exactly once whatever happens after it; a failure is answered as graphql-js answers it; a value the plan
 * cannot complete is completed by graphql-js from the resolved value (context.replay), not written again.
 */
import { describe, expect, test } from "bun:test"
import { execute, GraphQLError, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from "graphql"
import { laneCounts, makeGraphQLEngine } from "../src/http/graphql/data/engine.js"

interface Context {
  readonly replay?: ReadonlyMap<string, unknown>
  readonly answer: () => unknown
}

let writes = 0
const Thing = new GraphQLObjectType({ name: "Thing", fields: { id: { type: new GraphQLNonNull(GraphQLString) }, n: { type: GraphQLInt } } })
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ping: { type: GraphQLString, resolve: () => "pong" } } }),
  mutation: new GraphQLObjectType({
    name: "Mutation",
    fields: {
      make: {
        type: Thing,
        args: { n: { type: GraphQLInt } },
        // As root-fields.ts's resolvers: a replayed value is answered without writing.
        resolve: (_source, _args, context: Context, info) => {
          const key = String(info.path.key)
          if (context.replay?.has(key)) return context.replay.get(key)
          writes++
          return context.answer()
        }
      }
    }
  })
})
const limits = {
  maxDocumentBytes: 100_000, maxRootFields: 10, maxAliases: 10, maxFields: 100, maxDepth: 10,
  maxRecords: 1000, maxValues: 10_000, defaultPageSize: 60, maxPageSize: 200
}
const engine = makeGraphQLEngine({ formatError: (error) => error, limits })

/** The engine's answer, the number of writes it made, and graphql-js's answer for the same resolver outcome. */
const run = async (query: string, answer: () => unknown, variables: Record<string, unknown> | null = null) => {
  const prepared = engine.prepare(schema, { query, variables, operationName: null })
  expect(prepared).not.toBeNull()
  const before = { writes, plan: laneCounts.plan }
  const laned = await engine.execute(prepared!, { answer }, variables)
  const planned = laneCounts.plan - before.plan
  const madeWrites = writes - before.writes
  const reference = await execute({ schema, document: parse(query), contextValue: { answer }, variableValues: variables })
  return { laned: laned && JSON.parse(laned.body), writes: madeWrites, planned, reference: JSON.parse(JSON.stringify(reference)) }
}

describe("planned mutations", () => {
  test("a value the plan completes: one write, the plan answers", async () => {
    const result = await run(`mutation($n: Int) { make(n: $n) { id n } }`, () => ({ id: "a", n: 1 }), { n: 1 })
    expect(result).toMatchObject({ writes: 1, planned: 1 })
    expect(result.laned).toEqual(result.reference)
  })

  test("a resolver that fails: one write attempt, graphql-js's located error and null field", async () => {
    const result = await run(`mutation { make { id } }`, () => {
      throw new GraphQLError("refused", { extensions: { code: "BAD_USER_INPUT" } })
    })
    expect(result).toMatchObject({ writes: 1, planned: 1 })
    expect(result.laned).toEqual(result.reference)
    expect(result.laned.errors[0]).toMatchObject({ message: "refused", path: ["make"], extensions: { code: "BAD_USER_INPUT" } })
  })

  test("a value the plan cannot complete (null for a non-null field): graphql-js completes it, nothing written twice", async () => {
    const result = await run(`mutation { make { id n } }`, () => ({ id: null, n: 2 }))
    expect(result.writes).toBe(1)
    expect(result.planned).toBe(0)
    expect(result.laned).toEqual(result.reference)
    expect(result.laned.errors[0].message).toBe("Cannot return null for non-nullable field Thing.id.")
  })

  test("variables that do not coerce: nothing runs, the reference answers", async () => {
    const prepared = engine.prepare(schema, { query: `mutation($n: Int) { make(n: $n) { id } }`, variables: { n: "x" }, operationName: null })
    const before = writes
    expect(await engine.execute(prepared!, { answer: () => ({ id: "a" }) }, { n: "x" })).toBeNull()
    expect(writes).toBe(before)
  })
})
