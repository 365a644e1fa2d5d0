import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Runtime } from "effect"
import { GraphQLError } from "graphql"
import { RateLimiterMemory } from "rate-limiter-flexible"
import { guardCredentialMutations } from "../src/http/graphql/metadata/sign-in-limits.js"
import { makeRun } from "../src/http/graphql/yoga.js"
import { makeRateLimits, RateLimits } from "../src/services/rate-limits/index.js"
import { rememberClientAddress } from "../src/http/client-address.js"
import { passwordHashCounts } from "../src/services/auth/hasher.js"
import { startTestApp, type TestApp, testConfig } from "./support/app.js"
import { createApiKey, signUpWithWorkspace, uniqueEmail } from "./support/flows.js"

/**
 * Issue 15, rate limits: Twenty's API_RATE_LIMITING_* budgets for API keys on the data APIs (429 as
 * Twenty, Retry-After), per address and per account limits with back-off on credential checks, in
 * Redis (shared by instances) and in memory (embedded).
 */

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`
const RESET_LINK = `mutation($e: String!) { emailPasswordResetLink(email: $e) { success } }`
const COMPANIES = `{ companies { edges { node { id } } } }`

/** A /metadata call from a given client address, as Bun.serve would have recorded it. */
const metadataFrom = async (app: TestApp, address: string | null, query: string, variables: Record<string, unknown>) => {
  const request = new Request("http://localhost/metadata", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables })
  })
  rememberClientAddress(request, address)
  const response = await app.handle(request)
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as any }
}

const codeOf = (answer: { body: any }) => answer.body.errors?.[0]?.extensions?.code ?? "OK"

const dataApi = (app: TestApp, token: string) => ({
  rest: () => app.request("/rest/companies", { headers: { authorization: `Bearer ${token}` } }),
  graphql: () =>
    app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: COMPANIES })
    })
})

const API_BUDGET = { API_RATE_LIMITING_SHORT_LIMIT: "4", API_RATE_LIMITING_SHORT_TTL_IN_MS: "60000", API_RATE_LIMITING_LONG_LIMIT: "1000" }

for (const redis of [false, true]) {
  describe(`data APIs, API keys (${redis ? "Redis" : "memory"})`, () => {
    let app: TestApp
    beforeAll(async () => {
      app = await startTestApp({ redis, env: API_BUDGET })
    })
    afterAll(() => app.close())

    test("past API_RATE_LIMITING_SHORT_LIMIT: REST 429 and /graphql refused as Twenty, with Retry-After; per workspace; members' sessions not throttled", async () => {
      const owner = await signUpWithWorkspace(app)
      const key = await createApiKey(app, owner.accessToken)
      const api = dataApi(app, key.token)
      for (let i = 0; i < 2; i++) expect((await api.rest()).status).toBe(200)
      for (let i = 0; i < 2; i++) expect((await api.graphql()).status).toBe(200)

      const rest = await api.rest()
      expect(rest.status).toBe(429)
      expect(Number(rest.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(Number(rest.headers.get("retry-after"))).toBeLessThanOrEqual(60)
      expect(await rest.json()).toEqual({ statusCode: 429, error: "TooManyRequestsException", messages: ["Limit reached (4 tokens per 60000 ms)"] })

      const graphql = await api.graphql()
      expect(graphql.status).toBe(429)
      expect(graphql.headers.get("retry-after")).not.toBeNull()
      expect(await graphql.json()).toEqual({
        errors: [{
          message: "Limit reached (4 tokens per 60000 ms)",
          extensions: { code: "BAD_USER_INPUT", subCode: "LIMIT_REACHED", userFriendlyMessage: "Rate limit reached. Please try again later." }
        }]
      })

      // A member's session is not an API key: not throttled (as Twenty).
      for (let i = 0; i < 6; i++) expect((await dataApi(app, owner.accessToken).graphql()).status).toBe(200)
      // Metadata is not a data API.
      expect((await app.request("/rest/metadata/objects", { headers: { authorization: `Bearer ${key.token}` } })).status).toBe(200)
      // Another workspace has its own budget.
      const other = await signUpWithWorkspace(app)
      const otherKey = await createApiKey(app, other.accessToken)
      expect((await dataApi(app, otherKey.token).rest()).status).toBe(200)
      // A second key of the same workspace shares it.
      const second = await createApiKey(app, owner.accessToken, "second")
      expect((await dataApi(app, second.token).rest()).status).toBe(429)
    })

    test("the long budget counts too (API_RATE_LIMITING_LONG_*), and invalid tokens are answered as before", async () => {
      const longOnly = await startTestApp({
        redis,
        databaseUrl: app.databaseUrl,
        env: { API_RATE_LIMITING_SHORT_LIMIT: "1000", API_RATE_LIMITING_LONG_LIMIT: "2", API_RATE_LIMITING_LONG_TTL_IN_MS: "600000" }
      })
      try {
        const owner = await signUpWithWorkspace(longOnly)
        const key = await createApiKey(longOnly, owner.accessToken)
        const api = dataApi(longOnly, key.token)
        expect((await api.rest()).status).toBe(200)
        expect((await api.rest()).status).toBe(200)
        const refused = await api.rest()
        expect(refused.status).toBe(429)
        expect((await refused.json()).messages).toEqual(["Limit reached (2 tokens per 600000 ms)"])
        expect((await dataApi(longOnly, "not-a-token").rest()).status).toBe(401)
      } finally {
        await longOnly.close()
      }
    })
  })
}

describe("instances share the budgets through Redis", () => {
  test("an API key's requests on one instance count on the other; so do sign-in attempts", async () => {
    const first = await startTestApp({ env: { ...API_BUDGET, SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "3" } })
    const second = await startTestApp({ databaseUrl: first.databaseUrl, env: { ...API_BUDGET, SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "3" } })
    try {
      const owner = await signUpWithWorkspace(first)
      const key = await createApiKey(first, owner.accessToken)
      for (let i = 0; i < 4; i++) expect((await dataApi(i % 2 ? first : second, key.token).rest()).status).toBe(200)
      expect((await dataApi(first, key.token).rest()).status).toBe(429)
      expect((await dataApi(second, key.token).rest()).status).toBe(429)

      const address = "198.51.100.77"
      expect(codeOf(await metadataFrom(first, address, SIGN_IN, { e: owner.email, p: "wrong password" }))).toBe("FORBIDDEN")
      expect(codeOf(await metadataFrom(second, address, SIGN_IN, { e: owner.email, p: "wrong password" }))).toBe("FORBIDDEN")
      expect(codeOf(await metadataFrom(first, address, SIGN_IN, { e: owner.email, p: "wrong password" }))).toBe("FORBIDDEN")
      expect(codeOf(await metadataFrom(second, address, SIGN_IN, { e: owner.email, p: owner.password }))).toBe("TOO_MANY_REQUESTS")
    } finally {
      await second.close()
      await first.close()
    }
  })
})

for (const redis of [false, true]) {
  describe(`credential checks (${redis ? "Redis" : "memory"})`, () => {
    let app: TestApp
    let account: Awaited<ReturnType<typeof signUpWithWorkspace>>
    beforeAll(async () => {
      app = await startTestApp({
        redis,
        env: {
          SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "6",
          SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "3",
          SIGN_IN_BACKOFF: "2s",
          PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR: "2"
        }
      })
      account = await signUpWithWorkspace(app)
    })
    afterAll(() => app.close())

    test("per address: past SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE every credential mutation is refused with 429 and Retry-After, before any hash", async () => {
      const address = "203.0.113.10"
      for (let i = 0; i < 6; i++) {
        expect(codeOf(await metadataFrom(app, address, SIGN_IN, { e: uniqueEmail("probe"), p: "wrong password" }))).toBe("FORBIDDEN")
      }
      const hashesBefore = passwordHashCounts.peak
      passwordHashCounts.peak = passwordHashCounts.running
      const refused = await metadataFrom(app, address, SIGN_IN, { e: uniqueEmail("probe"), p: "wrong password" })
      expect(refused.status).toBe(429)
      expect(Number(refused.retryAfter)).toBeGreaterThan(0)
      expect(refused.body.errors[0].extensions.code).toBe("TOO_MANY_REQUESTS")
      expect(refused.body.errors[0].extensions.http).toBeUndefined()
      expect(refused.body.errors[0].message).toContain("SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE")
      expect(passwordHashCounts.peak).toBe(0)
      passwordHashCounts.peak = Math.max(hashesBefore, passwordHashCounts.peak)
      // The reset link shares the address's budget.
      expect(codeOf(await metadataFrom(app, address, RESET_LINK, { e: uniqueEmail("probe") }))).toBe("TOO_MANY_REQUESTS")
      // Other requests from the address go on (its body read once already by the early refusal).
      const other = await metadataFrom(app, address, `query($e: String!) { checkUserExists(email: $e) { exists } }`, { e: account.email })
      expect(other.body.data.checkUserExists.exists).toBe(true)
      // Another address is not affected.
      expect(codeOf(await metadataFrom(app, "203.0.113.11", SIGN_IN, { e: account.email, p: account.password }))).toBe("OK")
    })

    test("per account: past SIGN_IN_MAX_FAILURES_PER_ACCOUNT from any address, a lock of SIGN_IN_BACKOFF that doubles; known and unknown emails alike", async () => {
      const attempt = (i: number, email: string, password: string) =>
        metadataFrom(app, `192.0.2.${20 + i}`, SIGN_IN, { e: email, p: password })
      const nobody = uniqueEmail("nobody")
      for (const email of [account.email, nobody]) {
        for (let i = 0; i < 3; i++) expect(codeOf(await attempt(i, email, "wrong password"))).toBe("FORBIDDEN")
      }
      const locked = await attempt(3, account.email, account.password)
      expect(codeOf(locked)).toBe("TOO_MANY_REQUESTS")
      expect(locked.retryAfter).toBe("2")
      expect(locked.body.errors[0].message).toBe("Too many failed attempts for this account, retry in 2 s")
      const lockedNobody = await attempt(4, nobody, "wrong password")
      expect({ code: codeOf(lockedNobody), message: lockedNobody.body.errors[0].message }).toEqual({
        code: "TOO_MANY_REQUESTS",
        message: locked.body.errors[0].message
      })

      await Bun.sleep(2100)
      for (let i = 0; i < 2; i++) expect(codeOf(await attempt(i, account.email, "wrong password"))).toBe("FORBIDDEN")
      // A success clears the count (and the lock history): three more failures are allowed.
      expect(codeOf(await attempt(5, account.email, account.password))).toBe("OK")
      for (let i = 0; i < 3; i++) expect(codeOf(await attempt(i, account.email, "wrong password"))).toBe("FORBIDDEN")
      expect((await attempt(6, account.email, account.password)).retryAfter).toBe("2")

      // The unknown email's second lock is twice as long.
      await Bun.sleep(2100)
      for (let i = 0; i < 3; i++) expect(codeOf(await attempt(i, nobody, "wrong password"))).toBe("FORBIDDEN")
      expect((await attempt(7, nobody, "wrong password")).retryAfter).toBe("4")
    }, 20_000)

    test("a locked account's further attempts are refused before GraphQL, and no longer use up the address's budget", async () => {
      const address = "203.0.113.20"
      const email = uniqueEmail("locked")
      for (let i = 0; i < 3; i++) expect(codeOf(await metadataFrom(app, address, SIGN_IN, { e: email, p: "wrong password" }))).toBe("FORBIDDEN")
      const locking = await metadataFrom(app, address, SIGN_IN, { e: email, p: "wrong password" })
      expect(locking.body.errors[0].message).toBe("Too many failed attempts for this account, retry in 2 s")
      // 4 of the address's 6 attempts are used: ten more on the locked account are answered without counting.
      for (let i = 0; i < 10; i++) {
        const refused = await metadataFrom(app, address, SIGN_IN, { e: email.toUpperCase(), p: "wrong password" })
        expect([refused.status, refused.body.errors[0].message]).toEqual([429, expect.stringMatching(/^Too many failed attempts for this account, retry in [12] s$/)])
        expect(refused.body.errors[0].path).toBeUndefined()
      }
      expect(codeOf(await metadataFrom(app, address, SIGN_IN, { e: account.email, p: account.password }))).toBe("OK")
      // A document that also checks another account goes through GraphQL (and the address's count) as before.
      const LOGIN_AND_SIGN_IN = `mutation($e: String!, $f: String!) { a: signIn(email: $e, password: "x") { tokens { refreshToken { token } } }
        b: getLoginTokenFromCredentials(email: $f, password: "y", origin: "http://localhost:3001") { loginToken { token } } }`
      const mixed = await metadataFrom(app, address, LOGIN_AND_SIGN_IN, { e: email, f: uniqueEmail("other") })
      expect(mixed.body.errors[0]).toMatchObject({ path: ["a"], message: expect.stringMatching(/^Too many failed attempts for this account/) })
    })

    test("getLoginTokenFromCredentials counts against the same account; emailPasswordResetLink per email (PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR)", async () => {
      const other = await signUpWithWorkspace(app)
      const LOGIN = `mutation($e: String!, $p: String!) { getLoginTokenFromCredentials(email: $e, password: $p, origin: "http://localhost:3001") { loginToken { token } } }`
      for (let i = 0; i < 3; i++) expect(codeOf(await metadataFrom(app, `192.0.2.${40 + i}`, LOGIN, { e: other.email, p: "wrong" }))).toBe("FORBIDDEN")
      expect(codeOf(await metadataFrom(app, "192.0.2.50", SIGN_IN, { e: other.email.toUpperCase(), p: other.password }))).toBe("TOO_MANY_REQUESTS")

      const email = uniqueEmail("reset")
      expect(codeOf(await metadataFrom(app, "192.0.2.60", RESET_LINK, { e: email }))).toBe("OK")
      expect(codeOf(await metadataFrom(app, "192.0.2.61", RESET_LINK, { e: email }))).toBe("OK")
      const refused = await metadataFrom(app, "192.0.2.62", RESET_LINK, { e: email })
      expect(refused.status).toBe(429)
      expect(refused.body.errors[0].message).toContain("PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR")
    })
  })
}

describe("the flood from the issue", () => {
  test("500 wrong-password signIns from one client: at most SIGN_IN_MAX_FAILURES_PER_ACCOUNT reach a hash, the rest are 429; another client's reads go on", async () => {
    // Twenty's and Score's defaults for the credential limits (30 per address a minute, 5 per account).
    const app = await startTestApp({ env: { SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "30", SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "5" } })
    try {
      const victim = await signUpWithWorkspace(app)
      const reader = await signUpWithWorkspace(app)
      passwordHashCounts.peak = passwordHashCounts.running
      const flood = Array.from({ length: 500 }, () => metadataFrom(app, "203.0.113.99", SIGN_IN, { e: victim.email, p: "wrong password" }))
      const reads: Array<number> = []
      for (let i = 0; i < 20; i++) reads.push((await dataApi(app, reader.accessToken).graphql()).status)
      const answers = await Promise.all(flood)
      const statuses = answers.map((a) => `${a.status} ${codeOf(a)}`)
      const count = (s: string) => statuses.filter((x) => x === s).length
      console.log("flood:", count("200 FORBIDDEN"), "checked,", count("429 TOO_MANY_REQUESTS"), "refused; hash peak", passwordHashCounts.peak)
      expect(count("200 FORBIDDEN")).toBe(5)
      expect(count("429 TOO_MANY_REQUESTS")).toBe(495)
      expect(passwordHashCounts.peak).toBeLessThanOrEqual(5)
      expect(reads.every((s) => s === 200)).toBe(true)
    } finally {
      await app.close()
    }
  })
})

describe("the 2FA code checks are guarded once their resolvers exist", () => {
  test("getAuthTokensFromOTP and recovery codes count per login token, verifyTwoFactor… per caller, each on its own; other mutations untouched", async () => {
    const config = await testConfig({ SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "2", SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE: "100" })
    const limits = makeRateLimits(config, (options) => new RateLimiterMemory(options))
    let codeIsRight = false
    const check = async () => {
      if (!codeIsRight) throw new GraphQLError("Invalid code", { extensions: { code: "FORBIDDEN" } })
      return { ok: true }
    }
    const guarded = guardCredentialMutations({
      getAuthTokensFromOTP: check,
      getAuthTokensFromTwoFactorAuthenticationRecoveryCode: check,
      verifyTwoFactorAuthenticationMethodForAuthenticatedUser: check,
      other: check
    })
    const ctx = (userId: string) => ({
      run: makeRun(Runtime.defaultRuntime.pipe(Runtime.provideService(RateLimits, limits))),
      auth: async () => ({ kind: "user", user: { id: userId } }) as any,
      origin: null,
      clientAddress: "198.51.100.5"
    })
    const code = (p: Promise<unknown>) => p.then(() => "OK", (e: GraphQLError) => e.extensions["code"])
    const otp = (token: string) => code(Promise.resolve(guarded.getAuthTokensFromOTP!(null, { otp: "000000", loginToken: token }, ctx("u1"), null)))
    expect([await otp("a"), await otp("a"), await otp("a"), await otp("b")]).toEqual(["FORBIDDEN", "FORBIDDEN", "TOO_MANY_REQUESTS", "FORBIDDEN"])
    const recovery = (token: string) =>
      code(Promise.resolve(guarded.getAuthTokensFromTwoFactorAuthenticationRecoveryCode!(null, { recoveryCode: "x", loginToken: token }, ctx("u1"), null)))
    expect([await recovery("c"), await recovery("c"), await recovery("c")]).toEqual(["FORBIDDEN", "FORBIDDEN", "TOO_MANY_REQUESTS"])
    const verify = (user: string) => code(Promise.resolve(guarded.verifyTwoFactorAuthenticationMethodForAuthenticatedUser!(null, { otp: "1" }, ctx(user), null)))
    expect([await verify("u1"), await verify("u1")]).toEqual(["FORBIDDEN", "FORBIDDEN"])
    codeIsRight = true
    expect([await verify("u1"), await verify("u2")]).toEqual(["TOO_MANY_REQUESTS", "OK"])
    // Unguarded mutations pass through untouched.
    expect(guarded["other"]).toBe(check)
  })
})

describe("API budgets on the hot path", () => {
  test("far below a budget requests are admitted at once and counted in the store in the background; near it, exactly", async () => {
    const config = await testConfig({
      API_RATE_LIMITING_SHORT_LIMIT: "1000",
      API_RATE_LIMITING_SHORT_TTL_IN_MS: "60000",
      API_RATE_LIMITING_LONG_LIMIT: "1000",
      API_RATE_LIMITING_LONG_TTL_IN_MS: "60000"
    })
    const stores: Array<RateLimiterMemory> = []
    let storeCalls = 0
    const limits = makeRateLimits(config, (options) => {
      const store = new RateLimiterMemory(options)
      const consume = store.consume.bind(store)
      store.consume = (key, points) => {
        storeCalls++
        return consume(key, points)
      }
      stores.push(store)
      return store
    })
    const [short] = stores
    // 100 requests: each admitted without waiting (null, not a promise), and without a store call each.
    for (let i = 0; i < 100; i++) expect(limits.apiRequest("w1")).toBeNull()
    expect(storeCalls).toBe(0)
    await Bun.sleep(120)
    expect(storeCalls).toBe(2) // one background flush per budget
    expect((await short!.get("w1"))?.consumedPoints).toBe(100)
    // From half the budget on, each request waits for the store and the refusal is exact.
    let admitted = 100
    for (;;) {
      const counted = limits.apiRequest("w1")
      const refusal = counted === null ? null : await counted
      if (refusal) break
      admitted++
    }
    expect(admitted).toBe(1000)
    expect((await short!.get("w1"))?.consumedPoints).toBe(1001)
  })
})
