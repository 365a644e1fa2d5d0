/**
 * TOTP two-factor authentication end to end on real PostgreSQL and Redis: provisioning, verification,
 * the login-token gate and Twenty's subcodes, replayed / expired / wrong codes, the enforcing workspace,
 * recovery codes, deletion, and the secret sealed at rest. Codes are made by otpauth from the URI the
 * server hands out, as an authenticator app would.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber, Redacted } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as OTPAuth from "otpauth"
import { MetadataApiClient } from "twenty-client-sdk/metadata"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { makeSecretBox } from "../src/services/auth/secret-box.js"
import { startTestApp, TEST_APP_SECRET, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"

let app: TestApp
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let worker: Fiber.RuntimeFiber<unknown, unknown>
/** No EMAIL_SMTP_HOST: the worker writes each mail to DATA_DIR/outbox. */
const dataDir = mkdtempSync(join(tmpdir(), "score-two-factor-"))

/** The outbox mail to this address whose subject matches, once the worker has written it. */
const outboxMail = async (email: string, subject: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const files = (() => {
      try {
        return readdirSync(join(dataDir, "outbox"))
      } catch {
        return []
      }
    })()
    const found = files.map((f) => readFileSync(join(dataDir, "outbox", f), "utf8"))
      .find((raw) => raw.includes(`To: ${email}`) && raw.includes(`Subject: ${subject}`))
    if (found) return found
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" to ${email}`)
    await Bun.sleep(50)
  }
}
const ORIGIN = "http://localhost:3001"
const PASSWORD = "correct horse battery"

const sql = <A extends object = Record<string, any>>(text: string, params: ReadonlyArray<unknown> = []) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, (s) => s.unsafe<A>(text, params as Array<unknown>)))

const errorOf = (result: { body: { errors?: Array<{ message: string; extensions?: any }> } }) => {
  const error = result.body.errors?.[0]
  return error ? { code: error.extensions?.code, subCode: error.extensions?.subCode, message: error.message } : null
}

const codeAt = (uri: string, timestamp: number) => {
  const totp = OTPAuth.URI.parse(uri)
  if (!(totp instanceof OTPAuth.TOTP)) throw new Error("not a TOTP URI")
  return totp.generate({ timestamp })
}

/** A second member of the owner's workspace with the given role, signed up by password. */
const addMember = async (role: "Member" | "Admin") => {
  const email = uniqueEmail(role.toLowerCase())
  await app.gql(`mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { tokens { refreshToken { token } } } }`, {
    e: email,
    p: PASSWORD
  })
  const [user] = await sql<{ id: string }>(`SELECT id FROM core."user" WHERE email = $1`, [email])
  await sql(
    `INSERT INTO core."userWorkspace" ("userId", "workspaceId", "roleId")
     SELECT $1, $2, id FROM core.role WHERE "workspaceId" = $2 AND label = $3`,
    [user!.id, owner.workspaceId, role]
  )
  return { email, id: user!.id }
}

const loginToken = async (email: string) => {
  const result = await app.gql<any>(
    `mutation($e: String!, $p: String!) { getLoginTokenFromCredentials(email: $e, password: $p, origin: "${ORIGIN}") { loginToken { token } } }`,
    { e: email, p: PASSWORD }
  )
  return result.body.data.getLoginTokenFromCredentials.loginToken.token as string
}

const exchange = (token: string) =>
  app.gql<any>(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "${ORIGIN}") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { t: token }
  )

const withOtp = (token: string, otp: string, origin = ORIGIN) =>
  app.gql<any>(
    `mutation($t: String!, $otp: String!, $o: String!) { getAuthTokensFromOTP(otp: $otp, loginToken: $t, origin: $o) {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { t: token, otp, o: origin }
  )

const accessOf = (result: { body: { data?: any } }, field: string) =>
  result.body.data[field].tokens.accessOrWorkspaceAgnosticToken.token as string

const provisionFor = async (accessToken: string) => {
  const result = await app.gql<any>(`mutation { initiateOTPProvisioningForAuthenticatedUser { uri } }`, {}, accessToken)
  expect(errorOf(result)).toBeNull()
  return result.body.data.initiateOTPProvisioningForAuthenticatedUser.uri as string
}

const verifyFor = (accessToken: string, otp: string) =>
  app.gql<any>(`mutation($otp: String!) { verifyTwoFactorAuthenticationMethodForAuthenticatedUser(otp: $otp) { success } }`, { otp }, accessToken)

const summaryOf = async (accessToken: string) =>
  (await app.gql<any>(
    `{ currentUser { currentUserWorkspace { twoFactorAuthenticationMethodSummary { twoFactorAuthenticationMethodId status strategy } } } }`,
    {},
    accessToken
  )).body.data.currentUser.currentUserWorkspace.twoFactorAuthenticationMethodSummary as Array<any>

/** A member signed in with a workspace access token (before any 2FA). */
const signedInMember = async (role: "Member" | "Admin") => {
  const member = await addMember(role)
  return { ...member, accessToken: accessOf(await exchange(await loginToken(member.email)), "getAuthTokensFromLoginToken") }
}

beforeAll(async () => {
  app = await startTestApp({ env: { DATA_DIR: dataDir } })
  owner = await signUpWithWorkspace(app, { name: "Two Factor Co", password: PASSWORD })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.zipRight(runWorker(registry, { pollInterval: "50 millis" }), Effect.never))))
})
afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  await app.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe("secret sealed at rest", () => {
  test("opens only with the same key and context; tampering is refused", () => {
    const box = makeSecretBox(Redacted.make(TEST_APP_SECRET))
    const sealed = box.seal("JBSWY3DPEHPK3PXP", "totp:a")
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP")
    expect(box.open(sealed, "totp:a")).toBe("JBSWY3DPEHPK3PXP")
    expect(box.open(sealed, "totp:b")).toBeNull()
    expect(makeSecretBox(Redacted.make(`${TEST_APP_SECRET}-other`)).open(sealed, "totp:a")).toBeNull()
    const bytes = Buffer.from(sealed.slice(3), "base64url")
    bytes[bytes.length - 1]! ^= 1
    expect(box.open(`v1:${bytes.toString("base64url")}`, "totp:a")).toBeNull()
  })
})

describe("TOTP for a signed-in member", () => {
  let alex: Awaited<ReturnType<typeof signedInMember>>
  let uri: string
  let firstUse: number
  let firstCode: string

  beforeAll(async () => {
    alex = await signedInMember("Member")
  })

  test("provisioning answers an otpauth URI; asked again within the hour, the same secret; stored sealed", async () => {
    uri = await provisionFor(alex.accessToken)
    expect(uri).toStartWith("otpauth://totp/")
    expect(uri).toContain(encodeURIComponent(alex.email))
    const again = await provisionFor(alex.accessToken)
    expect(OTPAuth.URI.parse(again).secret.base32).toBe(OTPAuth.URI.parse(uri).secret.base32)
    const summary = await summaryOf(alex.accessToken)
    expect(summary).toEqual([{ twoFactorAuthenticationMethodId: expect.any(String), status: "PENDING", strategy: "TOTP" }])
    const [row] = await sql<{ secret: string }>(`SELECT secret FROM core."twoFactorAuthenticationMethod" WHERE id = $1`, [
      summary[0].twoFactorAuthenticationMethodId
    ])
    expect(row!.secret).toStartWith("v1:")
    expect(row!.secret).not.toContain(OTPAuth.URI.parse(uri).secret.base32)
  })

  test("a wrong or expired code is INVALID_OTP; the right one verifies the method", async () => {
    expect(errorOf(await verifyFor(alex.accessToken, "000000"))).toMatchObject({ code: "BAD_USER_INPUT", subCode: "INVALID_OTP" })
    expect(errorOf(await verifyFor(alex.accessToken, codeAt(uri, Date.now() - 5 * 60_000))))
      .toMatchObject({ code: "BAD_USER_INPUT", subCode: "INVALID_OTP" })
    firstUse = Date.now()
    firstCode = codeAt(uri, firstUse)
    const verified = await verifyFor(alex.accessToken, firstCode)
    expect(errorOf(verified)).toBeNull()
    expect(verified.body.data.verifyTwoFactorAuthenticationMethodForAuthenticatedUser.success).toBe(true)
    expect((await summaryOf(alex.accessToken))[0].status).toBe("VERIFIED")
  })

  test("a used code, or one of an earlier step, is refused within its window", async () => {
    expect(errorOf(await verifyFor(alex.accessToken, firstCode))).toMatchObject({ subCode: "INVALID_OTP" })
    expect(errorOf(await verifyFor(alex.accessToken, codeAt(uri, firstUse - 30_000)))).toMatchObject({ subCode: "INVALID_OTP" })
  })

  test("a verified method cannot be provisioned again", async () => {
    const result = await app.gql<any>(`mutation { initiateOTPProvisioningForAuthenticatedUser { uri } }`, {}, alex.accessToken)
    expect(errorOf(result)).toMatchObject({ code: "FORBIDDEN", subCode: "TWO_FACTOR_AUTHENTICATION_METHOD_ALREADY_PROVISIONED" })
  })

  test("sign-in: the login token needs a code (VERIFICATION_REQUIRED); one code wins once, even raced", async () => {
    const [first, second] = [await loginToken(alex.email), await loginToken(alex.email)]
    expect(errorOf(await exchange(first))).toMatchObject({ code: "FORBIDDEN", subCode: "TWO_FACTOR_AUTHENTICATION_VERIFICATION_REQUIRED" })
    expect(errorOf(await withOtp(first, "123456"))).toMatchObject({ subCode: "INVALID_OTP" })
    expect(errorOf(await withOtp(first, firstCode))).toMatchObject({ subCode: "INVALID_OTP" })
    // From another workspace's address, the login token is refused before any code is looked at.
    const [elsewhere] = await sql<{ subdomain: string }>(
      `INSERT INTO core.workspace (subdomain, "displayName") VALUES ($1, 'Elsewhere') RETURNING subdomain`,
      [`elsewhere${crypto.randomUUID().slice(0, 8)}`]
    )
    expect(errorOf(await withOtp(first, codeAt(uri, firstUse + 30_000), `http://${elsewhere!.subdomain}.localhost:3001`)))
      .toMatchObject({ code: "FORBIDDEN", message: "Token is not valid for this workspace" })
    const next = codeAt(uri, firstUse + 30_000)
    const raced = await Promise.all([withOtp(first, next), withOtp(second, next)])
    const won = raced.filter((r) => !r.body.errors)
    expect(won).toHaveLength(1)
    expect(raced.map(errorOf).filter(Boolean)).toEqual([expect.objectContaining({ subCode: "INVALID_OTP" })])
    const token = accessOf(won[0]!, "getAuthTokensFromOTP")
    const me = await app.gql<any>(`{ currentUser { email } }`, {}, token)
    expect(me.body.data.currentUser.email).toBe(alex.email)
    // The winner's login token is used up.
    const usedToken = raced[0] === won[0] ? first : second
    expect(errorOf(await withOtp(usedToken, codeAt(uri, firstUse + 60_000)))).toMatchObject({ code: "UNAUTHENTICATED" })
  })

  test("deleting: not someone else's, not an unknown id; one's own, then sign-in needs no code", async () => {
    const [method] = await summaryOf(alex.accessToken)
    const del = (token: string, id: string) =>
      app.gql<any>(`mutation($id: UUID!) { deleteTwoFactorAuthenticationMethod(twoFactorAuthenticationMethodId: $id) { success } }`, { id }, token)
    expect(errorOf(await del(owner.accessToken, method.twoFactorAuthenticationMethodId))).toMatchObject({ code: "FORBIDDEN" })
    expect(errorOf(await del(alex.accessToken, crypto.randomUUID()))).toMatchObject({ code: "BAD_USER_INPUT" })
    const deleted = await del(alex.accessToken, method.twoFactorAuthenticationMethodId)
    expect(deleted.body.data.deleteTwoFactorAuthenticationMethod.success).toBe(true)
    expect(await summaryOf(alex.accessToken)).toEqual([])
    expect(errorOf(await exchange(await loginToken(alex.email)))).toBeNull()
  })
})

describe("through twenty-client-sdk's MetadataApiClient (generated from Twenty's schema)", () => {
  test("provision, verify, summary; then sign-in refused without a code and accepted with one", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => app.request(new URL(req.url).pathname, { method: req.method, headers: req.headers, body: await req.arrayBuffer() })
    })
    try {
      const url = `http://127.0.0.1:${server.port}/metadata`
      const sam = await signedInMember("Member")
      const client = new MetadataApiClient({ url, headers: { Authorization: `Bearer ${sam.accessToken}` } })
      const { initiateOTPProvisioningForAuthenticatedUser } = await client.mutation({
        initiateOTPProvisioningForAuthenticatedUser: { uri: true }
      })
      const uri = initiateOTPProvisioningForAuthenticatedUser.uri
      const now = Date.now()
      const { verifyTwoFactorAuthenticationMethodForAuthenticatedUser } = await client.mutation({
        verifyTwoFactorAuthenticationMethodForAuthenticatedUser: { __args: { otp: codeAt(uri, now) }, success: true }
      })
      expect(verifyTwoFactorAuthenticationMethodForAuthenticatedUser.success).toBe(true)
      const { currentUser } = await client.query({
        currentUser: { currentUserWorkspace: { twoFactorAuthenticationMethodSummary: { status: true, strategy: true } } }
      })
      expect(currentUser.currentUserWorkspace?.twoFactorAuthenticationMethodSummary).toEqual([{ status: "VERIFIED", strategy: "TOTP" }])

      const anonymous = new MetadataApiClient({ url })
      const token = await loginToken(sam.email)
      const refused = await anonymous.mutation({
        getAuthTokensFromLoginToken: { __args: { loginToken: token, origin: ORIGIN }, tokens: { accessOrWorkspaceAgnosticToken: { token: true } } }
      }).then(() => null, (error: any) => error)
      expect(JSON.stringify(refused?.errors ?? refused)).toContain("TWO_FACTOR_AUTHENTICATION_VERIFICATION_REQUIRED")
      const { getAuthTokensFromOTP } = await anonymous.mutation({
        getAuthTokensFromOTP: {
          __args: { otp: codeAt(uri, now + 30_000), loginToken: token, origin: ORIGIN },
          tokens: { accessOrWorkspaceAgnosticToken: { token: true } }
        }
      })
      expect(getAuthTokensFromOTP.tokens.accessOrWorkspaceAgnosticToken.token).toBeString()
    } finally {
      server.stop(true)
    }
  })
})

describe("a workspace that enforces 2FA, and recovery codes", () => {
  let mia: Awaited<ReturnType<typeof signedInMember>>
  let miaUri: string
  let ownerUri: string
  let ownerFirstUse: number
  let recoveryCode: string

  beforeAll(async () => {
    mia = await signedInMember("Member")
    ownerUri = await provisionFor(owner.accessToken)
    ownerFirstUse = Date.now()
    expect(errorOf(await verifyFor(owner.accessToken, codeAt(ownerUri, ownerFirstUse)))).toBeNull()
  })

  test("only a holder of SECURITY turns enforcement on; the workspace then says so", async () => {
    const enforce = (token: string) =>
      app.gql<any>(`mutation { updateWorkspace(data: { isTwoFactorAuthenticationEnforced: true }) { isTwoFactorAuthenticationEnforced } }`, {}, token)
    expect(errorOf(await enforce(mia.accessToken))).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    const enforced = await enforce(owner.accessToken)
    expect(errorOf(enforced)).toBeNull()
    expect(enforced.body.data.updateWorkspace.isTwoFactorAuthenticationEnforced).toBe(true)
    const current = await app.gql<any>(`{ currentWorkspace { isTwoFactorAuthenticationEnforced } }`, {}, mia.accessToken)
    expect(current.body.data.currentWorkspace.isTwoFactorAuthenticationEnforced).toBe(true)
  })

  test("a member without a method gets PROVISION_REQUIRED, provisions with the login token, then signs in with a code", async () => {
    const token = await loginToken(mia.email)
    expect(errorOf(await exchange(token))).toMatchObject({ code: "FORBIDDEN", subCode: "TWO_FACTOR_AUTHENTICATION_PROVISION_REQUIRED" })
    const provisioned = await app.gql<any>(
      `mutation($t: String!) { initiateOTPProvisioning(loginToken: $t, origin: "${ORIGIN}") { uri } }`,
      { t: token }
    )
    expect(errorOf(provisioned)).toBeNull()
    miaUri = provisioned.body.data.initiateOTPProvisioning.uri
    const signedIn = await withOtp(token, codeAt(miaUri, Date.now()))
    expect(errorOf(signedIn)).toBeNull()
    mia.accessToken = accessOf(signedIn, "getAuthTokensFromOTP")
    expect((await summaryOf(mia.accessToken))[0].status).toBe("VERIFIED")
  })

  test("recovery codes: SECURITY only, not for oneself, only with the issuer's own fresh code", async () => {
    const generate = (token: string, userId: string, otp?: string) =>
      app.gql<any>(
        `mutation($u: UUID!, $otp: String) { generateTwoFactorAuthenticationRecoveryCode(userId: $u, otp: $otp) { recoveryCode expiresAt } }`,
        { u: userId, otp },
        token
      )
    const [ownerUser] = await sql<{ id: string }>(`SELECT id FROM core."user" WHERE email = $1`, [owner.email])
    expect(errorOf(await generate(mia.accessToken, ownerUser!.id, "123456"))).toMatchObject({ subCode: "PERMISSION_DENIED" })
    expect(errorOf(await generate(owner.accessToken, ownerUser!.id, "123456"))).toMatchObject({ subCode: "RECOVERY_CODE_TARGET_NOT_ALLOWED" })
    expect(errorOf(await generate(owner.accessToken, mia.id))).toMatchObject({ code: "BAD_USER_INPUT", subCode: "STEP_UP_AUTHENTICATION_REQUIRED" })
    expect(errorOf(await generate(owner.accessToken, mia.id, "000000"))).toMatchObject({ subCode: "INVALID_OTP" })
    const issued = await generate(owner.accessToken, mia.id, codeAt(ownerUri, ownerFirstUse + 30_000))
    expect(errorOf(issued)).toBeNull()
    recoveryCode = issued.body.data.generateTwoFactorAuthenticationRecoveryCode.recoveryCode
    expect(recoveryCode).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/)
    const [stored] = await sql<{ codeHash: string }>(`SELECT "codeHash" FROM core."twoFactorAuthenticationRecoveryCode"`)
    expect(stored!.codeHash).not.toContain(recoveryCode.replace(/-/g, ""))
    const status = await app.gql<any>(
      `query($u: UUID!) { twoFactorAuthenticationRecoveryStatus(userId: $u) {
        hasVerifiedTwoFactorAuthenticationMethod isAwaitingRecoveryEnrollment pendingRecoveryCodeExpiresAt } }`,
      { u: mia.id },
      owner.accessToken
    )
    const notice = await outboxMail(mia.email, "A two-factor recovery code was issued for your account")
    expect(notice).not.toContain(recoveryCode)
    expect(status.body.data.twoFactorAuthenticationRecoveryStatus).toMatchObject({
      hasVerifiedTwoFactorAuthenticationMethod: true,
      isAwaitingRecoveryEnrollment: false,
      pendingRecoveryCodeExpiresAt: expect.any(String)
    })
  })

  test("redeeming: a wrong code is refused; the right one removes the method and ends sessions, once", async () => {
    const redeem = (token: string, code: string) =>
      app.gql<any>(
        `mutation($t: String!, $c: String!) { getAuthTokensFromTwoFactorAuthenticationRecoveryCode(recoveryCode: $c, loginToken: $t, origin: "${ORIGIN}") {
          tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
        { t: token, c: code }
      )
    const token = await loginToken(mia.email)
    expect(errorOf(await redeem(token, "AAAAA-BBBBB-CCCCC-DDDDD"))).toMatchObject({ code: "BAD_USER_INPUT", subCode: "INVALID_RECOVERY_CODE" })
    expect(errorOf(await app.gql(`{ currentUser { email } }`, {}, mia.accessToken))).toBeNull()
    // The workspace enforces 2FA: after recovery the member must set up a new method, with the same login token.
    expect(errorOf(await redeem(token, recoveryCode.toLowerCase()))).toMatchObject({ subCode: "TWO_FACTOR_AUTHENTICATION_PROVISION_REQUIRED" })
    expect(errorOf(await app.gql(`{ currentUser { email } }`, {}, mia.accessToken))).toMatchObject({ code: "UNAUTHENTICATED" })
    expect(errorOf(await redeem(await loginToken(mia.email), recoveryCode))).toMatchObject({ subCode: "INVALID_RECOVERY_CODE" })
    const provisioned = await app.gql<any>(
      `mutation($t: String!) { initiateOTPProvisioning(loginToken: $t, origin: "${ORIGIN}") { uri } }`,
      { t: token }
    )
    const newUri = provisioned.body.data.initiateOTPProvisioning.uri as string
    expect(OTPAuth.URI.parse(newUri).secret.base32).not.toBe(OTPAuth.URI.parse(miaUri).secret.base32)
    expect(errorOf(await withOtp(token, codeAt(newUri, Date.now())))).toBeNull()
    expect(await outboxMail(mia.email, "Your two-factor authentication was reset")).toContain("signed out")
  })

  test("renewToken, as Twenty's, does not ask for the second factor again; the next sign-in does", async () => {
    const enforce = async (on: boolean) => {
      const result = await app.gql<any>(
        `mutation($on: Boolean!) { updateWorkspace(data: { isTwoFactorAuthenticationEnforced: $on }) { isTwoFactorAuthenticationEnforced } }`,
        { on },
        owner.accessToken
      )
      expect(errorOf(result)).toBeNull()
    }
    const renew = (refreshToken: string) =>
      app.gql<any>(
        `mutation($t: String!) { renewToken(appToken: $t) { tokens { accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`,
        { t: refreshToken }
      )
    const withRefresh = async (email: string) =>
      (await app.gql<any>(
        `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "${ORIGIN}") { tokens { refreshToken { token } } } }`,
        { t: await loginToken(email) }
      )).body.data.getAuthTokensFromLoginToken.tokens.refreshToken.token as string

    // A member signed in before enforcement, without any method.
    await enforce(false)
    const leo = await addMember("Member")
    const leoRefresh = await withRefresh(leo.email)
    await enforce(true)
    const renewed = await renew(leoRefresh)
    expect(errorOf(renewed)).toBeNull()
    const access = renewed.body.data.renewToken.tokens.accessOrWorkspaceAgnosticToken.token
    expect(errorOf(await app.gql(`{ currentUser { email } }`, {}, access))).toBeNull()
    expect(errorOf(await exchange(await loginToken(leo.email)))).toMatchObject({ subCode: "TWO_FACTOR_AUTHENTICATION_PROVISION_REQUIRED" })

    // The owner's method deleted after signing in with it: the session renews, the next sign-in must provision.
    const [method] = await summaryOf(owner.accessToken)
    const deleted = await app.gql<any>(
      `mutation($id: UUID!) { deleteTwoFactorAuthenticationMethod(twoFactorAuthenticationMethodId: $id) { success } }`,
      { id: method.twoFactorAuthenticationMethodId },
      owner.accessToken
    )
    expect(errorOf(deleted)).toBeNull()
    const ownerRenewed = await renew(owner.refreshToken)
    expect(errorOf(ownerRenewed)).toBeNull()
    owner.refreshToken = ownerRenewed.body.data.renewToken.tokens.refreshToken.token
    expect(errorOf(await exchange(await loginToken(owner.email)))).toMatchObject({ subCode: "TWO_FACTOR_AUTHENTICATION_PROVISION_REQUIRED" })
  })
})
