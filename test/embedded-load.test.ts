import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as OTPAuth from "otpauth"
import type { TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace, uniqueEmail } from "./support/flows.js"
import { freePort, runScore, type ServerProcess, startServer, UNTHROTTLED } from "./support/process.js"

// One embedded server (no DATABASE_URL, no REDIS_URL) for the whole file: its first start initialises PGlite.
const dataDir = mkdtempSync(join(tmpdir(), "score-embedded-load-"))
let server: ServerProcess
let accessToken: string
let apiKey: string

beforeAll(async () => {
  server = await startServer({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT: "3s", ...UNTHROTTLED }, 60_000)
  const account = await signUpWithWorkspace(client(server.url))
  accessToken = account.accessToken
  apiKey = (await createApiKey(client(server.url), accessToken)).token
}, 60_000)

afterAll(() => {
  server?.proc.kill("SIGKILL")
  rmSync(dataDir, { recursive: true, force: true })
})

const client = (url: string) =>
  ({
    gql: async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
      const response = await fetch(`${url}/metadata`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables })
      })
      return { status: response.status, body: await response.json() as any }
    }
  }) as unknown as TestApp

const data = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query, variables })
  })
  return { status: response.status, body: await response.json() as any }
}

const rest = async (path: string) => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
  return { status: response.status, body: await response.json() as any }
}

const runCli = async (args: Array<string>, env: Record<string, string> = {}) => {
  const proc = runScore("cli", { DATA_DIR: dataDir, ...env }, args)
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  return { code, stdout, stderr }
}

const PROTOCOL_ERRORS = /bind message supplies|portal "" cannot be run|unnamed prepared statement|prepared statement "" requires|Too many connections/

/**
 * One writer: creates records with names only it uses, and after every write reads them back three
 * ways (GraphQL list, REST list, a count); every answer must be exactly its own rows.
 */
const writer = async (tag: string, rounds: number) => {
  const mine = new Map<string, number>()
  for (let round = 0; round < rounds; round++) {
    const batch = Array.from({ length: 1 + (round % 3) }, (_, i) => ({ name: `${tag}-${round}-${i}`, employees: round * 10 + i }))
    const created = await data(`mutation($d: [CompanyCreateInput!]!) { createCompanies(data: $d) { id name employees } }`, { d: batch })
    expect(created.body.errors).toBeUndefined()
    expect(created.body.data.createCompanies.map((c: any) => c.name).sort()).toEqual(batch.map((b) => b.name).sort())
    for (const company of created.body.data.createCompanies) mine.set(company.name, company.employees)
    const expected = [...mine.entries()].map(([name, employees]) => ({ name, employees })).sort((a, b) => a.name.localeCompare(b.name))

    const listed = await data(
      `query($p: String!) { companies(filter: { name: { like: $p } }, orderBy: [{ name: AscNullsFirst }], first: 200) { totalCount edges { node { name employees } } } }`,
      { p: `${tag}-%` }
    )
    expect(listed.body.errors).toBeUndefined()
    expect(listed.body.data.companies.edges.map((e: any) => e.node)).toEqual(expected)
    expect(listed.body.data.companies.totalCount).toBe(expected.length)

    const viaRest = await rest(`/rest/companies?filter=${encodeURIComponent(`name[like]:"${tag}-%"`)}&order_by=name&limit=200&depth=0`)
    expect(viaRest.status).toBe(200)
    expect(viaRest.body.data.companies.map((c: any) => ({ name: c.name, employees: c.employees }))).toEqual(expected)

    const renamed = `${tag}-${round}-0`
    const updated = await data(
      `mutation($f: CompanyFilterInput!, $e: Float) { updateCompanies(filter: $f, data: { employees: $e }) { name employees } }`,
      { f: { name: { eq: renamed } }, e: round * 10 + 7 }
    )
    expect(updated.body.errors).toBeUndefined()
    expect(updated.body.data.updateCompanies).toEqual([{ name: renamed, employees: round * 10 + 7 }])
    mine.set(renamed, round * 10 + 7)
  }
}

/** A reader of the metadata API and the caller's own workspace: each answer is the same every time. */
const metadataReader = async (rounds: number) => {
  const first = await client(server.url).gql(`{ currentWorkspace { id displayName } objects(paging: { first: 5 }) { edges { node { nameSingular } } } }`, {}, accessToken)
  expect(first.body.errors).toBeUndefined()
  for (let round = 0; round < rounds; round++) {
    const again = await client(server.url).gql(`{ currentWorkspace { id displayName } objects(paging: { first: 5 }) { edges { node { nameSingular } } } }`, {}, accessToken)
    expect(again.body).toEqual(first.body)
  }
}

describe("embedded mode under concurrent load", () => {
  test("concurrent mixed reads and writes over several connections, with a CLI call during it, each get exactly their own rows", async () => {
    const cli = Bun.sleep(300).then(() =>
      runCli(["workspace:create", "--name", "During Load", "--email", uniqueEmail("cli"), "--password", "a long password"])
    )
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => writer(`w${i}`, 6)),
      ...Array.from({ length: 3 }, () => metadataReader(12))
    ])
    const created = await cli
    expect(created.stderr).toBe("")
    expect(created.code).toBe(0)
    expect(created.stdout).toContain(`Workspace "During Load" created`)
    expect(server.output()).not.toMatch(PROTOCOL_ERRORS)
  }, 60_000)

  test("the direct writes (GraphQL and REST, one record) on PGlite: their answers, and totals that move at once", async () => {
    const count = async () => (await data(`{ companies(filter: { name: { like: "direct-%" } }) { totalCount } }`)).body.data.companies.totalCount as number
    expect(await count()).toBe(0)
    const created = await data(`mutation { createCompany(data: { name: "direct-1", employees: 3 }) { id name employees } }`)
    expect(created.body.data.createCompany).toMatchObject({ name: "direct-1", employees: 3 })
    expect(await count()).toBe(1)
    const id = created.body.data.createCompany.id
    const updated = await data(`mutation($id: UUID!) { updateCompany(id: $id, data: { employees: 4 }) { employees } }`, { id })
    expect(updated.body.data.updateCompany).toEqual({ employees: 4 })
    const write = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      }).then(async (r) => ({ status: r.status, body: await r.json() as any }))
    const posted = await write("POST", "/rest/companies", { name: "direct-2" })
    expect(posted.status).toBe(201)
    expect(await count()).toBe(2)
    const patched = await write("PATCH", `/rest/companies/${posted.body.data.createCompany.id}`, { employees: 9 })
    expect(patched.body.data.updateCompany.employees).toBe(9)
    expect((await write("DELETE", `/rest/companies/${posted.body.data.createCompany.id}?soft_delete=true`)).status).toBe(200)
    const deleted = await data(`mutation($id: UUID!) { deleteCompany(id: $id) { id deletedAt } }`, { id })
    expect(deleted.body.data.deleteCompany.deletedAt).toBeString()
    expect(await count()).toBe(0)
    expect((await write("PATCH", `/rest/companies/${crypto.randomUUID()}`, { employees: 1 })).status).toBe(404)
    expect(server.output()).not.toMatch(PROTOCOL_ERRORS)
  }, 30_000)

  test("two-factor authentication on PGlite: provision, verify, the login-token gate, getAuthTokensFromOTP, no replay", async () => {
    const api = client(server.url)
    const email = uniqueEmail("totp")
    const account = await signUpWithWorkspace(api, { email, password: "correct horse battery", name: "Embedded 2FA" })
    const provisioned = await api.gql(`mutation { initiateOTPProvisioningForAuthenticatedUser { uri } }`, {}, account.accessToken)
    const totp = OTPAuth.URI.parse(provisioned.body.data.initiateOTPProvisioningForAuthenticatedUser.uri)
    const now = Date.now()
    const verify = (otp: string) =>
      api.gql(`mutation($otp: String!) { verifyTwoFactorAuthenticationMethodForAuthenticatedUser(otp: $otp) { success } }`, { otp }, account.accessToken)
    expect((await verify(totp.generate({ timestamp: now }))).body.data.verifyTwoFactorAuthenticationMethodForAuthenticatedUser.success).toBe(true)
    expect((await verify(totp.generate({ timestamp: now }))).body.errors?.[0]?.extensions?.subCode).toBe("INVALID_OTP")
    const login = await api.gql(
      `mutation($e: String!) { getLoginTokenFromCredentials(email: $e, password: "correct horse battery", origin: "http://localhost:3001") { loginToken { token } } }`,
      { e: email }
    )
    const loginToken = login.body.data.getLoginTokenFromCredentials.loginToken.token
    const exchanged = await api.gql(
      `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { refreshToken { token } } } }`,
      { t: loginToken }
    )
    expect(exchanged.body.errors?.[0]?.extensions?.subCode).toBe("TWO_FACTOR_AUTHENTICATION_VERIFICATION_REQUIRED")
    const withOtp = await api.gql(
      `mutation($t: String!, $otp: String!) { getAuthTokensFromOTP(otp: $otp, loginToken: $t, origin: "http://localhost:3001") { tokens { refreshToken { token } } } }`,
      { t: loginToken, otp: totp.generate({ timestamp: now + 30_000 }) }
    )
    expect(withOtp.body.data.getAuthTokensFromOTP.tokens.refreshToken.token).toBeString()
  }, 30_000)

  test("a second start on the same DATA_DIR is refused with one line and exit code 1", async () => {
    const second = runScore("main", { DATA_DIR: dataDir, PORT: String(freePort()), HOST: "127.0.0.1" })
    const outcome = await Promise.race([
      Promise.all([second.exited, new Response(second.stderr).text()]),
      Bun.sleep(20_000).then(() => null)
    ])
    if (outcome === null) second.kill("SIGKILL")
    expect(outcome).not.toBeNull()
    const [code, stderr] = outcome!
    expect(code).toBe(1)
    const lines = stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("already running")
    expect(lines[0]).toContain(dataDir)
    // The first server still answers.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  }, 30_000)

  test("the CLI acts through the running server's admin socket, and its curl names that server's port", async () => {
    const admin = join(dataDir, "admin.sock")
    expect(statSync(admin).mode & 0o777).toBe(0o600)
    const port = new URL(server.url).port
    const created = await runCli(["workspace:create", "--name", "Through RPC", "--email", uniqueEmail("rpc"), "--password", "a long password", "--days", "2"])
    expect(created.stderr).toBe("")
    expect(created.code).toBe(0)
    const lines = created.stdout.split("\n")
    const workspaceId = lines[0]!.match(/^Workspace "Through RPC" created: ([0-9a-f-]{36})$/)![1]!
    expect(lines[1]).toMatch(/^API key "CLI" \(expires \d{4}-\d{2}-\d{2}\):$/)
    const token = lines[2]!
    expect(lines[5]).toBe(`curl -s http://localhost:${port}/metadata -H "Authorization: Bearer ${token}" \\`)
    // The key works on the server at once.
    const current = await client(server.url).gql(`{ currentWorkspace { id displayName } }`, {}, token)
    expect(current.body.data.currentWorkspace).toEqual({ id: workspaceId, displayName: "Through RPC" })

    const missing = await runCli(["workspace:delete", "--id", crypto.randomUUID()])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("Workspace not found")

    const deleted = await runCli(["workspace:delete", "--id", workspaceId])
    expect(deleted.stderr).toBe("")
    expect(deleted.stdout).toBe(`Workspace ${workspaceId} deleted\n`)
    const gone = await client(server.url).gql(`{ currentWorkspace { id } }`, {}, token)
    expect(gone.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")

    const migrate = await runCli(["migrate"])
    expect(migrate.code).toBe(0)
    expect(migrate.stdout + migrate.stderr).toContain("Migrations are up to date")
    expect(server.output()).not.toMatch(PROTOCOL_ERRORS)
  }, 30_000)

  test("SIGTERM under concurrent load exits within SHUTDOWN_TIMEOUT", async () => {
    let stop = false
    const load = Array.from({ length: 6 }, async (_, i) => {
      for (let round = 0; !stop; round++) {
        await data(`mutation($n: String!) { createCompany(data: { name: $n }) { id } }`, { n: `term-${i}-${round}` }).catch(() => {})
        await rest(`/rest/companies?limit=50`).catch(() => {})
      }
    })
    await Bun.sleep(1_500)
    const started = Date.now()
    const exited = server.stop("SIGTERM")
    const code = await Promise.race([exited, Bun.sleep(10_000).then(() => "still running")])
    stop = true
    await Promise.all(load)
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(3_000 + 4_000)
  }, 30_000)

  test("with no server running, the CLI opens the database itself (taking over a dead process's lock)", async () => {
    const dead = Bun.spawn(["true"])
    await dead.exited
    await Bun.write(join(dataDir, "server.pid"), String(dead.pid))
    const port = String(freePort())
    const created = await runCli(["workspace:create", "--name", "Offline", "--email", uniqueEmail("offline"), "--password", "a long password"], { PORT: port })
    expect(created.stderr).toBe("")
    expect(created.code).toBe(0)
    expect(created.stdout).toContain(`Workspace "Offline" created: `)
    expect(created.stdout).toContain(`curl -s http://localhost:${port}/metadata`)
    expect(await Bun.file(join(dataDir, "server.pid")).exists()).toBe(false)
  }, 30_000)
})
