import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { SQL } from "bun"
import { startTestApp, type TestApp } from "./support/app.js"
import { TEST_REDIS_URL } from "./support/database.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js"

/**
 * Two instances on one database and one Redis (one key prefix: startTestApp gives instances on one database
 * the same). The revoking instance reaches Redis through a TCP relay that the test cuts, so its cache
 * invalidation really fails while the other instance's shared cache tier still holds the credential.
 */
const redisUrl = (port?: number) => {
  const url = new URL(TEST_REDIS_URL)
  if (port !== undefined) url.port = String(port)
  return url.toString()
}
/** The documented bound is the poll interval (1 s); this leaves room for a slow, shared machine. */
const BOUND_MS = 3_000

const CURRENT_WORKSPACE = `{ currentWorkspace { id } }`

/** Asks until the answer is 401 or `BOUND_MS` has passed; returns the last status. */
const statusWithinBound = async (app: TestApp, token: string, query = CURRENT_WORKSPACE) => {
  const deadline = Date.now() + BOUND_MS
  for (;;) {
    const { status } = await app.gql(query, {}, token)
    if (status === 401 || Date.now() > deadline) return status
    await Bun.sleep(100)
  }
}

let proxy: TcpProxy
let revoking: TestApp
let other: TestApp

beforeAll(async () => {
  const target = new URL(TEST_REDIS_URL)
  proxy = startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) })
  revoking = await startTestApp({ env: { REDIS_URL: redisUrl(proxy.port) } })
  other = await startTestApp({ databaseUrl: revoking.databaseUrl, env: { REDIS_URL: redisUrl() } })
})
afterAll(async () => {
  await other.close()
  await revoking.close()
  proxy.close()
})

describe("revocation with the revoking instance's Redis cut", () => {
  test("an API key revoked there is refused by the other instance within the bound, or the revocation fails", async () => {
    const account = await signUpWithWorkspace(revoking)
    const key = await createApiKey(revoking, account.accessToken)
    const sessionKey = await createApiKey(revoking, account.accessToken, "session")
    const refreshAccount = await signUpWithWorkspace(revoking)
    // The other instance verifies (and caches, locally and in Redis) every credential first.
    for (const token of [key.token, account.accessToken, refreshAccount.accessToken]) {
      expect((await other.gql(CURRENT_WORKSPACE, {}, token)).status).toBe(200)
    }
    expect((await other.gql(CURRENT_WORKSPACE, {}, sessionKey.token)).status).toBe(200)

    proxy.cut()

    const revoked = await revoking.gql(`mutation($id: UUID!) { revokeApiKey(input: { id: $id }) { id revokedAt } }`, {
      id: key.id
    }, account.accessToken)
    if (revoked.body.errors) {
      // Failing loudly is the other acceptable answer; then nothing may have been revoked silently.
      expect(revoked.status).not.toBe(200)
    } else {
      expect(revoked.body.data.revokeApiKey.revokedAt).toBeString()
      expect((await revoking.gql(CURRENT_WORKSPACE, {}, key.token)).status).toBe(401)
      expect(await statusWithinBound(other, key.token)).toBe(401)
    }
    // Revoking one key ends nothing else.
    expect((await other.gql(CURRENT_WORKSPACE, {}, sessionKey.token)).status).toBe(200)
  })

  test("signOut there ends the user's access tokens on the other instance within the bound", async () => {
    const account = await signUpWithWorkspace(revoking)
    expect((await other.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(200)
    expect((await other.gql(`{ currentUser { id } }`, {}, account.agnosticToken)).status).toBe(200)
    const out = await revoking.gql(`mutation { signOut }`, {}, account.accessToken)
    expect(out.body).toEqual({ data: { signOut: true } })
    expect(await statusWithinBound(other, account.accessToken)).toBe(401)
    expect(await statusWithinBound(other, account.agnosticToken, `{ currentUser { id } }`)).toBe(401)
  })

  test("refresh-token reuse detected there ends the user's access tokens on the other instance", async () => {
    const account = await signUpWithWorkspace(revoking)
    expect((await other.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(200)
    const renew = `mutation($t: String!) { renewToken(appToken: $t) { tokens { accessOrWorkspaceAgnosticToken { token } } } }`
    const rotated = (await revoking.gql(renew, { t: account.refreshToken })).body.data.renewToken.tokens
      .accessOrWorkspaceAgnosticToken.token as string
    expect((await other.gql(CURRENT_WORKSPACE, {}, rotated)).status).toBe(200)
    const replay = await revoking.gql(renew, { t: account.refreshToken })
    expect(replay.body.errors![0]!.message).toContain("All tokens have been revoked")
    expect(await statusWithinBound(other, account.accessToken)).toBe(401)
    expect(await statusWithinBound(other, rotated)).toBe(401)
  })
})

describe("an instance that cannot read the revocation epoch", () => {
  test("stops trusting its cached credentials after 5 check intervals and reads them from PostgreSQL", async () => {
    const app = await startTestApp({ redis: false, env: { REVOCATION_CHECK_INTERVAL: "200ms" } })
    const db = new SQL(app.databaseUrl)
    try {
      const account = await signUpWithWorkspace(app)
      const key = await createApiKey(app, account.accessToken)
      expect((await app.gql(CURRENT_WORKSPACE, {}, key.token)).status).toBe(200)
      // The epoch cannot be read, and a revocation is written that the epoch would not tell of.
      await db`ALTER TABLE core."revocationEpoch" RENAME TO "revocationEpochMoved"`
      await db`UPDATE core."apiKey" SET "revokedAt" = now() WHERE id = ${key.id}`
      expect(await statusWithinBound(app, key.token)).toBe(401)
      expect((await app.gql(CURRENT_WORKSPACE, {}, account.accessToken)).status).toBe(200)
    } finally {
      await db.close()
      await app.close()
    }
  })
})
