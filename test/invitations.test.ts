/**
 * Members end to end, on real PostgreSQL and Redis with a real SMTP server (smtp-server, started here):
 * invitations mailed and accepted, the public invite link, removal and leaving, the outbox, retries.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { Revocations } from "../src/services/revocations/index.js"
import { JobQueue } from "../src/platform/queue/index.js"
import { runRelay } from "../src/services/events/index.js"
import { EMAILS_QUEUE, enqueueMail } from "../src/services/mail/jobs.js"
import { Mailer } from "../src/services/mail/index.js"
import { workspaceCacheKey } from "../src/services/workspace/index.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace, uniqueEmail } from "./support/flows.js"
import { decodedText, startTestSmtp } from "./support/smtp.js"

let smtp: Awaited<ReturnType<typeof startTestSmtp>>

const mailTo = async (email: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const mail = smtp.received.find((m) => m.to.includes(email))
    if (mail) return mail
    if (Date.now() > deadline) throw new Error(`no mail to ${email}`)
    await Bun.sleep(50)
  }
}

/** The invitation link's parts: /invite/<inviteHash>?inviteToken=…&email=… */
const invitationLink = async (email: string) => {
  const text = decodedText((await mailTo(email)).raw)
  const link = /https?:\/\/\S+\/invite\/[^\s"<]+/.exec(text)?.[0]
  if (!link) throw new Error(`no invitation link in: ${text}`)
  const url = new URL(link.replace(/&amp;/g, "&"))
  return { url, inviteHash: url.pathname.split("/").pop()!, token: url.searchParams.get("inviteToken")! }
}

let app: TestApp
let worker: Fiber.RuntimeFiber<unknown, unknown>
let owner: Awaited<ReturnType<typeof signUpWithWorkspace>>
let roles: Record<string, string>

const gql = (query: string, variables: Record<string, unknown> = {}, token?: string | null) => app.gql<any>(query, variables, token)
const sqlQuery = <A extends object>(run: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  app.run(Effect.flatMap(SqlClient.SqlClient, run).pipe(Effect.orDie))

const invite = (emails: Array<string>, roleId: string | null = null, token = owner.accessToken) =>
  gql(
    `mutation($emails: [String!]!, $roleId: UUID) { sendInvitations(emails: $emails, roleId: $roleId) {
      success errors result { id email roleId expiresAt } } }`,
    { emails, roleId },
    token
  )

const signUpInWorkspace = (variables: Record<string, unknown>) =>
  gql(
    `mutation($email: String!, $password: String!, $workspaceId: String, $hash: String, $token: String) {
      signUpInWorkspace(email: $email, password: $password, workspaceId: $workspaceId, workspaceInviteHash: $hash,
        workspacePersonalInviteToken: $token) { loginToken { token } workspace { id workspaceUrls { subdomainUrl } } } }`,
    variables
  )

const accessTokenFrom = async (loginToken: string) => {
  const res = await gql(
    `mutation($t: String!) { getAuthTokensFromLoginToken(loginToken: $t, origin: "http://localhost:3001") {
      tokens { accessOrWorkspaceAgnosticToken { token } } } }`,
    { t: loginToken }
  )
  return res.body.data.getAuthTokensFromLoginToken.tokens.accessOrWorkspaceAgnosticToken.token as string
}

const roleOf = async (email: string, workspaceId = owner.workspaceId) =>
  (await sqlQuery<{ label: string }>((sql) =>
    sql`SELECT r.label FROM core."userWorkspace" uw JOIN core."user" u ON u.id = uw."userId" JOIN core.role r ON r.id = uw."roleId"
        WHERE lower(u.email) = lower(${email}) AND uw."workspaceId" = ${workspaceId} AND uw."deletedAt" IS NULL`))[0]?.label

const memberId = async (token: string, email: string) => {
  const res = await app.request(`/rest/workspaceMembers?depth=0&filter=userEmail[eq]:"${email}"`, {
    headers: { authorization: `Bearer ${token}` }
  })
  return ((await res.json()) as any).data.workspaceMembers[0]?.id as string | undefined
}

const removeMember = (workspaceMemberIdToDelete: string, token: string) =>
  gql(`mutation($id: String!) { deleteUserFromWorkspace(workspaceMemberIdToDelete: $id) { id userId deletedAt } }`, { id: workspaceMemberIdToDelete }, token)

const joinAsNewMember = async (roleId: string | null = null) => {
  const email = uniqueEmail("member")
  expect((await invite([email], roleId)).body.data.sendInvitations.success).toBe(true)
  const { inviteHash, token } = await invitationLink(email)
  const joined = await signUpInWorkspace({ email, password: "member password 1", hash: inviteHash, token })
  expect(joined.body.errors).toBeUndefined()
  return { email, accessToken: await accessTokenFrom(joined.body.data.signUpInWorkspace.loginToken.token) }
}

beforeAll(async () => {
  smtp = await startTestSmtp()
  const port = smtp.port
  app = await startTestApp({
    env: { EMAIL_SMTP_HOST: "127.0.0.1", EMAIL_SMTP_PORT: String(port), EMAIL_SMTP_NO_TLS: "true", EMAIL_FROM_ADDRESS: "score@example.com" }
  })
  worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
    yield* Effect.forkScoped(runRelay("20 millis"))
    yield* runWorker(registry, { pollInterval: "50 millis" })
    return yield* Effect.never
  }))))
  owner = await signUpWithWorkspace(app, { name: "Invite Co" })
  const listed = await gql(`{ getRoles { id label } }`, {}, owner.accessToken)
  roles = Object.fromEntries(listed.body.data.getRoles.map((r: { id: string; label: string }) => [r.label, r.id]))
})

afterAll(async () => {
  await app.run(Fiber.interrupt(worker))
  await app.close()
  await smtp.close()
})

describe("invitations", () => {
  test("invite → mail → signUpInWorkspace: a new member with the invited role and a workspaceMember record", async () => {
    const email = uniqueEmail("guest")
    const sent = await invite([email, "not-an-email"], roles["Guest"]!)
    expect(sent.body.data.sendInvitations).toMatchObject({ success: false, errors: ['Invalid email: "not-an-email"'] })
    expect(sent.body.data.sendInvitations.result).toEqual([
      { id: expect.any(String), email, roleId: roles["Guest"], expiresAt: expect.any(String) }
    ])
    const expiresIn = new Date(sent.body.data.sendInvitations.result[0].expiresAt).getTime() - Date.now()
    expect(Math.round(expiresIn / 86_400_000)).toBe(30)

    const mail = await mailTo(email)
    expect(mail.raw).toMatch(/^Subject: Join your team on Score/m)
    expect(mail.raw).toMatch(/^From: ".* \(via Score\)" <score@example\.com>/m)
    expect(mail.raw).toMatch(/Content-Type: text\/plain/)
    expect(mail.raw).toMatch(/Content-Type: text\/html/)
    const { url, inviteHash, token } = await invitationLink(email)
    expect(url.hostname).toMatch(/^invite-co.*\.localhost$/)
    expect(url.searchParams.get("email")).toBe(email)
    // Stored hashed: the token itself is nowhere in the database.
    expect(await sqlQuery((sql) => sql`SELECT 1 FROM core."appToken" WHERE value = ${token} OR context::text LIKE ${"%" + token + "%"}`)).toEqual([])

    const listed = await gql(`{ findWorkspaceInvitations { id email roleId } }`, {}, owner.accessToken)
    expect(listed.body.data.findWorkspaceInvitations).toEqual([{ id: sent.body.data.sendInvitations.result[0].id, email, roleId: roles["Guest"] }])

    const joined = await signUpInWorkspace({ email, password: "guest password 1", hash: inviteHash, token })
    expect(joined.body.errors).toBeUndefined()
    expect(joined.body.data.signUpInWorkspace.workspace.id).toBe(owner.workspaceId)
    const access = await accessTokenFrom(joined.body.data.signUpInWorkspace.loginToken.token)
    const me = await gql(`{ currentUser { email isEmailVerified currentWorkspace { id } } }`, {}, access)
    expect(me.body.data.currentUser).toEqual({ email, isEmailVerified: true, currentWorkspace: { id: owner.workspaceId } })
    expect(await roleOf(email)).toBe("Guest")
    // The new member sees what Guest allows: records read, no record write, no settings.
    const dataApi = (query: string) =>
      app.request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${access}` },
        body: JSON.stringify({ query })
      }).then((r) => r.json() as Promise<any>)
    expect((await dataApi(`{ companies { totalCount } }`)).data.companies.totalCount).toBeGreaterThanOrEqual(0)
    expect((await dataApi(`mutation { createCompany(data: { name: "Guest Co" }) { id } }`)).errors[0].extensions)
      .toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    expect((await gql(`{ apiKeys { id } }`, {}, access)).body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })

    const member = await app.request(`/rest/workspaceMembers?depth=0&filter=userEmail[eq]:"${email}"`, { headers: { authorization: `Bearer ${access}` } })
    expect(((await member.json()) as any).data.workspaceMembers).toEqual([
      expect.objectContaining({ userEmail: email, colorScheme: "System", locale: "en", userId: expect.any(String) })
    ])
    // The invitation is consumed: gone from the list, its token refused, and the address is now a member.
    expect((await gql(`{ findWorkspaceInvitations { id } }`, {}, owner.accessToken)).body.data.findWorkspaceInvitations).toEqual([])
    const again = await signUpInWorkspace({ email: uniqueEmail("other"), password: "other password 1", workspaceId: owner.workspaceId, token })
    expect(again.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    expect((await invite([email])).body.data.sendInvitations.errors).toEqual(["This user is already a member of the workspace."])
  }, 30_000)

  test("an existing user accepts with their own account and password: no second user", async () => {
    const other = await signUpWithWorkspace(app, { name: "Elsewhere" })
    await invite([other.email], roles["Member"]!)
    const { inviteHash, token } = await invitationLink(other.email)
    const wrong = await signUpInWorkspace({ email: other.email, password: "not the password", hash: inviteHash, token })
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    const joined = await signUpInWorkspace({ email: other.email, password: other.password, hash: inviteHash, token })
    expect(joined.body.errors).toBeUndefined()
    const users = await sqlQuery<{ n: string }>((sql) => sql`SELECT count(*) AS n FROM core."user" WHERE lower(email) = lower(${other.email})`)
    expect(Number(users[0]!.n)).toBe(1)
    expect(await roleOf(other.email)).toBe("Member")
    expect(await roleOf(other.email, other.workspaceId)).toBe("Admin")
    const signIn = await gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) {
      availableWorkspaces { availableWorkspacesForSignIn { id } } } }`, { e: other.email, p: other.password })
    expect(signIn.body.data.signIn.availableWorkspaces.availableWorkspacesForSignIn.map((w: { id: string }) => w.id).sort())
      .toEqual([owner.workspaceId, other.workspaceId].sort())
  }, 30_000)

  test("expired and deleted invitations are refused; resend issues a new token", async () => {
    await sqlQuery((sql) => sql`UPDATE core.workspace SET "isPublicInviteLinkEnabled" = false WHERE id = ${owner.workspaceId}`)
    try {
      const late = uniqueEmail("late")
      await invite([late])
      const expired = await invitationLink(late)
      await sqlQuery((sql) => sql`UPDATE core."appToken" SET "expiresAt" = now() - interval '1 minute' WHERE context->>'email' = ${late}`)
      const refused = await signUpInWorkspace({ email: late, password: "late password 1", hash: expired.inviteHash, token: expired.token })
      expect(refused.body.errors?.[0]).toMatchObject({ message: "Invitation expired", extensions: { code: "FORBIDDEN" } })

      const gone = uniqueEmail("gone")
      const sent = await invite([gone])
      const deletedLink = await invitationLink(gone)
      const id = sent.body.data.sendInvitations.result[0].id
      const deleted = await gql(`mutation($id: String!) { deleteWorkspaceInvitation(appTokenId: $id) }`, { id }, owner.accessToken)
      expect(deleted.body.data.deleteWorkspaceInvitation).toBe("success")
      expect((await gql(`mutation($id: String!) { deleteWorkspaceInvitation(appTokenId: $id) }`, { id }, owner.accessToken)).body.data.deleteWorkspaceInvitation).toBe("error")
      const afterDelete = await signUpInWorkspace({ email: gone, password: "gone password 1", hash: deletedLink.inviteHash, token: deletedLink.token })
      expect(afterDelete.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
      expect(await roleOf(gone)).toBeUndefined()

      // Resending the expired one: a fresh token works, the old one does not.
      const [old] = (await gql(`{ findWorkspaceInvitations { id email } }`, {}, owner.accessToken)).body.data.findWorkspaceInvitations
        .filter((i: { email: string }) => i.email === late)
      smtp.received.splice(0, smtp.received.length)
      const resent = await gql(`mutation($id: String!) { resendWorkspaceInvitation(appTokenId: $id) { success result { id email } } }`, { id: old.id }, owner.accessToken)
      expect(resent.body.data.resendWorkspaceInvitation).toMatchObject({ success: true, result: [{ email: late }] })
      const fresh = await invitationLink(late)
      expect(fresh.token).not.toBe(expired.token)
      const ok = await signUpInWorkspace({ email: late, password: "late password 1", hash: fresh.inviteHash, token: fresh.token })
      expect(ok.body.errors).toBeUndefined()
    } finally {
      await sqlQuery((sql) => sql`UPDATE core.workspace SET "isPublicInviteLinkEnabled" = true WHERE id = ${owner.workspaceId}`)
    }
  }, 30_000)

  test("the public invite link: on, anyone joins with the default role; off, refused", async () => {
    const { inviteHash } = (await sqlQuery<{ inviteHash: string }>((sql) => sql`SELECT "inviteHash" FROM core.workspace WHERE id = ${owner.workspaceId}`))[0]!
    const check = () => gql(`query($h: String!) { checkWorkspaceInviteHashIsValid(inviteHash: $h) { isValid } }`, { h: inviteHash })
    const find = () => gql(`query($h: String!) { findWorkspaceFromInviteHash(inviteHash: $h) { id displayName databaseSchema defaultRole { id } } }`, { h: inviteHash })
    expect((await check()).body.data.checkWorkspaceInviteHashIsValid.isValid).toBe(true)
    expect((await find()).body.data.findWorkspaceFromInviteHash).toEqual({ id: owner.workspaceId, displayName: "Invite Co", databaseSchema: null, defaultRole: null })
    expect((await gql(`query { checkWorkspaceInviteHashIsValid(inviteHash: "nope") { isValid } }`)).body.data.checkWorkspaceInviteHashIsValid.isValid).toBe(false)

    const email = uniqueEmail("public")
    const joined = await signUpInWorkspace({ email, password: "public password 1", hash: inviteHash })
    expect(joined.body.errors).toBeUndefined()
    expect(await roleOf(email)).toBe("Member")
    // Without any invitation, a stranger naming the workspace by id is refused.
    const stranger = await signUpInWorkspace({ email: uniqueEmail("stranger"), password: "stranger password 1", workspaceId: owner.workspaceId })
    expect(stranger.body.errors?.[0]).toMatchObject({ message: "User does not have access to this workspace", extensions: { code: "FORBIDDEN" } })

    await sqlQuery((sql) => sql`UPDATE core.workspace SET "isPublicInviteLinkEnabled" = false WHERE id = ${owner.workspaceId}`)
    try {
      expect((await check()).body.data.checkWorkspaceInviteHashIsValid.isValid).toBe(false)
      expect((await find()).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND")
      const refused = await signUpInWorkspace({ email: uniqueEmail("late"), password: "late password 1", hash: inviteHash })
      expect(refused.body.errors?.[0]).toMatchObject({ message: "Public invite link is disabled for this workspace", extensions: { code: "FORBIDDEN" } })
    } finally {
      await sqlQuery((sql) => sql`UPDATE core.workspace SET "isPublicInviteLinkEnabled" = true WHERE id = ${owner.workspaceId}`)
    }
  }, 30_000)

  test("only WORKSPACE_MEMBERS may invite", async () => {
    const member = await joinAsNewMember(roles["Member"]!)
    const denied = await invite([uniqueEmail("x")], null, member.accessToken)
    expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    expect((await gql(`{ findWorkspaceInvitations { id } }`, {}, member.accessToken)).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
  }, 30_000)

  test("WORKSPACE_MEMBERS invites with the default role; another role also takes ROLES", async () => {
    const [custom] = await sqlQuery<{ id: string }>((sql) => sql`
      INSERT INTO core.role ("workspaceId", label, "canReadAllObjectRecords") VALUES (${owner.workspaceId}, 'Recruiter', true) RETURNING id`)
    await sqlQuery((sql) => sql`INSERT INTO core."permissionFlag" ("workspaceId", "roleId", flag)
                               VALUES (${owner.workspaceId}, ${custom!.id}, 'WORKSPACE_MEMBERS') RETURNING id`)
    const recruiter = await joinAsNewMember(custom!.id)
    const asDefault = await invite([uniqueEmail("plain")], roles["Member"]!, recruiter.accessToken)
    expect(asDefault.body.data.sendInvitations.success).toBe(true)
    const asAdmin = await invite([uniqueEmail("boss")], roles["Admin"]!, recruiter.accessToken)
    expect(asAdmin.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    const many = await invite(Array.from({ length: 101 }, (_, i) => `n${i}@example.com`))
    expect(many.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  }, 30_000)

  test("a member's name and locale, edited on their workspaceMember record, follow to their user", async () => {
    const member = await joinAsNewMember(roles["Member"]!)
    const id = (await memberId(member.accessToken, member.email))!
    const patched = await app.request(`/rest/workspaceMembers/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${member.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: { firstName: "Ada", lastName: "Lovelace" }, locale: "fr-FR" })
    })
    expect(patched.status).toBe(200)
    const deadline = Date.now() + 15_000
    let me: any
    while (Date.now() < deadline) {
      me = (await gql(`{ currentUser { firstName lastName locale currentUserWorkspace { locale } } }`, {}, member.accessToken)).body.data.currentUser
      if (me.firstName === "Ada") break
      await Bun.sleep(50)
    }
    expect(me).toEqual({ firstName: "Ada", lastName: "Lovelace", locale: "fr-FR", currentUserWorkspace: { locale: "fr-FR" } })
  }, 30_000)
})

describe("removing and leaving", () => {
  test("an admin removes a member: records lose the link, the member's token is refused at once", async () => {
    const member = await joinAsNewMember(roles["Member"]!)
    const id = (await memberId(owner.accessToken, member.email))!
    const created = await app.request("/rest/companies", {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Owned", accountOwnerId: id })
    })
    const companyId = ((await created.json()) as any).data.createCompany.id
    expect((await gql(`{ currentUser { email } }`, {}, member.accessToken)).body.data.currentUser.email).toBe(member.email)

    const removed = await removeMember(id, owner.accessToken)
    expect(removed.body.errors).toBeUndefined()
    expect(removed.body.data.deleteUserFromWorkspace).toMatchObject({ deletedAt: expect.any(String) })
    const refused = await gql(`{ currentUser { email } }`, {}, member.accessToken)
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    expect(await memberId(owner.accessToken, member.email)).toBeUndefined()
    const company = await app.request(`/rest/companies/${companyId}?depth=0`, { headers: { authorization: `Bearer ${owner.accessToken}` } })
    expect(((await company.json()) as any).data.company.accountOwnerId).toBeNull()
    expect(await roleOf(member.email)).toBeUndefined()
  }, 30_000)

  test("a member without WORKSPACE_MEMBERS cannot remove others, nobody removes the owner, anyone may leave", async () => {
    const a = await joinAsNewMember(roles["Member"]!)
    const b = await joinAsNewMember(roles["Member"]!)
    const bId = (await memberId(owner.accessToken, b.email))!
    const denied = await removeMember(bId, a.accessToken)
    expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", subCode: "PERMISSION_DENIED" })
    expect(await roleOf(b.email)).toBe("Member")

    const ownerId = (await memberId(owner.accessToken, owner.email))!
    const notOwner = await removeMember(ownerId, owner.accessToken)
    expect(notOwner.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    expect(await roleOf(owner.email)).toBe("Admin")

    const left = await removeMember(bId, b.accessToken)
    expect(left.body.errors).toBeUndefined()
    expect((await gql(`{ currentUser { email } }`, {}, b.accessToken)).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    expect(await roleOf(b.email)).toBeUndefined()
    const unknown = await removeMember(crypto.randomUUID(), owner.accessToken)
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
  }, 30_000)

  test("a removed member invited again joins afresh: new membership and record, the old token stays refused", async () => {
    const other = await signUpWithWorkspace(app, { name: "Returning" })
    const join = async () => {
      await invite([other.email])
      const { inviteHash, token } = await invitationLink(other.email)
      const joined = await signUpInWorkspace({ email: other.email, password: other.password, hash: inviteHash, token })
      expect(joined.body.errors).toBeUndefined()
      return accessTokenFrom(joined.body.data.signUpInWorkspace.loginToken.token)
    }
    const first = await join()
    const firstId = (await memberId(first, other.email))!
    // The actor lookup caches the member id: writes must not keep naming the removed record.
    await app.request("/rest/companies", {
      method: "POST",
      headers: { authorization: `Bearer ${first}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Before" })
    })
    smtp.received.splice(0, smtp.received.length)
    expect((await removeMember(firstId, owner.accessToken)).body.errors).toBeUndefined()
    // Still a user: the account has its own workspace.
    expect(await roleOf(other.email, other.workspaceId)).toBe("Admin")
    const second = await join()
    const secondId = (await memberId(second, other.email))!
    expect(secondId).not.toBe(firstId)
    expect((await gql(`{ currentUser { email } }`, {}, first)).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    const created = await app.request("/rest/companies", {
      method: "POST",
      headers: { authorization: `Bearer ${second}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "After" })
    })
    expect(((await created.json()) as any).data.createCompany.createdBy.workspaceMemberId).toBe(secondId)
  }, 30_000)

  test("deleteUser: an owner is refused with nothing changed; a member leaves every workspace and the account goes", async () => {
    const refused = await gql(`mutation { deleteUser { id } }`, {}, owner.accessToken)
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
    expect(await roleOf(owner.email)).toBe("Admin")

    const member = await joinAsNewMember(roles["Member"]!)
    const deleted = await gql(`mutation { deleteUser { email deletedAt } }`, {}, member.accessToken)
    expect(deleted.body.data.deleteUser).toEqual({ email: member.email, deletedAt: expect.any(String) })
    expect((await gql(`{ currentUser { email } }`, {}, member.accessToken)).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    expect(await roleOf(member.email)).toBeUndefined()
    const signIn = await gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { tokens { refreshToken { token } } } }`, {
      e: member.email,
      p: "member password 1"
    })
    expect(signIn.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN")
  }, 30_000)

  test("the last admin cannot be removed (a workspace without an owner)", async () => {
    const other = await signUpWithWorkspace(app, { name: "Ownerless" })
    await sqlQuery((sql) => sql`UPDATE core.workspace SET "ownerUserId" = NULL WHERE id = ${other.workspaceId}`)
    // Through Revocations: cached workspaces are stored under the revocation epoch (sign-in already read this one).
    await app.run(Effect.flatMap(Revocations, (r) => r.invalidate(workspaceCacheKey(other.workspaceId))))
    const selfId = (await memberId(other.accessToken, other.email))!
    const refused = await removeMember(selfId, other.accessToken)
    expect(refused.body.errors?.[0]).toMatchObject({
      message: "Cannot delete account: user is the unique admin of a workspace",
      extensions: { code: "FORBIDDEN", subCode: "CANNOT_DELETE_LAST_ADMIN_USER" }
    })
    expect(await roleOf(other.email, other.workspaceId)).toBe("Admin")
  }, 30_000)
})

describe("outgoing mail", () => {
  test("a mail the SMTP server keeps refusing is retried, then dead-lettered", async () => {
    const before = smtp.bounced()
    await app.run(enqueueMail({ to: "bounce@example.com", subject: "s", text: "t", html: "<p>t</p>" }, { attempts: 3, backoff: "50 millis" }))
    const deadline = Date.now() + 15_000
    let dead: ReadonlyArray<{ data: unknown; attemptsMade: number; lastError?: string }> = []
    while (Date.now() < deadline) {
      dead = await app.run(Effect.flatMap(JobQueue, (q) => q.deadLetters(EMAILS_QUEUE)).pipe(Effect.orDie))
      if (dead.length > 0) break
      await Bun.sleep(50)
    }
    expect(smtp.bounced() - before).toBe(3)
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ data: { to: "bounce@example.com" }, attemptsMade: 3 })
    expect(dead[0]!.lastError).toContain("Mailbox temporarily unavailable")
  }, 30_000)

  test("without EMAIL_SMTP_HOST, mail goes to DATA_DIR/outbox as .eml files", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "score-outbox-"))
    const local = await startTestApp({ redis: false, env: { DATA_DIR: dataDir } })
    const localWorker = await local.run(Effect.forkDaemon(Effect.scoped(Effect.zipRight(runWorker(registry, { pollInterval: "20 millis" }), Effect.never))))
    try {
      await local.run(Effect.flatMap(Mailer, (m) => m.send({ to: "someone@example.com", subject: "Hello outbox", text: "plain part", html: "<p>html part</p>" })))
      const outbox = path.join(dataDir, "outbox")
      const deadline = Date.now() + 10_000
      while ((!fs.existsSync(outbox) || fs.readdirSync(outbox).length === 0) && Date.now() < deadline) await Bun.sleep(20)
      const files = fs.readdirSync(outbox)
      expect(files).toHaveLength(1)
      expect(files[0]).toMatch(/\.eml$/)
      const eml = fs.readFileSync(path.join(outbox, files[0]!), "utf8")
      expect(eml).toMatch(/^To: someone@example\.com/m)
      expect(eml).toMatch(/^Subject: Hello outbox/m)
      expect(eml).toContain("plain part")
      expect(eml).toContain("<p>html part</p>")
    } finally {
      await local.run(Fiber.interrupt(localWorker))
      await local.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }, 30_000)
})
