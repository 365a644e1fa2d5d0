/**
 * Files through the API on both storage drivers: the same suite on local disk and on a real S3-compatible
 * server (s3rver, started here on a free port): upload URLs and multipart pictures, signed downloads with
 * valid, expired and foreign tokens, size limits, names and traversal, deletion jobs and the orphan sweep.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import sharp from "sharp"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { registry } from "../src/jobs/registry.js"
import { runWorker } from "../src/jobs/runner.js"
import { Tokens } from "../src/services/auth/tokens.js"
import { runRelay } from "../src/services/events/index.js"
import { FileStorage } from "../src/services/files/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { sweepOrphans } from "../src/services/files/sweep.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { addMemberWithRole, signUpWithWorkspace } from "./support/flows.js"
import { type S3TestServer, startS3 } from "./support/s3.js"

/** A 1×1 PNG. */
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="), (c) => c.charCodeAt(0))
const MAX = 256 * 1024

let s3: S3TestServer
const localRoot = fs.mkdtempSync(path.join(os.tmpdir(), "score-files-api-"))
beforeAll(async () => {
  s3 = await startS3()
})
afterAll(async () => {
  await s3?.stop()
  fs.rmSync(localRoot, { recursive: true, force: true })
})

const drivers: Record<string, () => Record<string, string>> = {
  local: () => ({ STORAGE_LOCAL_PATH: localRoot }),
  s3: () => s3.env
}

for (const [driver, storageEnv] of Object.entries(drivers)) {
  describe(`files on ${driver} storage`, () => {
    let app: TestApp
    let worker: Fiber.RuntimeFiber<unknown, unknown>
    let a: Awaited<ReturnType<typeof signUpWithWorkspace>>
    let b: Awaited<ReturnType<typeof signUpWithWorkspace>>

    beforeAll(async () => {
      app = await startTestApp({
        env: { ...storageEnv(), FILE_MAX_SIZE: String(MAX), FILE_PICTURE_MAX_SIZE: String(64 * 1024), SERVER_URL: "http://localhost" }
      })
      worker = await app.run(Effect.forkDaemon(Effect.scoped(Effect.gen(function*() {
        yield* Effect.forkScoped(runRelay("20 millis"))
        yield* runWorker(registry, { pollInterval: "20 millis" })
        return yield* Effect.never
      }))))
      a = await signUpWithWorkspace(app, { name: "Files A" })
      b = await signUpWithWorkspace(app, { name: "Files B" })
    })
    afterAll(async () => {
      await app?.run(Fiber.interrupt(worker))
      await app?.close()
    })

    const localPath = (url: string) => {
      const u = new URL(url)
      return `${u.pathname}${u.search}`
    }

    const createUpload = (token: string, filename: string, size: number, fileFolder = "FilesField") =>
      app.gql(
        `mutation($f: String!, $s: Float!, $d: FileFolder!) { createFileUpload(filename: $f, size: $s, fileFolder: $d) { fileId uploadUrl contentType expiresAt } }`,
        { f: filename, s: size, d: fileFolder },
        token
      )

    /** createFileUpload → PUT → completeFileUpload; the signed file. */
    const upload = async (token: string, filename: string, bytes: Uint8Array<ArrayBuffer>) => {
      const target = (await createUpload(token, filename, bytes.byteLength)).body.data!.createFileUpload
      const put = await app.request(localPath(target.uploadUrl), { method: "PUT", body: bytes, headers: { "content-length": String(bytes.byteLength) } })
      expect(put.status).toBe(200)
      const completed = await app.gql(`mutation($id: String!) { completeFileUpload(fileId: $id) { id path size createdAt url } }`, { id: target.fileId }, token)
      expect(completed.body.errors).toBeUndefined()
      return completed.body.data.completeFileUpload as { id: string; path: string; size: number; url: string }
    }

    test("an upload URL takes the bytes, completeFileUpload signs a URL that serves them", async () => {
      const bytes = new TextEncoder().encode("quarterly numbers")
      const file = await upload(a.accessToken, "report.pdf", bytes)
      expect(file.size).toBe(bytes.byteLength)
      expect(file.path).toBe(`FilesField/${file.id}.pdf`)
      const response = await app.request(localPath(file.url))
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toBe("application/pdf")
      expect(response.headers.get("content-disposition")).toContain(`filename="report.pdf"`)
      expect(await response.text()).toBe("quarterly numbers")
    })

    test("two files with the same name are two files", async () => {
      const first = await upload(a.accessToken, "notes.txt", new TextEncoder().encode("first"))
      const second = await upload(a.accessToken, "notes.txt", new TextEncoder().encode("second"))
      expect(first.id).not.toBe(second.id)
      expect(await (await app.request(localPath(first.url))).text()).toBe("first")
      expect(await (await app.request(localPath(second.url))).text()).toBe("second")
    })

    test("expired, tampered, foreign and wrong-purpose tokens are refused", async () => {
      const mine = await upload(a.accessToken, "secret.txt", new TextEncoder().encode("A's secret"))
      const theirs = await upload(b.accessToken, "theirs.txt", new TextEncoder().encode("B's secret"))
      const url = new URL(mine.url)
      const token = url.searchParams.get("token")!
      const expired = await app.run(Effect.flatMap(Tokens, (t) =>
        t.sign({ sub: mine.id, type: "FILE", workspaceId: a.workspaceId, fileId: mine.id, purpose: "read" }, { until: new Date(Date.now() - 1000) })))
      expect((await app.request(`/file/FilesField/${mine.id}?token=${expired.token}`)).status).toBe(403)
      expect((await app.request(`/file/FilesField/${mine.id}?token=${token.slice(0, -3)}abc`)).status).toBe(403)
      expect((await app.request(`/file/FilesField/${mine.id}`)).status).toBe(403)
      // A's valid token names A's file: it never serves B's.
      expect((await app.request(`/file/FilesField/${theirs.id}?token=${token}`)).status).toBe(403)
      // A token signed for workspace B that names A's file finds nothing in B.
      const forged = await app.run(Effect.flatMap(Tokens, (t) =>
        t.sign({ sub: mine.id, type: "FILE", workspaceId: b.workspaceId, fileId: mine.id, purpose: "read" }, "1 hour")))
      expect((await app.request(`/file/FilesField/${mine.id}?token=${forged.token}`)).status).toBe(404)
      // A read token does not upload, and the file's folder is part of its address.
      const put = await app.request(`/file/FilesField/${mine.id}?token=${token}`, { method: "PUT", body: "x", headers: { "content-length": "1" } })
      expect(put.status).toBe(403)
      expect((await app.request(`/file/CorePicture/${mine.id}?token=${token}`)).status).toBe(404)
      // An access token is not a file token.
      expect((await app.request(`/file/FilesField/${mine.id}?token=${a.accessToken}`)).status).toBe(403)
      expect(await (await app.request(localPath(mine.url))).text()).toBe("A's secret")
      // Without a file token, a member's access token reads its own workspace's files only.
      const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
      expect(await (await app.request(`/file/FilesField/${mine.id}`, bearer(a.accessToken))).text()).toBe("A's secret")
      expect((await app.request(`/file/FilesField/${theirs.id}`, bearer(a.accessToken))).status).toBe(404)
      expect((await app.request(`/file/FilesField/${mine.id}`, bearer(`${a.accessToken}x`))).status).toBe(401)
      // A role that does not read every record unrestricted needs the file token.
      const guest = await addMemberWithRole(app, a.workspaceId, "Guest")
      expect((await app.request(`/file/FilesField/${mine.id}`, bearer(guest.token))).status).toBe(403)
    })

    test("size limits: declared over the limit is 413, a body longer or shorter than declared is refused", async () => {
      const tooBig = await createUpload(a.accessToken, "big.bin", MAX + 1)
      expect(tooBig.status).toBe(413)
      expect(tooBig.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      const target = (await createUpload(a.accessToken, "small.bin", 10)).body.data.createFileUpload
      const uploadPath = localPath(target.uploadUrl)
      const longer = await app.request(uploadPath, { method: "PUT", body: new Uint8Array(20), headers: { "content-length": "20" } })
      expect(longer.status).toBe(400)
      const chunked = await app.handle(new Request(`http://localhost${uploadPath}`, {
        method: "PUT",
        body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(10)), c.close()) })
      }))
      expect(chunked.status).toBe(411)
      const notYet = await app.gql(`mutation($id: String!) { completeFileUpload(fileId: $id) { id } }`, { id: target.fileId }, a.accessToken)
      expect(notYet.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      const exact = await app.request(uploadPath, { method: "PUT", body: new Uint8Array(10), headers: { "content-length": "10" } })
      expect(exact.status).toBe(200)
      const again = await app.request(uploadPath, { method: "PUT", body: new Uint8Array(10), headers: { "content-length": "10" } })
      expect(again.status).toBe(400)
    })

    test("file names cannot reach storage paths; odd routes are not files", async () => {
      const file = await upload(a.accessToken, "../../../etc/passwd\u0000.txt", new TextEncoder().encode("x"))
      expect(file.path).toBe(`FilesField/${file.id}.txt`)
      const response = await app.request(localPath(file.url))
      expect(response.headers.get("content-disposition")).toContain(`filename="passwd_.txt"`)
      for (const odd of ["/file/FilesField/../../etc/passwd", "/file/FilesField/%2e%2e%2fetc%2fpasswd", `/file/..%2FFilesField/${file.id}`]) {
        expect([403, 404]).toContain((await app.request(odd)).status)
      }
      if (driver === "local") {
        const everything = fs.readdirSync(localRoot, { recursive: true }).map(String)
        expect(everything.every((p) => p.startsWith("workspace-") || p.startsWith(".incoming"))).toBe(true)
      }
      const unsupported = await createUpload(a.accessToken, "x.txt", 1, "Workflow")
      expect(unsupported.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
    })

    test("pictures: the logo and the avatar are sniffed images, served back through signed URLs", async () => {
      const multipart = (mutation: string, bytes: Uint8Array<ArrayBuffer>, name: string, token: string) => {
        const form = new FormData()
        form.append("operations", JSON.stringify({ query: `mutation($file: Upload!) { ${mutation}(file: $file) { id path url } }`, variables: { file: null } }))
        form.append("map", JSON.stringify({ "0": ["variables.file"] }))
        form.append("0", new File([bytes], name, { type: "image/png" }))
        return app.request("/metadata", { method: "POST", body: form, headers: { authorization: `Bearer ${token}`, "graphql-require-preflight": "1" } })
          .then(async (r) => ({ status: r.status, body: await r.json() as any }))
      }
      const logo = await multipart("uploadWorkspaceLogo", PNG, "logo.png", a.accessToken)
      expect(logo.body.errors).toBeUndefined()
      const served = await app.request(localPath(logo.body.data.uploadWorkspaceLogo.url))
      expect(served.headers.get("content-type")).toBe("image/png")
      expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG)
      const current = await app.gql(`{ currentWorkspace { logo logoFileId } }`, {}, a.accessToken)
      expect(current.body.data.currentWorkspace.logoFileId).toBe(logo.body.data.uploadWorkspaceLogo.id)
      expect((await app.request(localPath(current.body.data.currentWorkspace.logo))).status).toBe(200)

      // A 600×400 JPEG called .png: served as what it is, with a 256×171 WebP thumbnail.
      const photo = new Uint8Array(await sharp({ create: { width: 600, height: 400, channels: 3, background: "teal" } }).jpeg().toBuffer())
      const big = await multipart("uploadWorkspaceLogo", photo, "photo.png", a.accessToken)
      expect(big.body.errors).toBeUndefined()
      const original = await app.request(localPath(big.body.data.uploadWorkspaceLogo.url))
      expect(original.headers.get("content-type")).toBe("image/jpeg")
      const thumbnail = await app.request(`${localPath(big.body.data.uploadWorkspaceLogo.url)}&size=thumbnail`)
      expect(thumbnail.headers.get("content-type")).toBe("image/webp")
      const info = await sharp(new Uint8Array(await thumbnail.arrayBuffer())).metadata()
      expect([info.format, info.width, info.height]).toEqual(["webp", 256, 171])
      // The logo it replaced is deleted through the files queue.
      const replacedDeadline = Date.now() + 10_000
      while ((await app.request(localPath(logo.body.data.uploadWorkspaceLogo.url))).status !== 404) {
        if (Date.now() > replacedDeadline) throw new Error("the previous logo was not deleted")
        await Bun.sleep(50)
      }

      const notAnImage = await multipart("uploadWorkspaceLogo", new TextEncoder().encode("<svg onload=alert(1)>"), "logo.png", a.accessToken)
      expect(notAnImage.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      const tooBig = await multipart("uploadWorkspaceMemberProfilePicture", new Uint8Array(65 * 1024).fill(7), "me.png", a.accessToken)
      expect(tooBig.status).toBe(413)

      const avatar = await multipart("uploadWorkspaceMemberProfilePicture", PNG, "me.png", a.accessToken)
      expect(avatar.body.errors).toBeUndefined()
      const me = await app.request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${a.accessToken}` },
        body: JSON.stringify({ query: `{ workspaceMembers { edges { node { avatarUrl } } } }` })
      }).then((r) => r.json() as any)
      // The workspace also has other members (a Guest added by the token test): only the caller's avatar is set.
      const avatars = me.data.workspaceMembers.edges.map((edge: any) => edge.node.avatarUrl).filter(Boolean)
      expect(avatars).toEqual([avatar.body.data.uploadWorkspaceMemberProfilePicture.url])
    })

    test("a FILES field upload names a FILES field of the caller's workspace", async () => {
      const fieldId = (workspaceId: string, object: string, field: string) =>
        app.run(Effect.map(Effect.flatMap(Metadata, (m) => m.get(workspaceId)), (md) =>
          md.objects.find((o) => o.nameSingular === object)!.fields.find((f) => f.name === field)!.id))
      const send = (identifier: string) => {
        const form = new FormData()
        form.append("operations", JSON.stringify({
          query: `mutation($file: Upload!, $id: String!) { uploadFilesFieldFileByUniversalIdentifier(file: $file, fieldMetadataUniversalIdentifier: $id) { id path url } }`,
          variables: { file: null, id: identifier }
        }))
        form.append("map", JSON.stringify({ "0": ["variables.file"] }))
        form.append("0", new File(["minutes"], "minutes.txt", { type: "text/plain" }))
        return app.request("/metadata", { method: "POST", body: form, headers: { authorization: `Bearer ${a.accessToken}`, "graphql-require-preflight": "1" } })
          .then((r) => r.json() as any)
      }
      const ok = await send(await fieldId(a.workspaceId, "attachment", "file"))
      expect(ok.errors).toBeUndefined()
      expect(await (await app.request(localPath(ok.data.uploadFilesFieldFileByUniversalIdentifier.url))).text()).toBe("minutes")
      for (const wrong of [await fieldId(a.workspaceId, "attachment", "name"), await fieldId(b.workspaceId, "attachment", "file")]) {
        expect((await send(wrong)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT")
      }
    })

    test("destroying an attachment deletes its file through the files queue; the sweep removes unreferenced files", async () => {
      const kept = await upload(a.accessToken, "kept.pdf", new TextEncoder().encode("kept"))
      const attached = await upload(a.accessToken, "attached.pdf", new TextEncoder().encode("attached"))
      const orphan = await upload(a.accessToken, "orphan.pdf", new TextEncoder().encode("orphan"))
      const data = (query: string, variables: Record<string, unknown>) =>
        app.request("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${a.accessToken}` },
          body: JSON.stringify({ query, variables })
        }).then((r) => r.json() as any)
      const create = `mutation($data: AttachmentCreateInput!) { createAttachment(data: $data) { id } }`
      const first = await data(create, { data: { name: "attached", file: [{ fileId: attached.id, label: "attached.pdf" }] } })
      expect(first.errors).toBeUndefined()
      const second = await data(create, { data: { name: "kept", file: [{ fileId: kept.id, label: "kept.pdf" }] } })
      expect(second.errors).toBeUndefined()
      const destroyed = await data(`mutation($id: UUID!) { destroyAttachment(id: $id) { id } }`, { id: first.data.createAttachment.id })
      expect(destroyed.errors).toBeUndefined()
      const deadline = Date.now() + 10_000
      while ((await app.request(localPath(attached.url))).status !== 404) {
        if (Date.now() > deadline) throw new Error("the attachment's file was not deleted")
        await Bun.sleep(50)
      }
      // The row goes first, then the bytes.
      const key = `workspace-${a.workspaceId}/FilesField/${attached.id}.pdf`
      const stored = () => app.run(Effect.map(Effect.either(Effect.flatMap(FileStorage, (s) => s.read(key))), (r) => r._tag === "Right"))
      while (await stored()) {
        if (Date.now() > deadline) throw new Error("the attachment's bytes were not deleted")
        await Bun.sleep(50)
      }

      // Older than the grace period: the orphan goes, the file an attachment holds stays.
      await app.run(Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`UPDATE core.file SET "createdAt" = now() - interval '2 hours' WHERE id IN ${sql.in([kept.id, orphan.id])}`))
      const swept = await app.run(sweepOrphans)
      expect(swept.files).toBeGreaterThanOrEqual(1)
      expect((await app.request(localPath(orphan.url))).status).toBe(404)
      expect((await app.request(localPath(kept.url))).status).toBe(200)
    })
  })
}
