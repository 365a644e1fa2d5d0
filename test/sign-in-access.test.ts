/**
 * Who may join a workspace, as Twenty decides it: approved access domains (created, validated through the
 * mailed link, deleted) letting their addresses in through SSO, and the public invite link's switch and
 * rotation through updateWorkspace. Real PostgreSQL, Redis, SMTP server (smtp-server) and OpenID Connect
 * provider (oidc-provider), all started here.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, signUpWithWorkspace, uniqueEmail } from "./support/flows.js"
import { startOidcProvider, type TestOidcProvider } from "./support/oidc-provider.js"
import { decodedText, startTestSmtp } from "./support/smtp.js"

const SERVER = "http://localhost:3000"
const DOMAIN_FIELDS = "id domain isValidated createdAt"

let smtp: Awaited<ReturnType<typeof startTestSmtp>>
let provider: TestOidcProvider
let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let member: Awaited<ReturnType<typeof addMemberWithRole>>
let identityProviderId: string

const gql = (query: string, variables: Record<string, unknown> = {}, token?: string | null) => app.gql<any>(query, variables, token)
const sqlQuery = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run).pipe(Effect.orDie))

/** The validation link mailed to `email`: /settings/workspace-members?wtdId=…&validationToken=… */
const validationLink = async (email: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const mail = smtp.received.find((m) => m.to.includes(email))
    if (mail) {
      expect(mail.raw).toMatch(/^Subject: Approve your access domain/m)
      const link = /https?:\/\/[^\s"<]*\/settings\/workspace-members\?[^\s"<]*/.exec(decodedText(mail.raw))?.[0]
      if (!link) throw new Error(`no validation link in: ${decodedText(mail.raw)}`)
      return new URL(link.replace(/&amp;/g, "&"))
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${email}`)
    await Bun.sleep(50)
  }
}

const createDomain = (domain: string, email: string, token = owner.accessToken) =>
  gql(
    `mutation($input: CreateApprovedAccessDomainInput!) { createApprovedAccessDomain(input: $input) { ${DOMAIN_FIELDS} } }`,
    { input: { domain, email } },
    token
  )
const validateDomain = (approvedAccessDomainId: string, validationToken: string, token = owner.accessToken) =>
  gql(
    `mutation($input: ValidateApprovedAccessDomainInput!) { validateApprovedAccessDomain(input: $input) { ${DOMAIN_FIELDS} } }`,
    { input: { approvedAccessDomainId, validationToken } },
    token
  )
const deleteDomain = (id: string, token = owner.accessToken) =>
  gql(`mutation($input: DeleteApprovedAccessDomainInput!) { deleteApprovedAccessDomain(input: $input) }`, { input: { id } }, token)
const listDomains = (token = owner.accessToken) => gql(`{ getApprovedAccessDomains { ${DOMAIN_FIELDS} } }`, {}, token)

const errorOf = (res: { body: any }) => {
  const error = res.body.errors?.[0]
  return error ? { code: error.extensions?.code, subCode: error.extensions?.subCode } : null
}

/** An SSO sign-in of `email` through the workspace's identity provider; the redirect it ends in. */
const ssoSignIn = async (email: string, query = "") => {
  const start = await app.request(`/auth/oidc/login/${identityProviderId}${query}`)
  const cookie = start.headers.getSetCookie().find((c) => c.startsWith("score_oauth_state="))!.split(";")[0]!
  provider.nextLogin.email = email
  const callback = await provider.authorize(start.headers.get("location")!)
  const response = await app.request(`${callback.pathname}${callback.search}`, { headers: { cookie } })
  return new URL(response.headers.get("location")!)
}

const membershipsOf = (email: string) =>
  sqlQuery<{ workspaceId: string; same: boolean }>((sql) =>
    sql`SELECT uw."workspaceId", uw."roleId" = w."defaultRoleId" AS same FROM core."userWorkspace" uw
        JOIN core."user" u ON u.id = uw."userId" JOIN core.workspace w ON w.id = uw."workspaceId"
        WHERE lower(u.email) = ${email.toLowerCase()} AND uw."deletedAt" IS NULL`)

beforeAll(async () => {
  smtp = await startTestSmtp()
  provider = await startOidcProvider([`${SERVER}/auth/oidc/callback`])
  app = await startTestApp({
    env: {
      EMAIL_SMTP_HOST: "127.0.0.1",
      EMAIL_SMTP_PORT: String(smtp.port),
      EMAIL_SMTP_NO_TLS: "true",
      EMAIL_FROM_ADDRESS: "score@example.com",
      SSO_ALLOW_PRIVATE_ISSUERS: "true"
    }
  })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
    yield* runWorker(registry, { pollInterval: "50 millis" })
    return yield* Effect.never
  }))))
  owner = await signUpWithWorkspace(app, { name: "Domain Co" })
  member = await addMemberWithRole(app, owner.workspaceId, "Member")
  const created = await gql(
    `mutation($input: SetupOIDCSsoInput!) { createOIDCIdentityProvider(input: $input) { id } }`,
    { input: { name: "IdP", issuer: provider.issuer, clientID: provider.clientId, clientSecret: provider.clientSecret } },
    owner.accessToken
  )
  identityProviderId = created.body.data.createOIDCIdentityProvider.id
}, 120_000)

afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  await app.close()
  await provider.close()
  await smtp.close()
}, 60_000)

describe("approved access domains", () => {
  test("refused to a member without WORKSPACE_MEMBERS, as Twenty's guard does", async () => {
    for (const res of [await createDomain("acme-corp.dev", "it@acme-corp.dev", member.token), await listDomains(member.token)]) {
      expect(errorOf(res)).toEqual({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    }
  })

  test("a public mail provider, an address off the domain and a malformed domain are refused", async () => {
    expect(errorOf(await createDomain("gmail.com", "someone@gmail.com"))).toEqual({
      code: "FORBIDDEN",
      subCode: "APPROVED_ACCESS_DOMAIN_MUST_BE_A_COMPANY_DOMAIN"
    })
    expect(errorOf(await createDomain("acme-corp.dev", "it@elsewhere.dev"))).toEqual({
      code: "FORBIDDEN",
      subCode: "APPROVED_ACCESS_DOMAIN_DOES_NOT_MATCH_DOMAIN_EMAIL"
    })
    expect(errorOf(await createDomain("not a domain", "it@acme-corp.dev"))?.code).toBe("BAD_USER_INPUT")
    expect((await listDomains()).body.data.getApprovedAccessDomains).toEqual([])
  })

  test("created unvalidated, mailed, validated by the mailed token only; its addresses then join through SSO", async () => {
    const created = await createDomain("Acme-Corp.dev", "it@acme-corp.dev")
    expect(created.body.errors).toBeUndefined()
    const domain = created.body.data.createApprovedAccessDomain
    expect(domain).toEqual({ id: expect.any(String), domain: "acme-corp.dev", isValidated: false, createdAt: expect.any(String) })
    expect(errorOf(await createDomain("acme-corp.dev", "other@acme-corp.dev"))?.subCode).toBe("APPROVED_ACCESS_DOMAIN_ALREADY_REGISTERED")

    const link = await validationLink("it@acme-corp.dev")
    expect(link.hostname).toBe("domain-co.localhost")
    expect(link.searchParams.get("wtdId")).toBe(domain.id)
    const token = link.searchParams.get("validationToken")!

    // Unvalidated, the domain grants nothing.
    const early = uniqueEmail("early").replace("@example.com", "@acme-corp.dev")
    expect((await ssoSignIn(early)).searchParams.get("errorMessage")).toBe("User does not have access to this workspace")
    expect(await membershipsOf(early)).toEqual([])

    // A wrong token, a tampered one, or the right one for another domain id are refused.
    const invalid = { code: "FORBIDDEN", subCode: "APPROVED_ACCESS_DOMAIN_VALIDATION_TOKEN_INVALID" }
    expect(errorOf(await validateDomain(domain.id, "not-a-token"))).toEqual(invalid)
    expect(errorOf(await validateDomain(domain.id, `${token.slice(0, -4)}AAAA`))).toEqual(invalid)
    expect(errorOf(await validateDomain(crypto.randomUUID(), token))).toEqual(invalid)
    expect(errorOf(await validateDomain(domain.id, token, member.token))?.subCode).toBe("PERMISSION_DENIED")
    expect((await listDomains()).body.data.getApprovedAccessDomains[0].isValidated).toBe(false)

    const validated = await validateDomain(domain.id, token)
    expect(validated.body.errors).toBeUndefined()
    expect(validated.body.data.validateApprovedAccessDomain).toMatchObject({ id: domain.id, isValidated: true })
    expect(errorOf(await validateDomain(domain.id, token))?.subCode).toBe("APPROVED_ACCESS_DOMAIN_ALREADY_VALIDATED")

    // Validated: a new address on the domain joins with the default role, one elsewhere still does not.
    const joiner = uniqueEmail("joiner").replace("@example.com", "@acme-corp.dev")
    const location = await ssoSignIn(joiner)
    expect(location.searchParams.get("errorMessage")).toBeNull()
    expect(location.searchParams.get("loginToken")).toBeTruthy()
    expect(await membershipsOf(joiner)).toEqual([{ workspaceId: owner.workspaceId, same: true }])
    const outsider = uniqueEmail("outsider")
    expect((await ssoSignIn(outsider)).searchParams.get("errorMessage")).toBe("User does not have access to this workspace")

    // Even with the public link switched off, the domain lets its addresses in (Twenty checks it first).
    const { inviteHash } = (await gql(`{ currentWorkspace { inviteHash } }`, {}, owner.accessToken)).body.data.currentWorkspace
    await gql(`mutation { updateWorkspace(data: { isPublicInviteLinkEnabled: false }) { id } }`, {}, owner.accessToken)
    const viaLink = uniqueEmail("via-link").replace("@example.com", "@acme-corp.dev")
    expect((await ssoSignIn(viaLink, `?workspaceInviteHash=${inviteHash}`)).searchParams.get("errorMessage")).toBeNull()
    await gql(`mutation { updateWorkspace(data: { isPublicInviteLinkEnabled: true }) { id } }`, {}, owner.accessToken)

    // A password sign-up proves no address: without IS_EMAIL_VERIFICATION_REQUIRED the domain does not let it in.
    const password = await gql(
      `mutation($email: String!, $ws: String) { signUpInWorkspace(email: $email, password: "a long password", workspaceId: $ws) { loginToken { token } } }`,
      { email: uniqueEmail("pw").replace("@example.com", "@acme-corp.dev"), ws: owner.workspaceId }
    )
    expect(password.body.errors?.[0]?.message).toBe("User does not have access to this workspace")

    // Deleted: listed no more, its addresses refused again, a second delete is NOT_FOUND (FORBIDDEN, as Twenty).
    expect((await deleteDomain(domain.id, member.token)).body.errors?.[0]?.extensions?.subCode).toBe("PERMISSION_DENIED")
    expect((await deleteDomain(domain.id)).body.data.deleteApprovedAccessDomain).toBe(true)
    expect((await listDomains()).body.data.getApprovedAccessDomains).toEqual([])
    const late = uniqueEmail("late").replace("@example.com", "@acme-corp.dev")
    expect((await ssoSignIn(late)).searchParams.get("errorMessage")).toBe("User does not have access to this workspace")
    expect(errorOf(await deleteDomain(domain.id))).toEqual({ code: "FORBIDDEN", subCode: "APPROVED_ACCESS_DOMAIN_NOT_FOUND" })
  })

  test("another workspace's domain is neither listed, validated nor deleted from this one", async () => {
    const other = await signUpWithWorkspace(app, { name: "Other Domain Co" })
    const created = (await createDomain("other-corp.dev", "it@other-corp.dev", other.accessToken)).body.data.createApprovedAccessDomain
    const token = (await validationLink("it@other-corp.dev")).searchParams.get("validationToken")!
    expect((await listDomains()).body.data.getApprovedAccessDomains.map((d: { id: string }) => d.id)).not.toContain(created.id)
    expect(errorOf(await validateDomain(created.id, token))?.subCode).toBe("APPROVED_ACCESS_DOMAIN_NOT_FOUND")
    expect(errorOf(await deleteDomain(created.id))?.subCode).toBe("APPROVED_ACCESS_DOMAIN_NOT_FOUND")
    expect((await validateDomain(created.id, token, other.accessToken)).body.data.validateApprovedAccessDomain.isValidated).toBe(true)
  })
})

describe("a password sign-up on an approved domain", () => {
  test("joins only where sign-ups verify their address (IS_EMAIL_VERIFICATION_REQUIRED), its login token refused until the address is verified", async () => {
    const created = (await createDomain("verified-corp.dev", "it@verified-corp.dev")).body.data.createApprovedAccessDomain
    const token = (await validationLink("it@verified-corp.dev")).searchParams.get("validationToken")!
    expect((await validateDomain(created.id, token)).body.errors).toBeUndefined()
    const signUp = (on: TestApp, email: string) =>
      on.gql(
        `mutation($email: String!, $ws: String) { signUpInWorkspace(email: $email, password: "a long password", workspaceId: $ws) { loginToken { token } } }`,
        { email, ws: owner.workspaceId }
      )
    const email = uniqueEmail("verified").replace("@example.com", "@verified-corp.dev")
    expect((await signUp(app, email)).body.errors?.[0]?.message).toBe("User does not have access to this workspace")

    const strict = await startTestApp({
      databaseUrl: app.databaseUrl,
      env: { IS_EMAIL_VERIFICATION_REQUIRED: "true", DATABASE_POOL_SIZE: "2", EMAIL_SMTP_HOST: "127.0.0.1", EMAIL_SMTP_PORT: String(smtp.port), EMAIL_SMTP_NO_TLS: "true" }
    })
    try {
      const joined = await signUp(strict, email)
      expect(joined.body.errors).toBeUndefined()
      expect(await membershipsOf(email)).toEqual([{ workspaceId: owner.workspaceId, same: true }])
      const exchanged = await strict.gql(
        `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
        { t: joined.body.data.signUpInWorkspace.loginToken.token }
      )
      expect(exchanged.body.errors?.[0]?.extensions?.subCode).toBe("EMAIL_NOT_VERIFIED")
      // Off the domain, the same instance still refuses.
      expect((await signUp(strict, uniqueEmail("off-domain"))).body.errors?.[0]?.message).toBe("User does not have access to this workspace")
    } finally {
      await strict.close()
    }
  }, 120_000)
})

describe("the public invite link through updateWorkspace", () => {
  const currentLink = async () => (await gql(`{ currentWorkspace { inviteHash isPublicInviteLinkEnabled } }`, {}, owner.accessToken)).body.data.currentWorkspace
  const isValid = async (inviteHash: string) =>
    (await gql(`query($h: String!) { checkWorkspaceInviteHashIsValid(inviteHash: $h) { isValid } }`, { h: inviteHash })).body.data
      .checkWorkspaceInviteHashIsValid.isValid

  test("isPublicInviteLinkEnabled needs SECURITY; off, the link stops working", async () => {
    const refused = await gql(`mutation { updateWorkspace(data: { isPublicInviteLinkEnabled: false }) { id } }`, {}, member.token)
    expect(errorOf(refused)).toEqual({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    const { inviteHash } = await currentLink()
    expect(await isValid(inviteHash)).toBe(true)
    const off = await gql(`mutation { updateWorkspace(data: { isPublicInviteLinkEnabled: false }) { isPublicInviteLinkEnabled } }`, {}, owner.accessToken)
    expect(off.body.data.updateWorkspace).toEqual({ isPublicInviteLinkEnabled: false })
    expect(await isValid(inviteHash)).toBe(false)
    const newcomer = uniqueEmail("link-off")
    expect((await ssoSignIn(newcomer, `?workspaceInviteHash=${inviteHash}`)).searchParams.get("errorMessage"))
      .toBe("Public invite link is disabled for this workspace")
    await gql(`mutation { updateWorkspace(data: { isPublicInviteLinkEnabled: true }) { id } }`, {}, owner.accessToken)
    expect(await isValid(inviteHash)).toBe(true)
  })

  test("a new inviteHash rotates the link: the old one is unknown at once; a taken or malformed one is refused", async () => {
    const before = (await currentLink()).inviteHash
    const next = crypto.randomUUID()
    const rotated = await gql(`mutation($h: String!) { updateWorkspace(data: { inviteHash: $h }) { inviteHash } }`, { h: next }, owner.accessToken)
    expect(rotated.body.data.updateWorkspace.inviteHash).toBe(next)
    expect(await isValid(before)).toBe(false)
    expect(await isValid(next)).toBe(true)
    const stale = uniqueEmail("stale-link")
    expect((await ssoSignIn(stale, `?workspaceInviteHash=${before}`)).searchParams.get("errorMessage")).toBe("Workspace not found")

    const other = await signUpWithWorkspace(app, { name: "Hash Co" })
    const taken = await gql(`mutation($h: String!) { updateWorkspace(data: { inviteHash: $h }) { id } }`, { h: next }, other.accessToken)
    expect(errorOf(taken)?.code).toBe("BAD_USER_INPUT")
    const malformed = await gql(`mutation { updateWorkspace(data: { inviteHash: "x y" }) { id } }`, {}, owner.accessToken)
    expect(errorOf(malformed)?.code).toBe("BAD_USER_INPUT")
    const byMember = await gql(`mutation($h: String!) { updateWorkspace(data: { inviteHash: $h }) { id } }`, { h: crypto.randomUUID() }, member.token)
    expect(errorOf(byMember)?.code).toBe("FORBIDDEN")
    expect((await currentLink()).inviteHash).toBe(next)
  })
})
