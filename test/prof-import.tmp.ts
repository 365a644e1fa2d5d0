import { Effect } from "effect"
import { Imports } from "../src/services/imports/index.js"
import { startTestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"
const ROWS = Number(process.env["ROWS"] ?? 100_000)
const app = await startTestApp({ redis: false, env: { DATABASE_POOL_SIZE: "3", DATABASE_STATEMENT_TIMEOUT: "300s" } })
const account = await signUpWithWorkspace(app)
const token = (await createApiKey(app, account.accessToken)).token
const lines = (count: number, line: (i: number) => string, header: string) => {
  const encoder = new TextEncoder(); let i = 0; let sent = false
  return new ReadableStream<Uint8Array>({ pull(c) { if (i >= count) return c.close(); let chunk = sent ? "" : `${header}\n`; sent = true; for (const end = Math.min(count, i + 2000); i < end; i++) chunk += `${line(i)}\n`; c.enqueue(encoder.encode(chunk)) } })
}
const run = async (plural: string, body: ReadableStream<Uint8Array>) => {
  const c0 = process.cpuUsage(); const t0 = performance.now()
  const r = await app.request(`/rest/${plural}/import?format=csv&emit_events=false`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body })
  const id = ((await r.json()) as any).data.import.id
  const c1 = process.cpuUsage(c0); const t1 = performance.now()
  await app.run(Effect.flatMap(Imports, (i) => i.run(id)))
  const c2 = process.cpuUsage(c0)
  console.log(plural, `upload ${Math.round(t1 - t0)} ms (cpu ${Math.round((c1.user + c1.system) / 1000)}), job ${Math.round(performance.now() - t1)} ms (cpu ${Math.round((c2.user + c2.system - c1.user - c1.system) / 1000)})`)
}
await run("companies", lines(100, (i) => `Company ${i},https://company${i}.example`, "name,domainName.primaryLinkUrl"))
await run("people", lines(ROWS, (i) => `First${i},Last${i},person${i}@example.com,Engineer,City ${i % 500},https://company${i % 100}.example`, "name.firstName,name.lastName,emails.primaryEmail,jobTitle,city,company.domainName.primaryLinkUrl"))
await app.close()
