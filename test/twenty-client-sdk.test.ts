/**
 * Twenty's official client (`twenty-client-sdk`) against Score. The core client is generated the way a
 * Twenty app gets it: `twenty-client-sdk/generate` turns the workspace's /graphql schema (SDL printed from
 * an introspection made with an API key) into a genql client, bundled with esbuild; we import it from a
 * temp directory and drive companies and people through it over a real loopback port. /metadata is
 * exercised with the metadata client the package ships (generated from Twenty's own schema), and with one
 * generated from Score's /metadata.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { buildClientSchema, getIntrospectionQuery, printSchema } from "graphql"
import { generateCoreClientFromSchema, generateMetadataClient } from "twenty-client-sdk/generate"
import { MetadataApiClient } from "twenty-client-sdk/metadata"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

/** The app on 127.0.0.1 (a free port): each request is handed to the in-process handler. */
const serveOnLoopback = (app: TestApp) =>
  Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const url = new URL(req.url)
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer()
      return app.request(url.pathname + url.search, { method: req.method, headers: req.headers, body })
    }
  })

/** The generated client's surface, typed loosely: it is imported at run time from the temp directory. */
interface GeneratedClient {
  query: (request: Record<string, unknown>) => Promise<any>
  mutation: (request: Record<string, unknown>) => Promise<any>
}
type ClientClass = new (options: { url: string; headers?: Record<string, string> }) => GeneratedClient

let app: TestApp
let server: ReturnType<typeof Bun.serve>
let baseUrl: string
let apiKey: string
let workspaceId: string
let outDir: string
let core: GeneratedClient
let CoreApiClient: ClientClass
let GeneratedMetadataClient: ClientClass

const introspectSdl = async (path: "/graphql" | "/metadata") => {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: getIntrospectionQuery() })
  })
  const json = await response.json() as { data?: any; errors?: unknown }
  if (!json.data) throw new Error(`introspection of ${path} failed: ${JSON.stringify(json.errors)}`)
  return printSchema(buildClientSchema(json.data))
}

beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app, { name: "SDK Co" })
  workspaceId = account.workspaceId
  apiKey = (await createApiKey(app, account.accessToken, "sdk key")).token
  server = serveOnLoopback(app)
  baseUrl = `http://127.0.0.1:${server.port}`
  outDir = await mkdtemp(join(tmpdir(), "score-twenty-sdk-"))

  await generateCoreClientFromSchema({ schema: await introspectSdl("/graphql"), outputPath: join(outDir, "core") })
  await generateMetadataClient({ schema: await introspectSdl("/metadata"), outputPath: join(outDir, "metadata") })
  CoreApiClient = (await import(pathToFileURL(join(outDir, "core", "index.mjs")).href)).CoreApiClient
  GeneratedMetadataClient = (await import(pathToFileURL(join(outDir, "metadata", "index.ts")).href)).MetadataApiClient
  core = new CoreApiClient({ url: `${baseUrl}/graphql`, headers: { Authorization: `Bearer ${apiKey}` } })
}, 60_000)

afterAll(async () => {
  server?.stop(true)
  if (outDir) await rm(outDir, { recursive: true, force: true })
  await app?.close()
})

const companyFields = {
  id: true,
  name: true,
  employees: true,
  domainName: { primaryLinkUrl: true },
  address: { addressCity: true },
  annualRecurringRevenue: { amountMicros: true, currencyCode: true },
  deletedAt: true
}

const ids: Record<string, string> = {}

describe("twenty-client-sdk core client, generated from Score's /graphql", () => {
  test("generate writes a bundled client whose operations follow Twenty's names", async () => {
    expect((await readdir(join(outDir, "core"))).sort()).toEqual(
      expect.arrayContaining(["index.cjs", "index.mjs", "index.ts", "schema.graphql", "schema.ts", "types.ts"])
    )
    const schemaTs = await Bun.file(join(outDir, "core", "schema.ts")).text()
    expect(schemaTs).toContain("createCompany?: (CompanyGenqlSelection & { __args: {data: CompanyCreateInput")
    expect(schemaTs).toContain("updateCompany?: (CompanyGenqlSelection & { __args: {id: Scalars['UUID'], data: CompanyUpdateInput}")
    expect(typeof CoreApiClient).toBe("function")
  })

  test("createCompany and createCompanies", async () => {
    const { createCompany } = await core.mutation({
      createCompany: {
        __args: {
          data: {
            name: "Sdk Alpha",
            employees: 50,
            domainName: { primaryLinkUrl: "https://alpha.example" },
            address: { addressCity: "Paris" },
            annualRecurringRevenue: { amountMicros: 1_500_000_000, currencyCode: "EUR" }
          }
        },
        ...companyFields
      }
    })
    expect(createCompany).toEqual({
      id: expect.any(String),
      name: "Sdk Alpha",
      employees: 50,
      domainName: { primaryLinkUrl: "https://alpha.example" },
      address: { addressCity: "Paris" },
      annualRecurringRevenue: { amountMicros: 1_500_000_000, currencyCode: "EUR" },
      deletedAt: null
    })
    ids.alpha = createCompany.id

    const { createCompanies } = await core.mutation({
      createCompanies: {
        __args: {
          data: [
            { name: "Sdk Beta", employees: 10 },
            { name: "Sdk Gamma", employees: 200 },
            { name: "Sdk Delta" },
            { name: "Other Corp", employees: 5 }
          ]
        },
        id: true,
        name: true,
        employees: true
      }
    })
    expect(createCompanies.map((c: any) => [c.name, c.employees])).toEqual([
      ["Sdk Beta", 10], ["Sdk Gamma", 200], ["Sdk Delta", null], ["Other Corp", 5]
    ])
    for (const c of createCompanies) ids[c.name.split(" ")[1].toLowerCase()] = c.id

    const { createPeople } = await core.mutation({
      createPeople: {
        __args: {
          data: [
            { name: { firstName: "Zoe", lastName: "Alpha" }, emails: { primaryEmail: "zoe@alpha.example" }, companyId: ids.alpha },
            { name: { firstName: "Adam", lastName: "Alpha" }, emails: { primaryEmail: "adam@alpha.example" }, companyId: ids.alpha },
            { name: { firstName: "Bea", lastName: "Beta" }, companyId: ids.beta }
          ]
        },
        id: true,
        company: { name: true }
      }
    })
    expect(createPeople.map((p: any) => p.company.name)).toEqual(["Sdk Alpha", "Sdk Alpha", "Sdk Beta"])
  })

  test("companies with filter, orderBy, first, cursors and nested people", async () => {
    const page = (after?: string) =>
      core.query({
        companies: {
          __args: {
            filter: { name: { startsWith: "Sdk " } },
            orderBy: [{ employees: "DescNullsLast" }],
            first: 2,
            ...(after ? { after } : {})
          },
          totalCount: true,
          pageInfo: { hasNextPage: true, endCursor: true },
          edges: {
            cursor: true,
            node: {
              name: true,
              employees: true,
              people: {
                __args: { orderBy: [{ name: { firstName: "AscNullsFirst" } }] },
                totalCount: true,
                edges: { node: { name: { firstName: true, lastName: true }, emails: { primaryEmail: true } } }
              }
            }
          }
        }
      })

    const first = (await page()).companies
    expect(first.totalCount).toBe(4)
    expect(first.pageInfo.hasNextPage).toBe(true)
    expect(first.edges.map((e: any) => [e.node.name, e.node.employees])).toEqual([["Sdk Gamma", 200], ["Sdk Alpha", 50]])
    expect(first.edges[1].node.people.totalCount).toBe(2)
    expect(first.edges[1].node.people.edges.map((e: any) => e.node)).toEqual([
      { name: { firstName: "Adam", lastName: "Alpha" }, emails: { primaryEmail: "adam@alpha.example" } },
      { name: { firstName: "Zoe", lastName: "Alpha" }, emails: { primaryEmail: "zoe@alpha.example" } }
    ])
    expect(first.pageInfo.endCursor).toBe(first.edges[1].cursor)

    const second = (await page(first.pageInfo.endCursor)).companies
    expect(second.edges.map((e: any) => [e.node.name, e.node.employees, e.node.people.totalCount])).toEqual([
      ["Sdk Beta", 10, 1],
      ["Sdk Delta", null, 0]
    ])
    expect(second.pageInfo.hasNextPage).toBe(false)

    const { companies } = await core.query({
      companies: {
        __args: { filter: { or: [{ employees: { gte: 100 } }, { name: { eq: "Other Corp" } }] }, orderBy: [{ name: "AscNullsFirst" }] },
        edges: { node: { name: true } }
      }
    })
    expect(companies.edges.map((e: any) => e.node.name)).toEqual(["Other Corp", "Sdk Gamma"])
  })

  test("updateCompany, then company(filter) reads the change", async () => {
    const { updateCompany } = await core.mutation({
      updateCompany: {
        __args: { id: ids.alpha, data: { employees: 75, domainName: { primaryLinkUrl: "https://alpha.example/new" } } },
        id: true,
        employees: true,
        domainName: { primaryLinkUrl: true },
        address: { addressCity: true }
      }
    })
    expect(updateCompany).toEqual({
      id: ids.alpha,
      employees: 75,
      domainName: { primaryLinkUrl: "https://alpha.example/new" },
      address: { addressCity: "Paris" }
    })
    const { company } = await core.query({
      company: { __args: { filter: { id: { eq: ids.alpha } } }, name: true, employees: true, people: { totalCount: true } }
    })
    expect(company).toEqual({ name: "Sdk Alpha", employees: 75, people: { totalCount: 2 } })
  })

  test("deleteCompany soft-deletes, destroyCompany removes for good", async () => {
    const { deleteCompany } = await core.mutation({ deleteCompany: { __args: { id: ids.delta }, id: true, deletedAt: true } })
    expect(deleteCompany.id).toBe(ids.delta)
    expect(Number.isNaN(Date.parse(deleteCompany.deletedAt))).toBe(false)

    const live = await core.query({
      companies: { __args: { filter: { name: { startsWith: "Sdk " } } }, totalCount: true }
    })
    expect(live.companies.totalCount).toBe(3)
    const trashed = await core.query({
      companies: { __args: { filter: { deletedAt: { is: "NOT_NULL" } } }, edges: { node: { id: true, name: true } } }
    })
    expect(trashed.companies.edges.map((e: any) => e.node)).toEqual([{ id: ids.delta, name: "Sdk Delta" }])

    const { destroyCompany } = await core.mutation({ destroyCompany: { __args: { id: ids.delta }, id: true } })
    expect(destroyCompany.id).toBe(ids.delta)
    const after = await core.query({
      companies: { __args: { filter: { id: { eq: ids.delta }, deletedAt: { is: "NOT_NULL" } } }, totalCount: true }
    })
    expect(after.companies.totalCount).toBe(0)
  })

  test("server errors surface as the SDK's errors", async () => {
    const missing = crypto.randomUUID()
    const notFound = await core.mutation({ updateCompany: { __args: { id: missing, data: { employees: 1 } }, id: true } })
      .catch((error) => error)
    expect(notFound.constructor.name).toBe("GenqlError")
    expect(notFound.errors.map((e: any) => [e.message, e.extensions.code, e.path])).toEqual([
      [`Record ${missing} not found`, "NOT_FOUND", ["updateCompany"]]
    ])
    const anonymous = new CoreApiClient({ url: `${baseUrl}/graphql` })
    await expect(anonymous.query({ companies: { totalCount: true } })).rejects.toThrow(/^Unauthorized: .*UNAUTHENTICATED/)
  })
})

describe("twenty-client-sdk metadata clients against Score's /metadata", () => {
  const listObjects = (client: Pick<GeneratedClient, "query">) =>
    client.query({
      currentWorkspace: { id: true, displayName: true },
      objects: {
        __args: { paging: { first: 100 }, filter: {} },
        edges: { node: { nameSingular: true, namePlural: true, isCustom: true, isActive: true } }
      }
    })

  test("the MetadataApiClient shipped in the package (built from Twenty's schema)", async () => {
    // Typed by Twenty's own metadata schema, so tsc checks this selection and the result's shape.
    const client = new MetadataApiClient({ url: `${baseUrl}/metadata`, headers: { Authorization: `Bearer ${apiKey}` } })
    const result = await client.query({
      currentWorkspace: { id: true, displayName: true },
      objects: {
        __args: { paging: { first: 100 }, filter: {} },
        edges: { node: { nameSingular: true, namePlural: true, isCustom: true, isActive: true } }
      }
    })
    expect(result.currentWorkspace).toEqual({ id: workspaceId, displayName: "SDK Co" })
    const nodes = result.objects.edges.map((e) => e.node)
    expect(nodes).toContainEqual({ nameSingular: "company", namePlural: "companies", isCustom: false, isActive: true })
    expect(nodes).toContainEqual({ nameSingular: "person", namePlural: "people", isCustom: false, isActive: true })
  })

  test("the shipped client can select every scalar field of objects, fields and the workspace", async () => {
    const client = new MetadataApiClient({ url: `${baseUrl}/metadata`, headers: { Authorization: `Bearer ${apiKey}` } })
    const result = await client.query({
      currentWorkspace: { __scalar: true },
      objects: {
        __args: { paging: { first: 5 }, filter: {} },
        edges: { node: { __scalar: true, fields: { __args: { paging: { first: 5 }, filter: {} }, edges: { node: { __scalar: true } } } } }
      }
    })
    expect(result.currentWorkspace.id).toBe(workspaceId)
    const object = (result.objects as any).edges[0]!.node
    expect(object.universalIdentifier).toBe(object.id)
    expect(object.fields.edges.length).toBeGreaterThan(0)
  })

  test("a custom object made through the metadata client, then used through a regenerated core client", async () => {
    const metadata = new MetadataApiClient({ url: `${baseUrl}/metadata`, headers: { Authorization: `Bearer ${apiKey}` } })
    const { createOneObject } = await metadata.mutation({
      createOneObject: {
        __args: { input: { object: { nameSingular: "gadget", namePlural: "gadgets", labelSingular: "Gadget", labelPlural: "Gadgets" } } },
        id: true,
        isCustom: true
      }
    })
    expect(createOneObject.isCustom).toBe(true)
    const { createOneField } = await metadata.mutation({
      createOneField: {
        __args: { input: { field: { objectMetadataId: createOneObject.id, type: "NUMBER", name: "weight", label: "Weight" } } },
        name: true,
        type: true
      }
    })
    expect(createOneField).toEqual({ name: "weight", type: "NUMBER" })

    await generateCoreClientFromSchema({ schema: await introspectSdl("/graphql"), outputPath: join(outDir, "core-2") })
    const Regenerated: ClientClass = (await import(pathToFileURL(join(outDir, "core-2", "index.mjs")).href)).CoreApiClient
    const client = new Regenerated({ url: `${baseUrl}/graphql`, headers: { Authorization: `Bearer ${apiKey}` } })
    await client.mutation({ createGadgets: { __args: { data: [{ name: "light", weight: 1.5 }, { name: "heavy", weight: 40 }] }, id: true } })
    const { gadgets } = await client.query({
      gadgets: { __args: { filter: { weight: { gt: 10 } } }, totalCount: true, edges: { node: { name: true, weight: true } } }
    })
    expect(gadgets).toEqual({ totalCount: 1, edges: [{ node: { name: "heavy", weight: 40 } }] })
  })

  test("a MetadataApiClient generated from Score's /metadata", async () => {
    const client = new GeneratedMetadataClient({ url: `${baseUrl}/metadata`, headers: { Authorization: `Bearer ${apiKey}` } })
    const result = await listObjects(client)
    expect(result.currentWorkspace.id).toBe(workspaceId)
    expect(result.objects.edges.map((e: any) => e.node.nameSingular)).toEqual(expect.arrayContaining(["company", "person", "opportunity"]))
  })
})
