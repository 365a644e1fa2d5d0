import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { buildClientSchema, getIntrospectionQuery, getNamedType, type GraphQLSchema, isObjectType } from "graphql"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/**
 * What one GraphQL request may cost is bounded before execution (issue 11, item 7): document size, root
 * fields, aliases, fields, depth, and the records of the whole request. The fast lane and yoga refuse alike.
 */

let app: TestApp
let token: string

const post = (handler: TestApp["request"], query: string, variables?: Record<string, unknown>, path = "/graphql") =>
  handler(path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  })

const answer = async (response: Response) => ({ status: response.status, body: await response.json() as any })

/** The fast lane's answer, checked equal to the reference path's (yoga alone). */
const both = async (query: string, variables?: Record<string, unknown>) => {
  const fast = await answer(await post(app.request, query, variables))
  expect(fast).toEqual(await answer(await post(app.referenceRequest, query, variables)))
  return fast
}

const expectRefused = (result: { status: number; body: any }, limit: string, value: number) => {
  expect(result.status).toBe(200)
  expect(result.body.data).toBeUndefined()
  expect(result.body.errors).toHaveLength(1)
  expect(result.body.errors[0].extensions.code).toBe("BAD_USER_INPUT")
  expect(result.body.errors[0].message).toContain(`${limit} (${value}`)
}

const aliases = (count: number, field: string) => Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(" ")

/** The reported attack: ~5,000 aliases each asking for 200 companies (about 560 KB). */
const AMPLIFICATION = `{ ${aliases(5000, "companies(first: 200) { edges { node { id name createdAt updatedAt employees idealCustomerProfile } } }")} }`

beforeAll(async () => {
  app = await startTestApp({ redis: false })
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
  const created = await answer(await post(app.request, `mutation($data: [CompanyCreateInput!]!) { createCompanies(data: $data) { id } }`, {
    data: Array.from({ length: 30 }, (_, i) => ({ name: `Company ${i}`, employees: i }))
  }))
  expect(created.body.data.createCompanies).toHaveLength(30)
})
afterAll(() => app.close())

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/** The app on a real port, so that clients go through sockets and the event loop as in production. */
const serve = () =>
  Bun.serve({
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url)
      return app.request(url.pathname, { method: request.method, headers: request.headers, body: await request.arrayBuffer() })
    }
  })

/** Latencies of `count` sequential simple list requests (another client), in ms, sorted. */
const simpleLatencies = async (handler: TestApp["request"], count: number) => {
  const times: Array<number> = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const result = await answer(await post(handler, `{ companies(first: 5) { edges { node { id name } } } }`))
    times.push(performance.now() - started)
    expect(result.body.data.companies.edges).toHaveLength(5)
  }
  return times.sort((a, b) => a - b)
}

/**
 * What Twenty's front end asks for a record table: every field of the object's records, composite fields
 * with their subfields, many-to-one relations with their own fields and one-to-many ones as connections of ids.
 */
const frontEndSelection = (schema: GraphQLSchema, root: string): string => {
  const leaves = (typeName: string, relations: boolean): string => {
    const type = schema.getType(typeName)
    if (!isObjectType(type)) return ""
    return Object.values(type.getFields()).map((field) => {
      const named = getNamedType(field.type)
      if (!isObjectType(named)) return field.name
      const inner = named.getFields()
      if ("edges" in inner) {
        return relations ? `${field.name} { edges { node { id } } }` : ""
      }
      if ("id" in inner) return relations ? `${field.name} { ${leaves(named.name, false)} }` : ""
      return `${field.name} { ${leaves(named.name, false)} }`
    }).filter(Boolean).join(" ")
  }
  const fieldType = (typeName: string, field: string) => {
    const type = schema.getType(typeName)
    return isObjectType(type) ? getNamedType(type.getFields()[field]!.type).name : ""
  }
  const record = fieldType(fieldType(fieldType(schema.getQueryType()!.name, root), "edges"), "node")
  return `{ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${leaves(record, true)} } } }`
}

describe("/graphql request cost", () => {
  test("the alias amplification query is refused quickly, naming the limit, on both paths", async () => {
    expect(AMPLIFICATION.length).toBeGreaterThan(550_000)
    const started = performance.now()
    const result = await both(AMPLIFICATION)
    const elapsed = performance.now() - started
    expectRefused(result, "QUERY_MAX_DOCUMENT_SIZE", 131072)
    expect(elapsed).toBeLessThan(1000)
  })

  test("another client keeps its latency while the attack is sent over and over", async () => {
    const server = serve()
    const overHttp: TestApp["request"] = (path, init) => fetch(`http://127.0.0.1:${server.port}${path}`, init)
    await simpleLatencies(overHttp, 20)
    const quiet = await simpleLatencies(overHttp, 100)
    const rssBefore = process.memoryUsage().rss
    let attacking = true
    let attacks = 0
    const attacker = async () => {
      while (attacking) {
        const result = await answer(await post(overHttp, AMPLIFICATION))
        expect(result.body.errors[0].extensions.code).toBe("BAD_USER_INPUT")
        attacks++
      }
    }
    const attackers = [attacker(), attacker(), attacker()]
    const loaded = await simpleLatencies(overHttp, 100)
    attacking = false
    await Promise.all(attackers)
    server.stop(true)
    const figures = {
      quiet: { p50: percentile(quiet, 0.5), p99: percentile(quiet, 0.99) },
      underAttack: { p50: percentile(loaded, 0.5), p99: percentile(loaded, 0.99) },
      attacks,
      rssMiB: { before: Math.round(rssBefore / 2 ** 20), after: Math.round(process.memoryUsage().rss / 2 ** 20) }
    }
    console.log("other client's latency (ms)", JSON.stringify(figures))
    expect(attacks).toBeGreaterThan(0)
    expect(figures.underAttack.p50).toBeLessThan(Math.max(10 * figures.quiet.p50, 50))
    expect(figures.underAttack.p99).toBeLessThan(Math.max(10 * figures.quiet.p99, 250))
  })

  test("more root fields than QUERY_MAX_ROOT_FIELDS are refused; exactly that many run", async () => {
    expectRefused(await both(`{ ${aliases(101, "companies(first: 1) { totalCount }")} }`), "QUERY_MAX_ROOT_FIELDS", 100)
    const under = await both(`{ ${aliases(100, "companies(first: 1) { totalCount }")} }`)
    expect(under.status).toBe(200)
    expect(under.body.data.a99.totalCount).toBe(30)
  })

  test("aliases, fields and depth are bounded, fragments counted as expanded", async () => {
    expectRefused(await both(`{ companies(first: 1) { edges { node { ${aliases(501, "name")} } } } }`), "QUERY_MAX_ALIASES", 500)
    expectRefused(await both(`{ companies(first: 1) { edges { node { ${"name ".repeat(5000)} } } } }`), "QUERY_MAX_FIELDS", 5000)
    // A fragment spread twice per level doubles the fields at each level: 2^13 names from a 1 KB document.
    const levels = Array.from({ length: 13 }, (_, i) => `fragment F${i} on Company { name ${i === 12 ? "" : `...F${i + 1} ...F${i + 1}`} }`)
    const doubling = `{ companies(first: 1) { edges { node { ...F0 } } } } ${levels.join(" ")}`
    expect(doubling.length).toBeLessThan(1500)
    expectRefused(await both(doubling), "QUERY_MAX_FIELDS", 5000)
    const deep = `{ __type(name: "Company") { fields { type ${"{ ofType ".repeat(19)}{ name }${" }".repeat(19)} } } }`
    expectRefused(await both(deep), "QUERY_MAX_DEPTH", 20)
    const underDepth = `{ __type(name: "Company") { fields { type ${"{ ofType ".repeat(16)}{ name }${" }".repeat(16)} } } }`
    expect((await both(underDepth)).body.data.__type.fields.length).toBeGreaterThan(5)
  })

  test("QUERY_MAX_REQUEST_RECORDS bounds the records of the whole request: aliases and nested pages summed", async () => {
    // Each alias could return 200 companies × (1 + 200 people): 40,200 records.
    const alias = "companies(first: 200) { edges { node { id people(first: 200) { edges { node { id } } } } } }"
    const over = await both(`{ ${aliases(3, alias)} }`)
    expectRefused(over, "QUERY_MAX_REQUEST_RECORDS", 100000)
    expect(over.body.errors[0].message).toContain("120600 records")
    const under = await both(`{ ${aliases(2, alias)} }`)
    expect(under.status).toBe(200)
    expect(under.body.data.a1.edges).toHaveLength(30)
    // Page sizes given by variables are counted with the variables' values.
    const byVariable = `query($n: Int) { ${aliases(3, "companies(first: $n) { edges { node { id people(first: $n) { edges { node { id } } } } } }")} }`
    expectRefused(await both(byVariable, { n: 200 }), "QUERY_MAX_REQUEST_RECORDS", 100000)
    expect((await both(byVariable, { n: 2 })).body.data.a2.edges).toHaveLength(2)
  })

  test("QUERY_MAX_REQUEST_VALUES bounds the answer's size: records times the fields each selects", async () => {
    // 26 values per person: 200 companies × (1 + 200 people × 26) is over a million values for 40,200 records.
    const PERSON = `id name { firstName lastName } emails { primaryEmail additionalEmails } linkedinLink { primaryLinkUrl primaryLinkLabel secondaryLinks }
      xLink { primaryLinkUrl primaryLinkLabel secondaryLinks } jobTitle phones { primaryPhoneNumber primaryPhoneCountryCode primaryPhoneCallingCode additionalPhones }
      city avatarUrl position createdAt updatedAt deletedAt createdBy { source workspaceMemberId name } companyId`
    const wide = (people: number) => `{ companies(first: 200) { edges { node { id people(first: ${people}) { edges { node { ${PERSON} } } } } } } }`
    const over = await both(wide(200))
    expectRefused(over, "QUERY_MAX_REQUEST_VALUES", 1000000)
    expect(over.body.errors[0].message).toContain("1040200 field values")
    const under = await both(wide(180))
    expect(under.body.errors).toBeUndefined()
    expect(under.body.data.companies.edges).toHaveLength(30)
  })

  test("the full introspection query (GraphiQL's, codegen's) fits the default limits on both endpoints", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true })
    const data = await both(query)
    expect(data.body.errors).toBeUndefined()
    expect(data.body.data.__schema.types.length).toBeGreaterThan(50)
    const metadata = await answer(await post(app.request, query, undefined, "/metadata"))
    expect(metadata.body.errors).toBeUndefined()
  })

  test("a front-end-sized query (every field of people, companies and opportunities, each relation one level down) runs", async () => {
    const introspection = await both(getIntrospectionQuery())
    const schema = buildClientSchema(introspection.body.data)
    const query = `{ ${["people", "companies", "opportunities"].map((root) => `${root}(first: 60) ${frontEndSelection(schema, root)}`).join(" ")} }`
    const fields = query.split(/[{}\s]+/).filter((w) => /^[a-zA-Z]/.test(w)).length
    console.log("front-end-sized query:", fields, "fields,", query.length, "bytes")
    expect(fields).toBeGreaterThan(300)
    const result = await both(query)
    expect(result.body.errors).toBeUndefined()
    expect(result.body.data.companies.edges).toHaveLength(30)
  })

  test("the limits are settings", async () => {
    const small = await startTestApp({ redis: false, env: { QUERY_MAX_ROOT_FIELDS: "2", QUERY_MAX_REQUEST_RECORDS: "10" } })
    try {
      const account = await signUpWithWorkspace(small)
      const key = (await createApiKey(small, account.accessToken)).token
      const send = (query: string) =>
        small.request("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body: JSON.stringify({ query })
        }).then(answer)
      expectRefused(await send(`{ a: companies(first: 1) { totalCount } b: companies(first: 1) { totalCount } c: companies(first: 1) { totalCount } }`), "QUERY_MAX_ROOT_FIELDS", 2)
      expectRefused(await send(`{ companies(first: 11) { totalCount } }`), "QUERY_MAX_REQUEST_RECORDS", 10)
      expect((await send(`{ companies(first: 10) { totalCount } }`)).body.data.companies.totalCount).toBe(0)
    } finally {
      await small.close()
    }
  })
})

describe("/metadata document limits", () => {
  test("size, root fields and depth are refused as on /graphql", async () => {
    const metadata = (query: string) => post(app.request, query, undefined, "/metadata").then(answer)
    expectRefused(await metadata(AMPLIFICATION), "QUERY_MAX_DOCUMENT_SIZE", 131072)
    expectRefused(await metadata(`{ ${aliases(101, "__typename")} }`), "QUERY_MAX_ROOT_FIELDS", 100)
    expectRefused(await metadata(`{ __schema { types { fields { type ${"{ ofType ".repeat(19)}{ name }${" }".repeat(19)} } } } }`), "QUERY_MAX_DEPTH", 20)
    const under = await metadata(`{ ${aliases(100, "__typename")} }`)
    expect(under.body.data.a99).toBe("Query")
  })
})
