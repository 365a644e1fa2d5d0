import { Effect } from "effect"
import * as fs from "node:fs"
import { BadUserInput } from "../domain/errors.js"

/**
 * `bun run cli records:import` and `records:export`: clients of a running server's REST bulk routes, with an
 * API key (`--api-key` or API_KEY), so the caller's role applies as on any request and the job runs where the
 * server's jobs run. The server is `--url`, else SERVER_URL, else http://localhost:PORT.
 */
export interface RecordsIoOptions {
  readonly url: string
  readonly apiKey: string
  readonly plural: string
}

class CliHttpError extends Error {}

const failure = (response: Response, body: string) =>
  new CliHttpError(`${response.status} ${response.statusText}: ${body.slice(0, 2_000)}`)

const call = async (options: RecordsIoOptions, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${options.url.replace(/\/$/, "")}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${options.apiKey}`, ...init.headers }
  })
  if (!response.ok) throw failure(response, await response.text())
  return response
}

const asEffect = <A>(run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (e) => new BadUserInput({ message: e instanceof Error ? e.message : String(e) })
  })

/** Uploads `file` (streamed), then prints the job's progress until it ends and the first refused rows. */
export const importRecords = (
  options: RecordsIoOptions,
  input: { readonly file: string; readonly format?: string | undefined; readonly mapping?: string | undefined; readonly events: boolean }
) =>
  asEffect(async () => {
    const query = new URLSearchParams({ emit_events: String(input.events) })
    query.set("format", input.format ?? (input.file.endsWith(".csv") ? "csv" : "jsonl"))
    if (input.mapping) query.set("mapping", input.mapping)
    // Bun sends a file body from disk, with its length: never read into memory whole.
    const started = await call(options, `/rest/${options.plural}/import?${query}`, { method: "POST", body: Bun.file(input.file) })
    const { data } = await started.json() as { data: { import: { id: string; totalRows: number } } }
    process.stdout.write(`Import ${data.import.id}: ${data.import.totalRows} rows staged\n`)
    while (true) {
      const status = await call(options, `/rest/imports/${data.import.id}?errors_limit=20`)
      const run = (await status.json() as { data: { import: Record<string, any> } }).data.import
      process.stdout.write(`  ${run["status"]}: ${run["processedRows"]}/${run["totalRows"]} rows, ${run["createdRows"]} created, ${run["failedRows"]} refused\n`)
      if (run["status"] === "COMPLETED" || run["status"] === "FAILED") {
        for (const error of run["errors"] as Array<{ row: number; message: string }>) process.stdout.write(`  row ${error.row}: ${error.message}\n`)
        if (run["status"] === "FAILED") throw new CliHttpError(`Import failed: ${run["lastError"]}`)
        return
      }
      await Bun.sleep(1_000)
    }
  })

/** Streams the export to `out` (or stdout). */
export const exportRecords = (
  options: RecordsIoOptions,
  input: { readonly format?: string | undefined; readonly filter?: string | undefined; readonly orderBy?: string | undefined; readonly out?: string | undefined }
) =>
  asEffect(async () => {
    const query = new URLSearchParams({ format: input.format ?? "csv" })
    if (input.filter) query.set("filter", input.filter)
    if (input.orderBy) query.set("order_by", input.orderBy)
    const response = await call(options, `/rest/${options.plural}/export?${query}`)
    const sink = input.out ? fs.createWriteStream(input.out) : process.stdout
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!sink.write(chunk)) await new Promise((resolve) => sink.once("drain", resolve))
    }
    if (input.out) await new Promise((resolve) => (sink as fs.WriteStream).end(resolve))
  })
