import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as jose from "jose"
import { createHash } from "node:crypto"
import { Tokens } from "../src/services/auth/tokens.js"
import { startTestApp, TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

let app: TestApp
let alice: Awaited<ReturnType<typeof signUpWithWorkspace>>
let bob: Awaited<ReturnType<typeof signUpWithWorkspace>>

beforeAll(async () => {
  app = await startTestApp()
  ;[alice, bob] = await Promise.all([
    signUpWithWorkspace(app, { name: "Alice Corp" }),
    signUpWithWorkspace(app, { name: "Bob Corp" })
  ])
})
afterAll(() => app.close())

const codeOf = (body: { errors?: Array<{ extensions?: any }> }) => body.errors?.[0]?.extensions?.code
const CURRENT_WORKSPACE = `{ currentWorkspace { id displayName } }`

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())

describe("access tokens", () => {
  test("an expired access token is refused with 401 UNAUTHENTICATED", async () => {
    const claims = payloadOf(alice.accessToken)
    const expired = await app.run(Effect.flatMap(Tokens, (t) =>
      t.sign({ ...claims, type: "ACCESS" }, { until: new Date(Date.now() - 1000) })))
    const { status, body } = await app.gql(CURRENT_WORKSPACE, {}, expired.token)
    expect(status).toBe(401)
    expect(codeOf(body)).toBe("UNAUTHENTICATED")
    expect(body.errors![0]!.message).toBe("Token has expired.")
  })

  test("a validly signed token without exp is refused", async () => {
    const { exp: _, ...claims } = payloadOf(alice.accessToken)
    // The key Tokens derives for an ACCESS token of this workspace: the signature is valid.
    const key = new TextEncoder().encode(
      createHash("sha256").update(`${TEST_APP_SECRET}${claims.workspaceId}ACCESS`).digest("hex")
    )
    const eternal = await new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key)
    const { status, body } = await app.gql(CURRENT_WORKSPACE, {}, eternal)
    expect(status).toBe(401)
    expect(codeOf(body)).toBe("UNAUTHENTICATED")
    expect(body.errors![0]!.message).toBe("Token invalid.")
  })

  test("a tampered token (payload changed, signature kept) is refused", async () => {
    const [header, , signature] = alice.accessToken.split(".")
    const forged = { ...payloadOf(alice.accessToken), workspaceId: bob.workspaceId }
    const token = `${header}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${signature}`
    const { status, body } = await app.gql(CURRENT_WORKSPACE, {}, token)
    expect(status).toBe(401)
    expect(codeOf(body)).toBe("UNAUTHENTICATED")
  })

  test("a token signed with another secret or of the wrong type is refused", async () => {
    const refreshAsAccess = await app.gql(CURRENT_WORKSPACE, {}, alice.refreshToken)
    expect(codeOf(refreshAsAccess.body)).toBe("UNAUTHENTICATED")
    const garbage = await app.gql(CURRENT_WORKSPACE, {}, "not-a-jwt")
    expect(codeOf(garbage.body)).toBe("UNAUTHENTICATED")
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${alice.accessToken.split(".")[1]}.`
    expect(codeOf((await app.gql(CURRENT_WORKSPACE, {}, noneAlg)).body)).toBe("UNAUTHENTICATED")
  })

  test("no token on a protected query is UNAUTHENTICATED; public mutations still work with a stale header", async () => {
    expect(codeOf((await app.gql(CURRENT_WORKSPACE)).body)).toBe("UNAUTHENTICATED")
    const check = await app.gql(`{ checkUserExists(email: "${alice.email}") { exists } }`, {}, "stale.token.here")
    expect(check.body.data.checkUserExists.exists).toBe(true)
  })

  test("each access token reads only its own workspace", async () => {
    const a = await app.gql(CURRENT_WORKSPACE, {}, alice.accessToken)
    const b = await app.gql(CURRENT_WORKSPACE, {}, bob.accessToken)
    expect(a.body.data.currentWorkspace).toEqual({ id: alice.workspaceId, displayName: "Alice Corp" })
    expect(b.body.data.currentWorkspace).toEqual({ id: bob.workspaceId, displayName: "Bob Corp" })
  })
})

describe("refresh tokens", () => {
  test("renewToken rotates; a reused refresh token ends every session of the user", async () => {
    const account = await signUpWithWorkspace(app)
    const renew = `mutation($t: String!) { renewToken(appToken: $t) { tokens {
      accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`
    const first = await app.gql(renew, { t: account.refreshToken })
    expect(first.body.errors).toBeUndefined()
    const rotated = first.body.data.renewToken.tokens
    expect((await app.gql(CURRENT_WORKSPACE, {}, rotated.accessOrWorkspaceAgnosticToken.token)).body.data)
      .toEqual({ currentWorkspace: { id: account.workspaceId, displayName: "Acme" } })

    const replay = await app.gql(renew, { t: account.refreshToken })
    expect(codeOf(replay.body)).toBe("FORBIDDEN")
    const afterReplay = await app.gql(renew, { t: rotated.refreshToken.token })
    expect(afterReplay.body.errors).toBeDefined()
  })

  test("after refresh-token reuse, the user's access tokens are refused too", async () => {
    const account = await signUpWithWorkspace(app)
    const renew = `mutation($t: String!) { renewToken(appToken: $t) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`
    const rotated = (await app.gql(renew, { t: account.refreshToken })).body.data.renewToken.tokens
    const accessTokens = [account.accessToken, rotated.accessOrWorkspaceAgnosticToken.token]
    for (const token of accessTokens) expect((await app.gql(CURRENT_WORKSPACE, {}, token)).status).toBe(200)
    const replay = await app.gql(renew, { t: account.refreshToken })
    expect(replay.body.errors![0]!.message).toContain("All tokens have been revoked")
    for (const token of accessTokens) {
      const { status, body } = await app.gql(CURRENT_WORKSPACE, {}, token)
      expect(status).toBe(401)
      expect(codeOf(body)).toBe("UNAUTHENTICATED")
    }
  })

  test("signOut ends every session of the user: its access and workspace-agnostic tokens are refused", async () => {
    const account = await signUpWithWorkspace(app)
    const other = await signUpWithWorkspace(app)
    expect((await app.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(200)
    expect((await app.gql(`{ currentUser { id } }`, {}, account.agnosticToken)).status).toBe(200)
    const out = await app.gql(`mutation { signOut }`, {}, account.accessToken)
    expect(out.body).toEqual({ data: { signOut: true } })
    for (const [query, token] of [[CURRENT_WORKSPACE, account.accessToken], [`{ currentUser { id } }`, account.agnosticToken]]) {
      const { status, body } = await app.gql(query!, {}, token)
      expect(status).toBe(401)
      expect(codeOf(body)).toBe("UNAUTHENTICATED")
    }
    expect((await app.gql(CURRENT_WORKSPACE, {}, other.accessToken)).status).toBe(200)
  })

  test("signOut with a refresh token refuses that session's access token, not the user's other sessions", async () => {
    const account = await signUpWithWorkspace(app)
    const signIn = await app.gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: account.email, p: account.password })
    const secondSession = signIn.body.data.signIn.tokens.accessOrWorkspaceAgnosticToken.token
    const out = await app.gql(`mutation($t: String) { signOut(refreshToken: $t) }`, { t: account.refreshToken })
    expect(out.body.data).toEqual({ signOut: true })
    expect(codeOf((await app.gql(CURRENT_WORKSPACE, {}, account.accessToken)).body)).toBe("UNAUTHENTICATED")
    expect((await app.gql(`{ currentUser { id } }`, {}, secondSession)).status).toBe(200)
  })

  test("signOut with a refresh token ends that session", async () => {
    const account = await signUpWithWorkspace(app)
    const out = await app.gql(`mutation($t: String) { signOut(refreshToken: $t) }`, { t: account.refreshToken })
    expect(out.body.data).toEqual({ signOut: true })
    const renew = await app.gql(`mutation($t: String!) { renewToken(appToken: $t) { tokens { refreshToken { token } } } }`, {
      t: account.refreshToken
    })
    expect(renew.body.errors).toBeDefined()
  })
})

describe("API keys", () => {
  test("an API key token reads its workspace; revoking it takes effect at once", async () => {
    const key = await createApiKey(app, alice.accessToken)
    expect((await app.gql(CURRENT_WORKSPACE, {}, key.token)).body.data.currentWorkspace.id).toBe(alice.workspaceId)
    const revoked = await app.gql(`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id revokedAt } }`, {
      id: key.id
    }, alice.accessToken)
    expect(revoked.body.data.revokeApiKey.revokedAt).toBeString()
    const after = await app.gql(CURRENT_WORKSPACE, {}, key.token)
    expect(after.status).toBe(401)
    expect(codeOf(after.body)).toBe("UNAUTHENTICATED")
  })

  test("an expired API key is refused", async () => {
    const key = await createApiKey(app, alice.accessToken)
    await app.gql(`mutation($id: UUID!, $e: String!) { updateApiKey(input: { id: $id, expiresAt: $e }) { id } }`, {
      id: key.id,
      e: new Date(Date.now() - 60_000).toISOString()
    }, alice.accessToken)
    expect(codeOf((await app.gql(CURRENT_WORKSPACE, {}, key.token)).body)).toBe("UNAUTHENTICATED")
  })

  test("a key of workspace A never reaches anything of workspace B", async () => {
    const aliceKey = await createApiKey(app, alice.accessToken, "alice")
    const bobKey = await createApiKey(app, bob.accessToken, "bob")
    const read = await app.gql(`query($id: UUID!) { apiKey(input: { id: $id }) { id name } }`, { id: bobKey.id }, aliceKey.token)
    expect(codeOf(read.body)).toBe("NOT_FOUND")
    const revoke = await app.gql(`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id } }`, { id: bobKey.id }, aliceKey.token)
    expect(codeOf(revoke.body)).toBe("NOT_FOUND")
    expect((await app.gql(CURRENT_WORKSPACE, {}, bobKey.token)).body.data.currentWorkspace.id).toBe(bob.workspaceId)
    const list = await app.gql(`{ apiKeys { id name role { label } } }`, {}, aliceKey.token)
    const names = list.body.data.apiKeys.map((k: { name: string }) => k.name)
    expect(names).toContain("alice")
    expect(names).not.toContain("bob")
    expect(list.body.data.apiKeys[0].role.label).toBe("Admin")
  })

  test("bad input is BAD_USER_INPUT naming the field", async () => {
    const bad = await app.gql(`mutation { createApiKey(input: { name: "x", expiresAt: "next tuesday" }) { id } }`, {}, alice.accessToken)
    expect(codeOf(bad.body)).toBe("BAD_USER_INPUT")
    expect(bad.body.errors![0]!.message).toContain("expiresAt")
    const badId = await app.gql(`{ apiKey(input: { id: "not-a-uuid" }) { id } }`, {}, alice.accessToken)
    expect(badId.body.errors).toBeDefined()
    expect(JSON.stringify(badId.body)).not.toContain("    at ")
  })

  test("generateApiKeyToken needs a user session, not an API key", async () => {
    const key = await createApiKey(app, alice.accessToken)
    const { body } = await app.gql(`mutation($id: UUID!) { generateApiKeyToken(apiKeyId: $id, expiresAt: "2099-01-01") { token } }`, {
      id: key.id
    }, key.token)
    expect(codeOf(body)).toBe("FORBIDDEN")
  })
})

describe("revocation across instances", () => {
  test("a key revoked through one instance is refused by another at once", async () => {
    const other = await startTestApp({ databaseUrl: app.databaseUrl })
    try {
      const key = await createApiKey(app, alice.accessToken)
      expect((await other.gql(CURRENT_WORKSPACE, {}, key.token)).status).toBe(200)
      await app.gql(`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id } }`, { id: key.id }, alice.accessToken)
      expect((await other.gql(CURRENT_WORKSPACE, {}, key.token)).status).toBe(401)
    } finally {
      await other.close()
    }
  })

  test("a sign-out through one instance ends the session on another at once", async () => {
    const other = await startTestApp({ databaseUrl: app.databaseUrl })
    try {
      const account = await signUpWithWorkspace(app)
      expect((await other.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(200)
      await app.gql(`mutation { signOut }`, {}, account.accessToken)
      expect((await other.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(401)
    } finally {
      await other.close()
    }
  })
})
