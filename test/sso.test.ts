/**
 * SSO against a real OpenID Connect provider started by the test (oidc-provider): discovery, the code
 * flow with PKCE, state and nonce, ID token signature, Twenty's login-token redirect, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { decodeJwt } from "jose"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"
import { startOidcProvider, type TestOidcProvider } from "./support/oidc-provider.js"

const SERVER = "http://localhost:3000"
let provider: TestOidcProvider
let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let identityProviderId: string

const ssoFields = "id type issuer name status"

beforeAll(async () => {
  provider = await startOidcProvider([`${SERVER}/auth/oidc/callback`, `${SERVER}/auth/google/redirect`])
  app = await startTestApp({
    env: {
      AUTH_GOOGLE_ENABLED: "true",
      AUTH_GOOGLE_CLIENT_ID: provider.clientId,
      AUTH_GOOGLE_CLIENT_SECRET: provider.clientSecret,
      AUTH_GOOGLE_ISSUER: provider.issuer,
      // The test's provider listens on 127.0.0.1, a private address workspaces may not point at by default.
      SSO_ALLOW_PRIVATE_ISSUERS: "true"
    }
  })
  owner = await signUpWithWorkspace(app, { name: "SSO Co" })
  const created = await app.gql(
    `mutation($input: SetupOIDCSsoInput!) { createOIDCIdentityProvider(input: $input) { ${ssoFields} } }`,
    { input: { name: "Test IdP", issuer: provider.issuer, clientID: provider.clientId, clientSecret: provider.clientSecret } },
    owner.accessToken
  )
  expect(created.body.errors).toBeUndefined()
  identityProviderId = created.body.data.createOIDCIdentityProvider.id
})
afterAll(async () => {
  await app?.close()
  await provider?.close()
})

const cookieOf = (response: Response) => {
  const line = response.headers.getSetCookie().find((c) => c.startsWith("score_oauth_state="))
  return line ? line.split(";")[0]! : null
}

/** Starts a sign-in at `path`, lets the provider sign `email` in, and returns the callback to call. */
const startFlow = async (path: string, email: string) => {
  const start = await app.request(path)
  expect(start.status).toBe(302)
  const cookie = cookieOf(start)
  expect(cookie).not.toBeNull()
  provider.nextLogin.email = email
  const callback = await provider.authorize(start.headers.get("location")!)
  return { cookie: cookie!, callbackPath: `${callback.pathname}${callback.search}`, state: callback.searchParams.get("state")! }
}

const finish = async (callbackPath: string, cookie: string | null) => {
  const response = await app.request(callbackPath, cookie ? { headers: { cookie } } : {})
  expect(response.status).toBe(302)
  return new URL(response.headers.get("location")!)
}

const exchange = (loginToken: string) =>
  app.gql(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`,
    { t: loginToken }
  )

/** Twenty's AuthProviderEnum value a token says the user signed in with. */
const authProviderOf = (token: string) => decodeJwt(token)["authProvider"]

describe("identity providers on /metadata", () => {
  test("created after discovery, listed, and the client secret sealed at rest", async () => {
    const list = await app.gql(`{ getSSOIdentityProviders { ${ssoFields} workspace { id displayName } } }`, {}, owner.accessToken)
    expect(list.body.data.getSSOIdentityProviders).toEqual([{
      id: identityProviderId,
      type: "OIDC",
      issuer: provider.issuer,
      name: "Test IdP",
      status: "Active",
      workspace: { id: owner.workspaceId, displayName: "SSO Co" }
    }])
    const [row] = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ clientSecret: string }>`SELECT "clientSecret" FROM core."workspaceSSOIdentityProvider" WHERE id = ${identityProviderId}`))
    expect(row!.clientSecret.startsWith("v1:")).toBe(true)
    expect(row!.clientSecret).not.toContain(provider.clientSecret)
  })

  test("an issuer without discovery is refused as Twenty does", async () => {
    const bad = await app.gql(
      `mutation($input: SetupOIDCSsoInput!) { createOIDCIdentityProvider(input: $input) { id } }`,
      { input: { name: "Nope", issuer: "http://127.0.0.1:9/none", clientID: "x", clientSecret: "y" } },
      owner.accessToken
    )
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    expect(bad.body.errors?.[0]?.message).toBe("Invalid issuer")
  })

  test("by default a workspace cannot point an identity provider at a private address", async () => {
    const strict = await startTestApp({ redis: false })
    try {
      const admin = await signUpWithWorkspace(strict)
      const refused = await strict.gql(
        `mutation($input: SetupOIDCSsoInput!) { createOIDCIdentityProvider(input: $input) { id } }`,
        { input: { name: "Local", issuer: provider.issuer, clientID: provider.clientId, clientSecret: provider.clientSecret } },
        admin.accessToken
      )
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      expect(refused.body.errors?.[0]?.message).toBe("Invalid issuer")
    } finally {
      await strict.close()
    }
 }, 60_000)

  test("getAuthorizationUrlForSSO points at the server's login route; anonymous callers cannot list", async () => {
    const url = await app.gql(
      `mutation($input: GetAuthorizationUrlForSSOInput!) { getAuthorizationUrlForSSO(input: $input) { authorizationURL type id } }`,
      { input: { identityProviderId } }
    )
    expect(url.body.data.getAuthorizationUrlForSSO).toEqual({
      authorizationURL: `${SERVER}/auth/oidc/login/${identityProviderId}`,
      type: "OIDC",
      id: identityProviderId
    })
    const anonymous = await app.gql(`{ getSSOIdentityProviders { id } }`)
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
  })

  test("a caller without the SECURITY permission is refused", async () => {
    const roles = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ id: string }>`SELECT id FROM core.role WHERE "workspaceId" = ${owner.workspaceId} AND label = 'Member'`))
    const exp = new Date(Date.now() + 86_400_000).toISOString()
    const key = await app.gql(
      `mutation($roleId: UUID, $exp: String!) { createApiKey(input: { name: "k", expiresAt: $exp, roleId: $roleId }) { id } }`,
      { roleId: roles[0]!.id, exp },
      owner.accessToken
    )
    const token = (await app.gql(
      `mutation($id: UUID!, $exp: String!) { generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`,
      { id: key.body.data.createApiKey.id, exp },
      owner.accessToken
    )).body.data.generateApiKeyToken.token
    const denied = await app.gql(`{ getSSOIdentityProviders { id } }`, {}, token)
    expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
  })

  test("public workspace data lists the active identity providers and the configured social providers", async () => {
    const { subdomain } = (await app.gql(`{ currentWorkspace { subdomain } }`, {}, owner.accessToken)).body.data.currentWorkspace
    const data = await app.gql(
      `query($origin: String) { getPublicWorkspaceDataByDomain(origin: $origin) {
        id displayName authProviders { sso { id name type status issuer } google microsoft password magicLink } } }`,
      { origin: `http://${subdomain}.localhost:3001` }
    )
    expect(data.body.data.getPublicWorkspaceDataByDomain).toEqual({
      id: owner.workspaceId,
      displayName: "SSO Co",
      authProviders: {
        sso: [{ id: identityProviderId, name: "Test IdP", type: "OIDC", status: "Active", issuer: provider.issuer }],
        google: true,
        microsoft: false,
        password: true,
        magicLink: false
      }
    })
    const unknown = await app.gql(`{ getPublicWorkspaceDataByDomain(origin: "http://nowhere-at-all.localhost:3001") { id } }`)
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  })

  test("sign-in's available workspaces carry their active identity providers", async () => {
    const signIn = await app.gql(
      `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) {
        availableWorkspaces { availableWorkspacesForSignIn { id sso { id name type status issuer } } } } }`,
      { email: owner.email, password: owner.password }
    )
    expect(signIn.body.data.signIn.availableWorkspaces.availableWorkspacesForSignIn).toEqual([{
      id: owner.workspaceId,
      sso: [{ id: identityProviderId, name: "Test IdP", type: "OIDC", status: "Active", issuer: provider.issuer }]
    }])
  })

  test("workspace flags answer from configuration", async () => {
    const ws = await app.gql(`{ currentWorkspace { isGoogleAuthEnabled isMicrosoftAuthEnabled } }`, {}, owner.accessToken)
    expect(ws.body.data.currentWorkspace).toEqual({ isGoogleAuthEnabled: true, isMicrosoftAuthEnabled: false })
  })
})

describe("OIDC sign-in", () => {
  test("code flow ends in Twenty's login-token redirect, and the token signs the member in", async () => {
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    const location = await finish(callbackPath, cookie)
    expect(location.pathname).toBe("/verify")
    const loginToken = location.searchParams.get("loginToken")
    expect(loginToken).toBeTruthy()
    const tokens = await exchange(loginToken!)
    expect(tokens.body.errors).toBeUndefined()
  })

  test("a replayed callback is refused", async () => {
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    expect((await finish(callbackPath, cookie)).searchParams.get("loginToken")).toBeTruthy()
    const replay = await finish(callbackPath, cookie)
    expect(replay.searchParams.get("loginToken")).toBeNull()
    expect(replay.searchParams.get("errorMessage")).toBe("Invalid or expired sign-in state")
  })

  test("a state that is not the browser's is refused (state mismatch, no cookie)", async () => {
    const first = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    const other = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    expect((await finish(first.callbackPath, other.cookie)).searchParams.get("errorMessage")).toBe("Invalid or expired sign-in state")
    expect((await finish(other.callbackPath, null)).searchParams.get("errorMessage")).toBe("Invalid or expired sign-in state")
  })

  test("a forged callback (a code the provider never issued) is refused", async () => {
    const { cookie, state } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    const forged = await finish(`/auth/oidc/callback?code=forged-code&state=${state}&iss=${encodeURIComponent(provider.issuer)}`, cookie)
    expect(forged.searchParams.get("loginToken")).toBeNull()
    expect(forged.searchParams.get("errorMessage")).toBeTruthy()
  })

  test("a tampered ID token (another user's email, original signature) is refused", async () => {
    const victim = await signUpWithWorkspace(app, { name: "Victim Co" })
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, "attacker@example.com")
    provider.tamperIdToken = (claims) => ({ ...claims, email: victim.email })
    try {
      const location = await finish(callbackPath, cookie)
      expect(location.searchParams.get("loginToken")).toBeNull()
      expect(location.searchParams.get("errorMessage")).toBe("The identity provider's answer could not be verified")
    } finally {
      provider.tamperIdToken = null
    }
  })

  test("an ID token whose nonce is not the one this sign-in sent is refused", async () => {
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE core."oauthSignIn" SET nonce = 'another-nonce'`))
    const location = await finish(callbackPath, cookie)
    expect(location.searchParams.get("loginToken")).toBeNull()
    expect(location.searchParams.get("errorMessage")).toBe("The identity provider's answer could not be verified")
  })

  test("an unknown provider, an inactive one, and a non-member are refused", async () => {
    const unknown = await app.request(`/auth/oidc/login/${crypto.randomUUID()}`)
    expect(unknown.status).toBe(302)
    expect(new URL(unknown.headers.get("location")!).searchParams.get("errorMessage")).toBe("Identity provider not found")

    const stranger = await signUpWithWorkspace(app, { name: "Elsewhere" })
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, stranger.email)
    expect((await finish(callbackPath, cookie)).searchParams.get("errorMessage")).toBe("User does not have access to this workspace")

    const edit = await app.gql(
      `mutation($input: EditSsoInput!) { editSSOIdentityProvider(input: $input) { id status } }`,
      { input: { id: identityProviderId, status: "Inactive" } },
      owner.accessToken
    )
    expect(edit.body.data.editSSOIdentityProvider.status).toBe("Inactive")
    const inactive = await app.request(`/auth/oidc/login/${identityProviderId}`)
    expect(new URL(inactive.headers.get("location")!).searchParams.get("errorMessage")).toBe("Identity provider not found")
    await app.gql(
      `mutation($input: EditSsoInput!) { editSSOIdentityProvider(input: $input) { id } }`,
      { input: { id: identityProviderId, status: "Active" } },
      owner.accessToken
    )
  })

  test("an email the provider has not verified is refused", async () => {
    provider.nextLogin.emailVerified = false
    try {
      const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
      expect((await finish(callbackPath, cookie)).searchParams.get("errorMessage")).toBe("The identity provider has not verified this email.")
    } finally {
      provider.nextLogin.emailVerified = true
    }
  })
})

describe("SSO signs up and joins as Twenty does", () => {
  const invite = async (email: string) => {
    const sent = await app.gql(
      `mutation($emails: [String!]!) { sendInvitations(emails: $emails) { success errors } }`,
      { emails: [email] },
      owner.accessToken
    )
    expect(sent.body.data.sendInvitations).toEqual({ success: true, errors: [] })
  }
  const invitationsFor = (email: string) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql`SELECT id FROM core."appToken" WHERE type = 'InvitationToken' AND lower(context->>'email') = ${email.toLowerCase()}`))
  const memberOf = (email: string) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ workspaceId: string; isEmailVerified: boolean; hasPassword: boolean; firstName: string }>`
        SELECT uw."workspaceId", u."isEmailVerified", u."passwordHash" IS NOT NULL AS "hasPassword", u."firstName"
          FROM core."user" u JOIN core."userWorkspace" uw ON uw."userId" = u.id AND uw."deletedAt" IS NULL
         WHERE lower(u.email) = ${email.toLowerCase()} ORDER BY uw."createdAt"`))
  const currentMember = async (accessToken: string) =>
    (await app.gql(`{ currentUser { email currentWorkspace { id } workspaceMember { name { firstName lastName } userEmail } } }`, {}, accessToken)).body

  test("a new user with a pending invitation is signed up, joins with the default role, and the invitation is used", async () => {
    const email = uniqueEmail("sso-invited")
    await invite(email)
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, email)
    const location = await finish(callbackPath, cookie)
    expect(location.searchParams.get("errorMessage")).toBeNull()
    const tokens = await exchange(location.searchParams.get("loginToken")!)
    expect(tokens.body.errors).toBeUndefined()
    const me = await currentMember(tokens.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token)
    expect(me.data.currentUser).toEqual({
      email,
      currentWorkspace: { id: owner.workspaceId },
      workspaceMember: { name: { firstName: "Ada", lastName: "Lovelace" }, userEmail: email }
    })
    expect(await memberOf(email)).toEqual([{ workspaceId: owner.workspaceId, isEmailVerified: true, hasPassword: false, firstName: "Ada" }])
    expect(await invitationsFor(email)).toEqual([])
    const [role] = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ same: boolean }>`SELECT uw."roleId" = w."defaultRoleId" AS same FROM core."userWorkspace" uw
        JOIN core."user" u ON u.id = uw."userId" JOIN core.workspace w ON w.id = uw."workspaceId" WHERE lower(u.email) = ${email}`))
    expect(role!.same).toBe(true)
  })

  test("tokens from an SSO sign-in say so (authProvider sso), renewals included", async () => {
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, owner.email)
    const loginToken = (await finish(callbackPath, cookie)).searchParams.get("loginToken")!
    expect(authProviderOf(loginToken)).toBe("sso")
    const { tokens } = (await exchange(loginToken)).body.data.getAuthTokensFromLoginToken
    expect(authProviderOf(tokens.accessOrWorkspaceAgnosticToken.token)).toBe("sso")
    expect(authProviderOf(tokens.refreshToken.token)).toBe("sso")
    const renewed = await app.gql(
      `mutation($t: String!) { renewToken(appToken: $t) { tokens { accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`,
      { t: tokens.refreshToken.token }
    )
    expect(renewed.body.errors).toBeUndefined()
    expect(authProviderOf(renewed.body.data.renewToken.tokens.accessOrWorkspaceAgnosticToken.token)).toBe("sso")
    expect(authProviderOf(renewed.body.data.renewToken.tokens.refreshToken.token)).toBe("sso")
    const signIn = await app.gql(
      `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
      { email: owner.email, password: owner.password }
    )
    expect(authProviderOf(signIn.body.data.signIn.tokens.accessOrWorkspaceAgnosticToken.token)).toBe("password")
  })

  test("a new user without an invitation is refused and no account is made", async () => {
    const email = uniqueEmail("sso-uninvited")
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, email)
    const location = await finish(callbackPath, cookie)
    expect(location.searchParams.get("loginToken")).toBeNull()
    expect(location.searchParams.get("errorMessage")).toBe("User does not have access to this workspace")
    const users = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT id FROM core."user" WHERE lower(email) = ${email}`))
    expect(users).toEqual([])
  })

  test("an existing user of another workspace joins through an invitation, keeping the first membership", async () => {
    const other = await signUpWithWorkspace(app, { name: "Other Co" })
    await invite(other.email)
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}`, other.email)
    const location = await finish(callbackPath, cookie)
    expect(location.searchParams.get("errorMessage")).toBeNull()
    const tokens = await exchange(location.searchParams.get("loginToken")!)
    expect(tokens.body.errors).toBeUndefined()
    const me = await currentMember(tokens.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token)
    expect(me.data.currentUser.currentWorkspace.id).toBe(owner.workspaceId)
    expect((await memberOf(other.email)).map((m) => m.workspaceId)).toEqual([other.workspaceId, owner.workspaceId])
    expect(await invitationsFor(other.email)).toEqual([])
  })

  test("the public invite link lets a new user join only while the workspace enables it", async () => {
    const { inviteHash } = (await app.gql(`{ currentWorkspace { inviteHash } }`, {}, owner.accessToken)).body.data.currentWorkspace
    const setLink = async (on: boolean) => {
      const set = await app.gql(`mutation($on: Boolean) { updateWorkspace(data: { isPublicInviteLinkEnabled: $on }) { id } }`, { on }, owner.accessToken)
      expect(set.body.errors).toBeUndefined()
    }
    await setLink(false)
    const refusedEmail = uniqueEmail("sso-link-off")
    const off = await startFlow(`/auth/oidc/login/${identityProviderId}?workspaceInviteHash=${inviteHash}`, refusedEmail)
    expect((await finish(off.callbackPath, off.cookie)).searchParams.get("errorMessage")).toBe("Public invite link is disabled for this workspace")

    await setLink(true)
    const email = uniqueEmail("sso-link-on")
    const on = await startFlow(`/auth/oidc/login/${identityProviderId}?workspaceInviteHash=${inviteHash}`, email)
    const location = await finish(on.callbackPath, on.cookie)
    expect(location.searchParams.get("errorMessage")).toBeNull()
    expect((await memberOf(email)).map((m) => m.workspaceId)).toEqual([owner.workspaceId])
  })

  test("an identity provider cannot sign anyone into another workspace's invite link", async () => {
    const other = await signUpWithWorkspace(app, { name: "Link Co" })
    const { inviteHash } = (await app.gql(`{ currentWorkspace { inviteHash } }`, {}, other.accessToken)).body.data.currentWorkspace
    const { cookie, callbackPath } = await startFlow(`/auth/oidc/login/${identityProviderId}?workspaceInviteHash=${inviteHash}`, uniqueEmail("sso-cross"))
    expect((await finish(callbackPath, cookie)).searchParams.get("errorMessage")).toBe("Identity provider does not belong to this workspace")
  })
})

describe("Google sign-in (same code flow, configured provider)", () => {
  test("/auth/google → /auth/google/redirect signs the member into the requested workspace", async () => {
    const { cookie, callbackPath } = await startFlow(`/auth/google?workspaceId=${owner.workspaceId}`, owner.email)
    expect(callbackPath.startsWith("/auth/google/redirect?")).toBe(true)
    const location = await finish(callbackPath, cookie)
    expect(location.hostname.endsWith(".localhost")).toBe(true)
    const exchanged = await exchange(location.searchParams.get("loginToken")!)
    expect(exchanged.body.errors).toBeUndefined()
    expect(authProviderOf(exchanged.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token)).toBe("google")
  })

  test("a Google state cannot finish on the OIDC callback, and Microsoft is off", async () => {
    const { cookie, state } = await startFlow(`/auth/google?workspaceId=${owner.workspaceId}`, owner.email)
    const crossed = await finish(`/auth/oidc/callback?code=x&state=${state}`, cookie)
    expect(crossed.searchParams.get("errorMessage")).toBe("Invalid or expired sign-in state")
    const microsoft = await app.request("/auth/microsoft")
    expect(microsoft.status).toBe(403)
    expect(await microsoft.json()).toEqual({ statusCode: 403, error: "ForbiddenException", messages: ["Microsoft auth is not enabled"] })
  })
})

describe("Google sign-in of someone without a workspace (Twenty's signUpOnNewWorkspace)", () => {
  const googleEnv = {
    AUTH_GOOGLE_ENABLED: "true",
    AUTH_GOOGLE_CLIENT_ID: "",
    AUTH_GOOGLE_CLIENT_SECRET: "",
    AUTH_GOOGLE_ISSUER: "",
    SSO_ALLOW_PRIVATE_ISSUERS: "true",
    DATABASE_POOL_SIZE: "2"
  }
  const usersNamed = (email: string) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT id FROM core."user" WHERE lower(email) = ${email.toLowerCase()}`))
  /** A Google sign-in on `on` (another instance on the same database) naming no workspace. */
  const googleSignIn = async (on: TestApp, email: string) => {
    const start = await on.request("/auth/google")
    const cookie = cookieOf(start)!
    provider.nextLogin.email = email
    const callback = await provider.authorize(start.headers.get("location")!)
    const response = await on.request(`${callback.pathname}${callback.search}`, { headers: { cookie } })
    return new URL(response.headers.get("location")!)
  }
  const ownedWorkspace = async (location: URL) => {
    const exchanged = await exchange(location.searchParams.get("loginToken")!)
    expect(exchanged.body.errors).toBeUndefined()
    const token = exchanged.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token
    expect(authProviderOf(token)).toBe("google")
    const me = await app.gql(`{ currentUser { email currentWorkspace { id subdomain activationStatus } workspaceMember { roles { label } } } }`, {}, token)
    expect(me.body.errors).toBeUndefined()
    return me.body.data.currentUser
  }

  test("an unknown user gets a workspace of their own, as its owner and Admin, and lands on its /verify page", async () => {
    const email = uniqueEmail("google-new")
    const location = await googleSignIn(app, email)
    expect(location.searchParams.get("errorMessage")).toBeNull()
    expect(location.pathname).toBe("/verify")
    const me = await ownedWorkspace(location)
    expect(me.email).toBe(email)
    expect(me.currentWorkspace.id).not.toBe(owner.workspaceId)
    expect(me.currentWorkspace.activationStatus).toBe("ACTIVE")
    expect(location.hostname).toBe(`${me.currentWorkspace.subdomain}.localhost`)
    expect(me.workspaceMember.roles.map((r: { label: string }) => r.label)).toEqual(["Admin"])
    const [row] = await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ owned: boolean; isEmailVerified: boolean; hasPassword: boolean }>`SELECT w."ownerUserId" = u.id AS owned, u."isEmailVerified",
          u."passwordHash" IS NOT NULL AS "hasPassword"
        FROM core.workspace w, core."user" u WHERE w.id = ${me.currentWorkspace.id} AND lower(u.email) = ${email}`))
    expect(row).toEqual({ owned: true, isEmailVerified: true, hasPassword: false })
    // The next sign-in lands in that workspace, and makes no other.
    const again = await ownedWorkspace(await googleSignIn(app, email))
    expect(again.currentWorkspace.id).toBe(me.currentWorkspace.id)
  })

  test("a known user without a workspace gets one too", async () => {
    const email = uniqueEmail("google-known")
    const signedUp = await app.gql(`mutation($e: String!) { signUp(email: $e, password: "a long password") { tokens { refreshToken { token } } } }`, { e: email })
    expect(signedUp.body.errors).toBeUndefined()
    const me = await ownedWorkspace(await googleSignIn(app, email))
    expect(me.email).toBe(email)
    expect(await usersNamed(email)).toHaveLength(1)
  })

  test("refused without IS_MULTIWORKSPACE_ENABLED once a workspace exists, and with IS_SIGN_UP_DISABLED; nobody is made", async () => {
    for (const [setting, message] of [["IS_MULTIWORKSPACE_ENABLED", "New workspace setup is disabled"], ["IS_SIGN_UP_DISABLED", "Sign up is disabled"]] as const) {
      const strict = await startTestApp({
        databaseUrl: app.databaseUrl,
        env: {
          ...googleEnv,
          AUTH_GOOGLE_CLIENT_ID: provider.clientId,
          AUTH_GOOGLE_CLIENT_SECRET: provider.clientSecret,
          AUTH_GOOGLE_ISSUER: provider.issuer,
          [setting]: setting === "IS_SIGN_UP_DISABLED" ? "true" : "false"
        }
      })
      try {
        const email = uniqueEmail("google-refused")
        const location = await googleSignIn(strict, email)
        expect(location.searchParams.get("loginToken")).toBeNull()
        expect(location.searchParams.get("errorMessage")).toBe(message)
        expect(await usersNamed(email)).toEqual([])
        // A member still signs in to their own workspace.
        const member = await googleSignIn(strict, owner.email)
        expect(member.searchParams.get("errorMessage")).toBeNull()
        expect(member.searchParams.get("loginToken")).toBeTruthy()
      } finally {
        await strict.close()
      }
    }
  }, 120_000)

  test("a sign-in naming a workspace or an invite link that does not exist makes none", async () => {
    const email = uniqueEmail("google-named")
    const start = await app.request(`/auth/google?workspaceInviteHash=no-such-hash`)
    const cookie = cookieOf(start)!
    provider.nextLogin.email = email
    const callback = await provider.authorize(start.headers.get("location")!)
    const location = await finish(`${callback.pathname}${callback.search}`, cookie)
    expect(location.searchParams.get("errorMessage")).toBe("Workspace not found")
    expect(await usersNamed(email)).toEqual([])
  })
})

describe("deleting a provider", () => {
  test("deleteSSOIdentityProvider removes it; its login route then refuses", async () => {
    const deleted = await app.gql(
      `mutation($input: DeleteSsoInput!) { deleteSSOIdentityProvider(input: $input) { identityProviderId } }`,
      { input: { identityProviderId } },
      owner.accessToken
    )
    expect(deleted.body.data.deleteSSOIdentityProvider).toEqual({ identityProviderId })
    const again = await app.gql(
      `mutation($input: DeleteSsoInput!) { deleteSSOIdentityProvider(input: $input) { identityProviderId } }`,
      { input: { identityProviderId } },
      owner.accessToken
    )
    expect(again.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
  })
})
