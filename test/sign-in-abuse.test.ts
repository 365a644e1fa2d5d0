import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { rememberClientAddress } from "../src/http/client-address.js"
import { Auth } from "../src/services/auth/index.js"
import { passwordHashCounts } from "../src/services/auth/hasher.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"

/**
 * Sign-up and sign-in abuse (issue 11, item 8): no account enumeration through sign-in, a switch and
 * limits on public sign-up, and a cap on concurrent password hashes.
 */

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { refreshToken { token } } } }`
const LOGIN_TOKEN = `mutation($e: String!, $p: String!) { getLoginTokenFromCredentials(email: $e, password: $p, origin: "http://localhost:3001") { loginToken { token } } }`
const SIGN_UP = `mutation($e: String!) { signUp(email: $e, password: "correct horse battery") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`

let app: TestApp
let account: Awaited<ReturnType<typeof signUpWithWorkspace>>

beforeAll(async () => {
  app = await startTestApp({ redis: false, env: { PASSWORD_HASH_CONCURRENCY: "2", PASSWORD_HASH_QUEUE: "8" } })
  account = await signUpWithWorkspace(app)
})
afterAll(() => app.close())

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

describe("sign-in does not tell which emails have accounts", () => {
  test("unknown email and wrong password: same status, code and message, on signIn and getLoginTokenFromCredentials", async () => {
    for (const mutation of [SIGN_IN, LOGIN_TOKEN]) {
      const wrong = await app.gql(mutation, { e: account.email, p: "not the password" })
      const unknown = await app.gql(mutation, { e: uniqueEmail("nobody"), p: "not the password" })
      expect(unknown).toEqual(wrong)
      expect(wrong.status).toBe(200)
      expect(wrong.body.errors![0]!.extensions.code).toBe("FORBIDDEN")
      expect(wrong.body.errors![0]!.message).toBe("Invalid email or password")
    }
  })

  test("and in similar time (the unknown email is checked against a dummy hash)", async () => {
    const time = async (email: string) => {
      const started = performance.now()
      await app.gql(SIGN_IN, { e: email, p: "not the password" })
      return performance.now() - started
    }
    const known: Array<number> = []
    const unknown: Array<number> = []
    for (let i = 0; i < 7; i++) {
      known.push(await time(account.email))
      unknown.push(await time(uniqueEmail("nobody")))
    }
    const ratio = median(unknown) / median(known)
    console.log("signIn median ms: known email", median(known).toFixed(1), "unknown", median(unknown).toFixed(1))
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
  })
})

describe("password hashes are capped", () => {
  test("a flood of signIns never runs more than PASSWORD_HASH_CONCURRENCY hashes at once; other requests stay responsive", async () => {
    passwordHashCounts.peak = passwordHashCounts.running
    const flood = Array.from({ length: 10 }, () => app.gql(SIGN_IN, { e: account.email, p: "not the password" }))
    const latencies: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const { body } = await app.gql(`{ currentUser { email } }`, {}, account.accessToken)
      latencies.push(performance.now() - started)
      expect(body.data.currentUser.email).toBe(account.email)
    }
    const answers = await Promise.all(flood)
    console.log("hash peak", passwordHashCounts.peak, "other request ms", latencies.map((l) => l.toFixed(1)).join(" "))
    expect(answers.every((a) => a.body.errors![0]!.extensions.code === "FORBIDDEN")).toBe(true)
    expect(passwordHashCounts.peak).toBe(2)
    expect(Math.max(...latencies)).toBeLessThan(500)
  })

  test("beyond the queue (PASSWORD_HASH_QUEUE) the answer is TOO_MANY_REQUESTS, not an endless wait", async () => {
    passwordHashCounts.peak = passwordHashCounts.running
    const answers = await Promise.all(Array.from({ length: 30 }, () => app.gql(SIGN_IN, { e: account.email, p: "not the password" })))
    const codes = answers.map((a) => a.body.errors![0]!.extensions.code as string)
    const refused = answers.filter((a) => a.body.errors![0]!.extensions.code === "TOO_MANY_REQUESTS")
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]!.body.errors![0]!.message).toContain("retry")
    expect(codes.filter((c) => c === "FORBIDDEN").length).toBeGreaterThanOrEqual(10)
    expect(new Set(codes)).toEqual(new Set(["FORBIDDEN", "TOO_MANY_REQUESTS"]))
    expect(passwordHashCounts.peak).toBeLessThanOrEqual(2)
    // The queue drains: a right password goes through afterwards.
    expect((await app.gql(SIGN_IN, { e: account.email, p: account.password })).body.errors).toBeUndefined()
  })
})

describe("public sign-up", () => {
  test("SIGN_UP_MAX_PER_IP_PER_HOUR and WORKSPACE_CREATION_MAX_PER_MINUTE refuse with TOO_MANY_REQUESTS", async () => {
    const limited = await startTestApp({
      redis: false,
      env: { SIGN_UP_MAX_PER_IP_PER_HOUR: "2", WORKSPACE_CREATION_MAX_PER_MINUTE: "1" }
    })
    try {
      const signUpFrom = async (address: string) => {
        const request = new Request("http://localhost/metadata", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: SIGN_UP, variables: { e: uniqueEmail("flood") } })
        })
        rememberClientAddress(request, address)
        return (await (await limited.handle(request)).json()) as any
      }
      expect((await signUpFrom("203.0.113.7")).errors).toBeUndefined()
      expect((await signUpFrom("203.0.113.7")).errors).toBeUndefined()
      const third = await signUpFrom("203.0.113.7")
      expect(third.errors[0].extensions.code).toBe("TOO_MANY_REQUESTS")
      expect(third.errors[0].message).toContain("SIGN_UP_MAX_PER_IP_PER_HOUR")
      expect((await signUpFrom("198.51.100.1")).errors).toBeUndefined()

      await signUpWithWorkspace(limited)
      const second = await signUpFrom("192.0.2.9")
      const token = second.data.signUp.tokens.accessOrWorkspaceAgnosticToken.token
      const workspace = await limited.gql(`mutation { signUpInNewWorkspace(input: { displayName: "Second" }) { workspace { id } } }`, {}, token)
      expect(workspace.body.errors![0]!.extensions.code).toBe("TOO_MANY_REQUESTS")
      expect(workspace.body.errors![0]!.message).toContain("WORKSPACE_CREATION_MAX_PER_MINUTE")
    } finally {
      await limited.close()
    }
  })

  test("IS_SIGN_UP_DISABLED refuses signUp and new workspaces over the API; the CLI's path still creates users", async () => {
    const closed = await startTestApp({ redis: false, env: { IS_SIGN_UP_DISABLED: "true" } })
    try {
      const refused = await closed.gql(SIGN_UP, { e: uniqueEmail("closed") })
      expect(refused.body.errors![0]!.extensions.code).toBe("FORBIDDEN")
      expect(refused.body.errors![0]!.message).toBe("Sign up is disabled")
      const email = uniqueEmail("admin")
      await closed.run(Effect.flatMap(Auth, (auth) => auth.signUp({ email, password: "correct horse battery" })))
      const signedIn = await closed.gql(`mutation($e: String!) { signIn(email: $e, password: "correct horse battery") { tokens { accessOrWorkspaceAgnosticToken { token } } } }`, { e: email })
      const token = signedIn.body.data.signIn.tokens.accessOrWorkspaceAgnosticToken.token
      const workspace = await closed.gql(`mutation { signUpInNewWorkspace(input: { displayName: "No" }) { workspace { id } } }`, {}, token)
      expect(workspace.body.errors![0]!.message).toBe("Sign up is disabled")
    } finally {
      await closed.close()
    }
  })
})
