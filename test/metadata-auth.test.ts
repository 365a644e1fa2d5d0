import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"

let app: TestApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(() => app.close())

const codeOf = (body: { errors?: Array<{ extensions?: any }> }) => body.errors?.[0]?.extensions?.code

describe("sign-up and sign-in", () => {
  test("the full flow yields an access token that reads the current user and workspace", async () => {
    const account = await signUpWithWorkspace(app, { name: "Initech" })
    const { body } = await app.gql(
      `{ currentUser { email workspaces { workspaceId } } currentWorkspace { id displayName subdomain activationStatus } }`,
      {},
      account.accessToken
    )
    expect(body.errors).toBeUndefined()
    expect(body.data.currentUser.email).toBe(account.email)
    expect(body.data.currentUser.workspaces).toEqual([{ workspaceId: account.workspaceId }])
    expect(body.data.currentWorkspace).toMatchObject({ id: account.workspaceId, displayName: "Initech", activationStatus: "ACTIVE" })
  })

  test("duplicate sign-up is refused, whatever the case of the email", async () => {
    const email = uniqueEmail("dup")
    await signUpWithWorkspace(app, { email })
    const { body } = await app.gql(
      `mutation($e: String!) { signUp(email: $e, password: "another password") { tokens { refreshToken { token } } } }`,
      { e: email.toUpperCase() }
    )
    expect(codeOf(body)).toBe("FORBIDDEN")
    expect(body.errors![0]!.extensions.subCode).toBe("USER_ALREADY_EXISTS")
  })

  test("wrong password and unknown email get the same answer, so accounts cannot be enumerated", async () => {
    const account = await signUpWithWorkspace(app)
    const signIn = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { refreshToken { token } } } }`
    const wrong = await app.gql(signIn, { e: account.email, p: "not the password" })
    expect(codeOf(wrong.body)).toBe("FORBIDDEN")
    expect(wrong.body.errors![0]!.message).toBe("Invalid email or password")
    expect(wrong.body.data).toBeNull()
    const unknown = await app.gql(signIn, { e: uniqueEmail("nobody"), p: "not the password" })
    expect(unknown).toEqual(wrong)
    const right = await app.gql(signIn, { e: account.email, p: account.password })
    expect(right.body.errors).toBeUndefined()
  })

  test("a login token works once", async () => {
    const account = await signUpWithWorkspace(app)
    const { body } = await app.gql(
      `mutation($e: String!, $p: String!) { getLoginTokenFromCredentials(email: $e, password: $p, origin: "http://localhost:3001") { loginToken { token } } }`,
      { e: account.email, p: account.password }
    )
    const loginToken = body.data.getLoginTokenFromCredentials.loginToken.token
    const exchange = `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "x") { tokens { refreshToken { token } } } }`
    expect((await app.gql(exchange, { t: loginToken })).body.errors).toBeUndefined()
    const again = await app.gql(exchange, { t: loginToken })
    expect(codeOf(again.body)).toBe("UNAUTHENTICATED")
  })
})
