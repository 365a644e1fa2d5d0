import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Workspaces } from "../../src/services/workspace/index.js"
import type { TestApp } from "./app.js"

export const uniqueEmail = (tag = "user") => `${tag}.${crypto.randomUUID().slice(0, 8)}@example.com`

const must = <T>(result: { body: { data?: T; errors?: Array<{ message: string }> } }): T => {
  if (result.body.errors?.length || !result.body.data) throw new Error(JSON.stringify(result.body.errors))
  return result.body.data
}

/** Twenty's flow: signUp → signUpInNewWorkspace → getAuthTokensFromLoginToken. */
export const signUpWithWorkspace = async (app: TestApp, options: { email?: string; password?: string; name?: string } = {}) => {
  const email = options.email ?? uniqueEmail()
  const password = options.password ?? "correct horse battery"
  const signUp = must(await app.gql<any>(
    `mutation($email: String!, $password: String!) { signUp(email: $email, password: $password) {
      tokens { accessOrWorkspaceAgnosticToken { token } refreshToken { token } } } }`,
    { email, password }
  )).signUp
  const agnosticToken: string = signUp.tokens.accessOrWorkspaceAgnosticToken.token
  const created = must(await app.gql<any>(
    `mutation($name: String) { signUpInNewWorkspace(input: { displayName: $name }) {
      loginToken { token } workspace { id workspaceUrls { subdomainUrl } } } }`,
    { name: options.name ?? "Acme" },
    agnosticToken
  )).signUpInNewWorkspace
  const tokens = must(await app.gql<any>(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token expiresAt } refreshToken { token expiresAt } } } }`,
    { t: created.loginToken.token }
  )).getAuthTokensFromLoginToken.tokens
  return {
    email,
    password,
    workspaceId: created.workspace.id as string,
    accessToken: tokens.accessOrWorkspaceAgnosticToken.token as string,
    refreshToken: tokens.refreshToken.token as string,
    agnosticToken
  }
}

export const createApiKey = async (app: TestApp, accessToken: string, name = "integration") => {
  const key = must(await app.gql<any>(
    `mutation($name: String!, $exp: String!) { createApiKey(input: { name: $name, expiresAt: $exp }) { id name } }`,
    { name, exp: new Date(Date.now() + 86_400_000).toISOString() },
    accessToken
  )).createApiKey
  const token = must(await app.gql<any>(
    `mutation($id: UUID!, $exp: String!) { generateApiKeyToken(apiKeyId: $id, expiresAt: $exp) { token } }`,
    { id: key.id, exp: new Date(Date.now() + 86_400_000).toISOString() },
    accessToken
  )).generateApiKeyToken.token as string
  return { id: key.id as string, token }
}

/**
 * A second member of `workspaceId` holding the role labelled `roleLabel`, made without invitations: a
 * signed-up user, a userWorkspace row, a workspaceMember record, then Twenty's sign-in flow.
 */
export const addMemberWithRole = async (app: TestApp, workspaceId: string, roleLabel: string) => {
  const sql = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, any>) =>
    app.run(Effect.flatMap(SqlClient.SqlClient, run))
  const email = uniqueEmail("member")
  const password = "correct horse battery"
  must(await app.gql(`mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { tokens { refreshToken { token } } } }`, {
    e: email,
    p: password
  }))
  const schema = await app.run(Effect.flatMap(Workspaces, (w) => w.schemaOf(workspaceId)))
  const [user] = await sql<{ id: string }>((s) => s`SELECT id FROM core."user" WHERE email = ${email}`)
  const [role] = await sql<{ id: string }>((s) => s`SELECT id FROM core.role WHERE "workspaceId" = ${workspaceId} AND label = ${roleLabel}`)
  await sql((s) => s`INSERT INTO core."userWorkspace" ("userId", "workspaceId", "roleId") VALUES (${user!.id}, ${workspaceId}, ${role!.id})`)
  const [member] = await sql<{ id: string }>((s) =>
    s`INSERT INTO ${s(schema!)}."workspaceMember" ("nameFirstName", "nameLastName", "userEmail", "userId", locale)
      VALUES ('Second', 'User', ${email}, ${user!.id}, 'en') RETURNING id`
  )
  const signIn = must<any>(await app.gql(
    `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) {
      availableWorkspaces { availableWorkspacesForSignIn { id loginToken } } } }`,
    { e: email, p: password }
  )).signIn
  const loginToken = signIn.availableWorkspaces.availableWorkspacesForSignIn.find((w: any) => w.id === workspaceId).loginToken
  const tokens = must<any>(await app.gql(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { t: loginToken }
  )).getAuthTokensFromLoginToken.tokens
  return { email, userId: user!.id, memberId: member!.id, token: tokens.accessOrWorkspaceAgnosticToken.token as string }
}
