/**
 * Password reset and email verification end to end, on real PostgreSQL and Redis with a real SMTP server
 * (smtp-server, started here): the mail is read and its link's token followed, as a user would.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { createHash } from "node:crypto"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"
import { decodedText, startTestSmtp } from "./support/smtp.js"

let smtp: Awaited<ReturnType<typeof startTestSmtp>>

/** The `n`-th mail (1-based) to this address with this subject. */
const mailTo = async (email: string, subject: RegExp, n = 1, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const mails = smtp.received.filter((m) => m.to.includes(email) && subject.test(m.raw))
    if (mails.length >= n) return mails[n - 1]!
    if (Date.now() > deadline) throw new Error(`no mail ${n} "${subject}" to ${email}`)
    await Bun.sleep(50)
  }
}

const linkIn = (raw: string, path: RegExp) => {
  const text = decodedText(raw)
  const link = new RegExp(`https?://[^\\s"<]*${path.source}[^\\s"<]*`).exec(text)?.[0]
  if (!link) throw new Error(`no ${path} link in: ${text}`)
  return new URL(link.replace(/&amp;/g, "&"))
}

const RESET_SUBJECT = /^Subject: Action Needed to Reset Password/m
const VERIFY_SUBJECT = /^Subject: Welcome to Score: Please Confirm Your Email/m

/** The token of the n-th reset mail to this address: /reset-password/<token>. */
const resetToken = async (email: string, n = 1) => {
  const url = linkIn((await mailTo(email, RESET_SUBJECT, n)).raw, /\/reset-password\//)
  return { url, token: url.pathname.split("/").pop()! }
}

const verificationLink = async (email: string, n = 1) => {
  const url = linkIn((await mailTo(email, VERIFY_SUBJECT, n)).raw, /\/verify-email\?/)
  return { url, token: url.searchParams.get("emailVerificationToken")!, email: url.searchParams.get("email")! }
}

let app: TestApp
/** A second instance on the same database and Redis, with IS_EMAIL_VERIFICATION_REQUIRED and 1 s reset links. */
let strict: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>

const sqlQuery = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run).pipe(Effect.orDie))

const requestReset = (on: TestApp, email: string, workspaceId: string | null = null) =>
  on.gql(`mutation($email: String!, $ws: UUID) { emailPasswordResetLink(email: $email, workspaceId: $ws) { success } }`, {
    email,
    ws: workspaceId
  })
const validate = (on: TestApp, token: string) =>
  on.gql(`query($t: String!) { validatePasswordResetToken(passwordResetToken: $t) { id email } }`, { t: token })
const updatePassword = (on: TestApp, token: string, newPassword: string) =>
  on.gql(`mutation($t: String!, $p: String!) { updatePasswordViaResetToken(passwordResetToken: $t, newPassword: $p) { success } }`, {
    t: token,
    p: newPassword
  })
const signIn = (on: TestApp, email: string, password: string) =>
  on.gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) {
    tokens { accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`, { e: email, p: password })
const signUp = (on: TestApp, email: string, password: string) =>
  on.gql(`mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) {
    tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email, p: password })
const loginTokenFromCredentials = (on: TestApp, email: string, password: string) =>
  on.gql(`mutation($e: String!, $p: String!) { getLoginTokenFromCredentials(email: $e, password: $p, origin: "http://localhost:3001") {
    loginToken { token } } }`, { e: email, p: password })
const authTokens = (on: TestApp, loginToken: string) =>
  on.gql(`mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
    tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { t: loginToken })
const resend = (on: TestApp, email: string) =>
  on.gql(`mutation($e: String!) { resendEmailVerificationToken(email: $e, origin: "http://localhost:3001") { success } }`, { e: email })
const verifyForLogin = (on: TestApp, token: string, email: string) =>
  on.gql(`mutation($t: String!, $e: String!) { verifyEmailAndGetLoginToken(emailVerificationToken: $t, email: $e, origin: "http://localhost:3001") {
    loginToken { token } workspaceUrls { subdomainUrl } } }`, { t: token, e: email })
const currentUser = (on: TestApp, token: string) => on.gql(`{ currentUser { email isEmailVerified } }`, {}, token)

const errorOf = (res: { body: { errors?: Array<{ message: string; extensions?: any }> } }) => {
  const [error] = res.body.errors ?? []
  return { message: error?.message, code: error?.extensions?.code, subCode: error?.extensions?.subCode }
}

const TOKEN_INVALID = { message: "Token is invalid", code: "FORBIDDEN", subCode: "FORBIDDEN_EXCEPTION" }

beforeAll(async () => {
  smtp = await startTestSmtp()
  const port = smtp.port
  const mail = { EMAIL_SMTP_HOST: "127.0.0.1", EMAIL_SMTP_PORT: String(port), EMAIL_SMTP_NO_TLS: "true", EMAIL_FROM_ADDRESS: "score@example.com" }
  app = await startTestApp({ env: mail })
  strict = await startTestApp({
    databaseUrl: app.databaseUrl,
    env: { ...mail, IS_EMAIL_VERIFICATION_REQUIRED: "true", PASSWORD_RESET_TOKEN_EXPIRES_IN: "1s" }
  })
  // Both instances share the database and the Redis queue: one worker sends for both.
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.zipRight(runWorker(registry, { pollInterval: "50 millis" }), Effect.never))))
})

afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  await strict.close()
  await app.close()
  await smtp.close()
})

describe("password reset", () => {
  test("mail → link → new password, once; every old session ends; the old password stops", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Reset Co" })
    const second = (await signIn(app, owner.email, owner.password)).body.data.signIn.tokens
    expect((await currentUser(app, owner.accessToken)).body.data.currentUser.email).toBe(owner.email)

    expect((await requestReset(app, owner.email)).body).toEqual({ data: { emailPasswordResetLink: { success: true } } })
    const mail = await mailTo(owner.email, RESET_SUBJECT)
    expect(mail.raw).toMatch(/^From: Score <score@example\.com>/m)
    expect(decodedText(mail.raw)).toContain("5 minutes")
    const { url, token } = await resetToken(owner.email)
    expect(url.origin).toBe("http://localhost:3001")
    expect(token).toMatch(/^[0-9a-f]{64}$/)
    // Stored as its SHA-256 only, for 5 minutes.
    const [row] = await sqlQuery<{ value: string; seconds: number }>((sql) =>
      sql`SELECT t.value, extract(epoch FROM t."expiresAt" - now())::int AS seconds FROM core."appToken" t
          JOIN core."user" u ON u.id = t."userId" WHERE u.email = ${owner.email} AND t.type = 'PasswordResetToken'`)
    expect(row!.value).toBe(createHash("sha256").update(token).digest("hex"))
    expect(row!.seconds).toBeGreaterThan(280)
    expect(row!.seconds).toBeLessThanOrEqual(300)

    const valid = await validate(app, token)
    expect(valid.body.data.validatePasswordResetToken).toEqual({ id: expect.any(String), email: owner.email })

    // Twenty's rule refuses a short password and leaves the token usable.
    expect(errorOf(await updatePassword(app, token, "short"))).toMatchObject({ code: "BAD_USER_INPUT" })
    expect((await updatePassword(app, token, "a brand new password")).body).toEqual({
      data: { updatePasswordViaResetToken: { success: true } }
    })

    // Every session ends at once: access, workspace-agnostic and refresh tokens of both sign-ins.
    expect(errorOf(await currentUser(app, owner.accessToken)).code).toBe("UNAUTHENTICATED")
    expect(errorOf(await currentUser(app, second.accessOrWorkspaceAgnosticToken.token)).code).toBe("UNAUTHENTICATED")
    for (const refresh of [owner.refreshToken, second.refreshToken.token]) {
      const renewed = await app.gql(`mutation($t: String!) { renewToken(appToken: $t) { tokens { refreshToken { token } } } }`, { t: refresh })
      expect(renewed.body.errors).toBeDefined()
    }
    // Used up: neither validated nor used again.
    expect(errorOf(await validate(app, token))).toEqual(TOKEN_INVALID)
    expect(errorOf(await updatePassword(app, token, "yet another password"))).toEqual(TOKEN_INVALID)

    expect(errorOf(await signIn(app, owner.email, owner.password))).toMatchObject({ code: "FORBIDDEN", message: "Invalid email or password" })
    const again = await signIn(app, owner.email, "a brand new password")
    expect(again.body.errors).toBeUndefined()
    expect((await currentUser(app, again.body.data.signIn.tokens.accessOrWorkspaceAgnosticToken.token)).body.data.currentUser.email).toBe(owner.email)
    expect(await mailTo(owner.email, /^Subject: Your Password Has Been Successfully Changed/m)).toBeDefined()
  }, 30_000)

  test("a second request replaces the first link; a login token issued before the reset is refused after it", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Twice Co" })
    const pendingLogin = (await loginTokenFromCredentials(app, owner.email, owner.password)).body.data.getLoginTokenFromCredentials.loginToken.token
    await requestReset(app, owner.email)
    const first = (await resetToken(owner.email, 1)).token
    await requestReset(app, owner.email)
    const second = (await resetToken(owner.email, 2)).token
    expect(second).not.toBe(first)
    expect(errorOf(await validate(app, first))).toEqual(TOKEN_INVALID)
    expect(errorOf(await updatePassword(app, first, "a brand new password"))).toEqual(TOKEN_INVALID)
    expect((await updatePassword(app, second, "a brand new password")).body.errors).toBeUndefined()
    expect(errorOf(await authTokens(app, pendingLogin)).code).toBe("UNAUTHENTICATED")
  }, 30_000)

  test("two concurrent uses of one link: exactly one sets its password", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Race Co" })
    await requestReset(app, owner.email)
    const { token } = await resetToken(owner.email)
    const results = await Promise.all([updatePassword(app, token, "first new password"), updatePassword(app, token, "second new password")])
    const won = results.filter((r) => r.body.errors === undefined)
    expect(won).toHaveLength(1)
    expect(errorOf(results.find((r) => r.body.errors)!)).toEqual(TOKEN_INVALID)
    const signedIn = await Promise.all(["first new password", "second new password"].map((p) => signIn(app, owner.email, p)))
    expect(signedIn.filter((r) => r.body.errors === undefined)).toHaveLength(1)
  }, 30_000)

  test("forged tokens are refused", async () => {
    for (const forged of [createHash("sha256").update("guess").digest("hex"), "not-a-token", ""]) {
      expect(errorOf(await validate(app, forged))).toEqual(TOKEN_INVALID)
      expect(errorOf(await updatePassword(app, forged, "a brand new password"))).toEqual(TOKEN_INVALID)
    }
  }, 30_000)

  test("an expired link is refused (PASSWORD_RESET_TOKEN_EXPIRES_IN=1s)", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Late Co" })
    await requestReset(strict, owner.email)
    const { token } = await resetToken(owner.email)
    expect(decodedText((await mailTo(owner.email, RESET_SUBJECT)).raw)).toContain("1 second")
    await Bun.sleep(1_200)
    expect(errorOf(await validate(strict, token))).toEqual(TOKEN_INVALID)
    expect(errorOf(await updatePassword(strict, token, "a brand new password"))).toEqual(TOKEN_INVALID)
    expect((await signIn(app, owner.email, owner.password)).body.errors).toBeUndefined()
  }, 30_000)

  test("an unknown address gets the same answer and no mail", async () => {
    const unknown = uniqueEmail("nobody")
    const known = await signUpWithWorkspace(app, { name: "Known Co" })
    const before = await sqlQuery<{ n: number }>((sql) => sql`SELECT count(*)::int AS n FROM core."appToken" WHERE type = 'PasswordResetToken'`)
    const answers = [await requestReset(app, unknown), await requestReset(app, known.email)]
    expect(answers[0]!.body).toEqual(answers[1]!.body)
    // The known address's mail arrives; by then the unknown one's would have too.
    await mailTo(known.email, RESET_SUBJECT)
    await Bun.sleep(300)
    expect(smtp.received.filter((m) => m.to.includes(unknown))).toEqual([])
    const after = await sqlQuery<{ n: number }>((sql) => sql`SELECT count(*)::int AS n FROM core."appToken" WHERE type = 'PasswordResetToken'`)
    expect(after[0]!.n).toBe(before[0]!.n + 1)
  }, 30_000)

  test("with a workspaceId the user belongs to, the link opens on the workspace's subdomain", async () => {
    const owner = await signUpWithWorkspace(app, { name: "Subdomain Co" })
    await requestReset(app, owner.email, owner.workspaceId)
    const { url } = await resetToken(owner.email)
    expect(url.hostname).toMatch(/^subdomain-co.*\.localhost$/)
    expect(url.pathname).toMatch(/^\/reset-password\/[0-9a-f]{64}$/)
  }, 30_000)
})

describe("email verification", () => {
  test("verification off: no mail on sign-up, resend answers EMAIL_VERIFICATION_NOT_REQUIRED", async () => {
    const email = uniqueEmail("relaxed")
    expect((await signUp(app, email, "a long password")).body.errors).toBeUndefined()
    expect(errorOf(await resend(app, email))).toMatchObject({ code: "BAD_USER_INPUT", subCode: "EMAIL_VERIFICATION_NOT_REQUIRED" })
    expect((await signIn(app, email, "a long password")).body.errors).toBeUndefined()
    await Bun.sleep(300)
    expect(smtp.received.filter((m) => m.to.includes(email))).toEqual([])
  }, 30_000)

  test("verification required: sign-in refused until the link is followed; resend replaces the link; used once", async () => {
    const email = uniqueEmail("strict")
    const password = "a long password"
    const signedUp = await signUp(strict, email, password)
    expect(signedUp.body.errors).toBeUndefined()
    const first = await verificationLink(email)
    expect(first.url.origin).toBe("http://localhost:3001")
    expect(first.email).toBe(email)
    expect(first.token).toMatch(/^[0-9a-f]{64}$/)

    const notVerified = { code: "FORBIDDEN", subCode: "EMAIL_NOT_VERIFIED", message: "Email is not verified" }
    expect(errorOf(await signIn(strict, email, password))).toEqual(notVerified)
    expect(errorOf(await loginTokenFromCredentials(strict, email, password))).toEqual(notVerified)
    // A workspace made with the sign-up's token cannot be entered either.
    const created = await strict.gql(`mutation { signUpInNewWorkspace(input: { displayName: "Strict Co" }) { loginToken { token } } }`, {},
      signedUp.body.data.signUp.tokens.accessOrWorkspaceAgnosticToken.token)
    expect(errorOf(await authTokens(strict, created.body.data.signUpInNewWorkspace.loginToken.token))).toEqual(notVerified)
    // A wrong password is still the usual refusal: the verification state is not told without it.
    expect(errorOf(await signIn(strict, email, "not the password"))).toMatchObject({ message: "Invalid email or password" })

    // Twenty's cooldown: one mail a minute.
    expect(errorOf(await resend(strict, email))).toMatchObject({ code: "FORBIDDEN", subCode: "RATE_LIMIT_EXCEEDED" })
    await sqlQuery((sql) => sql`UPDATE core."appToken" SET "createdAt" = now() - interval '2 minutes'
      WHERE type = 'EmailVerificationToken' AND context->>'email' = ${email} RETURNING id`)
    expect((await resend(strict, email)).body).toEqual({ data: { resendEmailVerificationToken: { success: true } } })
    const second = await verificationLink(email, 2)
    expect(second.token).not.toBe(first.token)

    expect(errorOf(await verifyForLogin(strict, first.token, email))).toEqual({
      code: "FORBIDDEN",
      subCode: "INVALID_TOKEN",
      message: "Invalid email verification token"
    })
    expect(errorOf(await verifyForLogin(strict, second.token, uniqueEmail("other")))).toMatchObject({
      code: "BAD_USER_INPUT",
      subCode: "INVALID_EMAIL"
    })
    const verified = await verifyForLogin(strict, second.token, email)
    expect(verified.body.errors).toBeUndefined()
    expect(verified.body.data.verifyEmailAndGetLoginToken.workspaceUrls.subdomainUrl).toMatch(/^http:\/\/strict-co.*\.localhost:3001\/$/)
    const access = await authTokens(strict, verified.body.data.verifyEmailAndGetLoginToken.loginToken.token)
    expect(access.body.errors).toBeUndefined()
    const me = await currentUser(strict, access.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token)
    expect(me.body.data.currentUser).toEqual({ email, isEmailVerified: true })
    expect((await signIn(strict, email, password)).body.errors).toBeUndefined()

    const alreadyVerified = { code: "BAD_USER_INPUT", subCode: "EMAIL_ALREADY_VERIFIED" }
    expect(errorOf(await verifyForLogin(strict, second.token, email))).toMatchObject(alreadyVerified)
    expect(errorOf(await resend(strict, email))).toMatchObject(alreadyVerified)
    expect(await sqlQuery((sql) => sql`SELECT 1 FROM core."appToken" WHERE type = 'EmailVerificationToken' AND context->>'email' = ${email}`))
      .toEqual([])
  }, 30_000)

  test("verifyEmailAndGetWorkspaceAgnosticToken signs in a user without a workspace; an expired link is refused", async () => {
    const email = uniqueEmail("agnostic")
    await signUp(strict, email, "a long password")
    const { token } = await verificationLink(email)
    const late = uniqueEmail("late")
    await signUp(strict, late, "a long password")
    const lateLink = await verificationLink(late)
    await sqlQuery((sql) => sql`UPDATE core."appToken" SET "expiresAt" = now() - interval '1 second'
      WHERE type = 'EmailVerificationToken' AND context->>'email' = ${late} RETURNING id`)
    expect(errorOf(await verifyForLogin(strict, lateLink.token, late))).toMatchObject({ code: "FORBIDDEN", subCode: "TOKEN_EXPIRED" })

    const res = await strict.gql(`mutation($t: String!, $e: String!) { verifyEmailAndGetWorkspaceAgnosticToken(emailVerificationToken: $t, email: $e) {
      tokens { accessOrWorkspaceAgnosticToken { token } } availableWorkspaces { availableWorkspacesForSignIn { id } } } }`, { t: token, e: email })
    expect(res.body.errors).toBeUndefined()
    const out = res.body.data.verifyEmailAndGetWorkspaceAgnosticToken
    expect(out.availableWorkspaces.availableWorkspacesForSignIn).toEqual([])
    expect((await currentUser(strict, out.tokens.accessOrWorkspaceAgnosticToken.token)).body.data.currentUser).toEqual({ email, isEmailVerified: true })
  }, 30_000)

  test("resend for an unknown address: the same answer, no mail", async () => {
    const unknown = uniqueEmail("ghost")
    expect((await resend(strict, unknown)).body).toEqual({ data: { resendEmailVerificationToken: { success: true } } })
    await Bun.sleep(300)
    expect(smtp.received.filter((m) => m.to.includes(unknown))).toEqual([])
  }, 30_000)
})
