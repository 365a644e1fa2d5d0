import { afterAll, beforeAll, expect, test } from "bun:test"
import { TEST_APP_SECRET } from "./support/app.js"
import { createTestDatabase } from "./support/database.js"
import { runScore, type ServerProcess, startServer } from "./support/process.js"

let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: ServerProcess
const env = () => ({ DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET, DATABASE_POOL_SIZE: "2" })

beforeAll(async () => {
  database = await createTestDatabase()
  server = await startServer(env(), 60_000)
}, 90_000)
afterAll(async () => {
  await server?.stop()
  await database?.drop()
})

/** The README's shell block that follows `marker`, pointed at this test's server. */
const readmeBlock = async (marker: string) => {
  const readme = await Bun.file(`${import.meta.dir}/../README.md`).text()
  const block = readme.split(marker)[1]?.split("```bash\n")[1]?.split("```")[0]
  if (!block) throw new Error(`README has no shell block after "${marker}"`)
  return block.replaceAll("localhost:3000", new URL(server.url).host)
}

test("the README's first object, field and record example runs as written", async () => {
  const cli = runScore("cli", env(), ["workspace:create", "--name", "Acme", "--email", "admin@acme.dev", "--password", "a long password"])
  const printed = await new Response(cli.stdout).text()
  expect(await cli.exited).toBe(0)
  const apiKey = printed.split("\n").find((line) => /^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(line.trim()))!.trim()

  // Each command's answer on its own line.
  const script = (await readmeBlock("A first custom object")).replaceAll("\ncurl ", "\necho; curl ")
  const run = Bun.spawn(["bash", "-euo", "pipefail", "-c", `${script}\necho`], {
    env: { PATH: process.env.PATH ?? "", API_KEY: apiKey },
    stdout: "pipe",
    stderr: "pipe"
  })
  const [out, err] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()])
  expect({ exit: await run.exited, err }).toEqual({ exit: 0, err: "" })
  const [field, record, list] = out.split("\n").filter(Boolean).map((line) => JSON.parse(line))
  expect(field).toMatchObject({ data: { createOneField: { name: "amount" } } })
  expect(record).toMatchObject({ data: { createInvoice: { name: "INV-001", amount: 1250 } } })
  expect(list.data.invoices.map((i: { name: string; amount: number }) => [i.name, i.amount])).toEqual([["INV-001", 1250]])
}, 60_000)
