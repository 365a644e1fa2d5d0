/**
 * FILES values read back carry a signed `url` (Twenty's FILES query-result getter): on /graphql's planned
 * path and graphql-js alike, on /rest's lane and its Effect route, in lists, single reads and nested
 * relations; the URL downloads the bytes, and never serves another workspace's file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { startTestApp, type TestApp } from "./support/app.js"
import { signUpWithWorkspace } from "./support/flows.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "score-files-urls-"))
let app: TestApp
let a: Awaited<ReturnType<typeof signUpWithWorkspace>>
let b: Awaited<ReturnType<typeof signUpWithWorkspace>>

const localPath = (url: string) => {
  const u = new URL(url)
  return `${u.pathname}${u.search}`
}

const upload = async (token: string, filename: string, text: string) => {
  const bytes = new TextEncoder().encode(text)
  const target = (await app.gql(
    `mutation($f: String!, $s: Float!) { createFileUpload(filename: $f, size: $s, fileFolder: FilesField) { fileId uploadUrl } }`,
    { f: filename, s: bytes.byteLength },
    token
  )).body.data!.createFileUpload
  const put = await app.request(localPath(target.uploadUrl), { method: "PUT", body: bytes, headers: { "content-length": String(bytes.byteLength) } })
  expect(put.status).toBe(200)
  const done = await app.gql(`mutation($id: String!) { completeFileUpload(fileId: $id) { id } }`, { id: target.fileId }, token)
  expect(done.body.errors).toBeUndefined()
  return target.fileId as string
}

type Send = (path: string, init?: RequestInit) => Promise<Response>
const graphql = (send: Send, token: string, query: string, variables: Record<string, unknown> = {}) =>
  send("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables })
  }).then((r) => r.json() as any)
const rest = (send: Send, token: string, url: string) =>
  send(url, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as any)

const downloaded = async (url: string) => {
  const response = await app.request(localPath(url))
  return response.status === 200 ? await response.text() : response.status
}
/** The answer with each signed URL's token left out (tokens carry their signing second). */
const unsigned = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v) => (key === "url" && typeof v === "string" ? v.split("?")[0] : v))

let companyId: string
let attachmentId: string
let fileId: string

beforeAll(async () => {
  app = await startTestApp({ env: { STORAGE_LOCAL_PATH: root, SERVER_URL: "http://localhost" } })
  a = await signUpWithWorkspace(app, { name: "Urls A" })
  b = await signUpWithWorkspace(app, { name: "Urls B" })
  fileId = await upload(a.accessToken, "plan.pdf", "the plan")
  const company = await graphql(app.request, a.accessToken, `mutation { createCompany(data: { name: "Acme" }) { id } }`)
  companyId = company.data.createCompany.id
  const created = await graphql(
    app.request,
    a.accessToken,
    `mutation($data: AttachmentCreateInput!) { createAttachment(data: $data) { id } }`,
    { data: { name: "plan", targetCompanyId: companyId, file: [{ fileId, label: "plan.pdf" }] } }
  )
  expect(created.errors).toBeUndefined()
  attachmentId = created.data.createAttachment.id
})
afterAll(async () => {
  await app?.close()
  fs.rmSync(root, { recursive: true, force: true })
})

const LIST = `{ attachments { edges { node { id file { fileId label url } } } } }`
const ONE = `query($id: UUID!) { attachment(filter: { id: { eq: $id } }) { file { fileId url } } }`
const NESTED = `query($id: UUID!) { company(filter: { id: { eq: $id } }) { attachments { edges { node { file { url } } } } } }`

describe("FILES items carry a signed url on reads", () => {
  test("/graphql list, single and nested reads: the url downloads the bytes; planned and graphql-js paths agree", async () => {
    for (const send of [app.request, app.referenceRequest]) {
      const list = await graphql(send, a.accessToken, LIST)
      expect(list.errors).toBeUndefined()
      const item = list.data.attachments.edges[0].node.file[0]
      expect(item.fileId).toBe(fileId)
      expect(await downloaded(item.url)).toBe("the plan")
      const one = await graphql(send, a.accessToken, ONE, { id: attachmentId })
      expect(await downloaded(one.data.attachment.file[0].url)).toBe("the plan")
      const nested = await graphql(send, a.accessToken, NESTED, { id: companyId })
      expect(await downloaded(nested.data.company.attachments.edges[0].node.file[0].url)).toBe("the plan")
    }
    for (const [query, variables] of [[LIST, {}], [ONE, { id: attachmentId }], [NESTED, { id: companyId }]] as const) {
      const planned = await graphql(app.request, a.accessToken, query, variables)
      const reference = await graphql(app.referenceRequest, a.accessToken, query, variables)
      expect(unsigned(planned)).toEqual(unsigned(reference))
    }
  })

  test("/rest list and single reads (lane and Effect route) carry the url", async () => {
    for (const send of [app.request, app.referenceRequest]) {
      const list = await rest(send, a.accessToken, "/rest/attachments")
      expect(await downloaded(list.data.attachments[0].file[0].url)).toBe("the plan")
      const one = await rest(send, a.accessToken, `/rest/attachments/${attachmentId}`)
      expect(await downloaded(one.data.attachment.file[0].url)).toBe("the plan")
      const nested = await rest(send, a.accessToken, `/rest/companies/${companyId}?depth=1`)
      expect(await downloaded(nested.data.company.attachments[0].file[0].url)).toBe("the plan")
    }
  })

  test("a write's returned records carry the url too", async () => {
    const updated = await graphql(
      app.request,
      a.accessToken,
      `mutation($id: UUID!) { updateAttachment(id: $id, data: { name: "plan v2" }) { name file { url } } }`,
      { id: attachmentId }
    )
    expect(updated.errors).toBeUndefined()
    expect(await downloaded(updated.data.updateAttachment.file[0].url)).toBe("the plan")
  })

  test("a signed url never serves another workspace's file", async () => {
    const theirs = await upload(b.accessToken, "theirs.pdf", "their secret")
    const list = await graphql(app.request, a.accessToken, LIST)
    const url = new URL(list.data.attachments.edges[0].node.file[0].url)
    const swapped = `/file/FilesField/${theirs}${url.search}`
    expect((await app.request(swapped)).status).toBe(403)
    // B sees none of A's attachments, so no URL to A's file.
    const bList = await graphql(app.request, b.accessToken, LIST)
    expect(bList.data.attachments.edges).toEqual([])
  })

  test("without a FILES field selected nothing is signed", async () => {
    const list = await graphql(app.request, a.accessToken, `{ attachments { edges { node { id name } } } }`)
    expect(JSON.stringify(list)).not.toContain("token=")
  })
})
